"""Checks beyond the XSD: arithmetic, identifiers, dates, the KSeF hash.

Rounding. Art. 106e ust. 10-11 of the VAT Act lets the VAT be rounded to the grosz either once per rate
(from the rate's net total) or per line and then summed, and lets gross-priced invoices derive net from
gross (art. 106e ust. 7-8). So per-rate VAT is accepted within 0.01 PLN plus half a grosz per line of that
rate, and the gross total P_15 within one grosz per rate group. Sums of two-decimal amounts, on the other
hand, are exact, so lines are compared with the per-rate totals to the grosz.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

from ksef_tui.core.fa.findings import Finding, error, warning
from ksef_tui.core.fa.model import (
    ADVANCE_KINDS,
    CORRECTION_KINDS,
    VAT_FIELDS,
    Invoice,
    InvoiceLine,
    Party,
)
from ksef_tui.core.i18n import _
from ksef_tui.core.ksef_number import PATTERN as KSEF_PATTERN
from ksef_tui.core.ksef_number import checksum as ksef_checksum
from ksef_tui.core.nip import InvalidNip, normalize_nip

CENT = Decimal("0.01")
HALF_CENT = Decimal("0.005")
ZERO = Decimal(0)

# P_12 -> the VAT group (VAT_FIELDS code) its net amount belongs to.
RATE_GROUP: dict[str, str] = {
    "23": "1",
    "22": "1",
    "8": "2",
    "7": "2",
    "5": "3",
    "4": "4",
    "3": "4",
    "0 KR": "6_1",
    "0 WDT": "6_2",
    "0 EX": "6_3",
    "zw": "7",
    "np I": "8",
    "np II": "9",
    "oo": "10",
    # FA(2) had a single "0" and a single "np": their groups are summed (see _GROUP_SETS).
    "0": "6",
    "np": "8+9",
}
_GROUP_SETS: dict[str, tuple[str, ...]] = {"6": ("6_1", "6_2", "6_3"), "8+9": ("8", "9")}
# The rates each taxed group may use; the one the lines name wins, else any that fits.
GROUP_RATES: dict[str, tuple[int, ...]] = {"1": (23, 22), "2": (8, 7), "3": (5,), "4": (4, 3)}
_FIELDS = {f.code: f for f in VAT_FIELDS}


# Quantities (22 digits) times prices (18 digits) exceed the default 28-digit context; checks run with
# room to spare, and a number longer even than that (the parser admits any length) stays unrounded
# instead of raising: the arithmetic findings then report the mismatch in words.
CHECK_PRECISION = 60


def money(value: Decimal) -> Decimal:
    try:
        return value.quantize(CENT, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return value


def fmt(value: Decimal | None) -> str:
    return "-" if value is None else f"{money(value):.2f}"


def plain(value: Decimal) -> str:
    """A quantity or price as written by a person: 20, 1626.01, 0.5 (never 2E+1)."""
    return format(value.normalize(), "f")


def run_checks(invoice: Invoice, *, today: date | None = None) -> list[Finding]:
    """Every non-XSD check. `today` is injected so results are reproducible in tests."""
    out: list[Finding] = []
    with localcontext() as ctx:
        ctx.prec = CHECK_PRECISION
        out += check_totals(invoice)
        out += check_lines(invoice)
        out += check_order_and_settlement(invoice)
    out += check_identifiers(invoice)
    out += check_dates(invoice, today=today or date.today())
    return out


# ------------------------------------------------------------------------------------------------
# arithmetic


def _group_lines(invoice: Invoice) -> dict[str, list[InvoiceLine]]:
    groups: dict[str, list[InvoiceLine]] = {}
    margin = bool(invoice.annotations.margin)
    for line in invoice.lines:
        if line.oss_rate is not None:
            group = "5"
        elif line.rate is not None:
            group = RATE_GROUP.get(line.rate, "?")
        elif margin:
            group = "11"
        else:
            group = "?"
        groups.setdefault(group, []).append(line)
    return groups


def _single_exchange_rate(invoice: Invoice) -> Decimal | None:
    """KursWalutyZ, or the one KursWaluty every line shares; None when lines use different rates."""
    rates = {x.exchange_rate for x in invoice.lines}
    if not rates or rates == {None}:
        return invoice.exchange_rate
    return rates.pop() if len(rates) == 1 else None


def check_totals(invoice: Invoice) -> list[Finding]:
    out: list[Finding] = []
    amounts = invoice.amounts
    lines_by_group = _group_lines(invoice)
    correction = invoice.kind in CORRECTION_KINDS
    lines = invoice.sourcelines

    # VAT of each taxed group against its net amount.
    for code, rates in GROUP_RATES.items():
        vf = _FIELDS[code]
        net, vat = amounts.get(vf.net), amounts.get(vf.vat or "")
        if net is None or vat is None:
            continue
        members = lines_by_group.get(code, [])
        named = {int(line.rate) for line in members if line.rate and line.rate.isdigit()}
        candidates = tuple(r for r in rates if r in named) or rates
        tolerance = max(CENT, HALF_CENT * len(members)) + (CENT if correction else ZERO)
        expected = [money(net * r / 100) for r in candidates]
        if all(abs(vat - e) > tolerance for e in expected):
            out.append(
                error(
                    "vat-rate-mismatch",
                    _("{field}: VAT {vat} does not match {net} × {rate}% = {expected}.").format(
                        field=vf.vat,
                        vat=fmt(vat),
                        net=fmt(net),
                        rate=candidates[0],
                        expected=fmt(expected[0]),
                    ),
                    lines.get(vf.vat or ""),
                )
            )
        # VAT in PLN for foreign-currency invoices, when a single exchange rate applies.
        vat_pln = amounts.get(vf.vat_pln or "")
        rate = _single_exchange_rate(invoice)
        if vat_pln is not None and rate is not None and abs(vat_pln - money(vat * rate)) > CENT:
            out.append(
                warning(
                    "vat-pln-mismatch",
                    _("{field}: VAT in PLN {pln} does not match {vat} × rate {rate} = {expected}.").format(
                        field=vf.vat_pln,
                        pln=fmt(vat_pln),
                        vat=fmt(vat),
                        rate=rate,
                        expected=fmt(vat * rate),
                    ),
                    lines.get(vf.vat_pln or ""),
                )
            )

    # Gross total against the per-rate amounts.
    gross = invoice.gross
    parts = [v for k, v in amounts.items() if k.startswith(("P_13_", "P_14_")) and not k.endswith("W")]
    simplified_without_breakdown = invoice.kind == "UPR" and not parts
    if gross is not None and not simplified_without_breakdown:
        expected_gross = sum(parts, ZERO)
        groups = max(1, len(invoice.vat_rates))
        if abs(gross - expected_gross) > CENT * groups:
            out.append(
                error(
                    "gross-mismatch",
                    _("P_15 (gross total) {gross} is not the sum of net and VAT by rate, {expected}.").format(
                        gross=fmt(gross), expected=fmt(expected_gross)
                    ),
                    lines.get("P_15"),
                )
            )
    return out


def _line_value(line: InvoiceLine, gross: bool) -> Decimal | None:
    return line.gross if gross else line.net


def check_lines(invoice: Invoice) -> list[Finding]:
    out: list[Finding] = []
    for line in invoice.lines:
        out += _check_line(line)
    # Advance and settlement invoices show the whole order in their lines while P_13/P_14 carry the
    # advance or the remainder, so only basic, simplified and plain correcting invoices are summed.
    if invoice.kind not in ("VAT", "UPR", "KOR") or not invoice.lines:
        return out
    amounts = invoice.amounts
    for group, members in _group_lines(invoice).items():
        if group == "?":
            continue
        codes = _GROUP_SETS.get(group, (group,))
        fields = [_FIELDS[c] for c in codes]
        for gross_method in (False, True):
            values = [_line_value(m, gross_method) for m in members]
            if any(v is None for v in values):
                continue
            total = sum(
                (
                    -v if m.before_correction else v
                    for m, v in zip(members, values, strict=True)
                    if v is not None
                ),
                ZERO,
            )
            declared = sum((amounts.get(f.net, ZERO) for f in fields), ZERO)
            if gross_method:
                declared += sum((amounts.get(f.vat, ZERO) for f in fields if f.vat), ZERO)
            if abs(total - declared) > CENT:
                names = "+".join(f.net for f in fields)
                if gross_method:
                    names += " + " + "+".join(f.vat for f in fields if f.vat)
                out.append(
                    error(
                        "lines-mismatch",
                        _("The lines at rate {rate} add up to {lines}, but {fields} = {declared}.").format(
                            rate=members[0].rate or _(fields[0].label),
                            lines=fmt(total),
                            fields=names,
                            declared=fmt(declared),
                        ),
                        invoice.sourcelines.get(fields[0].net) or members[0].line,
                    )
                )
            break  # one method is enough: net lines if given, gross lines otherwise
    return out


def _check_line(line: InvoiceLine) -> list[Finding]:
    qty = line.quantity
    if qty is None:
        return []
    out = []
    for price, value, name in (
        (line.unit_net_price, line.net, "P_11"),
        (line.unit_gross_price, line.gross, "P_11A"),
    ):
        if price is None or value is None:
            continue
        product = qty * price
        # P_10 is a discount not already in the unit price. Issuers (the MF's own samples among them)
        # give it per unit or for the whole line, so accept either reading.
        candidates = [product]
        if line.discount is not None:
            candidates += [product - line.discount, qty * (price - line.discount)]
        if all(abs(money(c) - value) > CENT for c in candidates):
            out.append(
                warning(
                    "line-amount-mismatch",
                    _("Line {no}: {qty} × {price} = {product}, but {field} = {value}.").format(
                        no=line.number if line.number is not None else "?",
                        qty=plain(qty),
                        price=plain(price),
                        product=fmt(product),
                        field=name,
                        value=fmt(value),
                    ),
                    line.line,
                )
            )
    return out


def _sum(values: Iterable[Decimal | None]) -> Decimal:
    return sum((v for v in values if v is not None), ZERO)


def check_order_and_settlement(invoice: Invoice) -> list[Finding]:
    out: list[Finding] = []
    order = invoice.order
    checkable = (
        order is not None
        and order.value is not None
        and order.lines
        and invoice.kind not in CORRECTION_KINDS
        and not any(x.net is None and x.vat is None for x in order.lines)
    )
    if order is not None and order.value is not None and checkable:
        total = _sum(x.net for x in order.lines) + _sum(x.vat for x in order.lines)
        if abs(total - order.value) > CENT * max(1, len(order.lines)):
            out.append(
                warning(
                    "order-mismatch",
                    _("The order lines add up to {lines}, but the order value is {value}.").format(
                        lines=fmt(total), value=fmt(order.value)
                    ),
                    order.line,
                )
            )
    s = invoice.settlement
    if s is not None:
        for items, stated, label in (
            (s.charges, s.charges_total, "SumaObciazen"),
            (s.deductions, s.deductions_total, "SumaOdliczen"),
        ):
            if stated is not None and items and abs(_sum(i.amount for i in items) - stated) > CENT:
                out.append(
                    warning(
                        "settlement-mismatch",
                        _("{field} {total} is not the sum of its items, {sum}.").format(
                            field=label, total=fmt(stated), sum=fmt(_sum(i.amount for i in items))
                        ),
                        s.line,
                    )
                )
        if invoice.gross is not None and (s.to_pay is not None or s.to_settle is not None):
            charges = s.charges_total if s.charges_total is not None else _sum(i.amount for i in s.charges)
            deductions = (
                s.deductions_total if s.deductions_total is not None else _sum(i.amount for i in s.deductions)
            )
            balance = invoice.gross + charges - deductions
            stated = s.to_pay if s.to_pay is not None else -(s.to_settle or ZERO)
            if abs(balance - stated) > CENT:
                out.append(
                    warning(
                        "settlement-mismatch",
                        _(
                            "Amount due {stated} does not equal P_15 + charges − deductions = {balance}."
                        ).format(stated=fmt(stated), balance=fmt(balance)),
                        s.line,
                    )
                )
    p = invoice.payment
    if p is not None and p.partial_payments and invoice.gross is not None and invoice.gross > 0:
        paid = _sum(x.amount for x in p.partial_payments)
        if paid > invoice.gross + CENT or (p.partly_paid == "2" and abs(paid - invoice.gross) > CENT):
            out.append(
                warning(
                    "payment-mismatch",
                    _("Partial payments add up to {paid}, the invoice total is {gross}.").format(
                        paid=fmt(paid), gross=fmt(invoice.gross)
                    ),
                    p.line,
                )
            )
    return out


# ------------------------------------------------------------------------------------------------
# identifiers


def _parties(invoice: Invoice) -> Iterable[tuple[str, Party, bool]]:
    """(who, party, is the NIP essential) for every party that may carry a NIP."""
    if invoice.seller is not None:
        yield _("Seller"), invoice.seller, True
    if invoice.buyer is not None:
        yield _("Buyer"), invoice.buyer, True
    for party in invoice.third_parties:
        yield _("Third party"), party, False
    if invoice.authorised is not None:
        yield _("Authorised entity"), invoice.authorised, False
    if invoice.correction is not None:
        if invoice.correction.seller_before is not None:
            yield _("Seller before correction"), invoice.correction.seller_before, False
        for party in invoice.correction.buyers_before:
            yield _("Buyer before correction"), party, False


def check_identifiers(invoice: Invoice) -> list[Finding]:
    out: list[Finding] = []
    for who, party, essential in _parties(invoice):
        if not party.nip:
            continue
        try:
            normalize_nip(party.nip)
        except InvalidNip as exc:
            make = error if essential else warning
            out.append(
                make(
                    "nip-invalid",
                    _("{who}: NIP {nip} is not valid. {reason}").format(who=who, nip=party.nip, reason=exc),
                    party.line,
                )
            )
    refs: list[tuple[str, int | None]] = []
    if invoice.correction is not None:
        refs += [(c.ksef_number, c.line) for c in invoice.correction.corrected if c.ksef_number]
    refs += [(a.ksef_number, a.line) for a in invoice.advances.advance_invoices if a.ksef_number]
    for number, line in refs:
        text = number.strip().upper()
        # Only 35-character KSeF 2.0 numbers carry a CRC; other shapes are the XSD's business.
        if len(text) == 35 and KSEF_PATTERN.match(text) and ksef_checksum(text[:32]) != text[33:]:
            out.append(
                warning(
                    "ksef-number-crc",
                    _("KSeF number {number}: wrong checksum (expected {crc}); check for a typo.").format(
                        number=number, crc=ksef_checksum(text[:32])
                    ),
                    line,
                )
            )
    return out


# ------------------------------------------------------------------------------------------------
# dates


def _month_after_15th(day: date) -> date:
    year, month = (day.year + 1, 1) if day.month == 12 else (day.year, day.month + 1)
    return date(year, month, 15)


def check_dates(invoice: Invoice, *, today: date) -> list[Finding]:
    out: list[Finding] = []
    issued = invoice.issue_date
    lines = invoice.sourcelines
    if issued is not None and issued > today + timedelta(days=1):
        out.append(
            warning(
                "issue-date-future",
                _("The issue date {date} is in the future.").format(date=issued.isoformat()),
                lines.get("P_1"),
            )
        )
    if invoice.sale_period is not None:
        start, end = invoice.sale_period
        if start is not None and end is not None and start > end:
            out.append(
                error(
                    "period-reversed",
                    _("The sale period starts ({start}) after it ends ({end}).").format(
                        start=start.isoformat(), end=end.isoformat()
                    ),
                    lines.get("OkresFa"),
                )
            )
    sold = invoice.sale_date or (invoice.sale_period[1] if invoice.sale_period else None)
    if issued is not None and sold is not None and invoice.kind in ("VAT", "UPR"):
        # Art. 106i: at most 60 days before the sale, and by the 15th of the following month.
        if sold > issued + timedelta(days=60):
            out.append(
                warning(
                    "sale-date-far",
                    _("The sale date {sold} is more than 60 days after the issue date {issued}.").format(
                        sold=sold.isoformat(), issued=issued.isoformat()
                    ),
                    lines.get("P_6") or lines.get("OkresFa"),
                )
            )
        elif issued > _month_after_15th(sold):
            out.append(
                warning(
                    "issued-late",
                    _("Issued on {issued}, after the 15th of the month following the sale ({sold}).").format(
                        issued=issued.isoformat(), sold=sold.isoformat()
                    ),
                    lines.get("P_1"),
                )
            )
    if issued is not None and invoice.correction is not None:
        for c in invoice.correction.corrected:
            if c.issue_date is not None and c.issue_date > issued:
                out.append(
                    error(
                        "corrected-later",
                        _("The corrected invoice {number} is dated {date}, after this correction.").format(
                            number=c.number or "?", date=c.issue_date.isoformat()
                        ),
                        c.line,
                    )
                )
    p = invoice.payment
    if issued is not None and p is not None:
        for due in p.due_dates:
            if due.date is not None and due.date < issued and invoice.kind not in ADVANCE_KINDS:
                out.append(
                    warning(
                        "due-before-issue",
                        _("The payment due date {due} is before the issue date {issued}.").format(
                            due=due.date.isoformat(), issued=issued.isoformat()
                        ),
                        p.line,
                    )
                )
    return out


# ------------------------------------------------------------------------------------------------
# hash


def sha256_b64(data: bytes) -> str:
    """SHA-256 of the invoice bytes, base64 (the form KSeF metadata uses: `invoiceHash`)."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def check_hash(data: bytes, expected_sha256_b64: str) -> list[Finding]:
    """Compare the file's SHA-256 with the one KSeF's metadata gives; empty list when they match."""
    try:
        expected = base64.b64decode(expected_sha256_b64.strip(), validate=True)
    except (binascii.Error, ValueError):
        expected = b""
    if len(expected) != 32:
        return [
            error(
                "hash-invalid",
                _("The expected hash is not a base64 SHA-256 value: {value}").format(
                    value=expected_sha256_b64[:60]
                ),
            )
        ]
    actual = hashlib.sha256(data).digest()
    if actual != expected:
        return [
            error(
                "hash-mismatch",
                _(
                    "The file's SHA-256 ({actual}) differs from KSeF's ({expected}): "
                    "this is not the invoice KSeF holds."
                ).format(
                    actual=base64.b64encode(actual).decode("ascii"), expected=expected_sha256_b64.strip()
                ),
            )
        ]
    return []

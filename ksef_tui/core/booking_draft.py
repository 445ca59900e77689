"""Drafting a booking from a purchase invoice, and the booking arithmetic (issue 13 item 1).

Pure: no I/O, the clock passed in (`queued_at`). Everything here is in PLN, `Decimal`, two places.

The decisions (docs/DECISIONS.md "The booking engine's arithmetic"):

- **One line per VAT-rate bucket** of the invoice: the FA's P_13_x/P_14_x pairs (23, 8, 5, 4 %, OSS,
  0 % domestic/WDT/export, zw, np I, np II, oo, margin). An invoice with no P_13_x at all (a simplified
  invoice, UPR, with only P_15) is one line whose VAT is taken out of the gross at the lines' single rate;
  an invoice with no amounts at all (a correction of data only) is one zero line.
- **PLN** at the invoice's own rate: a bucket's net is the sum of its lines' P_11 × KursWaluty when the
  lines carry their rates and add up to the bucket, else the bucket's net × the invoice's rate (the first
  line's KursWaluty, else KursWalutyZ, else P_14_xW ÷ P_14_x); its VAT is P_14_xW when the invoice gives
  it (the VAT in PLN the seller states, which is what the buyer deducts), else VAT × the rate. With no
  rate anywhere the amounts stay in the invoice's currency, `fx_rate` stays None and the booking cannot be
  approved until a rate is entered (`needs_fx_rate`, `draft_booking(..., fx_rate=...)`).
- **Rounding, largest remainder**: the invoice's total net (and VAT) in PLN is the exact sum rounded half
  up to the grosz; each line is its exact amount floored to the grosz, and the groszy still missing go one
  each to the lines with the largest remainders (ties: the earlier line). So the lines sum exactly to the
  total and no line is more than one grosz from its exact value. A PLN invoice's amounts are already in
  groszy: nothing moves.
- **Signs as the FA gives them**: a correction's buckets are negative and stay negative. Lines marked
  StanPrzed (before correction) count negative when a line's share is needed (splitting).
- **The largest item** (`max_item_net`, for the fixed-asset hint): the largest net in PLN of one unit of
  goods on the invoice (docs/DECISIONS.md "Fixed-asset hint per item"): a FaWiersz (an advance invoice
  without them: its order lines) whose unit is pieces or sets ("szt.", "kpl.") or missing, and whose name
  is not a service ("usługa"); its net ÷ quantity, at the line's rate, else the invoice's. Rent, hours,
  months, kWh, litres, kilograms are not one fixed asset, nor is a VAT-rate bucket of many small items.
- `gross` is the sum of the lines (net + VAT) in PLN; for a PLN invoice it equals P_15 whenever P_15 is
  the sum of the buckets, which it is for every sample and generated invoice.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Decimal

from ksef_tui.core.bookings import (
    Booking,
    BookingLine,
    BookingStatus,
    Deduction,
    JpkGroup,
    QueueSettings,
)
from ksef_tui.core.clock import WARSAW
from ksef_tui.core.fa.model import Invoice, InvoiceLine
from ksef_tui.core.i18n import _
from ksef_tui.core.purchases import SUBJECT_THIRD, PurchaseRecord

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)
DESCRIPTION_MAX = 80  # KPiR "opis zdarzenia": short enough for one column
MAX_ITEMS = 50  # distinct item names / codes kept on the booking for the rules

# FA bucket code (VAT_FIELDS) -> the P_12 code shown on the booking line when no invoice line says better.
BUCKET_RATE: dict[str, str] = {
    "1": "23",
    "2": "8",
    "3": "5",
    "4": "4",
    "5": "oss",  # P_13_5: the OSS/IOSS special procedure (no P_12 code of its own)
    "6_1": "0 KR",
    "6_2": "0 WDT",
    "6_3": "0 EX",
    "7": "zw",
    "8": "np I",
    "9": "np II",
    "10": "oo",
    "11": "margin",  # P_13_11: the margin scheme (no P_12 code of its own)
}
# P_12 codes (FA(3), and FA(2)'s older spellings) -> bucket code.
RATE_BUCKET: dict[str, str] = {
    "23": "1",
    "22": "1",
    "8": "2",
    "7": "2",
    "5": "3",
    "4": "4",
    "3": "4",
    "0 KR": "6_1",
    "0": "6_1",
    "0 WDT": "6_2",
    "0 EX": "6_3",
    "zw": "7",
    "np I": "8",
    "np": "8",
    "np II": "9",
    "oo": "10",
    "oss": "5",
    "margin": "11",
}
BUCKET_ORDER: tuple[str, ...] = tuple(BUCKET_RATE)
# Buckets with input VAT the buyer may deduct (reverse charge: the buyer's own, self-assessed).
TAXED_BUCKETS = frozenset({"1", "2", "3", "4", "10"})


class BookingError(ValueError):
    """A booking operation refused, with a message in the user's language."""


# ------------------------------------------------------------------------------------------------
# rounding


def money(value: Decimal) -> Decimal:
    """Half up (away from zero for negatives) to the grosz."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def allocate(total: Decimal, exact: Sequence[Decimal]) -> list[Decimal]:
    """Round each exact amount to the grosz so that they sum to `total` exactly (largest remainder).

    Each amount is floored to the grosz; the groszy still missing go one each to the largest remainders
    (ties: the earlier amount). When `total` is the rounded sum of `exact`, every result is within one
    grosz of its exact amount.
    """
    if not exact:
        return []
    cents = [x / CENT for x in exact]
    floors = [c.to_integral_value(rounding=ROUND_FLOOR) for c in cents]
    missing = int((total / CENT).to_integral_value(rounding=ROUND_HALF_UP) - sum(floors, Decimal(0)))
    each, extra = divmod(missing, len(exact))
    order = sorted(range(len(exact)), key=lambda i: (-(cents[i] - floors[i]), i))
    bonus = set(order[:extra])
    return [((floors[i] + each + (1 if i in bonus else 0)) * CENT).quantize(CENT) for i in range(len(exact))]


# ------------------------------------------------------------------------------------------------
# the invoice's buckets


@dataclass(frozen=True)
class _Bucket:
    code: str
    net: Decimal
    vat: Decimal
    vat_pln: Decimal | None
    lines: tuple[InvoiceLine, ...]


def line_bucket(line: InvoiceLine) -> str | None:
    if line.oss_rate is not None:
        return "5"
    return RATE_BUCKET.get((line.rate or "").strip())


def signed_net(line: InvoiceLine) -> Decimal:
    """The line's net (P_11, else the gross P_11A) in its currency; negative for a StanPrzed line."""
    value = line.net if line.net is not None else (line.gross if line.gross is not None else Decimal(0))
    return -value if line.before_correction else value


def _line_assignment(invoice: Invoice, codes: Sequence[str]) -> dict[str, list[InvoiceLine]]:
    """Which invoice lines belong to which bucket. Lines without a rate go to the only bucket, else to
    the margin bucket when there is one."""
    out: dict[str, list[InvoiceLine]] = {code: [] for code in codes}
    loose: list[InvoiceLine] = []
    for line in invoice.lines:
        code = line_bucket(line)
        if code in out:
            out[code].append(line)
        else:
            loose.append(line)
    if loose:
        home = codes[0] if len(codes) == 1 else ("11" if "11" in out else None)
        if home is not None:
            out[home].extend(loose)
    return out


def _buckets(invoice: Invoice) -> list[_Bucket]:
    summaries = [s for s in invoice.vat_rates if s.code in BUCKET_RATE]
    if summaries:
        summaries.sort(key=lambda s: BUCKET_ORDER.index(s.code))
        owned = _line_assignment(invoice, [s.code for s in summaries])
        return [
            _Bucket(s.code, s.net or Decimal(0), s.vat or Decimal(0), s.vat_pln, tuple(owned[s.code]))
            for s in summaries
        ]
    gross = invoice.gross or Decimal(0)
    codes = {c for line in invoice.lines if (c := line_bucket(line)) is not None}
    if len(codes) == 1:
        (code,) = codes
        percent = BUCKET_RATE[code]
        if percent.isdigit() and gross:
            # A simplified invoice (UPR) may state only the gross: the VAT is in it at the lines' rate.
            net = money(gross * HUNDRED / (HUNDRED + Decimal(percent)))
            return [_Bucket(code, net, gross - net, None, invoice.lines)]
        return [_Bucket(code, gross, Decimal(0), None, invoice.lines)]
    return [_Bucket("", gross, Decimal(0), None, invoice.lines)]


def _display_rate(bucket: _Bucket) -> str:
    if not bucket.code:
        return ""
    seen = Counter((line.rate or "").strip() for line in bucket.lines if line_bucket(line) == bucket.code)
    if bucket.code not in {"5", "11"} and seen:
        return seen.most_common(1)[0][0]
    return BUCKET_RATE[bucket.code]


def invoice_rate(invoice: Invoice) -> Decimal | None:
    """The invoice's exchange rate: the first line's KursWaluty, else KursWalutyZ, else P_14_xW ÷ P_14_x
    of the first taxed bucket that has both; None when the invoice gives none."""
    for line in invoice.lines:
        if line.exchange_rate:
            return line.exchange_rate
    if invoice.exchange_rate:
        return invoice.exchange_rate
    for s in invoice.vat_rates:
        if s.vat and s.vat_pln:
            return (s.vat_pln / s.vat).quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
    return None


def _is_foreign(currency: str) -> bool:
    return currency.upper() != "PLN"


def _exact_pln(
    bucket: _Bucket, foreign: bool, rate: Decimal | None, override: bool
) -> tuple[Decimal, Decimal]:
    if not foreign or rate is None:
        return bucket.net, bucket.vat
    if override:
        return bucket.net * rate, bucket.vat * rate
    lines = bucket.lines
    if lines and all(line.exchange_rate and line.net is not None for line in lines):
        if sum((signed_net(line) for line in lines), Decimal(0)) == bucket.net:
            net = sum((signed_net(line) * (line.exchange_rate or rate) for line in lines), Decimal(0))
        else:
            net = bucket.net * rate
    else:
        rates = {line.exchange_rate for line in lines if line.exchange_rate}
        net = bucket.net * (rates.pop() if len(rates) == 1 else rate)
    vat = bucket.vat_pln if bucket.vat_pln is not None else bucket.vat * rate
    return net, vat


@dataclass(frozen=True)
class PlnAmounts:
    """The invoice in PLN: the totals the booking's lines sum to, and each bucket's share."""

    rate: Decimal | None  # None: a foreign invoice without a rate (amounts left in its currency)
    codes: tuple[str, ...]
    rates: tuple[str, ...]  # the P_12 code shown per bucket
    nets: tuple[Decimal, ...]
    vats: tuple[Decimal, ...]
    total_net: Decimal
    total_vat: Decimal


def pln_amounts(invoice: Invoice, currency: str = "", fx_rate: Decimal | None = None) -> PlnAmounts:
    """The invoice's buckets converted and rounded (see the module's docstring)."""
    buckets = _buckets(invoice)
    foreign = _is_foreign(currency or invoice.currency or "PLN")
    rate = fx_rate if fx_rate is not None else (invoice_rate(invoice) if foreign else None)
    exact = [_exact_pln(b, foreign, rate, fx_rate is not None) for b in buckets]
    total_net = money(sum((n for n, _v in exact), Decimal(0)))
    total_vat = money(sum((v for _n, v in exact), Decimal(0)))
    return PlnAmounts(
        rate=rate if foreign else None,
        codes=tuple(b.code for b in buckets),
        rates=tuple(_display_rate(b) for b in buckets),
        nets=tuple(allocate(total_net, [n for n, _v in exact])),
        vats=tuple(allocate(total_vat, [v for _n, v in exact])),
        total_net=total_net,
        total_vat=total_vat,
    )


# ------------------------------------------------------------------------------------------------
# drafting


def month(day: date | None) -> str:
    return f"{day.year:04d}-{day.month:02d}" if day is not None else ""


def receipt_day(moment: datetime | None) -> date | None:
    """The KSeF receipt date in Polish time (JPK DataWplywu)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise BookingError(_("The KSeF receipt time has no time zone."))
    return moment.astimezone(WARSAW).date()


def _distinct(values: Sequence[str | None], limit: int = MAX_ITEMS) -> tuple[str, ...]:
    out: dict[str, None] = {}
    for value in values:
        text = " ".join((value or "").split())
        if text:
            out.setdefault(text, None)
        if len(out) >= limit:
            break
    return tuple(out)


def _item_names(invoice: Invoice) -> tuple[str, ...]:
    names = [line.name for line in invoice.lines if not line.before_correction]
    if not names and invoice.order is not None:
        names = [line.name for line in invoice.order.lines]
    return _distinct(names)


def _item_codes(invoice: Invoice) -> tuple[str, ...]:
    codes: list[str | None] = []
    for line in invoice.lines:
        codes.extend((line.gtin, line.pkwiu, line.cn, line.index))
    if invoice.order is not None:
        for o in invoice.order.lines:
            codes.extend((o.gtin, o.pkwiu, o.cn, o.index))
    return _distinct(codes)


GOODS_UNITS = frozenset({"", "szt", "sztuka", "sztuki", "sztuk", "kpl", "komplet", "kompl", "pc", "pcs"})
SERVICE_WORDS = ("usług", "uslug")


def goods_like(unit: str | None, name: str | None) -> bool:
    """A line that may be one fixed asset: counted in pieces or sets (or with no unit) and not a service."""
    norm = (unit or "").strip().lower().rstrip(".")
    text = (name or "").lower()
    return norm in GOODS_UNITS and not any(word in text for word in SERVICE_WORDS)


def max_item_net(invoice: Invoice, rate: Decimal | None) -> Decimal | None:
    """The largest net in PLN of one unit of goods on the invoice (the module's docstring), None when no
    line looks like goods. `rate`: the invoice's rate when foreign (None: PLN, or no rate known)."""
    rows: list[tuple[str | None, str | None, Decimal | None, Decimal | None, Decimal | None]] = [
        (x.unit, x.name, x.net, x.quantity, x.exchange_rate or rate)
        for x in invoice.lines
        if not x.before_correction
    ]
    if not rows and invoice.order is not None:
        rows = [(o.unit, o.name, o.net, o.quantity, rate) for o in invoice.order.lines]
    best: Decimal | None = None
    for unit, name, net, qty, fx in rows:
        if net is None or not goods_like(unit, name):
            continue
        each = net / qty if qty is not None and qty > 0 else net
        value = money(each * fx) if fx is not None else money(each)
        if best is None or value > best:
            best = value
    return best


def shorten(text: str, limit: int = DESCRIPTION_MAX) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def describe(seller_name: str, item_names: Sequence[str]) -> str:
    """`Seller: first item, second item` in at most DESCRIPTION_MAX characters."""
    items = ", ".join(item_names[:2])
    return shorten(f"{seller_name}: {items}" if items and seller_name else (seller_name or items))


def draft_booking(
    client_id: int,
    record: PurchaseRecord,
    invoice: Invoice,
    *,
    settings: QueueSettings,
    queued_at: datetime,
    fx_rate: Decimal | None = None,
) -> Booking:
    """The booking of one purchase invoice as drafted (status NEW): one line per VAT rate, in PLN.

    `fx_rate` forces a rate (one the accountant entered for an invoice that gives none); normally the
    invoice's own rate is used.
    """
    currency = (invoice.currency or record.currency or "PLN").upper()
    amounts = pln_amounts(invoice, currency, fx_rate)
    lines: list[BookingLine] = []
    for no, (code, rate, net, vat) in enumerate(
        zip(amounts.codes, amounts.rates, amounts.nets, amounts.vats, strict=True), 1
    ):
        taxed = code in TAXED_BUCKETS
        lines.append(
            BookingLine(
                line_no=no,
                vat_rate=rate,
                net=net,
                vat=vat,
                deduction=Deduction.FULL if taxed else Deduction.NONE,
                jpk_group=JpkGroup.OTHER if taxed else JpkGroup.NONE,
            )
        )
    seller = invoice.seller
    seller_nip = record.seller_nip or (seller.nip if seller is not None and seller.nip else "") or ""
    seller_name = record.seller_name or (seller.name if seller is not None and seller.name else "") or ""
    issue = invoice.issue_date or record.issue_date
    receipt = receipt_day(record.acquisition_date)
    names = _item_names(invoice)
    return Booking(
        client_id=client_id,
        ksef_number=record.ksef_number,
        status=BookingStatus.NEW,
        lines=tuple(lines),
        doc_kind=(invoice.kind or record.invoice_type or "VAT").upper(),
        seller_nip=seller_nip,
        seller_name=seller_name,
        invoice_number=record.invoice_number or invoice.number or "",
        issue_date=issue,
        receipt_date=receipt,
        vat_period=month(receipt or issue),
        cost_period=month(issue),
        vat_register=settings.default_register,
        currency=currency,
        fx_rate=amounts.rate,
        gross=amounts.total_net + amounts.total_vat,
        description=describe(seller_name, names),
        queued_at=queued_at,
        item_names=names,
        item_codes=_item_codes(invoice),
        third_party=record.subject == SUBJECT_THIRD,
        max_item_net=max_item_net(invoice, amounts.rate),
    )


def needs_fx_rate(booking: Booking) -> bool:
    """A foreign-currency booking whose amounts are not in PLN yet (the invoice gave no rate)."""
    return _is_foreign(booking.currency) and booking.fx_rate is None


# ------------------------------------------------------------------------------------------------
# splitting by invoice line


def _pool(line: BookingLine, invoice: Invoice, owned: dict[str, list[InvoiceLine]]) -> tuple[int, ...]:
    if line.source_lines:
        return line.source_lines
    code = RATE_BUCKET.get(line.vat_rate, "")
    # A correction repeats an ordinal (the StanPrzed row and the row after): each ordinal once.
    return tuple(dict.fromkeys(x.number for x in owned.get(code, ()) if x.number is not None))


def split_by_lines(booking: Booking, invoice: Invoice, groups: Sequence[Sequence[int]]) -> Booking:
    """Split the booking's lines by invoice line ordinals (FaWiersz NrWierszaFa), keeping every sum.

    Each group's ordinals that fall in a booking line become a line of their own (with the treatment of
    the line they came from); what is left of that line stays as one more line. Amounts are shared in
    proportion to the invoice lines' nets (StanPrzed negative), rounded by largest remainder, so each
    rate's net and VAT still sum to what they were. Lines are renumbered from 1.
    """
    summaries = [s for s in invoice.vat_rates if s.code in BUCKET_RATE]
    codes = sorted({s.code for s in summaries}, key=BUCKET_ORDER.index) or [
        c for c in {RATE_BUCKET.get(x.vat_rate, "") for x in booking.lines} if c
    ]
    owned = _line_assignment(invoice, codes)
    by_number: dict[int, list[InvoiceLine]] = {}
    for inv_line in invoice.lines:
        if inv_line.number is not None:
            by_number.setdefault(inv_line.number, []).append(inv_line)
    wanted: dict[int, int] = {}
    for index, group in enumerate(groups):
        for ordinal in group:
            if ordinal in wanted:
                raise BookingError(_("Invoice line {n} is in two groups.").format(n=ordinal))
            if ordinal not in by_number:
                raise BookingError(_("The invoice has no line {n}.").format(n=ordinal))
            wanted[ordinal] = index
    pools = [_pool(line, invoice, owned) for line in booking.lines]
    placed = {o for pool in pools for o in pool}
    stray = sorted(set(wanted) - placed)
    if stray:
        raise BookingError(_("Invoice line {n} is not part of any booking line.").format(n=stray[0]))

    out: list[BookingLine] = []
    for line, pool in zip(booking.lines, pools, strict=True):
        parts: dict[int, list[int]] = {}
        rest: list[int] = []
        for ordinal in pool:
            if ordinal in wanted:
                parts.setdefault(wanted[ordinal], []).append(ordinal)
            else:
                rest.append(ordinal)
        chunks = [parts[k] for k in sorted(parts)] + ([rest] if rest else [])
        if len(chunks) <= 1:
            out.append(line)
            continue
        weights = [
            sum(
                (signed_net(x) * (x.exchange_rate or 1) for o in chunk for x in by_number[o]),
                Decimal(0),
            )
            for chunk in chunks
        ]
        nets = allocate(line.net, _shares(line.net, weights))
        vats = allocate(line.vat, _shares(line.vat, weights))
        for chunk, net, vat in zip(chunks, nets, vats, strict=True):
            out.append(replace(line, net=net, vat=vat, source_lines=tuple(sorted(chunk))))
    return replace(booking, lines=tuple(replace(x, line_no=i) for i, x in enumerate(out, 1)))


def _shares(total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    whole = sum(weights, Decimal(0))
    if whole == 0:
        return [total if i == 0 else Decimal(0) for i in range(len(weights))]
    return [total * w / whole for w in weights]


# ------------------------------------------------------------------------------------------------
# derived values


def proportion_pct(deductible_turnover: Decimal, total_turnover: Decimal) -> Decimal:
    """The art. 90 proportion: the share of turnover with the right to deduct, rounded UP to a whole
    percent (art. 90 ust. 4). The 98 %/2 % options of art. 90 ust. 10 are the taxpayer's choice and are
    not applied here."""
    if total_turnover <= 0:
        return Decimal(0)
    pct = (HUNDRED * deductible_turnover / total_turnover).to_integral_value(rounding=ROUND_CEILING)
    return max(Decimal(0), min(HUNDRED, pct))


def vat_deductible(line: BookingLine) -> Decimal:
    """The VAT the client deducts from this line: all (FULL), 50 % half up (HALF, art. 86a), nothing
    (NONE), or `deduction_pct` (PROPORTION: a fractional percent is rounded up to a whole one as art. 90
    ust. 4 does, then the VAT to the grosz half up). Half up is away from zero, so a correction's
    negative half mirrors the positive one."""
    if line.deduction is Deduction.FULL:
        return line.vat
    if line.deduction is Deduction.HALF:
        return money(line.vat / 2)
    if line.deduction is Deduction.PROPORTION:
        pct = (line.deduction_pct or Decimal(0)).to_integral_value(rounding=ROUND_CEILING)
        return money(line.vat * pct / HUNDRED)
    return ZERO


def vat_nondeductible(line: BookingLine) -> Decimal:
    return line.vat - vat_deductible(line)


def cost(line: BookingLine) -> Decimal:
    """The tax cost (KUP) of the line: (net + VAT not deducted) × cost share, half up to the grosz."""
    return money((line.net + vat_nondeductible(line)) * Decimal(line.cost_share_pct) / HUNDRED)


@dataclass(frozen=True)
class BookingTotals:
    net: Decimal
    vat: Decimal
    deductible: Decimal
    nondeductible: Decimal
    cost: Decimal

    @property
    def gross(self) -> Decimal:
        return self.net + self.vat


def totals(booking: Booking) -> BookingTotals:
    zero = Decimal(0)
    return BookingTotals(
        net=sum((x.net for x in booking.lines), zero),
        vat=sum((x.vat for x in booking.lines), zero),
        deductible=sum((vat_deductible(x) for x in booking.lines), zero),
        nondeductible=sum((vat_nondeductible(x) for x in booking.lines), zero),
        cost=sum((cost(x) for x in booking.lines), zero),
    )

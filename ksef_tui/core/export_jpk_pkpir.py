"""JPK_PKPIR(3): the expense rows of the revenue and expense book (KPiR), from approved bookings
(issue 14 item 4).

`write_jpk_pkpir(items, context)` writes `JPK_PKPIR_<NIP>_<YYYY-MM>.xml` for a client whose profile says
`Ledger.KPIR` (a client on full books gets a problem instead), valid against the Ministry of Finance's
XSD (`resources/schemas/JPK/JPK_PKPIR_3/`, namespace http://jpk.mf.gov.pl/wzor/2024/10/30/10302/).

**What the file is for.** Like the JPK_V7M export, it is the office's decisions in the official
structure, for comparing with or merging into the book the FK program keeps; it is not the whole book
(no revenue, no payroll, no inventory). What the XSD forces us to write beyond the expense rows:

- `PKPIRInfo` (P_1 stock at the start of the year, P_2 at its end, P_3 the year's costs, P_4 the year's
  income) is required; these are yearly figures we do not compute and are written as 0.00.
- `PKPIRCtrl` has the row count (`LiczbaWierszy`, which the XSD requires to be > 0) and the sum of
  revenue `K_9` (`SumaPrzychodow`), 0.00 since our rows have no revenue. There is no expense control sum
  in the XSD. A period with no row therefore cannot be written: it is a problem, not an empty file.
- `Podmiot1` needs no address in this XSD (`TPodmiotDowolnyBezAdresu`); e-mail and phone are optional.
- `CelZlozenia` 1, `DataOd`/`DataDo` the first and last day of the period.

**Rows.** One `PKPIRWiersz` per booking (APPROVED or EXPORTED), `K_1` 1…n in order of issue date and
KSeF number: `K_2` the issue date, `K_3A` the invoice number, `K_3B` the KSeF number, `K_4A`/`K_4B` the
seller's country code and tax id, `K_5A` the seller's name, `K_5B` the seller's address (AdresL1,
AdresL2 and a non-Polish country code of Podmiot1/Adres in the invoice XML), `K_6` the booking's
description (else the invoice's item names, else "zakup"). Each line's amount is its tax cost,
`core.booking_draft.cost`: (net + the VAT not deducted) × `cost_share_pct` / 100, half up to the grosz
per line (so a 50 % VAT car cost at 75 % is (net + VAT/2) × 0.75), summed per column:

    GOODS → K_10   INCIDENTAL → K_11   SALARIES → K_12   OTHER → K_13   FREE → K_15
    RND   → K_16A (description) + K_16B (amount), and the same amount in K_13
    NONE, or a cost share of 0 % → not in the book

`K_14` = K_12 + K_13 whenever either is present (the XSD's "razem wydatki (12+13)"). Column 16 (R&D) is
informative: the costs it lists are tax costs booked in their own expense column as well (docs/DECISIONS.md
"JPK exports"), so an R&D line also counts in K_13. A booking with no line in the book is not written and
says so in a warning.

Pure: no I/O beyond reading the packaged XSD once, no clock (`DataWytworzeniaJPK` is
`context.created_at` in UTC).
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from lxml import etree

from ksef_tui.core.booking_draft import cost
from ksef_tui.core.bookings import Booking, KpirColumn
from ksef_tui.core.export_jpk_common import (
    KSEF_NUMBER,
    NO_ID,
    PKPIR_SCHEMA,
    Findings,
    admitted,
    amount,
    contact,
    created,
    fit,
    period_bounds,
    pkpir_countries,
    schema_problems,
    seller_name,
    serialize,
    split_tax_id,
    tax_office,
    taxpayer,
    token,
)
from ksef_tui.core.exports import ExportContext, ExportFile, ExportItem, ExportOutput, Ledger
from ksef_tui.core.fa.findings import FaParseError
from ksef_tui.core.fa.secure_xml import parse_xml
from ksef_tui.core.i18n import _

NS = "http://jpk.mf.gov.pl/wzor/2024/10/30/10302/"
ETD = "http://crd.gov.pl/xml/schematy/dziedzinowe/mf/2022/01/05/eD/DefinicjeTypy/"
FORM = "JPK_PKPIR(3)"
COLUMNS: dict[KpirColumn, str] = {
    KpirColumn.GOODS: "K_10",
    KpirColumn.INCIDENTAL: "K_11",
    KpirColumn.SALARIES: "K_12",
    KpirColumn.OTHER: "K_13",
    KpirColumn.FREE: "K_15",
    KpirColumn.RND: "K_16B",
}
DEFAULT_DESCRIPTION = "zakup"  # K_6 is required text; the book is Polish whatever the UI language
TEXT_LIMIT = 256  # TZnakowyJPK
_FAR = date.max


def file_name(context: ExportContext) -> str:
    nip = (context.client_nip or "").replace("-", "").strip()
    return f"JPK_PKPIR_{nip}_{context.period}.xml"


@dataclass(frozen=True)
class ExpenseRow:
    booking: Booking
    amounts: dict[str, Decimal]  # K_10 … K_16B present on the row
    xml: bytes | None = None  # the invoice's XML (the seller's address comes from it)

    @property
    def expenses(self) -> Decimal:
        """K_10 + K_11 + K_14 + K_15: what the row adds to the book's costs (K_16B is counted in K_13)."""
        a = self.amounts
        zero = Decimal("0.00")
        return a.get("K_10", zero) + a.get("K_11", zero) + a.get("K_14", zero) + a.get("K_15", zero)


def row_amounts(booking: Booking) -> dict[str, Decimal]:
    """The row's expense columns (empty when no line belongs in the book)."""
    sums: dict[str, Decimal] = {}
    for line in booking.lines:
        column = COLUMNS.get(line.kpir_column)
        if column is None or line.cost_share_pct <= 0:
            continue
        value = cost(line)
        sums[column] = sums.get(column, Decimal("0.00")) + value
        if column == "K_16B":
            sums["K_13"] = sums.get("K_13", Decimal("0.00")) + value
    if "K_12" in sums or "K_13" in sums:
        sums["K_14"] = sums.get("K_12", Decimal("0.00")) + sums.get("K_13", Decimal("0.00"))
    return sums


def seller_address(xml: bytes) -> str:
    """Podmiot1/Adres of an FA(2)/FA(3) invoice as one line: "AdresL1, AdresL2[, country]".

    Raises FaParseError when the bytes are not an invoice; returns "" when it names no address."""
    root = parse_xml(xml)
    seller = next(
        (el for el in root if isinstance(el.tag, str) and etree.QName(el).localname == "Podmiot1"), None
    )
    if seller is None:
        return ""
    parts: dict[str, str] = {}
    for el in seller:
        if isinstance(el.tag, str) and etree.QName(el).localname == "Adres":
            for child in el:
                if isinstance(child.tag, str):
                    parts[etree.QName(child).localname] = token(child.text or "")
            break
    lines = [parts.get("AdresL1", ""), parts.get("AdresL2", "")]
    country = parts.get("KodKraju", "")
    if country and country != "PL":
        lines.append(country)
    return ", ".join(x for x in lines if x)


def _description(booking: Booking, found: Findings) -> str:
    if token(booking.description):
        return fit(
            booking.description,
            TEXT_LIMIT,
            _("The description (K_6)"),
            found,
            "jpk_pkpir",
            booking.ksef_number,
        )
    text = ""
    for name in (token(x) for x in booking.item_names):
        if not name:
            continue
        candidate = f"{text}; {name}" if text else name
        if len(candidate) > TEXT_LIMIT:
            break  # whole item names only: the description is ours, nothing of the user's is cut
        text = candidate
    return text or DEFAULT_DESCRIPTION


def _order(row: ExpenseRow) -> tuple[date, str]:
    return (row.booking.issue_date or _FAR, row.booking.ksef_number)


def expense_rows(items: Sequence[ExportItem], context: ExportContext, found: Findings) -> list[ExpenseRow]:
    """The bookings that become rows, in book order; what is skipped is said in `found`."""
    rows: list[ExpenseRow] = []
    other = _("Invoice {number} belongs to the cost period {period}, not {wanted}.")
    for item in admitted(items, context, found, "jpk_pkpir", lambda b: b.cost_period, other):
        booking = item.booking
        number = booking.ksef_number
        sums = row_amounts(booking)
        if not sums:
            found.warn(
                "jpk_pkpir.nothing_to_show",
                _(
                    "Invoice {number} has no line that is a tax cost in a KPiR column; it is not in the book."
                ).format(number=number),
                number,
            )
            continue
        rows.append(ExpenseRow(booking, sums, item.xml))
    rows.sort(key=_order)
    return rows


def write_jpk_pkpir(items: Sequence[ExportItem], context: ExportContext) -> ExportOutput:
    found = Findings()
    if context.profile.ledger is not Ledger.KPIR:
        found.problem(
            "jpk_pkpir.full_books",
            _(
                "{client} keeps full books (księgi rachunkowe), not a KPiR; JPK_PKPIR is only for KPiR."
            ).format(client=context.client_name or context.short_code),
        )
        return ExportOutput(files=(), problems=tuple(found.problems))
    bounds = period_bounds(context.period)
    if bounds is None:
        found.problem(
            "jpk_pkpir.period",
            _("The period {period} is not a month (YYYY-MM).").format(period=context.period),
        )
        bounds = (2000, 1)
    year, month = bounds
    n = f"{{{NS}}}"
    sub = etree.SubElement
    root = etree.Element(f"{n}JPK", nsmap={"tns": NS, "etd": ETD})
    header = sub(root, f"{n}Naglowek")
    sub(header, f"{n}KodFormularza", kodSystemowy="JPK_PKPIR (3)", wersjaSchemy="1-0").text = "JPK_PKPIR"
    sub(header, f"{n}WariantFormularza").text = "3"
    sub(header, f"{n}CelZlozenia").text = "1"
    sub(header, f"{n}DataWytworzeniaJPK").text = created(context)
    sub(header, f"{n}DataOd").text = date(year, month, 1).isoformat()
    sub(header, f"{n}DataDo").text = date(year, month, calendar.monthrange(year, month)[1]).isoformat()
    sub(header, f"{n}KodUrzedu").text = tax_office(context, found)

    subject = sub(root, f"{n}Podmiot1", rola="Podatnik")
    taxpayer(context, NS, ETD, subject, found)
    contact(context, NS, subject[0], found, email_required=False)

    info = sub(root, f"{n}PKPIRInfo")
    for name in ("P_1", "P_2", "P_3", "P_4"):
        sub(info, f"{n}{name}").text = "0.00"

    rows = expense_rows(items, context, found)
    if not rows:
        found.problem(
            "jpk_pkpir.empty",
            _(
                "No approved booking of {period} goes into the book; a JPK_PKPIR file must have at least one "
                "row."
            ).format(period=context.period),
        )
    countries = pkpir_countries()
    for lp, row in enumerate(rows, 1):
        booking = row.booking
        number = booking.ksef_number
        el = sub(root, f"{n}PKPIRWiersz")
        sub(el, f"{n}K_1").text = str(lp)
        if booking.issue_date is None:
            found.problem(
                "jpk_pkpir.missing_issue_date",
                _("Invoice {number} has no {field}; the JPK file needs it.").format(
                    number=number, field=_("issue date (K_2)")
                ),
                number,
            )
        sub(el, f"{n}K_2").text = booking.issue_date.isoformat() if booking.issue_date else ""
        invoice_no = token(booking.invoice_number)
        if not invoice_no:
            found.problem(
                "jpk_pkpir.missing_invoice_number",
                _("Invoice {number} has no {field}; the JPK file needs it.").format(
                    number=number, field=_("invoice number (K_3A)")
                ),
                number,
            )
        sub(el, f"{n}K_3A").text = fit(
            invoice_no, TEXT_LIMIT, _("The invoice number (K_3A)"), found, "jpk_pkpir", number
        )
        if not KSEF_NUMBER.fullmatch(number):
            found.problem(
                "jpk_pkpir.bad_ksef_number",
                _("{number} is not a KSeF number the JPK file accepts.").format(number=number or "—"),
                number,
            )
        sub(el, f"{n}K_3B").text = number
        country, tax_id = split_tax_id(booking.seller_nip, countries)
        if country == "EL" and "EL" not in countries:
            country = "GR"
        if country is not None:
            sub(el, f"{n}K_4A").text = country
        if tax_id:
            sub(el, f"{n}K_4B").text = fit(
                tax_id, 50, _("The seller's tax id (K_4B)"), found, "jpk_pkpir", number
            )
        name = seller_name(booking, found, "jpk_pkpir")
        sub(el, f"{n}K_5A").text = fit(
            name, TEXT_LIMIT, _("The seller's name (K_5A)"), found, "jpk_pkpir", number
        )
        sub(el, f"{n}K_5B").text = _address(row.xml, number, found)
        sub(el, f"{n}K_6").text = _description(booking, found)
        for column in ("K_10", "K_11", "K_12", "K_13", "K_14", "K_15"):
            value = row.amounts.get(column)
            if value is not None:
                sub(el, f"{n}{column}").text = amount(value)
        if "K_16B" in row.amounts:
            sub(el, f"{n}K_16A").text = _description(booking, Findings())
            sub(el, f"{n}K_16B").text = amount(row.amounts["K_16B"])

    control = sub(root, f"{n}PKPIRCtrl")
    sub(control, f"{n}LiczbaWierszy").text = str(len(rows))
    sub(control, f"{n}SumaPrzychodow").text = "0.00"

    if found.problems:
        return ExportOutput(files=(), warnings=tuple(found.warnings), problems=tuple(found.problems))
    schema_problems(PKPIR_SCHEMA, root, found, FORM)
    if found.problems:
        return ExportOutput(files=(), warnings=tuple(found.warnings), problems=tuple(found.problems))
    return ExportOutput(
        files=(ExportFile(file_name(context), serialize(root)),),
        warnings=tuple(found.warnings),
    )


def _address(xml: bytes | None, number: str, found: Findings) -> str:
    if xml is None:
        found.problem(
            "jpk_pkpir.no_xml",
            _("The store has no XML of invoice {number}, so the seller's address (K_5B) is unknown.").format(
                number=number
            ),
            number,
        )
        return NO_ID
    try:
        address = seller_address(xml)
    except FaParseError as exc:
        found.problem(
            "jpk_pkpir.bad_xml",
            _(
                "The XML of invoice {number} cannot be read ({reason}); the seller's address (K_5B) is "
                "unknown."
            ).format(number=number, reason=str(exc)),
            number,
        )
        return NO_ID
    if not address:
        found.warn(
            "jpk_pkpir.no_address",
            _('Invoice {number} names no seller address; written as "brak".').format(number=number),
            number,
        )
        return NO_ID
    return fit(address, TEXT_LIMIT, _("The seller's address (K_5B)"), found, "jpk_pkpir", number)

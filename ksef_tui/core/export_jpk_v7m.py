"""JPK_V7M(3): the purchase part of the VAT register, from approved bookings (issue 14 item 3).

`write_jpk_v7m(items, context)` writes one file per client and VAT period,
`JPK_V7M_<NIP>_<YYYY-MM>.xml`, valid against the Ministry of Finance's XSD
(`resources/schemas/JPK/JPK_V7M_3/`, namespace http://crd.gov.pl/wzor/2025/12/19/14090/).

**What the file is for.** It is not a return to file: the declaration part (`Deklaracja`, the VAT-7
figures) is not computed here, and the sales side is not ours (we only see purchases). The file holds the
office's decisions on the period's purchase invoices in the official structure, so the accountant can
compare it with the register the FK program produces, or merge its `ZakupWiersz` rows into that program's
file before it is filed. What the XSD forces us to write beyond the purchase rows, and why:

- `Deklaracja` is optional in the XSD (minOccurs 0) and is left out.
- `Ewidencja` requires `SprzedazCtrl` even with no sales rows; it is written as
  `LiczbaWierszySprzedazy` 0 and `PodatekNalezny` 0.00 (the sales register is the FK program's).
- `CelZlozenia` is 1 (a first filing for the period); `NazwaSystemu` is `context.program`.

**Rows.** One `ZakupWiersz` per booking (APPROVED or EXPORTED): `LpZakupu` 1…n in order of receipt date,
issue date and KSeF number; the seller's country code (a Polish NIP → PL, an EU prefix → that code, GR →
EL), tax id ("brak" when the invoice has none) and name; `DowodZakupu` = the invoice number; `DataZakupu`
= the issue date; `DataWplywu` = the receipt date (the date KSeF assigned the number); exactly one marker,
`NrKSeF`. Amounts by the lines' JPK group, summed per booking after rounding each line to the grosz:

    FIXED_ASSETS → K_40 (net) / K_41 (VAT)        CORRECTION_FIXED_ASSETS → K_44 (VAT)
    OTHER        → K_42 (net) / K_43 (VAT)        CORRECTION_OTHER        → K_45 (VAT)
    BAD_DEBT_1   → K_46 (VAT, art. 89b ust. 1)    BAD_DEBT_4              → K_47 (VAT, art. 89b ust. 4)

The deduction is applied to both the net and the VAT shown (docs/DECISIONS.md "JPK exports": the register
shows the value and the tax "w takiej wysokości, w jakiej przysługuje prawo do odliczenia"): FULL all,
HALF 50 % (art. 86a), PROPORTION `deduction_pct` rounded up to a whole percent (art. 90 ust. 4), each half
up to the grosz; the VAT is `core.booking_draft.vat_deductible`. A line with deduction NONE has no input
VAT and is not in the register, nor is a line with JPK group NONE; a booking with no line left is not
written and says so in a warning. `ZakupCtrl` = the number of rows and the sum of K_41, K_43, K_44, K_45,
K_46 and K_47 over them.

Pure: no I/O beyond reading the packaged XSD once, no clock (`DataWytworzeniaJPK` is
`context.created_at` in UTC), so the same items and context give the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_CEILING, Decimal

from lxml import etree

from ksef_tui.core.booking_draft import HUNDRED, money, vat_deductible
from ksef_tui.core.bookings import Booking, BookingLine, Deduction, JpkGroup
from ksef_tui.core.export_jpk_common import (
    KSEF_NUMBER,
    NO_ID,
    V7M_SCHEMA,
    Findings,
    admitted,
    amount,
    contact,
    created,
    fit,
    period_bounds,
    schema_problems,
    seller_name,
    serialize,
    split_tax_id,
    tax_office,
    taxpayer,
    token,
    v7m_countries,
)
from ksef_tui.core.exports import ExportContext, ExportFile, ExportItem, ExportOutput
from ksef_tui.core.i18n import _

NS = "http://crd.gov.pl/wzor/2025/12/19/14090/"
ETD = "http://crd.gov.pl/xml/schematy/dziedzinowe/mf/2022/09/13/eD/DefinicjeTypy/"
FORM = "JPK_V7M(3)"
FIRST_PERIOD = (2026, 2)  # JPK_V7M(3) is in force from the February 2026 period

# JPK group → (net element or None, VAT element)
GROUP_FIELDS: dict[JpkGroup, tuple[str | None, str]] = {
    JpkGroup.FIXED_ASSETS: ("K_40", "K_41"),
    JpkGroup.OTHER: ("K_42", "K_43"),
    JpkGroup.CORRECTION_FIXED_ASSETS: (None, "K_44"),
    JpkGroup.CORRECTION_OTHER: (None, "K_45"),
    JpkGroup.BAD_DEBT_1: (None, "K_46"),
    JpkGroup.BAD_DEBT_4: (None, "K_47"),
}
FIELD_ORDER = ("K_40", "K_41", "K_42", "K_43", "K_44", "K_45", "K_46", "K_47")
PAIRS = {"K_40": "K_41", "K_41": "K_40", "K_42": "K_43", "K_43": "K_42"}  # the XSD's sequences
_FAR = date.max
TAX_FIELDS = ("K_41", "K_43", "K_44", "K_45", "K_46", "K_47")  # summed into PodatekNaliczony


def file_name(context: ExportContext) -> str:
    nip = (context.client_nip or "").replace("-", "").strip()
    return f"JPK_V7M_{nip}_{context.period}.xml"


def deduction_pct(line: BookingLine) -> Decimal:
    """The share (in %) of the line that is deducted: 100, 50, the proportion rounded up, or 0."""
    if line.deduction is Deduction.FULL:
        return HUNDRED
    if line.deduction is Deduction.HALF:
        return Decimal(50)
    if line.deduction is Deduction.PROPORTION:
        return (line.deduction_pct or Decimal(0)).to_integral_value(rounding=ROUND_CEILING)
    return Decimal(0)


def deducted_net(line: BookingLine) -> Decimal:
    """The net shown beside the deducted VAT: the same share of the net, half up to the grosz."""
    pct = deduction_pct(line)
    return line.net if pct == HUNDRED else money(line.net * pct / HUNDRED)


@dataclass(frozen=True)
class PurchaseRow:
    booking: Booking
    amounts: dict[str, Decimal]  # K_40…K_47 present on the row

    @property
    def tax(self) -> Decimal:
        return sum((self.amounts.get(name, Decimal(0)) for name in TAX_FIELDS), Decimal("0.00"))


def row_amounts(booking: Booking) -> dict[str, Decimal]:
    """K_40…K_47 of one booking (empty when no line belongs in the register)."""
    sums: dict[str, Decimal] = {}
    for line in booking.lines:
        if line.jpk_group is JpkGroup.NONE or line.deduction is Deduction.NONE:
            continue
        net_field, vat_field = GROUP_FIELDS[line.jpk_group]
        if net_field is not None:
            sums[net_field] = sums.get(net_field, Decimal("0.00")) + deducted_net(line)
        sums[vat_field] = sums.get(vat_field, Decimal("0.00")) + vat_deductible(line)
    for name in list(sums):
        partner = PAIRS.get(name)
        if partner is not None and partner not in sums:
            sums[partner] = Decimal("0.00")
    return sums


def purchase_rows(items: Sequence[ExportItem], context: ExportContext, found: Findings) -> list[PurchaseRow]:
    """The bookings that become rows, in file order; what is skipped is said in `found`."""
    rows: list[PurchaseRow] = []
    other = _("Invoice {number} belongs to the VAT period {period}, not {wanted}.")
    for item in admitted(items, context, found, "jpk_v7m", lambda b: b.vat_period, other):
        booking = item.booking
        number = booking.ksef_number
        sums = row_amounts(booking)
        if not sums:
            found.warn(
                "jpk_v7m.nothing_to_show",
                _(
                    "Invoice {number} has no line with deductible VAT in a JPK group; it is not in the "
                    "JPK file."
                ).format(number=number),
                number,
            )
            continue
        rows.append(PurchaseRow(booking, sums))
    rows.sort(key=_order)
    return rows


def _order(row: PurchaseRow) -> tuple[date, date, str]:
    b = row.booking
    return (b.receipt_date or b.issue_date or _FAR, b.issue_date or _FAR, b.ksef_number)


def write_jpk_v7m(items: Sequence[ExportItem], context: ExportContext) -> ExportOutput:
    found = Findings()
    bounds = period_bounds(context.period)
    if bounds is None:
        found.problem(
            "jpk_v7m.period",
            _("The period {period} is not a month (YYYY-MM).").format(period=context.period),
        )
    elif bounds < FIRST_PERIOD:
        found.problem(
            "jpk_v7m.period",
            _("JPK_V7M(3) covers periods from February 2026; {period} needs an earlier form.").format(
                period=context.period
            ),
        )
    year, month = bounds or (0, 0)
    n = f"{{{NS}}}"
    root = etree.Element(f"{n}JPK", nsmap={"tns": NS, "etd": ETD})
    header = etree.SubElement(root, f"{n}Naglowek")
    code = etree.SubElement(header, f"{n}KodFormularza", kodSystemowy="JPK_V7M (3)", wersjaSchemy="1-0E")
    code.text = "JPK_VAT"
    etree.SubElement(header, f"{n}WariantFormularza").text = "3"
    etree.SubElement(header, f"{n}DataWytworzeniaJPK").text = created(context)
    program = token(context.program)
    if program:
        etree.SubElement(header, f"{n}NazwaSystemu").text = fit(
            program, 240, _("The program name (NazwaSystemu)"), found, "jpk"
        )
    etree.SubElement(header, f"{n}CelZlozenia", poz="P_7").text = "1"
    etree.SubElement(header, f"{n}KodUrzedu").text = tax_office(context, found)
    etree.SubElement(header, f"{n}Rok").text = str(year)
    etree.SubElement(header, f"{n}Miesiac").text = str(month)

    subject = etree.SubElement(root, f"{n}Podmiot1", rola="Podatnik")
    taxpayer(context, NS, ETD, subject, found)
    contact(context, NS, subject[0], found, email_required=True)

    register = etree.SubElement(root, f"{n}Ewidencja")
    sales = etree.SubElement(register, f"{n}SprzedazCtrl")
    etree.SubElement(sales, f"{n}LiczbaWierszySprzedazy").text = "0"
    etree.SubElement(sales, f"{n}PodatekNalezny").text = "0.00"

    countries = v7m_countries()
    rows = purchase_rows(items, context, found)
    total = Decimal("0.00")
    sub = etree.SubElement
    for lp, row in enumerate(rows, 1):
        booking = row.booking
        number = booking.ksef_number
        el = sub(register, f"{n}ZakupWiersz")
        sub(el, f"{n}LpZakupu").text = str(lp)
        country, tax_id = split_tax_id(booking.seller_nip, countries)
        if not tax_id:
            found.warn(
                "jpk_v7m.no_seller_id",
                _('Invoice {number} has no seller tax id; written as "brak".').format(number=number),
                number,
            )
            tax_id = NO_ID
        elif country is None:
            found.warn(
                "jpk_v7m.foreign_id",
                _(
                    "The seller's tax id {id} on invoice {number} has no country code JPK knows; "
                    "written without one."
                ).format(id=tax_id, number=number),
                number,
            )
        if country is not None:
            sub(el, f"{n}KodKrajuNadaniaTIN").text = country
        sub(el, f"{n}NrDostawcy").text = fit(
            tax_id, 50, _("The seller's tax id (NrDostawcy)"), found, "jpk_v7m", number
        )
        name = seller_name(booking, found, "jpk_v7m")
        sub(el, f"{n}NazwaDostawcy").text = fit(
            name, 512, _("The seller's name (NazwaDostawcy)"), found, "jpk_v7m", number
        )
        invoice_no = token(booking.invoice_number)
        if not invoice_no:
            found.problem(
                "jpk_v7m.missing_invoice_number",
                _("Invoice {number} has no {field}; the JPK file needs it.").format(
                    number=number, field=_("invoice number (DowodZakupu)")
                ),
                number,
            )
        sub(el, f"{n}DowodZakupu").text = fit(
            invoice_no, 256, _("The invoice number (DowodZakupu)"), found, "jpk_v7m", number
        )
        if booking.issue_date is None:
            found.problem(
                "jpk_v7m.missing_issue_date",
                _("Invoice {number} has no {field}; the JPK file needs it.").format(
                    number=number, field=_("issue date (DataZakupu)")
                ),
                number,
            )
        sub(el, f"{n}DataZakupu").text = booking.issue_date.isoformat() if booking.issue_date else ""
        if booking.receipt_date is not None:
            sub(el, f"{n}DataWplywu").text = booking.receipt_date.isoformat()
        if not KSEF_NUMBER.fullmatch(number):
            found.problem(
                "jpk_v7m.bad_ksef_number",
                _("{number} is not a KSeF number the JPK file accepts.").format(number=number or "—"),
                number,
            )
        sub(el, f"{n}NrKSeF").text = number
        for name_k in FIELD_ORDER:
            value = row.amounts.get(name_k)
            if value is not None:
                sub(el, f"{n}{name_k}").text = amount(value)
        total += row.tax

    control = sub(register, f"{n}ZakupCtrl")
    sub(control, f"{n}LiczbaWierszyZakupow").text = str(len(rows))
    sub(control, f"{n}PodatekNaliczony").text = amount(total)

    if found.problems:
        return ExportOutput(files=(), warnings=tuple(found.warnings), problems=tuple(found.problems))
    schema_problems(V7M_SCHEMA, root, found, FORM)
    if found.problems:
        return ExportOutput(files=(), warnings=tuple(found.warnings), problems=tuple(found.problems))
    return ExportOutput(
        files=(ExportFile(file_name(context), serialize(root)),),
        warnings=tuple(found.warnings),
    )

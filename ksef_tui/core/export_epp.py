"""EDI++ (.epp) version 1.05 for a bookkeeping office (issue 14 item 2): approved purchase bookings as the
file InsERT Rewizor / Rachmistrz (GT and nexo), Symfonia IDK and many smaller programs import from the
"Subiekt → Rewizor" exchange.

Source: the public specification "Komunikacja – Struktura danych EDI++" (format 1.05; PURCHASES.md §C2).
`write_epp(items, context)` is a pure `Writer` (no I/O, no clock: the file's "when" is
`context.created_at`), so a batch re-created from its record gives the same bytes. One file per client
and period: `<short code>_<period>.epp`, its documents in order of receipt date, then KSeF number (so the
same bookings give the same bytes in whatever order they are passed).

The file (§1.1, §1.6)
- Sections `[INFO]` (once, first), then per booking `[NAGLOWEK]` + `[ZAWARTOSC]`; each label on its own
  line, one record per line, fields separated by commas, an empty line after every section (so the file
  ends with an empty line, as §1.1 requires); CRLF line ends; Windows-1250.
- Text fields in double quotes with an embedded quote doubled (what the Jet "CSVDelimited" text driver
  reads); numbers, dates and logical values unquoted; an empty value is nothing between the commas.
  Amounts with four decimals (CurrencyDigits=4), a decimal point, no thousands separator, no currency
  symbol, a leading minus for negatives; dates `yyyymmddhhnnss`; logical values 0/1.
- A text longer than its field is cut to fit and reported (`epp.number_cut` for the supplier's invoice
  number, `epp.name_cut` for a name, `epp.text_cut` for anything else); a character Windows-1250 cannot
  hold is written as "?" and reported (`epp.char_replaced`); a control character (a line break) becomes
  a space. Nothing raises on odd text.

[INFO] (Tabela 2, 24 fields): version "1.05"; purpose 0 = "biuro rachunkowe"; code page 1250; producer
`context.program`; sender = the client (code = the short code, short and long name, city, postcode,
street, NIP from `context.profile`); no warehouse; "data from a period" = 1 with the period's first and
last day; who = the office's name (else the program); when = `created_at` in Polish time; country,
EU prefix; the EU VAT number empty and "EU sender" 0 (the client is a Polish taxpayer; a VAT-UE number
is not in the profile).

[NAGLOWEK] (Tabela 3, 62 fields), per booking:
- 1 type: `FZ` (purchase invoice), `KFZ` for a correction (doc_kind KOR, KOR_ZAL, KOR_ROZ). `FR` (a VAT RR
  invoice) is never written: VAT RR invoices have their own KSeF schema (FA_RR), which this program does
  not download or book, so no booking is one.
- 2 status 1 ("wykonany"); 3 fiscal flag 0; 4 number: the booking's id in the store (its position in the
  file when it has none); 7 full number "<type> <number>/<MM>/<YYYY>" of the export period — our own
  numbering, stable across re-exports of the same booking.
- 5 supplier's number (Tekst(20)) = the invoice number (P_2, up to 256 characters in FA): cut + warning.
- 8-9 the corrected invoice's number and date from the XML's DaneFaKorygowanej (the first one; a
  correction of several invoices is a warning naming the others).
- 12-18 the seller: code = NIP, short name (the full name cut to 40 without a warning: a short name is a
  shortening by definition), full name (255), city / postcode / street from Podmiot1/Adres (AdresL2
  "00-001 Warszawa" split into postcode and city), NIP.
- 19-20 the category: 19 = the booking's VAT register (e.g. "ZAKUP"), 20 = the lines' GL accounts
  ("402-01, 409-01"). An import scheme in Rewizor can be keyed on the category (verify on a real import).
- 21 place of issue (P_1M); 22 issue date; 23 sale date (P_6, else the issue date); 24 receipt date =
  the booking's receipt date (the KSeF number's date).
- 25 the number of [ZAWARTOSC] rows; 26 net-priced 1; 28-30 net / VAT / gross = the sums of the booking's
  lines (PLN); 34-35 payment form and first due date from the XML; 37 to pay = gross; 38-39 rounding to the
  grosz; 40 "recalculate the VAT table" 0, so the importer keeps our amounts.
- 47-48 the invoice's currency and rate (4 decimals; a rate with more is rounded and reported). The
  amounts are PLN already (the booking converted them at that rate).
- 49 Uwagi (255): "KSeF: <KSeF number>" (EDI++ 1.05 has no field for it), then "; " and the booking's
  description when it has one.
- 55 transaction type: 6 = reverse charge (OOs/OOz) when a line's rate is "oo", else 0 = domestic (the
  value 6 is printed in §1.3.1; the other values' numbers did not survive in the text we have).
- 60-62 the seller's country ("Polska" or the address's code), EU prefix, EU flag 0 (the seller of a KSeF
  invoice is identified by a Polish NIP).

[ZAWARTOSC] (Tabela 4, 5 fields), one row per VAT rate: symbol, rate %, net, VAT, gross — the booking's
lines summed by rate, in the order the rates first appear. Symbols (§1.5): the rate's number as text
("23", "8", "5", "0"), "zw" (-1), "ex" for "0 EX" (-2), "ue" for "0 WDT" (-3), "oo" (-5); "np" (not
subject to VAT, FA "np I"/"np II") is not among §1.5's symbols and is written as "np" at 0 %. Deduction:
the VAT the client may not deduct goes to an "npo" row (-4, "nie podlegający odliczeniu"): a line with
deduction NONE entirely; a HALF or PROPORTION line is split — the deductible VAT (core `vat_deductible`)
with the net times the deductible share (50 %, or the proportion) stays at its rate, the rest (net and
VAT) goes to "npo". So 50 % VAT on 100.00 + 23.00 is "23" 50.00/11.50/61.50 and "npo"
50.00/11.50/61.50, and the totals stay the booking's. A rate code with no EDI++ symbol (the OSS
procedure, the margin scheme, anything unknown) is written as "npo" (the buyer deducts nothing from it),
with a warning for an unknown code.

Skipped with a warning: EXCLUDED bookings (never exported) and bookings not APPROVED/EXPORTED. An empty
period (or nothing left to write) is a valid file with the [INFO] section only. Problems (nothing is
written): no client NIP, a period that is not YYYY-MM, a booking without an issue or receipt date, a
foreign-currency booking without a rate (its amounts would not be PLN).

Not verifiable without a real Rewizor import (docs/DECISIONS.md "EDI++ export"): the numbers behind the
status / transaction-type values other than those above, "np" and "npo" carrying amounts, the category
fields as an import key, the full-number scheme.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal

from lxml import etree

from ksef_tui.core.booking_draft import money, vat_deductible
from ksef_tui.core.bookings import Booking, BookingLine, BookingStatus, Deduction
from ksef_tui.core.clock import WARSAW
from ksef_tui.core.exports import ExportContext, ExportFile, ExportItem, ExportOutput, ExportWarning
from ksef_tui.core.fa.findings import FaParseError
from ksef_tui.core.fa.secure_xml import parse_xml
from ksef_tui.core.i18n import N_, _
from ksef_tui.core.safe_paths import safe_component

VERSION = "1.05"
PURPOSE_OFFICE = 0  # "biuro rachunkowe"
CODE_PAGE = 1250
ENCODING = "cp1250"
CRLF = "\r\n"
INFO_FIELDS = 24
HEADER_FIELDS = 62
CONTENT_FIELDS = 5
PURCHASE = "FZ"
CORRECTION = "KFZ"
CORRECTION_KINDS = frozenset({"KOR", "KOR_ZAL", "KOR_ROZ"})
STATUS_DONE = 1  # "wykonany"
DOMESTIC = 0
REVERSE_CHARGE = 6  # "odwrotne obciążenie (OOs/OOz)"
EXPORTABLE = frozenset({BookingStatus.APPROVED, BookingStatus.EXPORTED})

NPO = ("npo", Decimal(-4))  # not deductible
_NAMED_RATES: dict[str, tuple[str, Decimal]] = {
    "0": ("0", Decimal(0)),
    "0 KR": ("0", Decimal(0)),
    "0 WDT": ("ue", Decimal(-3)),
    "0 EX": ("ex", Decimal(-2)),
    "zw": ("zw", Decimal(-1)),
    "oo": ("oo", Decimal(-5)),
    "np": ("np", Decimal(0)),
    "np I": ("np", Decimal(0)),
    "np II": ("np", Decimal(0)),
    "oss": NPO,  # another state's VAT: nothing for the buyer to deduct in Poland
    "margin": NPO,  # the margin scheme: no VAT shown, nothing to deduct
}
_NUMERIC_RATE = re.compile(r"\d{1,2}(\.\d{1,2})?")
# FA FormaPlatnosci -> the payment form's name written into the file (the FK program's words, Polish).
_PAYMENT_FORMS = {
    "1": "gotówka",
    "2": "karta",
    "3": "bon",
    "4": "czek",
    "5": "kredyt",
    "6": "przelew",
    "7": "płatność mobilna",
}
_EU = frozenset(
    {"AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "EL", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT"}
    | {"LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK"}
)
_POSTCODE_CITY = re.compile(r"(\d{2}-\d{3})\s+(\S.*)")
_STREET_POSTCODE_CITY = re.compile(r"(.*?)[,;]?\s*(\d{2}-\d{3})\s+(\S.*)")
_PERIOD = re.compile(r"(\d{4})-(\d{2})")
_Q4 = Decimal("0.0001")

# Field names for the messages (msgids; translated when a warning is made).
F_SUPPLIER_NUMBER = N_("supplier's invoice number")
F_SELLER_NAME = N_("seller's name")
F_CLIENT_NAME = N_("client's name")
F_ADDRESS = N_("address")
F_CITY = N_("city")
F_POSTCODE = N_("postcode")
F_NIP = N_("NIP")
F_CORRECTED_NUMBER = N_("corrected invoice number")
F_CATEGORY = N_("VAT register")
F_ACCOUNTS = N_("GL accounts")
F_PLACE = N_("place of issue")
F_NOTES = N_("remarks")
F_PROGRAM = N_("program name")
F_SHORT_CODE = N_("client's short code")
F_WHO = N_("who exported")
F_COUNTRY = N_("country")
F_CURRENCY = N_("currency")
F_PAYMENT = N_("payment form")


def file_name(context: ExportContext) -> str:
    return f"{safe_component(context.short_code)}_{safe_component(context.period)}.epp"


# ------------------------------------------------------------------------------------------------
# values


def _amount(value: Decimal) -> str:
    q = value.quantize(_Q4, rounding=ROUND_HALF_UP)
    return "0.0000" if q == 0 else f"{q:f}"


def _day(value: date | None) -> str:
    return "" if value is None else f"{value:%Y%m%d}000000"


def _moment(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(WARSAW)
    return f"{value:%Y%m%d%H%M%S}"


def _quote(value: str) -> str:
    return "" if not value else '"' + value.replace('"', '""') + '"'


def _control_free(value: str) -> str:
    return "".join(" " if (ord(c) < 32 or ord(c) == 127) else c for c in value)


def _encodable(value: str) -> tuple[str, str]:
    """`value` with every character Windows-1250 cannot hold as "?", and those characters (distinct)."""
    try:
        value.encode(ENCODING)
        return value, ""
    except UnicodeEncodeError:
        pass
    out: list[str] = []
    bad: list[str] = []
    for c in value:
        try:
            c.encode(ENCODING)
            out.append(c)
        except UnicodeEncodeError:
            out.append("?")
            if c not in bad:
                bad.append(c)
    return "".join(out), "".join(bad)


class _Findings:
    """The warnings of one section (one booking, or the [INFO] section)."""

    def __init__(self, ksef_number: str = "") -> None:
        self.ksef_number = ksef_number
        self.items: list[ExportWarning] = []

    def warn(self, code: str, message: str) -> None:
        self.items.append(ExportWarning(code, message, self.ksef_number))

    def text(self, value: str | None, limit: int, label: str, code: str = "epp.text_cut") -> str:
        """A text field, quoted: control characters as spaces, characters outside Windows-1250 as "?"
        (reported), cut to `limit` (reported under `code`); "" when empty."""
        if not value:
            return ""
        if len(value) <= limit and value.isascii() and value.isprintable():
            return '"' + value.replace('"', '""') + '"' if '"' in value else f'"{value}"'
        return _quote(self.fit(value, limit, label, code))

    def fit(
        self,
        value: str,
        limit: int,
        label: str,
        code: str = "epp.text_cut",
        *,
        report_cut: bool = True,
        report_chars: bool = True,
    ) -> str:
        """`value` made fit (see `text`), unquoted. A short name is cut without a report (its full form
        is written, and reported, in another field); `report_chars` False when that other field reports
        the same text's characters."""
        if not value.isprintable():
            value = _control_free(value)
        value, bad = _encodable(value)
        if bad and report_chars:
            self.warn(
                "epp.char_replaced",
                _(
                    "{field}: characters that Windows-1250 cannot hold ({chars}) were written as '?': {value}"
                ).format(field=_(label), chars=" ".join(bad), value=value),
            )
        if len(value) > limit:
            cut = value[:limit]
            if report_cut:
                self.warn(code, self._cut_message(code, label, value, cut, limit))
            value = cut
        return value

    def _cut_message(self, code: str, label: str, value: str, cut: str, limit: int) -> str:
        if code == "epp.number_cut":
            return _(
                "Invoice number '{number}' (KSeF {ksef}) is longer than the {limit} characters EDI++ holds "
                "for the supplier's number; written as '{cut}'."
            ).format(number=value, ksef=self.ksef_number, limit=limit, cut=cut)
        return _(
            "{field}: '{value}' is longer than the {limit} characters EDI++ holds; written as '{cut}'."
        ).format(field=_(label), value=value, limit=limit, cut=cut)


# ------------------------------------------------------------------------------------------------
# what the invoice's XML adds


@dataclass(frozen=True)
class _InvoiceBits:
    seller_name: str = ""
    seller_nip: str = ""
    street: str = ""
    postcode: str = ""
    city: str = ""
    country: str = ""
    vat_prefix: str = ""
    place: str = ""
    sale_date: date | None = None
    corrected: tuple[tuple[str, date | None], ...] = ()
    payment_form: str = ""
    due_date: date | None = None


def _local(el: etree._Element) -> str:
    tag = el.tag
    return tag.rpartition("}")[2] if isinstance(tag, str) else ""


def _kids(el: etree._Element | None) -> dict[str, list[etree._Element]]:
    out: dict[str, list[etree._Element]] = {}
    if el is None:
        return out
    for child in el:
        name = _local(child)
        if name:
            out.setdefault(name, []).append(child)
    return out


def _first(groups: dict[str, list[etree._Element]], name: str) -> etree._Element | None:
    items = groups.get(name)
    return items[0] if items else None


def _text_of(groups: dict[str, list[etree._Element]], name: str) -> str:
    el = _first(groups, name)
    return " ".join((el.text or "").split()) if el is not None else ""


def _date_of(groups: dict[str, list[etree._Element]], name: str) -> date | None:
    value = _text_of(groups, name)
    try:
        return date.fromisoformat(value[:10]) if value else None
    except ValueError:
        return None


def split_address(line1: str, line2: str) -> tuple[str, str, str]:
    """(street, postcode, city) from FA's AdresL1/AdresL2: "ul. Długa 1" + "00-001 Warszawa"; with no
    AdresL2, a trailing "…, 00-001 Warszawa" in AdresL1. A line without a Polish postcode is the city."""
    line1, line2 = line1.strip(), line2.strip()
    if line2:
        m = _POSTCODE_CITY.fullmatch(line2)
        return (line1, m.group(1), m.group(2).strip()) if m else (line1, "", line2)
    m = _STREET_POSTCODE_CITY.fullmatch(line1)
    if m:
        return m.group(1).strip(), m.group(2), m.group(3).strip()
    return line1, "", ""


def _invoice_bits(data: bytes) -> _InvoiceBits:
    """The few things EDI++ needs of the invoice (parsed safely: `parse_xml`); FaParseError if unreadable."""
    root = parse_xml(data)
    top = _kids(root)
    seller = _kids(_first(top, "Podmiot1"))
    ids = _kids(_first(seller, "DaneIdentyfikacyjne"))
    address = _kids(_first(seller, "Adres"))
    fa = _kids(_first(top, "Fa"))
    street, postcode, city = split_address(_text_of(address, "AdresL1"), _text_of(address, "AdresL2"))
    corrected = []
    for item in fa.get("DaneFaKorygowanej", ()):
        f = _kids(item)
        corrected.append((_text_of(f, "NrFaKorygowanej"), _date_of(f, "DataWystFaKorygowanej")))
    payment = _kids(_first(fa, "Platnosc"))
    due = _kids(_first(payment, "TerminPlatnosci"))
    return _InvoiceBits(
        seller_name=_text_of(ids, "Nazwa"),
        seller_nip=_text_of(ids, "NIP"),
        street=street,
        postcode=postcode,
        city=city,
        country=_text_of(address, "KodKraju"),
        vat_prefix=_text_of(seller, "PrefiksPodatnika"),
        place=_text_of(fa, "P_1M"),
        sale_date=_date_of(fa, "P_6"),
        corrected=tuple(corrected),
        payment_form=_PAYMENT_FORMS.get(_text_of(payment, "FormaPlatnosci"), ""),
        due_date=_date_of(due, "Termin"),
    )


# ------------------------------------------------------------------------------------------------
# the VAT table


def rate_symbol(code: str) -> tuple[str, Decimal] | None:
    """EDI++ (symbol, rate %) for a booking line's FA P_12 code; None when EDI++ has no symbol for it."""
    code = code.strip()
    if code in _NAMED_RATES:
        return _NAMED_RATES[code]
    if _NUMERIC_RATE.fullmatch(code):
        return code, Decimal(code)
    return None


@dataclass
class VatRow:
    symbol: str
    rate: Decimal
    net: Decimal
    vat: Decimal

    @property
    def gross(self) -> Decimal:
        return self.net + self.vat


def _deductible_share(line: BookingLine) -> Decimal:
    """The nominal share of a HALF or PROPORTION line that is deductible (the net is split by it)."""
    if line.deduction is Deduction.HALF:
        return Decimal("0.5")
    pct = (line.deduction_pct or Decimal(0)).to_integral_value(rounding=ROUND_CEILING)
    return pct / 100


def vat_rows(booking: Booking, findings: _Findings | None = None) -> list[VatRow]:
    """The booking's lines summed by EDI++ rate, the VAT the client may not deduct under "npo"."""
    rows: dict[tuple[str, Decimal], VatRow] = {}

    def add(key: tuple[str, Decimal], net: Decimal, vat: Decimal) -> None:
        row = rows.get(key)
        if row is None:
            rows[key] = VatRow(key[0], key[1], net, vat)
        else:
            row.net += net
            row.vat += vat

    for line in booking.lines:
        key = rate_symbol(line.vat_rate)
        if key is None:
            key = NPO
            if findings is not None:
                findings.warn(
                    "epp.rate_unmapped",
                    _("VAT rate '{rate}' has no EDI++ symbol; written as 'npo' (not deductible).").format(
                        rate=line.vat_rate
                    ),
                )
        deductible = vat_deductible(line)
        if key == NPO or line.vat == 0 or deductible == line.vat:
            add(key, line.net, line.vat)
        elif deductible == 0:
            add(NPO, line.net, line.vat)
        else:
            net_deductible = money(line.net * _deductible_share(line))
            add(key, net_deductible, deductible)
            add(NPO, line.net - net_deductible, line.vat - deductible)
    return list(rows.values())


# ------------------------------------------------------------------------------------------------
# sections


def _period_days(period: str) -> tuple[date, date] | None:
    m = _PERIOD.fullmatch(period)
    if m is None or not 1 <= int(m.group(2)) <= 12:
        return None
    first = date(int(m.group(1)), int(m.group(2)), 1)
    last = (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    return first, last


def _country_name(code: str) -> str:
    code = code.strip().upper()
    return "Polska" if code in ("", "PL") else code


def _eu_prefix(code: str) -> str:
    code = code.strip().upper() or "PL"
    return ("EL" if code == "GR" else code) if code in _EU else ""


def _street(context: ExportContext) -> str:
    p = context.profile
    number = p.house_no + (f"/{p.flat_no}" if p.flat_no else "")
    return " ".join(x for x in (p.street, number) if x)


def _info(context: ExportContext, first: date, last: date, f: _Findings) -> str:
    p = context.profile
    fields = [
        _quote(VERSION),
        str(PURPOSE_OFFICE),
        str(CODE_PAGE),
        f.text(context.program, 255, F_PROGRAM),
        f.text(context.short_code, 20, F_SHORT_CODE),
        _quote(
            f.fit(context.client_name, 40, F_CLIENT_NAME, report_cut=False, report_chars=bool(p.full_name))
        ),
        f.text(p.full_name or context.client_name, 80, F_CLIENT_NAME, "epp.name_cut"),
        f.text(p.city, 30, F_CITY),
        f.text(p.postcode, 6, F_POSTCODE),
        f.text(_street(context), 50, F_ADDRESS),
        f.text(context.client_nip, 13, F_NIP),
        "",  # 12-15: no warehouse
        "",
        "",
        "",
        "1",  # 16: the data is from a period
        _day(first),
        _day(last),
        f.text(context.office_name or context.program, 35, F_WHO),
        _moment(context.created_at),
        f.text(_country_name(p.country), 50, F_COUNTRY),
        _quote(_eu_prefix(p.country)),
        "",  # 23: EU VAT number
        "0",  # 24: EU sender
    ]
    assert len(fields) == INFO_FIELDS
    return ",".join(fields)


def _reverse_charge(booking: Booking) -> bool:
    return any(line.vat_rate.strip() == "oo" for line in booking.lines)


def _accounts(booking: Booking) -> str:
    seen: list[str] = []
    for line in booking.lines:
        if line.gl_account and line.gl_account not in seen:
            seen.append(line.gl_account)
    return ", ".join(seen)


def _fx_rate(booking: Booking, f: _Findings) -> str:
    currency = (booking.currency or "PLN").upper()
    if currency == "PLN" or booking.fx_rate is None:
        return "1.0000"
    written = booking.fx_rate.quantize(_Q4, rounding=ROUND_HALF_UP)
    if written != booking.fx_rate:
        f.warn(
            "epp.fx_rounded",
            _("Exchange rate {rate} written as {written} (EDI++ keeps four decimal places).").format(
                rate=booking.fx_rate, written=_amount(written)
            ),
        )
    return _amount(written)


def _document(booking: Booking, number: int, bits: _InvoiceBits, period: date, f: _Findings) -> list[str]:
    """[NAGLOWEK] record and [ZAWARTOSC] rows of one booking."""
    kind = CORRECTION if booking.doc_kind in CORRECTION_KINDS else PURCHASE
    rows = vat_rows(booking, f)
    net = sum((x.net for x in booking.lines), Decimal(0))
    vat = sum((x.vat for x in booking.lines), Decimal(0))
    gross = net + vat
    seller_name = booking.seller_name or bits.seller_name
    seller_nip = booking.seller_nip or bits.seller_nip
    corrected_number, corrected_date = "", None
    if kind == CORRECTION and bits.corrected:
        corrected_number, corrected_date = bits.corrected[0]
        if len(bits.corrected) > 1:
            f.warn(
                "epp.several_corrected",
                _(
                    "The correction corrects {n} invoices; EDI++ holds one, so {first} was written "
                    "(the others: {others})."
                ).format(
                    n=len(bits.corrected),
                    first=corrected_number or "-",
                    others=", ".join(x[0] or "-" for x in bits.corrected[1:]),
                ),
            )
    notes = f"KSeF: {booking.ksef_number}"
    if booking.description:
        notes += f"; {booking.description}"
    currency = (booking.currency or "PLN").upper()
    fields = [
        _quote(kind),  # 1
        str(STATUS_DONE),  # 2
        "0",  # 3 fiscal registration
        str(number),  # 4
        f.text(booking.invoice_number, 20, F_SUPPLIER_NUMBER, "epp.number_cut"),  # 5
        "",  # 6 number extension
        _quote(f"{kind} {number}/{period:%m}/{period:%Y}"),  # 7 full number
        f.text(corrected_number, 30, F_CORRECTED_NUMBER),  # 8
        _day(corrected_date),  # 9
        "",  # 10 order number
        "",  # 11 MM target warehouse
        _quote(f.fit(seller_nip, 20, F_NIP, report_cut=False, report_chars=False)),  # 12 code
        _quote(f.fit(seller_name, 40, F_SELLER_NAME, report_cut=False, report_chars=False)),  # 13
        f.text(seller_name, 255, F_SELLER_NAME, "epp.name_cut"),  # 14
        f.text(bits.city, 30, F_CITY),  # 15
        f.text(bits.postcode, 6, F_POSTCODE),  # 16
        f.text(bits.street, 50, F_ADDRESS),  # 17
        f.text(seller_nip, 20, F_NIP),  # 18
        f.text(booking.vat_register, 30, F_CATEGORY),  # 19 category
        f.text(_accounts(booking), 50, F_ACCOUNTS),  # 20 category subtitle
        f.text(bits.place, 30, F_PLACE),  # 21
        _day(booking.issue_date),  # 22
        _day(bits.sale_date or booking.issue_date),  # 23
        _day(booking.receipt_date),  # 24
        str(len(rows)),  # 25
        "1",  # 26 net-priced
        "",  # 27 active price
        _amount(net),  # 28
        _amount(vat),  # 29
        _amount(gross),  # 30
        "0.0000",  # 31 cost
        "",  # 32 discount name
        "0.0000",  # 33 discount %
        f.text(bits.payment_form, 30, F_PAYMENT),  # 34
        _day(bits.due_date),  # 35
        "0.0000",  # 36 paid on receipt
        _amount(gross),  # 37 to pay
        "0",  # 38 rounding to 1 grosz
        "0",  # 39 VAT rounding to 1 grosz
        "0",  # 40 no automatic recalculation
        "0",  # 41 extended status
        "",  # 42 issued by
        "",  # 43 received by
        "",  # 44 basis
        "0.0000",  # 45 packaging out
        "0.0000",  # 46 packaging returned
        f.text(currency, 3, F_CURRENCY),  # 47
        _fx_rate(booking, f),  # 48
        f.text(notes, 255, F_NOTES),  # 49 Uwagi
        "",  # 50 comment
        "",  # 51 subtitle
        "",  # 52 unused
        "0",  # 53 import flag
        "0",  # 54 export document
        str(REVERSE_CHARGE if _reverse_charge(booking) else DOMESTIC),  # 55
        "",  # 56 card payment name
        "0.0000",  # 57
        "",  # 58 credit payment name
        "0.0000",  # 59
        f.text(_country_name(bits.country), 50, F_COUNTRY),  # 60
        _quote(bits.vat_prefix.upper() if bits.vat_prefix else _eu_prefix(bits.country)),  # 61
        "0",  # 62 EU counterparty
    ]
    assert len(fields) == HEADER_FIELDS
    lines = ["[NAGLOWEK]", ",".join(fields), "", "[ZAWARTOSC]"]
    for row in rows:
        lines.append(
            ",".join(
                (
                    _quote(row.symbol),
                    _amount(row.rate),
                    _amount(row.net),
                    _amount(row.vat),
                    _amount(row.gross),
                )
            )
        )
    lines.append("")
    return lines


def _booking_problems(booking: Booking) -> list[ExportWarning]:
    out = []
    if booking.issue_date is None:
        out.append(
            ExportWarning(
                "epp.no_issue_date",
                _("Booking {ksef} has no issue date, which EDI++ requires.").format(ksef=booking.ksef_number),
                booking.ksef_number,
            )
        )
    if booking.receipt_date is None:
        out.append(
            ExportWarning(
                "epp.no_receipt_date",
                _("Booking {ksef} has no receipt date, which EDI++ requires.").format(
                    ksef=booking.ksef_number
                ),
                booking.ksef_number,
            )
        )
    if (booking.currency or "PLN").upper() != "PLN" and booking.fx_rate is None:
        out.append(
            ExportWarning(
                "epp.no_fx_rate",
                _("Booking {ksef} in {currency} has no exchange rate, so its amounts are not in PLN.").format(
                    ksef=booking.ksef_number, currency=booking.currency
                ),
                booking.ksef_number,
            )
        )
    return out


def _skip_reason(booking: Booking) -> ExportWarning | None:
    if booking.status is BookingStatus.EXCLUDED:
        return ExportWarning(
            "epp.excluded_skipped",
            _("Booking {ksef} is excluded; it was not exported.").format(ksef=booking.ksef_number),
            booking.ksef_number,
        )
    if booking.status not in EXPORTABLE:
        return ExportWarning(
            "epp.not_approved",
            _("Booking {ksef} is not approved; it was not exported.").format(ksef=booking.ksef_number),
            booking.ksef_number,
        )
    return None


def _bits_of(item: ExportItem, f: _Findings) -> _InvoiceBits:
    if item.xml is None:
        f.warn(
            "epp.no_xml",
            _(
                "The store has no XML of invoice {ksef}: the seller's address, the place, the sale date and "
                "the corrected invoice were left empty."
            ).format(ksef=item.booking.ksef_number),
        )
        return _InvoiceBits()
    try:
        return _invoice_bits(item.xml)
    except FaParseError as exc:
        f.warn(
            "epp.xml_unreadable",
            _(
                "The XML of invoice {ksef} cannot be read ({reason}); the fields taken from it were left "
                "empty."
            ).format(ksef=item.booking.ksef_number, reason=exc),
        )
        return _InvoiceBits()


def write_epp(items: Sequence[ExportItem], context: ExportContext) -> ExportOutput:
    """The client's EDI++ 1.05 file for the period (see the module's docstring)."""
    problems: list[ExportWarning] = []
    warnings: list[ExportWarning] = []
    days = _period_days(context.period)
    if days is None:
        problems.append(
            ExportWarning(
                "epp.bad_period",
                _("The period '{period}' is not a month (YYYY-MM).").format(period=context.period),
            )
        )
    if not context.client_nip.strip():
        problems.append(
            ExportWarning(
                "epp.no_client_nip",
                _("The client's NIP is missing; EDI++ names the sender by it in the [INFO] section."),
            )
        )
    chosen: list[ExportItem] = []
    for item in items:
        skip = _skip_reason(item.booking)
        if skip is not None:
            warnings.append(skip)
            continue
        problems.extend(_booking_problems(item.booking))
        chosen.append(item)
    if problems or days is None:
        return ExportOutput(files=(), warnings=tuple(warnings), problems=tuple(problems))
    first, last = days
    chosen.sort(key=lambda x: (x.booking.receipt_date or date.min, x.booking.ksef_number))
    info = _Findings()
    lines = ["[INFO]", _info(context, first, last, info), ""]
    warnings.extend(info.items)
    for position, item in enumerate(chosen, 1):
        booking = item.booking
        f = _Findings(booking.ksef_number)
        bits = _bits_of(item, f)
        number = booking.id if booking.id is not None else position
        lines.extend(_document(booking, number, bits, first, f))
        warnings.extend(f.items)
    data = (CRLF.join(lines) + CRLF).encode(ENCODING)
    return ExportOutput(files=(ExportFile(file_name(context), data),), warnings=tuple(warnings), problems=())

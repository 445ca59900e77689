"""The EDI++ (.epp) writer, read back by a reference reader written here from the specification
("Komunikacja – Struktura danych EDI++" 1.05: Tabela 2, 3, 4, §1.5, §1.6), independent of the writer:
its own field parser for the Jet CSVDelimited quoting, its own field types and lengths, cp1250 decoding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ksef_tui.core.bookings import Booking, BookingLine, BookingStatus, Deduction
from ksef_tui.core.export_epp import split_address, write_epp
from ksef_tui.core.exports import (
    ExportContext,
    ExportItem,
    ExportOutput,
    PeriodKind,
    TaxpayerProfile,
)
from ksef_tui.core.fa import parse_invoice
from ksef_tui.core.ksef_number import make_ksef_number
from ksef_tui.simulator.purchase_fa import Correction, generate_purchase
from ksef_tui.simulator.suppliers import BY_KEY
from tests.core.booking_helpers import BUYER_NAME, BUYER_NIP, draft

# ------------------------------------------------------------------------------------------------
# the reference reader


@dataclass(frozen=True)
class Field:
    raw: str  # as in the file, between the commas
    text: str | None  # the unquoted text when the field was quoted, else None

    @property
    def empty(self) -> bool:
        return self.raw == ""


def parse_record(line: str) -> list[Field]:
    """One EDI++ record: fields separated by commas; a quoted field runs to the quote that is not
    doubled and must be followed by a comma or the end; inside it `""` is one quote."""
    fields: list[Field] = []
    i, n = 0, len(line)
    while True:
        if i < n and line[i] == '"':
            j = i + 1
            chars: list[str] = []
            while True:
                assert j < n, f"unterminated quote in {line!r}"
                if line[j] == '"':
                    if j + 1 < n and line[j + 1] == '"':
                        chars.append('"')
                        j += 2
                        continue
                    break
                chars.append(line[j])
                j += 1
            fields.append(Field(line[i : j + 1], "".join(chars)))
            i = j + 1
            assert i == n or line[i] == ",", f"garbage after a quoted field at {i} in {line!r}"
        else:
            j = line.find(",", i)
            j = n if j < 0 else j
            raw = line[i:j]
            assert '"' not in raw, f"a quote inside an unquoted field: {raw!r}"
            fields.append(Field(raw, None))
            i = j
        if i >= n:
            return fields
        i += 1  # the comma
        if i == n:
            fields.append(Field("", None))
            return fields


# Field types from the specification: T<n> = Tekst(n), B = Bajt, I = Liczba całkowita, N = Liczba długa,
# L = Logiczne, D = Data, K = Kwota.
def _types(spec: str) -> list[str]:
    return spec.split()


INFO_TYPES = _types("T50 B I T255 T20 T40 T80 T30 T6 T50 T13 T20 T40 T255 T5 L D D T35 D T50 T2 T20 L")
HEADER_TYPES = _types(
    "T3 B B N T20 T10 T30 T30 D T30 T3 T20 T40 T255 T30 T6 T50 T20 T30 T50 T30 D D D N L T20 K K K K T30 K "
    "T30 D K K B B L B T35 T35 T35 K K T3 K T255 T50 T50 T50 B L B T50 K T50 K T50 T2 L"
)
CONTENT_TYPES = _types("T6 K K K K")
assert (len(INFO_TYPES), len(HEADER_TYPES), len(CONTENT_TYPES)) == (24, 62, 5)
AMOUNT = re.compile(r"-?\d+\.\d{4}")
DATE = re.compile(r"\d{14}")


def check_field(field: Field, kind: str, where: str) -> None:
    if field.empty:
        return
    if kind.startswith("T"):
        assert field.text is not None, f"{where}: text not quoted: {field.raw!r}"
        assert 0 < len(field.text) <= int(kind[1:]), f"{where}: {field.text!r} longer than {kind}"
        assert "\r" not in field.text and "\n" not in field.text
        return
    assert field.text is None, f"{where}: a {kind} quoted: {field.raw!r}"
    if kind == "K":
        assert AMOUNT.fullmatch(field.raw), f"{where}: amount {field.raw!r}"
    elif kind == "D":
        assert DATE.fullmatch(field.raw), f"{where}: date {field.raw!r}"
        datetime.strptime(field.raw, "%Y%m%d%H%M%S")
    elif kind == "L":
        assert field.raw in ("0", "1"), f"{where}: logical {field.raw!r}"
    elif kind == "B":
        assert field.raw.isdigit() and 0 <= int(field.raw) <= 255, f"{where}: byte {field.raw!r}"
    else:
        assert re.fullmatch(r"-?\d+", field.raw), f"{where}: integer {field.raw!r}"


def check_record(fields: list[Field], types: list[str], section: str) -> None:
    assert len(fields) == len(types), f"{section}: {len(fields)} fields, expected {len(types)}"
    for no, (field, kind) in enumerate(zip(fields, types, strict=True), 1):
        check_field(field, kind, f"{section} field {no}")


@dataclass
class Document:
    header: list[Field]
    rows: list[list[Field]]

    def text(self, no: int) -> str | None:
        return self.header[no - 1].text

    def raw(self, no: int) -> str:
        return self.header[no - 1].raw

    def amount(self, no: int) -> Decimal:
        return Decimal(self.raw(no))

    def row_sums(self) -> tuple[Decimal, Decimal, Decimal]:
        return (
            sum((Decimal(r[2].raw) for r in self.rows), Decimal(0)),
            sum((Decimal(r[3].raw) for r in self.rows), Decimal(0)),
            sum((Decimal(r[4].raw) for r in self.rows), Decimal(0)),
        )

    def symbols(self) -> list[tuple[str | None, str, str, str]]:
        return [(r[0].text, r[1].raw, r[2].raw, r[3].raw) for r in self.rows]


@dataclass
class EppFile:
    info: list[Field]
    documents: list[Document]

    def totals(self) -> tuple[Decimal, Decimal, Decimal]:
        net = vat = gross = Decimal(0)
        for d in self.documents:
            net += d.amount(28)
            vat += d.amount(29)
            gross += d.amount(30)
        return net, vat, gross


def read_epp(data: bytes) -> EppFile:
    """Read a whole file, checking everything the specification says of its form."""
    assert b"\r" not in data.replace(b"\r\n", b"") and b"\n" not in data.replace(b"\r\n", b""), "bare CR/LF"
    text = data.decode("cp1250")  # strict
    assert text.endswith("\r\n\r\n"), "no empty line at the end"
    lines = text.split("\r\n")[:-1]
    sections: list[tuple[str, list[str]]] = []
    for line in lines:
        if line.startswith("["):
            assert line in ("[INFO]", "[NAGLOWEK]", "[ZAWARTOSC]"), f"unknown label {line!r}"
            sections.append((line, []))
        elif line:
            assert sections, "a record before the first label"
            sections[-1][1].append(line)
    assert sections and sections[0][0] == "[INFO]", "[INFO] is not the first section"
    assert len(sections[0][1]) == 1, "[INFO] has one record"
    info = parse_record(sections[0][1][0])
    check_record(info, INFO_TYPES, "[INFO]")
    documents: list[Document] = []
    rest = sections[1:]
    assert len(rest) % 2 == 0, "every [NAGLOWEK] is followed by its [ZAWARTOSC]"
    for (label, records), (content_label, rows) in zip(rest[::2], rest[1::2], strict=True):
        assert (label, content_label) == ("[NAGLOWEK]", "[ZAWARTOSC]"), "section order"
        assert len(records) == 1, "a document header is one record"
        header = parse_record(records[0])
        check_record(header, HEADER_TYPES, "[NAGLOWEK]")
        parsed = [parse_record(r) for r in rows]
        for row in parsed:
            check_record(row, CONTENT_TYPES, "[ZAWARTOSC]")
            assert Decimal(row[2].raw) + Decimal(row[3].raw) == Decimal(row[4].raw), "net + VAT = gross"
        doc = Document(header, parsed)
        assert int(doc.raw(25)) == len(parsed), "field 25 counts the rows"
        net, vat, gross = doc.row_sums()
        assert (doc.amount(28), doc.amount(29), doc.amount(30)) == (net, vat, gross), "header = rows"
        documents.append(doc)
    return EppFile(info, documents)


# ------------------------------------------------------------------------------------------------
# bookings and context

T_CREATED = datetime(2026, 4, 3, 9, 15, 30, tzinfo=UTC)  # 11:15:30 in Warsaw (CEST)
PROFILE = TaxpayerProfile(
    full_name="Piekarnia „Żółw” Sp. z o.o.",
    city="Łódź",
    postcode="90-001",
    street="ul. Piotrkowska",
    house_no="12",
    flat_no="3",
)
CONTEXT = ExportContext(
    client_id=1,
    client_name="Piekarnia Żółw",
    client_nip=BUYER_NIP,
    short_code="PIEK",
    profile=PROFILE,
    period="2026-03",
    period_kind=PeriodKind.VAT,
    created_at=T_CREATED,
    office_name="Biuro Rachunkowe Ala",
)


def ksef(nip: str = "1481292323", n: int = 1) -> str:
    return make_ksef_number(nip, "20260310", f"{n:012X}")


def line(rate: str, net: str, vat: str, no: int = 1, **kw: object) -> BookingLine:
    return BookingLine(line_no=no, vat_rate=rate, net=Decimal(net), vat=Decimal(vat), **kw)  # type: ignore[arg-type]


def booking(*lines: BookingLine, n: int = 1, **kw: object) -> Booking:
    values: dict[str, object] = {
        "client_id": 1,
        "ksef_number": ksef(n=n),
        "status": BookingStatus.APPROVED,
        "lines": lines,
        "seller_nip": "1481292323",
        "seller_name": "Energia Pomorze Obrót S.A.",
        "invoice_number": f"FV/{n}/03/2026",
        "issue_date": date(2026, 3, 2),
        "receipt_date": date(2026, 3, 10),
        "vat_period": "2026-03",
        "cost_period": "2026-03",
        "vat_register": "ZAKUP",
        "id": n,
    }
    values.update(kw)
    b = Booking(**values)  # type: ignore[arg-type]
    return replace(b, gross=sum((x.net + x.vat for x in b.lines), Decimal(0)))


def generated(
    supplier: str = "energa-obrot",
    *,
    number: str = "FV/1/03/2026",
    kind: str = "VAT",
    currency: str = "PLN",
    lines: int = 3,
    corrects: Correction | None = None,
    n: int = 1,
) -> ExportItem:
    """A real FA(3) purchase invoice from the simulator, drafted into an APPROVED booking."""
    nip = BY_KEY[supplier].nip
    xml = generate_purchase(
        supplier, nip, BUYER_NIP, BUYER_NAME, number, date(2026, 3, 2),
        kind=kind, currency=currency, lines=lines, seed=n, corrects=corrects,
    )  # fmt: skip
    b = draft(parse_invoice(xml).invoice, ksef_number=ksef(nip, n))
    return ExportItem(replace(b, status=BookingStatus.APPROVED, id=n), xml)


def sums(bookings: list[Booking]) -> tuple[Decimal, Decimal, Decimal]:
    net = sum((x.net for b in bookings for x in b.lines), Decimal(0))
    vat = sum((x.vat for b in bookings for x in b.lines), Decimal(0))
    return net, vat, net + vat


def run(items: list[ExportItem], context: ExportContext = CONTEXT) -> tuple[ExportOutput, EppFile]:
    out = write_epp(items, context)
    assert not out.problems, out.problems
    (file,) = out.files
    assert file.name == "PIEK_2026-03.epp"
    epp = read_epp(file.data)
    exported = [i.booking for i in items if i.booking.status is BookingStatus.APPROVED]
    assert len(epp.documents) == len(exported)
    assert epp.totals() == sums(exported), "the file's totals are the bookings' sums"
    return out, epp


def codes(out: ExportOutput) -> list[str]:
    return [w.code for w in out.warnings]


# ------------------------------------------------------------------------------------------------
# cases


def test_info_section_is_the_client_for_the_period() -> None:
    out, epp = run([generated()])
    info = epp.info
    assert info[0].text == "1.05"
    assert (info[1].raw, info[2].raw) == ("0", "1250")  # biuro rachunkowe, Windows-1250
    assert info[3].text == "ksef-tui"
    assert (info[4].text, info[5].text, info[6].text) == ("PIEK", "Piekarnia Żółw", PROFILE.full_name)
    assert (info[7].text, info[8].text, info[9].text) == ("Łódź", "90-001", "ul. Piotrkowska 12/3")
    assert info[10].text == BUYER_NIP
    assert (info[15].raw, info[16].raw, info[17].raw) == ("1", "20260301000000", "20260331000000")
    assert info[18].text == "Biuro Rachunkowe Ala"
    assert info[19].raw == "20260403111530"  # created_at in Polish time
    assert (info[20].text, info[21].text) == ("Polska", "PL")
    assert out.warnings == ()


def test_plain_23_percent_invoice_from_its_xml() -> None:
    item = generated(lines=1)
    out, epp = run([item])
    (doc,) = epp.documents
    b = item.booking
    assert doc.text(1) == "FZ"
    assert doc.text(5) == "FV/1/03/2026"
    assert doc.text(7) == "FZ 1/03/2026"
    assert doc.text(12) == doc.text(18) == "1481292323"
    assert doc.text(14) == "Energia Pomorze Obrót S.A."
    assert (doc.text(15), doc.text(16), doc.text(17)) == ("Gdańsk", "80-244", "ul. Grunwaldzka 80")
    assert doc.text(19) == "ZAKUP"
    assert (doc.raw(22), doc.raw(24)) == ("20260302000000", "20260310000000")
    assert doc.text(47) == "PLN" and doc.raw(48) == "1.0000"
    assert doc.text(49) == f"KSeF: {b.ksef_number}; {b.description}"
    assert doc.raw(55) == "0"  # domestic
    net, vat, _gross = sums([b])
    assert doc.symbols() == [("23", "23.0000", f"{net:.2f}00", f"{vat:.2f}00")]
    assert out.warnings == ()


def test_mixed_rates_one_row_per_rate() -> None:
    b = booking(
        line("23", "100.00", "23.00", 1),
        line("8", "50.00", "4.00", 2),
        line("5", "20.00", "1.00", 3),
        line("zw", "30.00", "0.00", 4),
        line("0 KR", "10.00", "0.00", 5),
        line("23", "200.00", "46.00", 6, gl_account="402-01"),
        line("np I", "5.00", "0.00", 7, gl_account="409-01"),
    )
    out, epp = run([ExportItem(b)])
    (doc,) = epp.documents
    assert doc.symbols() == [
        ("23", "23.0000", "300.0000", "69.0000"),
        ("8", "8.0000", "50.0000", "4.0000"),
        ("5", "5.0000", "20.0000", "1.0000"),
        ("zw", "-1.0000", "30.0000", "0.0000"),
        ("0", "0.0000", "10.0000", "0.0000"),
        ("np", "0.0000", "5.0000", "0.0000"),
    ]
    assert doc.text(20) == "402-01, 409-01"
    assert codes(out) == ["epp.no_xml"]


def test_correction_is_kfz_negative_with_the_corrected_invoice() -> None:
    corrects = Correction(ksef(n=7), "FV/7/02/2026", date(2026, 2, 3), 7, 3)
    item = generated(kind="KOR", number="KOR/1/03/2026", corrects=corrects, n=2)
    assert item.booking.doc_kind == "KOR"
    _out, epp = run([item])
    (doc,) = epp.documents
    assert doc.text(1) == "KFZ"
    assert doc.text(7) == "KFZ 2/03/2026"
    assert (doc.text(8), doc.raw(9)) == ("FV/7/02/2026", "20260203000000")
    assert doc.amount(30) < 0
    assert doc.amount(28) == sum((x.net for x in item.booking.lines), Decimal(0))


def test_correction_of_several_invoices_writes_the_first_and_warns() -> None:
    corrects = Correction(ksef(n=7), "FV/7/02/2026", date(2026, 2, 3), 7, 3)
    item = generated(kind="KOR", number="KOR/2/03/2026", corrects=corrects, n=4)
    assert item.xml is not None
    xml = item.xml.decode()
    start, end = (
        xml.index("<DaneFaKorygowanej>"),
        xml.index("</DaneFaKorygowanej>") + len("</DaneFaKorygowanej>"),
    )
    second = xml[start:end].replace("FV/7/02/2026", "FV/8/02/2026")
    out, epp = run([replace(item, xml=(xml[:end] + second + xml[end:]).encode())])
    assert epp.documents[0].text(8) == "FV/7/02/2026"
    (warning,) = [w for w in out.warnings if w.code == "epp.several_corrected"]
    assert "FV/8/02/2026" in warning.message


def test_half_vat_split_into_rate_and_npo_rows() -> None:
    """50 % VAT (art. 86a): the deductible half stays at 23 %, the other half (net and VAT) is "npo"."""
    b = booking(line("23", "100.00", "23.00", deduction=Deduction.HALF))
    _out, epp = run([ExportItem(b)])
    (doc,) = epp.documents
    assert doc.symbols() == [
        ("23", "23.0000", "50.0000", "11.5000"),
        ("npo", "-4.0000", "50.0000", "11.5000"),
    ]
    assert (doc.amount(28), doc.amount(29), doc.amount(30)) == (Decimal(100), Decimal(23), Decimal(123))


def test_half_vat_odd_grosz_and_correction_keep_totals() -> None:
    b = booking(
        line("23", "100.01", "23.01", 1, deduction=Deduction.HALF),
        line("8", "-10.00", "-0.80", 2, deduction=Deduction.HALF),
    )
    _out, epp = run([ExportItem(b)])
    (doc,) = epp.documents
    assert doc.symbols() == [
        ("23", "23.0000", "50.0100", "11.5100"),
        ("npo", "-4.0000", "45.0000", "11.1000"),  # 50.00 + 11.50 (23 %) and -5.00 - 0.40 (8 %)
        ("8", "8.0000", "-5.0000", "-0.4000"),
    ]


def test_no_deduction_and_proportion() -> None:
    b = booking(
        line("23", "100.00", "23.00", 1, deduction=Deduction.NONE),
        line("8", "200.00", "16.00", 2, deduction=Deduction.PROPORTION, deduction_pct=Decimal("75")),
    )
    _out, epp = run([ExportItem(b)])
    (doc,) = epp.documents
    assert doc.symbols() == [
        ("npo", "-4.0000", "150.0000", "27.0000"),  # all of the 23 % line + 25 % of the 8 % line
        ("8", "8.0000", "150.0000", "12.0000"),
    ]


def test_foreign_currency_pln_amounts_with_currency_and_rate() -> None:
    item = generated(currency="EUR", n=3)
    b = item.booking
    assert b.currency == "EUR" and b.fx_rate is not None
    out, epp = run([item])
    (doc,) = epp.documents
    assert doc.text(47) == "EUR"
    assert Decimal(doc.raw(48)) == b.fx_rate
    assert doc.amount(30) == b.gross  # PLN
    assert "epp.fx_rounded" not in codes(out)


def test_rate_with_more_than_four_places_is_rounded_and_reported() -> None:
    b = booking(line("23", "100.00", "23.00"), currency="EUR", fx_rate=Decimal("4.253750"))
    out, epp = run([ExportItem(b)])
    assert epp.documents[0].raw(48) == "4.2538"
    assert "epp.fx_rounded" in codes(out)


def test_excluded_booking_is_skipped_and_reported() -> None:
    kept = booking(line("23", "100.00", "23.00"), n=1)
    excluded = booking(line("23", "999.00", "229.77"), n=2, status=BookingStatus.EXCLUDED)
    open_one = booking(line("23", "5.00", "1.15"), n=3, status=BookingStatus.NEEDS_REVIEW)
    out, epp = run([ExportItem(kept), ExportItem(excluded), ExportItem(open_one)])
    assert [d.text(5) for d in epp.documents] == ["FV/1/03/2026"]
    skipped = {w.code: w for w in out.warnings if w.code != "epp.no_xml"}
    assert skipped["epp.excluded_skipped"].ksef_number == excluded.ksef_number
    assert skipped["epp.not_approved"].ksef_number == open_one.ksef_number
    assert "wykluczon" in skipped["epp.excluded_skipped"].message  # Polish


def test_empty_period_is_a_file_with_info_only() -> None:
    out, epp = run([])
    assert epp.documents == []
    assert out.warnings == ()
    assert out.files[0].data.count(b"\r\n") == 3  # the label, the record, the empty line


def test_long_invoice_number_is_cut_and_reported() -> None:
    number = "FV/2026/03/ABCDEFGHIJ"  # 21 characters
    number = number + "KLMN"  # 25
    assert len(number) == 25
    b = booking(line("23", "100.00", "23.00"), invoice_number=number)
    out, epp = run([ExportItem(b)])
    assert epp.documents[0].text(5) == number[:20]
    (warning,) = [w for w in out.warnings if w.code == "epp.number_cut"]
    assert number in warning.message and b.ksef_number in warning.message
    assert warning.ksef_number == b.ksef_number
    assert warning.message.startswith("Numer faktury")  # Polish


@pytest.mark.parametrize("odd", ["Ǆ", "😀"])
def test_characters_outside_cp1250_are_replaced_and_reported(odd: str) -> None:
    name = f"Firma {odd} Żabka"
    b = booking(line("23", "100.00", "23.00"), seller_name=name)
    out, epp = run([ExportItem(b)])
    doc = epp.documents[0]
    assert doc.text(14) == "Firma ? Żabka"
    assert doc.text(13) == "Firma ? Żabka"
    replaced = [w for w in out.warnings if w.code == "epp.char_replaced"]
    assert len(replaced) == 1 and odd in replaced[0].message


def test_long_seller_name_is_cut_and_reported_short_name_is_not() -> None:
    name = "Przedsiębiorstwo " * 20  # 340 characters
    b = booking(line("23", "1.00", "0.23"), seller_name=name.strip())
    out, epp = run([ExportItem(b)])
    doc = epp.documents[0]
    assert len(doc.text(14) or "") == 255 and len(doc.text(13) or "") == 40
    assert [w.code for w in out.warnings if w.code.endswith("_cut")] == ["epp.name_cut"]


def test_quotes_commas_and_line_breaks_survive_the_reader() -> None:
    name = 'Hurtownia "Pod, Dębem" s.c.'
    b = booking(line("23", "1.00", "0.23"), seller_name=name, description="Towar\r\nhandlowy, paleta")
    _out, epp = run([ExportItem(b)])
    doc = epp.documents[0]
    assert doc.text(14) == name
    assert doc.text(49) == f"KSeF: {b.ksef_number}; Towar  handlowy, paleta"


def test_reverse_charge_is_the_oo_transaction() -> None:
    b = booking(line("oo", "1000.00", "0.00"))
    _out, epp = run([ExportItem(b)])
    doc = epp.documents[0]
    assert doc.raw(55) == "6"
    assert doc.symbols() == [("oo", "-5.0000", "1000.0000", "0.0000")]


def test_unknown_rate_goes_to_npo_with_a_warning() -> None:
    b = booking(line("17", "10.00", "1.70"), line("XYZ", "10.00", "0.00", 2))
    out, epp = run([ExportItem(b)])
    assert epp.documents[0].symbols() == [
        ("17", "17.0000", "10.0000", "1.7000"),
        ("npo", "-4.0000", "10.0000", "0.0000"),
    ]
    assert "epp.rate_unmapped" in codes(out)


def test_same_input_same_bytes_whatever_the_order() -> None:
    items = [
        generated(n=1),
        generated("telkom-net", n=2),
        ExportItem(booking(line("8", "1.00", "0.08"), n=3)),
    ]
    first = write_epp(items, CONTEXT)
    again = write_epp(list(reversed(items)), CONTEXT)
    assert first.files[0].data == again.files[0].data
    assert first.warnings == again.warnings


def test_missing_data_is_a_problem_and_nothing_is_written() -> None:
    no_receipt = booking(line("23", "1.00", "0.23"), receipt_date=None)
    no_rate = booking(line("23", "1.00", "0.23"), n=2, currency="USD", fx_rate=None)
    out = write_epp([ExportItem(no_receipt), ExportItem(no_rate)], replace(CONTEXT, client_nip=""))
    assert out.files == ()
    assert sorted(p.code for p in out.problems) == [
        "epp.no_client_nip",
        "epp.no_fx_rate",
        "epp.no_receipt_date",
    ]
    assert all(p.message for p in out.problems)


def test_unreadable_xml_is_a_warning_not_an_exception() -> None:
    b = booking(line("23", "1.00", "0.23"))
    out, epp = run([ExportItem(b, b"<not-xml")])
    assert codes(out) == ["epp.xml_unreadable"]
    assert epp.documents[0].text(15) is None


@pytest.mark.parametrize(
    ("line1", "line2", "expected"),
    [
        ("ul. Długa 1", "00-001 Warszawa", ("ul. Długa 1", "00-001", "Warszawa")),
        ("ul. Długa 1, 00-001 Warszawa", "", ("ul. Długa 1", "00-001", "Warszawa")),
        ("Hauptstraße 5", "10115 Berlin", ("Hauptstraße 5", "", "10115 Berlin")),
        ("Rynek 3", "", ("Rynek 3", "", "")),
    ],
)
def test_split_address(line1: str, line2: str, expected: tuple[str, str, str]) -> None:
    assert split_address(line1, line2) == expected


def test_reader_rejects_what_the_specification_forbids() -> None:
    """The reader is strict: it is only a check if it can fail."""
    good = write_epp([ExportItem(booking(line("23", "1.00", "0.23")))], CONTEXT).files[0].data
    with pytest.raises(AssertionError):
        read_epp(good.replace(b"\r\n", b"\n"))
    with pytest.raises(AssertionError):
        read_epp(good.rstrip(b"\r\n") + b"\r\n")
    with pytest.raises(AssertionError):
        read_epp(good.replace(b",23.0000,", b",23.00,"))
    with pytest.raises(AssertionError):
        read_epp(good.replace(b'"FZ",', b'"FZ",,'))
    with pytest.raises(AssertionError):
        parse_record('"a"b,1')


# ------------------------------------------------------------------------------------------------
# property

RATES = ["23", "8", "5", "0 KR", "zw", "oo", "np I", "0 WDT", "margin"]
amounts = st.decimals(min_value=Decimal("-5000"), max_value=Decimal("50000"), places=2)


@st.composite
def booking_lines(draw: st.DrawFn) -> BookingLine:
    rate = draw(st.sampled_from(RATES))
    net = draw(amounts)
    vat = draw(amounts) if rate in ("23", "8", "5") else Decimal("0.00")
    deduction = draw(st.sampled_from(list(Deduction)))
    pct = draw(st.integers(0, 100)) if deduction is Deduction.PROPORTION else None
    return BookingLine(
        line_no=1, vat_rate=rate, net=net, vat=vat, deduction=deduction,
        deduction_pct=Decimal(pct) if pct is not None else None,
    )  # fmt: skip


@given(
    st.lists(
        st.tuples(
            st.lists(booking_lines(), min_size=1, max_size=5),
            st.sampled_from(["VAT", "KOR", "ZAL", "KOR_ROZ"]),
            st.text(max_size=30),
        ),
        max_size=6,
    )
)
def test_property_reader_totals_equal_the_bookings(specs: list[tuple[list[BookingLine], str, str]]) -> None:
    bookings = [
        booking(*lines, n=i, doc_kind=kind, seller_name=name, invoice_number=name or f"FV/{i}")
        for i, (lines, kind, name) in enumerate(specs, 1)
    ]
    _out, epp = run([ExportItem(b) for b in bookings])
    for b, doc in zip(bookings, sorted(epp.documents, key=lambda d: int(d.raw(4))), strict=True):
        net, vat, gross = sums([b])
        assert (doc.amount(28), doc.amount(29), doc.amount(30)) == (net, vat, gross)
        assert doc.text(1) == ("KFZ" if b.doc_kind.startswith("KOR") else "FZ")

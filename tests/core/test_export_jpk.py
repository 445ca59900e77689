"""JPK_V7M(3) purchase part and JPK_PKPIR(3) writers (issue 14 items 3 and 4).

Every file a test gets is validated here against the official XSD (compiled by the test itself, not
through the writer's helper) and read back with lxml by a reference reader written below, independent of
the writer: the control sums must equal the rows' sums. Expected amounts are worked out by hand in the
tests, not with the engine's functions.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from ksef_tui.core.bookings import Booking, BookingLine, BookingStatus, Deduction, JpkGroup, KpirColumn
from ksef_tui.core.export_jpk_pkpir import write_jpk_pkpir
from ksef_tui.core.export_jpk_v7m import write_jpk_v7m
from ksef_tui.core.exports import (
    ExportContext,
    ExportItem,
    ExportOutput,
    Ledger,
    PeriodKind,
    TaxpayerKind,
    TaxpayerProfile,
)
from ksef_tui.core.fa.generate import generate_invoice
from ksef_tui.core.ksef_number import make_ksef_number

JPK = Path(__file__).resolve().parents[2] / "ksef_tui" / "resources" / "schemas" / "JPK"
V7M_XSD = JPK / "JPK_V7M_3" / "schemat_JPK_V7M(3)_v1-0E.xsd"
PKPIR_XSD = JPK / "JPK_PKPIR_3" / "schemat_JPK_PKPIR(3)_v1-0.xsd"
V7M_NS = "{http://crd.gov.pl/wzor/2025/12/19/14090/}"
PKPIR_NS = "{http://jpk.mf.gov.pl/wzor/2024/10/30/10302/}"
CLIENT_NIP = "5260250274"
SELLER_NIP = "5213017228"
AT = datetime(2026, 4, 2, 9, 30, tzinfo=UTC)
CENT = Decimal("0.01")

COMPANY = TaxpayerProfile(
    kind=TaxpayerKind.COMPANY,
    full_name="Piekarnia Testowa sp. z o.o.",
    email="biuro@piekarnia.example.pl",
    phone="+48 22 100 20 30",
    tax_office_code="1471",
)
PERSON = TaxpayerProfile(
    kind=TaxpayerKind.PERSON,
    first_name="Anna",
    last_name="Nowak-Kowalska",
    birth_date=date(1984, 5, 17),
    email="anna@example.pl",
    tax_office_code="1435",
    ledger=Ledger.KPIR,
)


def ctx(profile: TaxpayerProfile = COMPANY, period: str = "2026-03", **kw: object) -> ExportContext:
    return ExportContext(
        client_id=1,
        client_name="Piekarnia Testowa",
        client_nip=CLIENT_NIP,
        short_code="PIEK",
        profile=profile,
        period=period,
        period_kind=PeriodKind.VAT,
        created_at=AT,
        **kw,  # type: ignore[arg-type]
    )


def number(n: int, day: str = "20260305") -> str:
    return make_ksef_number(SELLER_NIP, day, f"{n:012X}")


def line(
    net: str,
    vat: str,
    rate: str = "23",
    *,
    no: int = 1,
    deduction: Deduction = Deduction.FULL,
    pct: str | None = None,
    group: JpkGroup = JpkGroup.OTHER,
    column: KpirColumn = KpirColumn.OTHER,
    share: int = 100,
) -> BookingLine:
    return BookingLine(
        line_no=no,
        vat_rate=rate,
        net=Decimal(net),
        vat=Decimal(vat),
        deduction=deduction,
        deduction_pct=Decimal(pct) if pct is not None else None,
        jpk_group=group,
        kpir_column=column,
        cost_share_pct=share,
    )


def booking(n: int, *lines: BookingLine, **kw: object) -> Booking:
    fields: dict[str, object] = {
        "client_id": 1,
        "ksef_number": number(n),
        "status": BookingStatus.APPROVED,
        "lines": lines,
        "seller_nip": SELLER_NIP,
        "seller_name": "Hurtownia Mąki S.A.",
        "invoice_number": f"FV/{n}/03/2026",
        "issue_date": date(2026, 3, 4),
        "receipt_date": date(2026, 3, 5),
        "vat_period": "2026-03",
        "cost_period": "2026-03",
    }
    fields.update(kw)
    return Booking(**fields)  # type: ignore[arg-type]


# A real FA(3) invoice of the seller (its address: "ul. Marszałkowska 1", "00-001 Warszawa").
INVOICE_XML = generate_invoice(
    SELLER_NIP, "Hurtownia Mąki S.A.", CLIENT_NIP, "Klient", "FV/1", date(2026, 3, 4), lines=1
)


def item(b: Booking, *, xml: bool = True) -> ExportItem:
    return ExportItem(b, INVOICE_XML if xml else None)


# ---------------------------------------------------------------------------------------------- reader


@cache
def xsd(path: Path) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(path), etree.XMLParser(no_network=True)))


def valid(path: Path, data: bytes) -> etree._Element:
    root = etree.fromstring(data, etree.XMLParser(no_network=True, resolve_entities=False))
    schema = xsd(path)
    assert schema.validate(root), [e.message for e in schema.error_log]
    return root


def dec(el: etree._Element | None) -> Decimal:
    return Decimal(el.text) if el is not None and el.text else Decimal(0)


def v7m_file(out: ExportOutput) -> etree._Element:
    assert out.problems == ()
    (file,) = out.files
    assert file.name.startswith(f"JPK_V7M_{CLIENT_NIP}_")
    root = valid(V7M_XSD, file.data)
    rows = root.findall(f"{V7M_NS}Ewidencja/{V7M_NS}ZakupWiersz")
    ctrl = root.find(f"{V7M_NS}Ewidencja/{V7M_NS}ZakupCtrl")
    assert ctrl is not None
    tax = sum(
        (dec(r.find(f"{V7M_NS}{k}")) for r in rows for k in ("K_41", "K_43", "K_44", "K_45", "K_46", "K_47")),
        Decimal(0),
    )
    assert int(ctrl.findtext(f"{V7M_NS}LiczbaWierszyZakupow") or "-1") == len(rows)
    assert dec(ctrl.find(f"{V7M_NS}PodatekNaliczony")) == tax
    assert [int(r.findtext(f"{V7M_NS}LpZakupu") or 0) for r in rows] == list(range(1, len(rows) + 1))
    for r in rows:  # exactly one KSeF marker
        assert len([c for c in r if etree.QName(c).localname in ("NrKSeF", "OFF", "BFK", "DI")]) == 1
    return root


def v7m_rows(root: etree._Element) -> list[dict[str, str]]:
    return [
        {etree.QName(c).localname: c.text or "" for c in r}
        for r in root.findall(f"{V7M_NS}Ewidencja/{V7M_NS}ZakupWiersz")
    ]


def pkpir_file(out: ExportOutput) -> etree._Element:
    assert out.problems == ()
    (file,) = out.files
    root = valid(PKPIR_XSD, file.data)
    rows = root.findall(f"{PKPIR_NS}PKPIRWiersz")
    ctrl = root.find(f"{PKPIR_NS}PKPIRCtrl")
    assert ctrl is not None
    assert int(ctrl.findtext(f"{PKPIR_NS}LiczbaWierszy") or "-1") == len(rows)
    assert dec(ctrl.find(f"{PKPIR_NS}SumaPrzychodow")) == sum(
        (dec(r.find(f"{PKPIR_NS}K_9")) for r in rows), Decimal(0)
    )
    for r in rows:
        if r.find(f"{PKPIR_NS}K_12") is not None or r.find(f"{PKPIR_NS}K_13") is not None:
            assert dec(r.find(f"{PKPIR_NS}K_14")) == dec(r.find(f"{PKPIR_NS}K_12")) + dec(
                r.find(f"{PKPIR_NS}K_13")
            )
    return root


def pkpir_rows(root: etree._Element) -> list[dict[str, str]]:
    return [
        {etree.QName(c).localname: c.text or "" for c in r} for r in root.findall(f"{PKPIR_NS}PKPIRWiersz")
    ]


def codes(out: ExportOutput) -> list[str]:
    return [w.code for w in out.warnings]


def problem_codes(out: ExportOutput) -> list[str]:
    return [p.code for p in out.problems]


# ---------------------------------------------------------------------------------------------- JPK_V7M


def test_v7m_plain_invoice_is_one_purchase_row_with_the_ksef_number() -> None:
    b = booking(1, line("100.00", "23.00"))
    out = write_jpk_v7m([item(b)], ctx())
    root = v7m_file(out)
    assert out.files[0].name == "JPK_V7M_5260250274_2026-03.xml"
    assert out.warnings == ()
    (row,) = v7m_rows(root)
    assert row == {
        "LpZakupu": "1",
        "KodKrajuNadaniaTIN": "PL",
        "NrDostawcy": SELLER_NIP,
        "NazwaDostawcy": "Hurtownia Mąki S.A.",
        "DowodZakupu": "FV/1/03/2026",
        "DataZakupu": "2026-03-04",
        "DataWplywu": "2026-03-05",
        "NrKSeF": b.ksef_number,
        "K_42": "100.00",
        "K_43": "23.00",
    }
    header = root.find(f"{V7M_NS}Naglowek")
    assert header is not None
    assert header.findtext(f"{V7M_NS}KodUrzedu") == "1471"
    assert (header.findtext(f"{V7M_NS}Rok"), header.findtext(f"{V7M_NS}Miesiac")) == ("2026", "3")
    assert header.findtext(f"{V7M_NS}DataWytworzeniaJPK") == "2026-04-02T09:30:00Z"
    code = header.find(f"{V7M_NS}KodFormularza")
    assert (
        code is not None and code.get("kodSystemowy") == "JPK_V7M (3)" and code.get("wersjaSchemy") == "1-0E"
    )
    # No declaration part; the sales control the XSD requires is zero.
    assert root.find(f"{V7M_NS}Deklaracja") is None
    assert root.findtext(f"{V7M_NS}Ewidencja/{V7M_NS}SprzedazCtrl/{V7M_NS}LiczbaWierszySprzedazy") == "0"
    assert root.findtext(f"{V7M_NS}Ewidencja/{V7M_NS}SprzedazCtrl/{V7M_NS}PodatekNalezny") == "0.00"


def test_v7m_mixed_rates_sum_into_one_row_per_booking() -> None:
    b = booking(
        2,
        line("1000.00", "230.00", "23", no=1),
        line("200.00", "16.00", "8", no=2),
        line("99.99", "5.00", "5", no=3),
    )
    (row,) = v7m_rows(v7m_file(write_jpk_v7m([item(b)], ctx())))
    assert (row["K_42"], row["K_43"]) == ("1299.99", "251.00")


def test_v7m_correction_is_negative_and_counts_against_the_control_sum() -> None:
    plain = booking(3, line("500.00", "115.00"))
    kor = booking(4, line("-200.00", "-46.00"), doc_kind="KOR", invoice_number="KOR/4/2026")
    root = v7m_file(write_jpk_v7m([item(plain), item(kor)], ctx()))
    rows = v7m_rows(root)
    assert [(r["K_42"], r["K_43"]) for r in rows] == [("500.00", "115.00"), ("-200.00", "-46.00")]
    assert root.findtext(f"{V7M_NS}Ewidencja/{V7M_NS}ZakupCtrl/{V7M_NS}PodatekNaliczony") == "69.00"


def test_v7m_half_deduction_shows_half_the_net_and_half_the_vat_rounded_half_up() -> None:
    # VAT 23.01 / 2 = 11.505 -> 11.51; net 100.05 / 2 = 50.025 -> 50.03 (half up, per line)
    b = booking(5, line("100.05", "23.01", deduction=Deduction.HALF))
    (row,) = v7m_rows(v7m_file(write_jpk_v7m([item(b)], ctx())))
    assert (row["K_42"], row["K_43"]) == ("50.03", "11.51")


def test_v7m_proportion_is_rounded_up_to_a_whole_percent_then_applied() -> None:
    # 75.2 % -> 76 %: net 1000.00 * 0.76 = 760.00, VAT 230.00 * 0.76 = 174.80
    b = booking(6, line("1000.00", "230.00", deduction=Deduction.PROPORTION, pct="75.2"))
    (row,) = v7m_rows(v7m_file(write_jpk_v7m([item(b)], ctx())))
    assert (row["K_42"], row["K_43"]) == ("760.00", "174.80")


def test_v7m_no_deduction_and_group_none_lines_are_left_out() -> None:
    mixed = booking(
        7,
        line("100.00", "23.00", no=1),
        line("50.00", "11.50", no=2, deduction=Deduction.NONE),
        line("30.00", "0.00", "zw", no=3, group=JpkGroup.NONE),
    )
    nothing = booking(8, line("40.00", "9.20", deduction=Deduction.NONE))
    out = write_jpk_v7m([item(mixed), item(nothing)], ctx())
    (row,) = v7m_rows(v7m_file(out))
    assert (row["NrKSeF"], row["K_42"], row["K_43"]) == (mixed.ksef_number, "100.00", "23.00")
    assert codes(out) == ["jpk_v7m.nothing_to_show"]
    assert out.warnings[0].ksef_number == nothing.ksef_number


def test_v7m_groups_map_to_their_fields() -> None:
    b = booking(
        9,
        line("10000.00", "2300.00", no=1, group=JpkGroup.FIXED_ASSETS),
        line("100.00", "23.00", no=2),
        line("0.00", "-12.00", no=3, group=JpkGroup.CORRECTION_FIXED_ASSETS),
        line("0.00", "5.00", no=4, group=JpkGroup.CORRECTION_OTHER),
        line("0.00", "-7.00", no=5, group=JpkGroup.BAD_DEBT_1),
        line("0.00", "3.00", no=6, group=JpkGroup.BAD_DEBT_4),
    )
    root = v7m_file(write_jpk_v7m([item(b)], ctx()))
    (row,) = v7m_rows(root)
    assert {k: v for k, v in row.items() if k.startswith("K_")} == {
        "K_40": "10000.00",
        "K_41": "2300.00",
        "K_42": "100.00",
        "K_43": "23.00",
        "K_44": "-12.00",
        "K_45": "5.00",
        "K_46": "-7.00",
        "K_47": "3.00",
    }
    assert root.findtext(f"{V7M_NS}Ewidencja/{V7M_NS}ZakupCtrl/{V7M_NS}PodatekNaliczony") == "2312.00"


def test_v7m_foreign_currency_invoice_is_written_in_its_pln_amounts() -> None:
    b = booking(10, line("430.00", "98.90"), currency="EUR", fx_rate=Decimal("4.3000"))
    (row,) = v7m_rows(v7m_file(write_jpk_v7m([item(b)], ctx())))
    assert (row["K_42"], row["K_43"]) == ("430.00", "98.90")


def test_v7m_excluded_booking_is_skipped_with_a_warning() -> None:
    kept = booking(11, line("100.00", "23.00"))
    excluded = booking(12, line("100.00", "23.00"), status=BookingStatus.EXCLUDED, excluded_reason="prywatne")
    out = write_jpk_v7m([item(kept), item(excluded)], ctx())
    assert [r["NrKSeF"] for r in v7m_rows(v7m_file(out))] == [kept.ksef_number]
    assert codes(out) == ["jpk_v7m.excluded"]
    assert out.warnings[0].ksef_number == excluded.ksef_number
    assert "wyłączon" in out.warnings[0].message  # Polish (the tests' default language)


def test_v7m_empty_period_is_a_valid_file_with_zero_rows_and_zero_control_sums() -> None:
    out = write_jpk_v7m([], ctx())
    root = v7m_file(out)
    assert v7m_rows(root) == []
    assert root.findtext(f"{V7M_NS}Ewidencja/{V7M_NS}ZakupCtrl/{V7M_NS}LiczbaWierszyZakupow") == "0"
    assert root.findtext(f"{V7M_NS}Ewidencja/{V7M_NS}ZakupCtrl/{V7M_NS}PodatekNaliczony") == "0.00"


def test_v7m_company_and_person_taxpayers() -> None:
    company = v7m_file(write_jpk_v7m([], ctx(COMPANY)))
    subject = company.find(f"{V7M_NS}Podmiot1/{V7M_NS}OsobaNiefizyczna")
    assert subject is not None
    assert subject.findtext(f"{V7M_NS}PelnaNazwa") == "Piekarnia Testowa sp. z o.o."
    assert subject.findtext(f"{V7M_NS}Email") == "biuro@piekarnia.example.pl"
    person = v7m_file(write_jpk_v7m([], ctx(PERSON)))
    who = person.find(f"{V7M_NS}Podmiot1/{V7M_NS}OsobaFizyczna")
    assert who is not None
    texts = {etree.QName(c).localname: c.text for c in who}
    assert texts == {
        "NIP": CLIENT_NIP,
        "ImiePierwsze": "Anna",
        "Nazwisko": "Nowak-Kowalska",
        "DataUrodzenia": "1984-05-17",
        "Email": "anna@example.pl",
    }


def test_v7m_company_name_defaults_to_the_client_name() -> None:
    root = v7m_file(write_jpk_v7m([], ctx(replace(COMPANY, full_name=""))))
    assert (
        root.findtext(f"{V7M_NS}Podmiot1/{V7M_NS}OsobaNiefizyczna/{V7M_NS}PelnaNazwa") == "Piekarnia Testowa"
    )


def test_v7m_missing_tax_office_code_is_a_problem_and_no_file() -> None:
    out = write_jpk_v7m([item(booking(13, line("1.00", "0.23")))], ctx(replace(COMPANY, tax_office_code="")))
    assert out.files == ()
    assert problem_codes(out) == ["jpk.missing_tax_office"]
    assert "urzędu skarbowego" in out.problems[0].message


@pytest.mark.parametrize(
    ("profile", "code", "word"),
    [
        (replace(COMPANY, tax_office_code="9999"), "jpk.bad_tax_office", "9999"),
        (replace(COMPANY, email=""), "jpk.taxpayer_missing", "e-mail"),
        (replace(COMPANY, email="no-at-sign"), "jpk.taxpayer_email", "no-at-sign"),
        (replace(PERSON, birth_date=None), "jpk.taxpayer_missing", "urodzenia"),
        (replace(PERSON, first_name=""), "jpk.taxpayer_missing", "imienia"),
    ],
)
def test_v7m_unusable_taxpayer_data_is_a_problem_naming_the_field(
    profile: TaxpayerProfile, code: str, word: str
) -> None:
    out = write_jpk_v7m([], ctx(profile))
    assert out.files == ()
    assert problem_codes(out) == [code]
    assert word in out.problems[0].message


def test_v7m_period_before_february_2026_is_a_problem() -> None:
    out = write_jpk_v7m([], ctx(period="2026-01"))
    assert out.files == () and problem_codes(out) == ["jpk_v7m.period"]


def test_v7m_values_that_do_not_fit_are_fitted_with_warnings() -> None:
    long_name = "Spółka " + "X" * 600
    rows = [
        booking(20, line("1.00", "0.23"), seller_name=long_name),
        booking(21, line("1.00", "0.23"), seller_nip="DE123456789", seller_name="Lieferant\x07 GmbH"),
        booking(22, line("1.00", "0.23"), seller_nip="GR094014201"),
        booking(23, line("1.00", "0.23"), seller_nip="XX-77"),
        booking(24, line("1.00", "0.23"), seller_nip=""),
    ]
    out = write_jpk_v7m([item(b) for b in rows], ctx())
    got = v7m_rows(v7m_file(out))
    assert len(got[0]["NazwaDostawcy"]) == 512
    assert (got[1].get("KodKrajuNadaniaTIN"), got[1]["NrDostawcy"]) == ("DE", "123456789")
    assert got[1]["NazwaDostawcy"] == "Lieferant GmbH"
    assert (got[2].get("KodKrajuNadaniaTIN"), got[2]["NrDostawcy"]) == ("EL", "094014201")
    assert ("KodKrajuNadaniaTIN" in got[3], got[3]["NrDostawcy"]) == (False, "XX-77")
    assert got[4]["NrDostawcy"] == "brak"
    assert codes(out) == ["jpk_v7m.text_cut", "jpk_v7m.foreign_id", "jpk_v7m.no_seller_id"]
    assert [w.ksef_number for w in out.warnings] == [number(20), number(23), number(24)]


def test_v7m_missing_invoice_number_or_bad_ksef_number_is_a_problem() -> None:
    out = write_jpk_v7m([item(booking(30, line("1.00", "0.23"), invoice_number=""))], ctx())
    assert out.files == () and problem_codes(out) == ["jpk_v7m.missing_invoice_number"]
    out = write_jpk_v7m([item(booking(31, line("1.00", "0.23"), ksef_number="not-a-number"))], ctx())
    assert out.files == () and problem_codes(out) == ["jpk_v7m.bad_ksef_number"]


def test_v7m_is_the_same_bytes_whatever_the_order_of_the_items() -> None:
    items = [
        item(booking(40, line("1.00", "0.23"), receipt_date=date(2026, 3, 9))),
        item(booking(41, line("2.00", "0.46"), receipt_date=date(2026, 3, 1))),
        item(booking(42, line("3.00", "0.69"), receipt_date=date(2026, 3, 1))),
    ]
    first = write_jpk_v7m(items, ctx())
    again = write_jpk_v7m(list(reversed(items)), ctx())
    assert first.files[0].data == again.files[0].data
    assert [r["NrKSeF"] for r in v7m_rows(v7m_file(first))] == [number(41), number(42), number(40)]


# ---------------------------------------------------------------------------------------------- JPK_PKPIR

KPIR = replace(COMPANY, ledger=Ledger.KPIR)


def kpir_ctx(profile: TaxpayerProfile = KPIR) -> ExportContext:
    return replace(ctx(profile), period_kind=PeriodKind.COST)


def test_pkpir_row_carries_the_ksef_number_counterparty_and_expense_columns() -> None:
    b = booking(
        50,
        line("1000.00", "230.00", no=1, column=KpirColumn.GOODS),
        line("100.00", "23.00", no=2, column=KpirColumn.INCIDENTAL),
        line("300.00", "69.00", no=3, column=KpirColumn.OTHER),
        line("40.00", "9.20", no=4, column=KpirColumn.FREE),
        line("5.00", "1.15", no=5, column=KpirColumn.NONE),
        description="Mąka i transport",
    )
    out = write_jpk_pkpir([item(b)], kpir_ctx())
    root = pkpir_file(out)
    assert out.files[0].name == "JPK_PKPIR_5260250274_2026-03.xml"
    (row,) = pkpir_rows(root)
    assert row == {
        "K_1": "1",
        "K_2": "2026-03-04",
        "K_3A": "FV/50/03/2026",
        "K_3B": b.ksef_number,
        "K_4A": "PL",
        "K_4B": SELLER_NIP,
        "K_5A": "Hurtownia Mąki S.A.",
        "K_5B": "ul. Marszałkowska 1, 00-001 Warszawa",
        "K_6": "Mąka i transport",
        "K_10": "1000.00",
        "K_11": "100.00",
        "K_13": "300.00",
        "K_14": "300.00",
        "K_15": "40.00",
    }
    header = root.find(f"{PKPIR_NS}Naglowek")
    assert header is not None
    assert (header.findtext(f"{PKPIR_NS}DataOd"), header.findtext(f"{PKPIR_NS}DataDo")) == (
        "2026-03-01",
        "2026-03-31",
    )
    info = root.find(f"{PKPIR_NS}PKPIRInfo")
    assert info is not None and [c.text for c in info] == ["0.00"] * 4


def test_pkpir_half_vat_car_cost_is_net_plus_the_vat_not_deducted_times_the_share() -> None:
    # (200.00 + 46.00 - 23.00) * 75 % = 167.25; second line: 7.67 / 2 = 3.835 -> 3.84 deducted,
    # (33.33 + 7.67 - 3.84) * 75 % = 27.87; each line rounded, then summed
    b = booking(
        51,
        line("200.00", "46.00", no=1, deduction=Deduction.HALF, share=75),
        line("33.33", "7.67", no=2, deduction=Deduction.HALF, share=75),
    )
    (row,) = pkpir_rows(pkpir_file(write_jpk_pkpir([item(b)], kpir_ctx())))
    assert row["K_13"] == "195.12"


def test_pkpir_no_deduction_and_proportion_put_the_rest_of_the_vat_into_the_cost() -> None:
    b = booking(
        52,
        line("100.00", "23.00", no=1, deduction=Deduction.NONE, column=KpirColumn.GOODS),
        line("100.00", "23.00", no=2, deduction=Deduction.PROPORTION, pct="80", column=KpirColumn.GOODS),
    )
    (row,) = pkpir_rows(pkpir_file(write_jpk_pkpir([item(b)], kpir_ctx())))
    assert row["K_10"] == "227.60"  # 123.00 + (100.00 + 23.00 - 18.40)


def test_pkpir_correction_is_negative() -> None:
    b = booking(53, line("-80.00", "-18.40"), doc_kind="KOR")
    (row,) = pkpir_rows(pkpir_file(write_jpk_pkpir([item(b)], kpir_ctx())))
    assert (row["K_13"], row["K_14"]) == ("-80.00", "-80.00")


def test_pkpir_rnd_goes_to_column_16_and_counts_as_other_expenses() -> None:
    b = booking(54, line("500.00", "115.00", column=KpirColumn.RND), item_names=("Odczynniki", "Probówki"))
    (row,) = pkpir_rows(pkpir_file(write_jpk_pkpir([item(b)], kpir_ctx())))
    assert (row["K_16A"], row["K_16B"], row["K_13"], row["K_14"]) == (
        "Odczynniki; Probówki",
        "500.00",
        "500.00",
        "500.00",
    )
    assert row["K_6"] == "Odczynniki; Probówki"


def test_pkpir_foreign_currency_in_pln() -> None:
    b = booking(55, line("860.00", "197.80", column=KpirColumn.GOODS), currency="EUR", fx_rate=Decimal("4.3"))
    (row,) = pkpir_rows(pkpir_file(write_jpk_pkpir([item(b)], kpir_ctx())))
    assert row["K_10"] == "860.00"


def test_pkpir_excluded_and_nothing_in_the_book_are_skipped_with_warnings() -> None:
    kept = booking(56, line("10.00", "2.30"))
    excluded = booking(57, line("10.00", "2.30"), status=BookingStatus.EXCLUDED)
    not_a_cost = booking(
        58, line("10.00", "2.30", share=0), line("5.00", "1.15", no=2, column=KpirColumn.NONE)
    )
    out = write_jpk_pkpir([item(kept), item(excluded), item(not_a_cost)], kpir_ctx())
    assert [r["K_3B"] for r in pkpir_rows(pkpir_file(out))] == [kept.ksef_number]
    assert codes(out) == ["jpk_pkpir.excluded", "jpk_pkpir.nothing_to_show"]


def test_pkpir_full_books_client_is_a_problem() -> None:
    out = write_jpk_pkpir([item(booking(59, line("10.00", "2.30")))], kpir_ctx(COMPANY))
    assert out.files == () and problem_codes(out) == ["jpk_pkpir.full_books"]
    assert "pełne księgi" in out.problems[0].message or "księgi rachunkowe" in out.problems[0].message


def test_pkpir_empty_period_cannot_be_written_the_xsd_needs_a_row() -> None:
    out = write_jpk_pkpir([], kpir_ctx())
    assert out.files == () and problem_codes(out) == ["jpk_pkpir.empty"]


def test_pkpir_person_and_company() -> None:
    b = booking(60, line("10.00", "2.30"))
    person = pkpir_file(write_jpk_pkpir([item(b)], kpir_ctx(PERSON)))
    who = person.find(f"{PKPIR_NS}Podmiot1/{PKPIR_NS}OsobaFizyczna")
    assert who is not None and [etree.QName(c).localname for c in who] == [
        "NIP",
        "ImiePierwsze",
        "Nazwisko",
        "DataUrodzenia",
        "Email",
    ]
    company = pkpir_file(write_jpk_pkpir([item(b)], kpir_ctx(replace(KPIR, email="", phone=""))))
    org = company.find(f"{PKPIR_NS}Podmiot1/{PKPIR_NS}OsobaNiefizyczna")
    assert org is not None and [etree.QName(c).localname for c in org] == ["NIP", "PelnaNazwa"]


def test_pkpir_missing_tax_office_or_invoice_xml_is_a_problem() -> None:
    b = booking(61, line("10.00", "2.30"))
    out = write_jpk_pkpir([item(b)], kpir_ctx(replace(KPIR, tax_office_code="")))
    assert out.files == () and problem_codes(out) == ["jpk.missing_tax_office"]
    out = write_jpk_pkpir([item(b, xml=False)], kpir_ctx())
    assert out.files == () and problem_codes(out) == ["jpk_pkpir.no_xml"]
    assert "K_5B" in out.problems[0].message


# ---------------------------------------------------------------------------------------------- properties

amounts = st.decimals(min_value=Decimal("-99999.99"), max_value=Decimal("999999.99"), places=2)
lines_st = st.builds(
    lambda net, vat, deduction, pct, group, column, share: BookingLine(
        line_no=1,
        vat_rate="23",
        net=net,
        vat=vat,
        deduction=deduction,
        deduction_pct=pct if deduction is Deduction.PROPORTION else None,
        jpk_group=group,
        kpir_column=column,
        cost_share_pct=share,
    ),
    amounts,
    amounts,
    st.sampled_from(list(Deduction)),
    st.decimals(min_value=Decimal(0), max_value=Decimal(100), places=1),
    st.sampled_from(list(JpkGroup)),
    st.sampled_from(list(KpirColumn)),
    st.sampled_from([0, 20, 75, 100]),
)
bookings_st = st.lists(
    st.tuples(
        st.lists(lines_st, min_size=1, max_size=4),
        st.sampled_from([BookingStatus.APPROVED, BookingStatus.EXPORTED, BookingStatus.EXCLUDED]),
        st.text(min_size=0, max_size=40),
        st.sampled_from([SELLER_NIP, "DE811128135", "", "CH-123.456"]),
        st.integers(min_value=1, max_value=28),
    ),
    max_size=12,
)


def _bookings(raw: list[tuple[list[BookingLine], BookingStatus, str, str, int]]) -> list[ExportItem]:
    out = []
    for i, (lines, status, name, nip, day) in enumerate(raw):
        numbered = tuple(replace(x, line_no=n) for n, x in enumerate(lines, 1))
        b = booking(
            1000 + i,
            *numbered,
            status=status,
            seller_name=name,
            seller_nip=nip,
            issue_date=date(2026, 3, day),
        )
        out.append(item(b))
    return out


@settings(max_examples=40, deadline=None)
@given(bookings_st)
def test_property_v7m_random_bookings_give_a_valid_file_whose_control_sums_equal_the_rows(
    raw: list[tuple[list[BookingLine], BookingStatus, str, str, int]],
) -> None:
    out = write_jpk_v7m(_bookings(raw), ctx())
    v7m_file(out)  # valid against the XSD; ZakupCtrl equals the rows (checked inside)


@settings(max_examples=40, deadline=None)
@given(bookings_st)
def test_property_pkpir_random_bookings_give_a_valid_file_whose_control_sums_equal_the_rows(
    raw: list[tuple[list[BookingLine], BookingStatus, str, str, int]],
) -> None:
    items = _bookings(raw)
    out = write_jpk_pkpir(items, kpir_ctx())
    in_book = [
        i
        for i in items
        if i.booking.status is not BookingStatus.EXCLUDED
        and any(x.kpir_column is not KpirColumn.NONE and x.cost_share_pct > 0 for x in i.booking.lines)
    ]
    if not in_book:
        assert out.files == () and problem_codes(out) == ["jpk_pkpir.empty"]
        return
    rows = pkpir_rows(pkpir_file(out))
    assert len(rows) == len(in_book)
    written = sum(
        (Decimal(r.get(k, "0")) for r in rows for k in ("K_10", "K_11", "K_14", "K_15")), Decimal(0)
    )
    assert written == sum(
        (_cost(x) for i in in_book for x in i.booking.lines if x.kpir_column is not KpirColumn.NONE),
        Decimal(0),
    )


def _cost(x: BookingLine) -> Decimal:
    """The tax cost worked out here, independently of the writer and the booking engine."""
    if x.deduction is Deduction.FULL:
        kept = x.vat
    elif x.deduction is Deduction.HALF:
        kept = (x.vat / 2).quantize(CENT, ROUND_HALF_UP)
    elif x.deduction is Deduction.PROPORTION:
        pct = (x.deduction_pct or Decimal(0)).to_integral_value(rounding=ROUND_CEILING)
        kept = (x.vat * pct / 100).quantize(CENT, ROUND_HALF_UP)
    else:
        kept = Decimal(0)
    return ((x.net + x.vat - kept) * x.cost_share_pct / 100).quantize(CENT, ROUND_HALF_UP)


def test_the_benchmark_runs_small_and_prints_both_formats(capsys: pytest.CaptureFixture[str]) -> None:
    import importlib.util

    path = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_export_jpk.py"
    spec = importlib.util.spec_from_file_location("bench_export_jpk", path)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    assert bench.main(["--bookings", "25", "--repeat", "1"]) == 0
    out = capsys.readouterr().out
    assert "bookings: 25" in out
    assert "JPK_V7M: 1 file" in out and "JPK_PKPIR: 1 file" in out and " 0 problems" in out
    assert "write_jpk_v7m: " in out and "write_jpk_pkpir: " in out


def test_a_file_the_xsd_would_refuse_is_a_problem_never_a_file() -> None:
    # DataWytworzeniaJPK before 2026-02-01 is below the JPK_V7M(3) XSD's minimum: the writer's last check
    # (validation against the official schema) turns it into a problem.
    out = write_jpk_v7m(
        [item(booking(70, line("1.00", "0.23")))], replace(ctx(), created_at=datetime(2026, 1, 5, tzinfo=UTC))
    )
    assert out.files == () and problem_codes(out) == ["jpk.schema"]
    assert "DataWytworzeniaJPK" in out.problems[0].message


def test_the_schemas_are_compiled_once_per_process() -> None:
    from ksef_tui.core.export_jpk_common import PKPIR_SCHEMA, V7M_SCHEMA, schema

    assert schema(V7M_SCHEMA) is schema(V7M_SCHEMA)
    assert schema(PKPIR_SCHEMA) is schema(PKPIR_SCHEMA)

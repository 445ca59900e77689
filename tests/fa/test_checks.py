"""Arithmetic, identifier, date and hash checks: each one is shown to fire on a tampered invoice."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

import pytest

from ksef_tui.core.fa import check_hash, exit_code, inspect_bytes, parse_invoice, run_checks, sha256_b64
from ksef_tui.core.fa.generate import generate_invoice
from ksef_tui.core.ksef_number import make_ksef_number
from tests.fa.helpers import FA3_SAMPLES, NIP_BUYER, NIP_SELLER, TODAY

BASIC = (FA3_SAMPLES / "ksef2-test-suite" / "KSEF_01_VAT_STANDARD.xml").read_bytes()
KOR = (FA3_SAMPLES / "ksef2-test-suite" / "KSEF_02_KOR.xml").read_bytes()


def _codes(data: bytes) -> list[str]:
    return [p.code for p in inspect_bytes(data, today=TODAY).problems]


def _sub(data: bytes, pattern: str, repl: str, count: int = 1) -> bytes:
    text, n = re.subn(pattern, repl, data.decode("utf-8"), count=count)
    assert n, pattern
    return text.encode("utf-8")


def _generated(**kw: object) -> bytes:
    args = dict(lines=10, seed=7)
    args.update(kw)
    return generate_invoice(NIP_SELLER, "Sprzedawca", NIP_BUYER, "Nabywca", "FV/1", date(2026, 11, 2), **args)


def test_untampered_basic_invoice_is_clean() -> None:
    report = inspect_bytes(BASIC, today=TODAY)
    assert report.valid and not report.problems and exit_code(report) == 0


def test_tampered_gross_total_is_an_error() -> None:
    data = _sub(BASIC, r"<P_15>5000</P_15>", "<P_15>5100</P_15>")
    report = inspect_bytes(data, today=TODAY)
    assert report.valid  # still XSD-valid: only arithmetic catches it
    (problem,) = report.problems
    assert problem.code == "gross-mismatch" and problem.is_error
    assert problem.line == data.decode().splitlines().index("\t\t<P_15>5100</P_15>") + 1
    assert "5100.00" in problem.message and "5000.00" in problem.message
    assert exit_code(report) == 2


def test_one_grosz_of_rounding_per_rate_is_allowed() -> None:
    assert _codes(_sub(BASIC, r"<P_15>5000</P_15>", "<P_15>5000.01</P_15>")) == []
    assert "gross-mismatch" in _codes(_sub(BASIC, r"<P_15>5000</P_15>", "<P_15>5000.02</P_15>"))


def test_tampered_vat_is_an_error() -> None:
    data = _sub(BASIC, r"<P_14_1>934.96</P_14_1>", "<P_14_1>934.90</P_14_1>")
    data = _sub(data, r"<P_15>5000</P_15>", "<P_15>4999.94</P_15>")  # keep P_15 consistent
    codes = _codes(data)
    assert codes == ["vat-rate-mismatch"]


def test_vat_at_22_percent_is_accepted_in_group_1() -> None:
    data = _sub(BASIC, r"<P_12>23</P_12>", "<P_12>22</P_12>")
    data = _sub(data, r"<P_14_1>934.96</P_14_1>", "<P_14_1>894.31</P_14_1>")
    data = _sub(data, r"<P_15>5000</P_15>", "<P_15>4959.35</P_15>")
    assert _codes(data) == []


def test_tampered_line_breaks_the_sum_by_rate() -> None:
    data = _sub(BASIC, r"<P_11>4065.04</P_11>", "<P_11>4000.00</P_11>")
    codes = _codes(data)
    assert "lines-mismatch" in codes and "line-amount-mismatch" in codes


def test_correction_lines_are_summed_as_after_minus_before() -> None:
    assert _codes(KOR) == []
    tampered = _sub(KOR, r"<P_11>3658.54</P_11>", "<P_11>3558.54</P_11>")
    assert "lines-mismatch" in _codes(tampered)


def test_generated_invoices_are_clean_and_tampering_is_caught() -> None:
    for kind in ("VAT", "KOR", "ZAL"):
        for currency in ("PLN", "EUR"):
            data = _generated(kind=kind, currency=currency)
            assert _codes(data) == [], (kind, currency)
            tampered = re.sub(
                rb"<P_15>([-\d.]+)</P_15>",
                lambda m: b"<P_15>%.2f</P_15>" % (Decimal(m.group(1).decode()) + 10),
                data,
            )
            assert "gross-mismatch" in _codes(tampered), (kind, currency)


def test_vat_in_pln_is_checked_for_foreign_currency() -> None:
    data = _generated(currency="EUR")
    tampered = re.sub(rb"<P_14_1W>([\d.]+)</P_14_1W>", lambda m: b"<P_14_1W>1.00</P_14_1W>", data)
    assert _codes(tampered) == ["vat-pln-mismatch"]


def test_order_value_of_an_advance_invoice_is_checked() -> None:
    data = _generated(kind="ZAL")
    tampered = re.sub(rb"<WartoscZamowienia>[\d.]+<", b"<WartoscZamowienia>1.00<", data)
    assert _codes(tampered) == ["order-mismatch"]


def test_settlement_totals_are_checked() -> None:
    data = (FA3_SAMPLES / "mf-official" / "FA_3_Przykład_4.xml").read_bytes()
    invoice = parse_invoice(data).invoice
    assert invoice.settlement is not None and invoice.settlement.to_pay is not None
    assert not [f for f in run_checks(invoice, today=TODAY) if f.code == "settlement-mismatch"]
    tampered = re.sub(rb"<DoZaplaty>[\d.]+<", b"<DoZaplaty>1.00<", data)
    assert "settlement-mismatch" in _codes(tampered)


def test_bad_nip_checksum() -> None:
    data = BASIC.replace(b"<NIP>1111111111</NIP>", b"<NIP>1111111112</NIP>")
    report = inspect_bytes(data, today=TODAY)
    assert report.valid
    (problem,) = report.problems
    assert problem.code == "nip-invalid" and problem.is_error and problem.line


def test_ksef_number_crc() -> None:
    good = make_ksef_number(NIP_SELLER, "20251215", "A1B2C3D4E5F6")
    bad = good[:-2] + ("00" if good[-2:] != "00" else "01")
    for number, expected in ((good, []), (bad, ["ksef-number-crc"])):
        data = KOR.replace(b"9999999999-20251215-A1B2C3-D4E5F6-AB", number.encode())
        assert _codes(data) == expected


def test_dates() -> None:
    future = _sub(BASIC, r"<P_1>2025-12-15</P_1>", "<P_1>2027-01-01</P_1>")
    assert "issue-date-future" in _codes(future)
    late = _sub(BASIC, r"<P_6>[\d-]+</P_6>", "<P_6>2025-10-01</P_6>")
    assert "issued-late" in _codes(late)
    corrected_later = _sub(KOR, r"<DataWystFaKorygowanej>[\d-]+<", "<DataWystFaKorygowanej>2025-12-31<")
    assert "corrected-later" in _codes(corrected_later)
    due = _sub(BASIC, r"<Termin>[\d-]+</Termin>", "<Termin>2025-01-01</Termin>")
    assert "due-before-issue" in _codes(due)


def test_reversed_sale_period() -> None:
    data = _sub(
        BASIC,
        r"<P_6>[\d-]+</P_6>",
        "<OkresFa><P_6_Od>2025-12-10</P_6_Od><P_6_Do>2025-12-01</P_6_Do></OkresFa>",
    )
    assert "period-reversed" in _codes(data)


def test_unreadable_values_become_findings_not_crashes() -> None:
    data = _sub(BASIC, r"<P_15>5000</P_15>", "<P_15>NaN</P_15>")
    report = inspect_bytes(data, today=TODAY)
    assert report.invoice.gross is None
    assert {"xsd", "bad-number"} <= {p.code for p in report.problems}
    data = _sub(BASIC, r"<P_1>2025-12-15</P_1>", "<P_1>2025-02-30</P_1>")
    assert "bad-date" in _codes(data)


def test_hash() -> None:
    digest = sha256_b64(BASIC)
    assert check_hash(BASIC, digest) == []
    (mismatch,) = check_hash(BASIC + b" ", digest)
    assert mismatch.code == "hash-mismatch" and mismatch.is_error
    (invalid,) = check_hash(BASIC, "not base64!")
    assert invalid.code == "hash-invalid"
    report = inspect_bytes(BASIC, expected_sha256=digest, today=TODAY)
    assert exit_code(report) == 0
    report = inspect_bytes(BASIC, expected_sha256=sha256_b64(b"other"), today=TODAY)
    assert exit_code(report) == 2


@pytest.mark.parametrize("sample", ["FA_3_Przykład_21.xml", "FA_3_Przykład_9.xml"])
def test_polish_messages(sample: str, polish: None) -> None:
    data = (FA3_SAMPLES / "mf-official" / sample).read_bytes()
    tampered = re.sub(rb"<P_15>([\d.]+)</P_15>", rb"<P_15>1\g<1></P_15>", data)
    report = inspect_bytes(tampered, today=TODAY)
    (problem,) = [p for p in report.problems if p.code == "gross-mismatch"]
    assert "nie jest sumą kwot netto i VAT" in problem.message

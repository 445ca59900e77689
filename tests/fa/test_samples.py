"""Every shipped FA(3) sample parses, and what the parser reports matches an independent reading."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ksef_tui.core.fa import exit_code, inspect_bytes, parse_invoice, render_json, render_text
from ksef_tui.core.fa.model import FormCode
from tests.fa.helpers import (
    FA3_SAMPLES,
    TODAY,
    UPSTREAM_INVALID,
    expected_summary,
    sample_bytes,
    sample_files,
)

SAMPLES = sample_files()
IDS = [str(p.relative_to(FA3_SAMPLES)) for p in SAMPLES]
JSON_KEYS = {
    "form",
    "kind",
    "number",
    "issue_date",
    "currency",
    "seller",
    "buyer",
    "lines",
    "totals",
    "corrected",
    "valid",
    "problems",
}


def test_there_are_samples() -> None:
    assert len(SAMPLES) >= 40


@pytest.mark.parametrize("path", SAMPLES, ids=IDS)
def test_sample_matches_independent_reading(path: Path) -> None:
    data = sample_bytes(path)
    report = inspect_bytes(data, source=path.name, today=TODAY)
    doc = json.loads(render_json(report))
    assert set(doc) == JSON_KEYS
    expected = expected_summary(data)
    for key, value in expected.items():
        assert doc[key] == value, key
    text = render_text(report)
    totals = expected["totals"]
    assert f"Faktura {expected['number']} " in text, text
    assert f"Netto: {totals['net']}   VAT: {totals['vat']}   Brutto: {totals['gross']}" in text, text


@pytest.mark.parametrize("path", SAMPLES, ids=IDS)
def test_sample_xsd_validity(path: Path) -> None:
    report = inspect_bytes(sample_bytes(path), today=TODAY)
    if path.name in UPSTREAM_INVALID:
        assert not report.valid
        assert any(p.code == "xsd" and p.line for p in report.problems)
        assert exit_code(report) == 2
    else:
        assert report.valid, [p.message for p in report.problems if p.code == "xsd"]


def test_raw_templates_with_placeholders_are_invalid_but_readable() -> None:
    for path in sorted((FA3_SAMPLES / "client-templates").glob("*.xml")):
        report = inspect_bytes(path.read_bytes(), today=TODAY)
        assert report.invoice is not None
        assert not report.valid
        assert exit_code(report) == 2


def test_model_details_of_a_basic_invoice() -> None:
    inv = parse_invoice((FA3_SAMPLES / "mf-official" / "FA_3_Przykład_1.xml").read_bytes()).invoice
    assert inv.form is FormCode.FA3 and inv.variant == 3
    assert inv.issue_place == "Warszawa"
    assert str(inv.sale_date) == "2026-01-27"
    assert inv.seller.address.line1 == "ul. Kwiatowa 1 m. 2"
    assert inv.seller.emails == ("abc@abc.pl",)
    assert inv.buyer.jst is False and inv.buyer.gv is False
    assert [str(x.net) for x in inv.lines] == ["1626.01", "40.65", "0.95"]
    assert [r.code for r in inv.vat_rates] == ["1", "3"]
    assert inv.annotations.split_payment is False and inv.annotations.exemption.applies is False
    assert inv.payment.paid and str(inv.payment.paid_date) == "2026-01-27" and inv.payment.form == "6"
    assert inv.descriptions == (("preferowane godziny dowozu", "dni robocze 17:00 - 20:00"),)
    assert inv.footer.registries[0].krs == "0000099999"
    assert inv.terms.orders[0][1] == "4354343"


def test_model_details_of_a_correction_with_state_before() -> None:
    inv = parse_invoice((FA3_SAMPLES / "ksef2-test-suite" / "KSEF_02_KOR.xml").read_bytes()).invoice
    assert inv.is_correction
    assert inv.correction.type == "3"
    assert inv.correction.reason.startswith("Rabat")
    (ref,) = inv.correction.corrected
    assert ref.number == "FV/2025/12/0001" and ref.ksef_number and not ref.outside_ksef
    assert [x.before_correction for x in inv.lines] == [True, False]


def test_every_kind_is_covered_by_samples() -> None:
    kinds = {parse_invoice(sample_bytes(p)).invoice.kind for p in SAMPLES}
    assert kinds == {"VAT", "KOR", "ZAL", "ROZ", "UPR", "KOR_ZAL", "KOR_ROZ"}


def test_rich_sections_are_read() -> None:
    """Podmiot3 roles, attachments, advances, settlements and foreign currency, across the samples."""
    invoices = [parse_invoice(sample_bytes(p)).invoice for p in SAMPLES]
    assert any(p.role for inv in invoices for p in inv.third_parties)
    assert any(inv.attachment and inv.attachment[0].tables for inv in invoices)
    assert any(inv.advances.advance_invoices for inv in invoices)
    assert any(inv.order is not None and inv.order.lines for inv in invoices)
    assert any(inv.currency != "PLN" for inv in invoices)
    assert any(inv.payment is not None and inv.payment.bank_accounts for inv in invoices)
    assert any(inv.payment is not None and inv.payment.due_dates for inv in invoices)


def test_export_sample_with_wrong_rate_field_is_reported() -> None:
    """KSEF_06_EXP puts a 0% export line ("0 EX") into P_13_6_2 (intra-EU supply): a real defect."""
    data = (FA3_SAMPLES / "ksef2-test-suite" / "KSEF_06_EXP.xml").read_bytes()
    report = inspect_bytes(data, today=TODAY)
    assert report.valid
    assert [p.code for p in report.errors] == ["lines-mismatch"]

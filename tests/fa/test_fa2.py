"""FA(2): no FA(2) sample ships, so one is made from an FA(3) sample and proven valid against FA(2)'s XSD."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from lxml import etree

from ksef_tui.core.fa import exit_code, inspect_bytes, parse_invoice, render_json
from ksef_tui.core.fa.model import FormCode
from ksef_tui.core.fa.parse import NS_FA2, NS_FA3
from ksef_tui.core.fa.xsd import schema_path
from tests.fa.helpers import FA3_SAMPLES, TODAY, expected_summary


def to_fa2(data: bytes) -> bytes:
    """FA(3) -> FA(2): namespace, form code, variant; drop the FA(3)-only JST/GV; FA(2)'s rate codes."""
    text = data.decode("utf-8").replace(NS_FA3, NS_FA2)
    text = text.replace('kodSystemowy="FA (3)"', 'kodSystemowy="FA (2)"')
    text = text.replace(
        "<WariantFormularza>3</WariantFormularza>", "<WariantFormularza>2</WariantFormularza>"
    )
    text = re.sub(r"\s*<(JST|GV)>\d</\1>", "", text)
    text = re.sub(r"<P_12>0 (KR|WDT|EX)</P_12>", "<P_12>0</P_12>", text)
    text = re.sub(r"<P_12>np (I|II)</P_12>", "<P_12>np</P_12>", text)
    return text.encode("utf-8")


FA2_SOURCES = [
    FA3_SAMPLES / "mf-official" / "FA_3_Przykład_1.xml",
    FA3_SAMPLES / "ksef2-test-suite" / "KSEF_02_KOR.xml",
    FA3_SAMPLES / "ksef2-test-suite" / "KSEF_05_WDT.xml",
    FA3_SAMPLES / "ksef2-test-suite" / "KSEF_03_ZAL.xml",
]


@pytest.mark.parametrize("source", FA2_SOURCES, ids=lambda p: p.name)
def test_fa2_invoice(source: Path) -> None:
    data = to_fa2(source.read_bytes())
    # Proof that the test document really is FA(2), with lxml directly (not through our xsd module).
    schema = etree.XMLSchema(etree.parse(str(schema_path(FormCode.FA2))))
    assert schema.validate(etree.fromstring(data)), schema.error_log
    report = inspect_bytes(data, today=TODAY)
    assert report.valid
    assert report.invoice.form is FormCode.FA2 and report.invoice.variant == 2
    doc = json.loads(render_json(report))
    assert doc["form"] == "FA (2)"
    expected = expected_summary(data)
    for key, value in expected.items():
        assert doc[key] == value, key
    assert exit_code(report) in (0, 1)


def test_fa2_zero_rate_is_summed_over_the_0_percent_fields() -> None:
    data = to_fa2((FA3_SAMPLES / "ksef2-test-suite" / "KSEF_05_WDT.xml").read_bytes())
    assert b"<P_12>0</P_12>" in data
    assert "lines-mismatch" not in [p.code for p in inspect_bytes(data, today=TODAY).problems]


def test_fa3_document_in_fa2_namespace_is_invalid_against_fa2() -> None:
    # The namespace alone is not enough: FA(3)'s JST/GV are unknown to FA(2), and the XSD says so.
    data = (
        (FA3_SAMPLES / "mf-official" / "FA_3_Przykład_1.xml")
        .read_bytes()
        .replace(NS_FA3.encode(), NS_FA2.encode())
    )
    report = inspect_bytes(data, today=TODAY)
    assert parse_invoice(data).invoice.form is FormCode.FA2
    assert not report.valid and exit_code(report) == 2
    assert all(p.line for p in report.problems if p.code == "xsd")

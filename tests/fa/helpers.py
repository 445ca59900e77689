"""Helpers for the FA tests. Expected values are computed here with the standard library's
ElementTree, independently of ksef_tui.core.fa, so the parser is checked against a second reading."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import date
from decimal import Decimal
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"
FA3_SAMPLES = DATA / "samples" / "fa3"
TODAY = date(2026, 11, 21)  # a fixed clock for date checks

# Valid NIPs (checksums verified by tests/test_core_ids.py's rules) for template placeholders.
NIP_SELLER = "5260250274"
NIP_BUYER = "7740001454"
NIP_OTHER = "5261040828"
# One of the templates is broken upstream even after substitution (tests/data/samples/README.md).
UPSTREAM_INVALID = {"csharp__invoice-template-fa-3-with-multiple-Subject3.xml"}

_PLACEHOLDERS = {
    "#nip#": NIP_SELLER,
    "#nip_podmiot1#": NIP_SELLER,
    "#nip_podmiot2#": NIP_BUYER,
    "#nipOdbiorca#": NIP_BUYER,
    "#subject2nip#": NIP_BUYER,
    "#selfInvocingNip#": NIP_BUYER,
    "#nip1_podmiot3#": NIP_OTHER,
    "#nip2_podmiot3#": NIP_OTHER,
    "#idwew1_podmiot3#": f"{NIP_OTHER}-00001",
    "#idwew2_podmiot3#": f"{NIP_OTHER}-00002",
    "#subject3IdentifierValue#": f"<NIP>{NIP_OTHER}</NIP>",
    "#invoice_number#": "0001",
    "#invoicing_date#": "2025-09-01",
}


def sample_files() -> list[Path]:
    return sorted(FA3_SAMPLES.rglob("*.xml"))


def substitute(data: bytes) -> bytes:
    text = data.decode("utf-8")
    for key, value in _PLACEHOLDERS.items():
        text = text.replace(key, value)
    left = re.findall(r"#[A-Za-z_0-9]+#", text)
    assert not left, f"unknown placeholders: {left}"
    return text.encode("utf-8")


def sample_bytes(path: Path) -> bytes:
    data = path.read_bytes()
    return substitute(data) if path.parent.name == "client-templates" else data


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def expected_summary(data: bytes) -> dict:
    """Totals and counts read with ElementTree, following the issue's definitions literally."""
    root = ET.fromstring(data)
    fa = next(el for el in root if _local(el.tag) == "Fa")
    net = Decimal(0)
    vat = Decimal(0)
    gross = None
    for el in fa:
        name = _local(el.tag)
        if name.startswith("P_13_"):
            net += Decimal(el.text.strip())
        elif name.startswith("P_14_") and not name.endswith("W"):
            vat += Decimal(el.text.strip())
        elif name == "P_15":
            gross = Decimal(el.text.strip())
    fa_lines = [el for el in fa if _local(el.tag) == "FaWiersz"]
    order_lines = [el for el in fa.iter() if _local(el.tag) == "ZamowienieWiersz"]
    corrected = []
    for el in fa:
        if _local(el.tag) == "DaneFaKorygowanej":
            fields = {_local(c.tag): (c.text or "").strip() for c in el}
            corrected.append(fields.get("NrKSeFFaKorygowanej") or fields["NrFaKorygowanej"])

    def party(tag: str) -> dict:
        el = next(e for e in root if _local(e.tag) == tag)
        ident = next(e for e in el if _local(e.tag) == "DaneIdentyfikacyjne")
        fields = {_local(c.tag): (c.text or "").strip() for c in ident}
        return {"nip": fields.get("NIP"), "name": fields.get("Nazwa", "")}

    def text(name: str) -> str | None:
        el = next((e for e in fa if _local(e.tag) == name), None)
        return None if el is None else el.text.strip()

    return {
        "form": root.find("./{*}Naglowek/{*}KodFormularza").get("kodSystemowy"),
        "kind": text("RodzajFaktury"),
        "number": text("P_2"),
        "issue_date": text("P_1"),
        "currency": text("KodWaluty"),
        "seller": party("Podmiot1"),
        "buyer": party("Podmiot2"),
        "lines": len(fa_lines) or len(order_lines),
        "totals": {
            "net": f"{net:.2f}",
            "vat": f"{vat:.2f}",
            "gross": None if gross is None else f"{gross:.2f}",
        },
        "corrected": corrected,
    }

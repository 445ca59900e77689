"""Unit tests: status texts, UPO parsing and hash verification, safe paths."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ksef_tui.core.i18n import set_language
from ksef_tui.core.safe_paths import safe_component, upo_path
from ksef_tui.core.session_status import (
    BATCH_SESSION,
    INVOICE,
    ONLINE_SESSION,
    StatusGroup,
    invoice_text,
    session_text,
    status_group,
)
from ksef_tui.core.upo import UpoError, UpoHashMismatch, parse_upo, sha256_b64, verify_hash

NOTES = Path(__file__).resolve().parents[2] / "docs" / "KSEF-API-NOTES.md"
SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples" / "upo"


def _codes(label: str) -> set[int]:
    """The codes API-NOTES §8 lists after `label` (e.g. '- Online:')."""
    text = NOTES.read_text(encoding="utf-8")
    section = text[text.index("## 8.") : text.index("## 9.")]
    start = section.index(label)
    chunk = section[start : section.index("\n-", start + 1) if "\n-" in section[start + 1 :] else None]
    if label.startswith("Invoice"):
        chunk = section[start:]
    return {int(c) for c in re.findall(r"\b([1-5]\d\d)\b", chunk.split("\n\n")[0])}


def test_every_session_code_of_the_notes_has_a_text() -> None:
    online = _codes("- Online:")
    batch = _codes("- Batch:")
    assert online == {100, 170, 200, 415, 440, 445}
    assert batch == {100, 150, 200, 405, 415, 420, 430, 435, 440, 445, 500}
    assert online <= set(ONLINE_SESSION)
    assert batch <= set(BATCH_SESSION)


def test_every_invoice_code_of_the_notes_has_a_text() -> None:
    codes = _codes("Invoice status codes:")
    assert {100, 150, 200, 405, 410, 415, 430, 435, 440, 450, 500, 550} <= codes
    assert codes <= set(INVOICE)


@pytest.mark.parametrize("table", [ONLINE_SESSION, BATCH_SESSION, INVOICE])
def test_every_text_has_meaning_and_action_in_polish(table: dict) -> None:
    set_language("pl")
    for code, english in table.items():
        polish = english.translated()
        for field in ("label", "meaning", "action"):
            assert getattr(english, field), (code, field)
            assert getattr(polish, field) != getattr(english, field), (code, field, "untranslated")


def test_unknown_codes_are_said_to_be_unknown() -> None:
    set_language("en")
    assert session_text("Online", 999).label == "unknown status"
    assert invoice_text(None).label == "unknown status"
    assert session_text("Batch", 405).label == "package verification error"
    assert session_text("Online", 440).label == "cancelled (no invoices)"


def test_status_groups_match_the_sessions_filter() -> None:
    assert status_group(100) is StatusGroup.IN_PROGRESS
    assert status_group(170) is StatusGroup.IN_PROGRESS
    assert status_group(200) is StatusGroup.SUCCEEDED
    assert status_group(440) is StatusGroup.CANCELLED
    assert status_group(445) is StatusGroup.FAILED


@pytest.mark.parametrize("sample", sorted(SAMPLES.glob("*.xml")), ids=lambda p: p.name)
def test_every_sample_upo_parses(sample: Path) -> None:
    receipt = parse_upo(sample.read_bytes())
    assert receipt.issuer.startswith("Ministerstwo Finansów")
    assert re.fullmatch(r"[0-9A-F-]{20,}", receipt.session_reference)
    assert receipt.context_kind in ("Nip", "IdWewnetrzny", "IdZlozonyVatUE", "IdDostawcyUslugPeppol")
    assert receipt.context_value
    assert receipt.auth_kind in ("token", "document") and receipt.auth_value
    assert receipt.documents
    for doc in receipt.documents:
        assert re.fullmatch(r"\d{10}", doc.seller_nip)
        assert doc.ksef_number.startswith(doc.seller_nip)
        assert doc.invoice_number and doc.hash and doc.issue_date is not None
        assert doc.ksef_number_at is not None and doc.mode in ("Online", "Offline")


def test_test_issuer_name_and_signature_are_accepted() -> None:
    te = next(p for p in SAMPLES.glob("*.xml") if b"testowe" in p.read_bytes())
    receipt = parse_upo(te.read_bytes())
    assert receipt.is_test_issuer
    signed = te.read_bytes().replace(
        b"</Potwierdzenie>",
        b'<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo/></ds:Signature>'
        b"</Potwierdzenie>",
    )
    again = parse_upo(signed)
    assert again.signed and again.documents == receipt.documents


def test_not_a_upo_is_refused() -> None:
    with pytest.raises(UpoError):
        parse_upo(b"not xml")
    with pytest.raises(UpoError):
        parse_upo(b"<Faktura/>")


def test_hash_verification_rejects_a_tampered_upo() -> None:
    content = next(SAMPLES.glob("*.xml")).read_bytes()
    declared = sha256_b64(content)
    assert verify_hash(content, declared) == declared
    tampered = content.replace(b"<TrybWysylki>Online", b"<TrybWysylki>Offline", 1)
    assert tampered != content
    with pytest.raises(UpoHashMismatch):
        verify_hash(tampered, declared)


def test_safe_paths_stay_inside_the_folder() -> None:
    root = Path("/upo")
    when = datetime(2026, 11, 3, tzinfo=UTC)
    path = upo_path(root, "../../etc", when, "../../passwd\x00")
    assert path.parts[:2] == ("/", "upo") and ".." not in path.parts
    assert path.parent.name == "2026-11"
    assert upo_path(root, "ABC", when, "20261103-SO-1", page=2).name == "20261103-SO-1-p2.xml"
    assert safe_component("CON") == "_CON"
    assert safe_component("") == "_"
    assert safe_component(".hidden") == "hidden"
    assert safe_component("Łódź/Ż") == "Lodz_Z"

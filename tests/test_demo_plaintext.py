"""Issue 2: after seeding the demo, a byte scan of the store folder finds nothing sensitive in clear.

The scan covers the database, its WAL and shared-memory files, and every other file in the folder,
looking for each needle in UTF-8 and UTF-16-LE.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from ksef_tui.core.nip import format_nip
from ksef_tui.demo import prepare_demo
from ksef_tui.store import KdfLimits

from .store.plaintext_scan import find_plaintext

NOW = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)


def _needles(demo) -> list[str]:  # type: ignore[no-untyped-def]
    needles: set[str] = set()
    for entry in demo.roster:
        needles.add(entry.name)
        needles.add(entry.short_code)
        for nip in entry.nips:
            needles.update({nip, format_nip(nip)})
        for cred in entry.credentials:
            if cred.token:
                needles.add(cred.token)
                needles.add(cred.token.rsplit("|", 1)[1])  # the secret part alone
    for nip in list(demo.world.taxpayers)[:5]:
        tp = demo.world.taxpayers[nip]
        for cert in tp.certificates:
            body = "".join(cert.private_key_pem.strip().splitlines()[1:-1])
            needles.add(body[:48])
    # Amounts and invoice numbers of the sessions the demo seeds (gross amounts with cents).
    amounts = 0
    for session in list(demo.world.sessions.values())[:40]:
        for inv in getattr(session, "invoices", [])[:5]:
            gross = getattr(inv, "gross", None)
            if isinstance(gross, Decimal) and abs(gross) >= 100:
                needles.add(f"{gross:.2f}")
                amounts += 1
            number = getattr(inv, "number", None)
            if number:
                needles.add(number)
    return sorted(n for n in needles if len(n) >= 5)


def test_seeded_demo_store_has_no_plaintext(tmp_path: Path) -> None:
    demo = prepare_demo(NOW, kdf=KdfLimits.FAST_FOR_TESTS, home=tmp_path / "demo")
    needles = _needles(demo)
    assert len(needles) > 150
    files = [p.name for p in (tmp_path / "demo").rglob("*") if p.is_file()]
    assert any(name.endswith(".db") or name.endswith(".sqlite") for name in files), files
    assert find_plaintext(tmp_path / "demo", needles) == []


def test_the_scan_would_see_plaintext(tmp_path: Path) -> None:
    """The check can fail: a name written in clear next to the store is found."""
    demo = prepare_demo(NOW, kdf=KdfLimits.FAST_FOR_TESTS, home=tmp_path / "demo")
    leak = demo.roster[0].name
    (tmp_path / "demo" / "leak.txt").write_text(f"x {leak} y", encoding="utf-16-le")
    assert find_plaintext(tmp_path / "demo", [leak]) == [("leak.txt", leak)]

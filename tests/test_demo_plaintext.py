"""Issue 2 (and issue 17 item 9): after seeding the demo, a byte scan of the store folder finds nothing
sensitive in clear: names, short codes, NIPs, tokens, certificate keys, and the invoice numbers and
amounts of the seeded invoices.

The scan covers the database, its WAL and shared-memory files (scanned while the store is open, so the
WAL holds the latest writes) and every other file in the folder, looking for each needle in UTF-8 and
UTF-16-LE. Amounts are looked for in every form they might be written: `1234.56`, `1234,56`,
`1 234,56` (space or no-break space), and invoice numbers as the text on the invoice.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from ksef_tui.core.ksef_sessions import SessionFilter
from ksef_tui.core.nip import format_nip
from ksef_tui.demo import DEMO_PASSPHRASE, Demo, prepare_demo
from ksef_tui.store import KdfLimits, Store

from .store.plaintext_scan import find_plaintext

NOW = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
INVOICES_WITH_BODIES = 60  # generating FA XML costs a few ms each; this many is plenty of needles


def amount_forms(value: Decimal) -> set[str]:
    """`1234.56`, `1234,56`, `1 234,56` and `1\u00a0234,56` (no thousands separator below 1000)."""
    plain = f"{value:.2f}"
    whole, cents = plain.split(".")
    grouped = f"{int(whole):,}".replace(",", " ") if not whole.startswith("-") else whole
    forms = {plain, f"{whole},{cents}", f"{grouped},{cents}", f"{grouped.replace(' ', chr(0xA0))},{cents}"}
    return {f for f in forms if len(f) >= 6}  # "100.00" and up: shorter runs could occur by chance


def _roster_needles(demo: Demo) -> set[str]:
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
    return needles


def _store_invoice_bodies(store: Store, demo: Demo) -> tuple[set[str], set[str]]:
    """Put the FA XML of some seeded invoices into the store (as downloading them would) and return
    (invoice and KSeF numbers of every invoice the demo seeded, amount needles of those bodies)."""
    numbers: set[str] = set()
    amounts: set[str] = set()
    with_body = 0
    for session in store.ksef_sessions.page(SessionFilter(), 0, 10_000):
        world_session = demo.world.sessions[session.reference]
        by_reference = {inv.reference: inv for inv in world_session.invoices}
        for record in store.ksef_sessions.invoices(session.id):  # type: ignore[arg-type]
            if record.invoice_number:
                numbers.add(record.invoice_number)
            if record.ksef_number:
                numbers.add(record.ksef_number)
            invoice = by_reference.get(record.reference)
            if invoice is None or with_body >= INVOICES_WITH_BODIES or not invoice.accepted:
                continue
            store.documents.put(session.client_id, "invoice", invoice.ksef_number, invoice.body)
            with_body += 1
            for value in invoice.amounts:
                if abs(value) >= 100:
                    amounts |= amount_forms(value)
    return numbers, amounts


def test_seeded_demo_store_has_no_plaintext(tmp_path: Path) -> None:
    home = tmp_path / "demo"
    demo = prepare_demo(NOW, kdf=KdfLimits.FAST_FOR_TESTS, home=home)
    store = Store.open(home, DEMO_PASSPHRASE)
    try:
        numbers, amounts = _store_invoice_bodies(store, demo)
        needles = sorted(n for n in _roster_needles(demo) | numbers | amounts if len(n) >= 5)
        # The check must really be checking invoices: numbers of the seeded sessions, amounts of the bodies.
        assert sum(1 for n in numbers if n.startswith("FV/")) >= 50, numbers
        assert len(numbers) >= 300, len(numbers)
        assert len(amounts) >= 3 * INVOICES_WITH_BODIES, len(amounts)
        assert any(" " in a for a in amounts) and any("." in a for a in amounts)
        assert len(needles) > 400
        # While open: the WAL and the shared-memory file hold the latest writes.
        files = {p.name for p in home.iterdir() if p.is_file()}
        assert {"ksef-tui.db", "ksef-tui.db-wal", "ksef-tui.db-shm"} <= files, files
        assert (home / "ksef-tui.db-wal").stat().st_size > 0
        assert find_plaintext(home, needles) == []
    finally:
        store.close()
    assert find_plaintext(home, needles) == []


def test_the_scan_would_see_plaintext(tmp_path: Path) -> None:
    """The check can fail: a name, an invoice number or an amount in clear next to the store is found."""
    demo = prepare_demo(NOW, kdf=KdfLimits.FAST_FOR_TESTS, home=tmp_path / "demo")
    leak = demo.roster[0].name
    text = f"x {leak} y FV/7/11/2026 1\u00a0234,56"
    (tmp_path / "demo" / "leak.txt").write_text(text, encoding="utf-16-le")
    needles = [leak, "FV/7/11/2026", *sorted(amount_forms(Decimal("1234.56")))]
    assert find_plaintext(tmp_path / "demo", needles) == [
        ("leak.txt", leak),
        ("leak.txt", "FV/7/11/2026"),
        ("leak.txt", "1\u00a0234,56"),
    ]
    assert amount_forms(Decimal("1234.56")) == {"1234.56", "1234,56", "1 234,56", "1\u00a0234,56"}

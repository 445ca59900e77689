"""Issue 17 item 10: `backup` with SQLite's online backup API (consistent while another process writes,
still sealed, 0600, never over an existing file unless asked) and `restore` (checked and opened with the
passphrase before anything is replaced; the replaced store kept aside; refused while the store is open)."""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from store_helpers import (
    FIXED_NOW,
    PASSPHRASE,
    client,
    hold_store_worker,
    keep_adding_clients_worker,
    ok_check,
    raw,
    token_for,
)

from ksef_tui.core.clock import fixed_clock
from ksef_tui.core.ksef_sessions import SessionFilter, SessionInvoiceRecord, SessionRecord
from ksef_tui.core.models import SyncState
from ksef_tui.store import KdfLimits, Store, StoreError, WrongPassphrase
from ksef_tui.store.backup import SIDE_COPY_MARK, backup_store, restore_store
from ksef_tui.store.errors import StoreInUse
from ksef_tui.store.paths import DB_FILENAME

SPAWN = multiprocessing.get_context("spawn")  # a fresh interpreter: no SQLite handle inherited
RESTORE_CLOCK = fixed_clock(datetime(2026, 3, 5, 14, 7, 9, tzinfo=UTC))
SIDE_NAME = f"{DB_FILENAME}{SIDE_COPY_MARK}20260305T140709Z"


def _seed_everything(store: Store, clients: int = 3) -> dict[str, object]:
    """One of every kind of sealed value; returns what each should read back as."""
    expected: dict[str, object] = {"upo": {}, "invoice": {}}
    for n in range(1, clients + 1):
        c = store.clients.add(client(n))
        assert c.id is not None
        cred = store.credentials.add(token_for(c.id, n))
        store.checks.record(ok_check(c.id, cred.id, FIXED_NOW))  # type: ignore[arg-type]
        store.sync_state.set(SyncState(c.id, last_attempt=FIXED_NOW, last_error=f"błąd {n}"))
        reference = f"20260302-SO-{n:010d}-ABCDEF0123-{n:02d}"
        session = SessionRecord(
            client_id=c.id,
            reference=reference,
            kind="Online",
            status_code=200,
            opened=FIXED_NOW - timedelta(days=n),
            status_description="Sesja przetworzona",
            invoices_total=1,
            invoices_accepted=1,
            upo_pages=1,
        )
        invoice = SessionInvoiceRecord(
            session_id=0,
            client_id=c.id,
            reference=f"{reference}-EE",
            status_code=200,
            ordinal=1,
            invoice_number=f"FV/{n}/03/2026",
            ksef_number=f"{c.nips[0]}-20260302-0A1B2C3D4E5F-{n:02d}",
            acquired=FIXED_NOW,
        )
        store.ksef_sessions.store_sessions_with_invoices([(session, [invoice])])
        upo = f"<UPO><Numer>{reference}</Numer></UPO>".encode()
        store.documents.put(c.id, "upo", reference, upo)
        body = f"<Faktura><P_2>FV/{n}/03/2026</P_2><P_15>{1000 + n}.50</P_15></Faktura>".encode()
        store.documents.put(c.id, "invoice", invoice.ksef_number or "", body, {"kwota": f"{1000 + n}.50"})
        expected["upo"][(c.id, reference)] = upo  # type: ignore[index]
        expected["invoice"][(c.id, invoice.ksef_number)] = body  # type: ignore[index]
    store.settings.set("warn_days", 30)
    return expected


def _open_every_sealed_value(store: Store) -> dict[str, int]:
    """Read and decrypt every client, NIP, credential (secrets included), check, sync state, session,
    session invoice, document (UPOs and invoices), setting and audit entry; count each kind."""
    counts = dict.fromkeys(("clients", "credentials", "checks", "sessions", "invoices", "documents"), 0)
    clients = store.clients.list()
    counts["clients"] = len(clients)
    credentials = store.credentials.all()
    for c in clients:
        assert c.name.startswith("Przedsiębiorstwo") and c.notes.startswith("notatka"), c
        assert all(len(nip) == 10 and nip.isdigit() for nip in c.nips)
        for cred in credentials.get(c.id, []):  # type: ignore[arg-type]
            assert cred.secret.endswith("abcdef") and cred.label.startswith("token")
            counts["credentials"] += 1
        counts["checks"] += len(store.checks.latest(c.id))  # type: ignore[arg-type]
        store.sync_state.get(c.id)  # type: ignore[arg-type]
        for kind in ("upo", "invoice"):
            for key in store.documents.keys(c.id, kind):  # type: ignore[arg-type]
                assert store.documents.get(c.id, kind, key)  # type: ignore[arg-type]
                store.documents.meta(c.id, kind, key)  # type: ignore[arg-type]
                counts["documents"] += 1
    for session in store.ksef_sessions.page(SessionFilter(), 0, 10_000):
        assert session.reference.startswith("20260302-SO-") and not session.damaged
        for inv in store.ksef_sessions.invoices(session.id):  # type: ignore[arg-type]
            assert inv.invoice_number and inv.invoice_number.startswith("FV/") and not inv.damaged
            counts["invoices"] += 1
        counts["sessions"] += 1
    store.settings.get("warn_days")
    assert store.audit.list(limit=100_000)
    assert store.damaged == [], store.damaged
    assert store.integrity_check()
    return counts


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def seeded(store: Store) -> Iterator[tuple[Store, dict[str, object]]]:
    yield store, _seed_everything(store)


# -- the done-when test ------------------------------------------------------------------------------------


def test_backup_while_another_process_writes_restores_with_every_value_open(
    seeded: tuple[Store, dict[str, object]], home: Path, tmp_path: Path
) -> None:
    store, expected = seeded
    started, stop = SPAWN.Event(), SPAWN.Event()
    writer = SPAWN.Process(target=keep_adding_clients_worker, args=(str(home), "W", started, stop))
    writer.start()
    try:
        assert started.wait(120), "the writer never started"
        assert writer.is_alive()  # still in its write loop: `stop` is not set yet
        backup = tmp_path / "office.ksef-backup"
        backup_store(store, backup)
    finally:
        stop.set()
        writer.join(120)
    assert writer.exitcode == 0
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert not Path(str(backup) + "-wal").exists()  # one self-contained file
    final_clients = store.count_clients()
    store.close()

    fresh = tmp_path / "fresh-machine" / "ksef-tui"
    result = restore_store(fresh, backup, PASSPHRASE, clock=RESTORE_CLOCK)
    assert result.side_copy is None
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o700
    assert sorted(p.name for p in fresh.iterdir()) == [DB_FILENAME]
    restored = Store.open(fresh, PASSPHRASE)
    counts = _open_every_sealed_value(restored)
    assert 3 + 5 <= counts["clients"] <= final_clients
    assert counts["clients"] == result.clients
    assert counts["credentials"] in (counts["clients"], counts["clients"] - 1)  # a client a moment old
    assert counts["sessions"] == counts["invoices"] == counts["checks"] == 3
    assert counts["documents"] == 6
    for (client_id, reference), body in expected["upo"].items():  # type: ignore[attr-defined]
        assert restored.documents.get(client_id, "upo", reference) == body
    for (client_id, number), body in expected["invoice"].items():  # type: ignore[attr-defined]
        assert restored.documents.get(client_id, "invoice", number) == body
    assert restored.settings.get("warn_days") == 30
    assert restored.audit.list(limit=1)[0].action == "store_restored"
    restored.close()


# -- backup ------------------------------------------------------------------------------------------------


def test_backup_is_private_sealed_and_never_overwrites_unless_asked(
    seeded: tuple[Store, dict[str, object]], tmp_path: Path
) -> None:
    store, _expected = seeded
    target = tmp_path / "kopia.db"
    old_umask = os.umask(0o002)  # a lax umask must not loosen the backup
    try:
        backup_store(store, target)
    finally:
        os.umask(old_umask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    header = target.read_bytes()[:100]
    assert header[18:20] == b"\x01\x01"  # rollback journal: no -wal needed beside it
    assert b"Przedsi" not in target.read_bytes()  # still sealed
    first = _sha(target)

    store.clients.add(client(9))
    with pytest.raises(StoreError, match="--force"):
        backup_store(store, target)
    assert _sha(target) == first
    backup_store(store, target, overwrite=True)
    assert _sha(target) != first and stat.S_IMODE(target.stat().st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []  # no .part left


def test_backup_never_follows_a_planted_symlink(
    seeded: tuple[Store, dict[str, object]], tmp_path: Path
) -> None:
    store, _expected = seeded
    victim = tmp_path / "victim.txt"
    victim.write_text("nie ruszać", encoding="utf-8")
    link = tmp_path / "backup.db"
    link.symlink_to(victim)
    with pytest.raises(StoreError):
        backup_store(store, link)
    backup_store(store, link, overwrite=True)  # replaces the link itself
    assert victim.read_text(encoding="utf-8") == "nie ruszać"
    assert not link.is_symlink() and stat.S_IMODE(link.stat().st_mode) == 0o600


def test_backup_opens_with_the_passphrase_it_was_taken_with(store: Store, home: Path, tmp_path: Path) -> None:
    store.clients.add(client(1))
    backup_store(store, tmp_path / "before.db")
    store.change_passphrase(PASSPHRASE, "nowe hasło 2026")
    store.close()
    with pytest.raises(WrongPassphrase):
        restore_store(tmp_path / "elsewhere", tmp_path / "before.db", "nowe hasło 2026")
    result = restore_store(tmp_path / "elsewhere", tmp_path / "before.db", PASSPHRASE)
    assert result.clients == 1


# -- restore -----------------------------------------------------------------------------------------------


def test_restore_replaces_the_store_and_keeps_the_old_one_aside(
    seeded: tuple[Store, dict[str, object]], home: Path, tmp_path: Path
) -> None:
    store, _expected = seeded
    backup_store(store, tmp_path / "monday.db")
    store.clients.add(client(7))  # written after the backup
    store.close()
    before = _sha(home / DB_FILENAME)

    result = restore_store(home, tmp_path / "monday.db", PASSPHRASE, clock=RESTORE_CLOCK)
    assert result.clients == 3
    assert result.side_copy == home / SIDE_NAME
    assert stat.S_IMODE(result.side_copy.stat().st_mode) == 0o600
    assert sorted(p.name for p in home.iterdir()) == [DB_FILENAME, SIDE_NAME]
    restored = Store.open(home, PASSPHRASE)
    assert [c.short_code for c in restored.clients.list()] == ["K00001", "K00002", "K00003"]
    assert _open_every_sealed_value(restored)["documents"] == 6
    restored.close()
    # The side copy is the replaced store, whole: it still holds the client added after the backup.
    aside = tmp_path / "aside"
    aside.mkdir(mode=0o700)
    os.link(result.side_copy, aside / DB_FILENAME)
    old = Store.open(aside, PASSPHRASE)
    assert [c.short_code for c in old.clients.list()][-1] == "K00007"
    old.close()
    assert _sha(home / DB_FILENAME) != before

    # A second restore in the same second gets its own side copy, never over the first.
    second = restore_store(home, tmp_path / "monday.db", PASSPHRASE, clock=RESTORE_CLOCK)
    assert second.side_copy == home / (SIDE_NAME + "-2")


@pytest.mark.parametrize("problem", ["not sqlite", "not ours", "truncated", "wrong passphrase", "missing"])
def test_restore_refuses_a_bad_backup_and_changes_nothing(
    seeded: tuple[Store, dict[str, object]], home: Path, tmp_path: Path, problem: str
) -> None:
    store, _expected = seeded
    backup = tmp_path / "bad.db"
    backup_store(store, backup)
    store.close()
    passphrase = PASSPHRASE
    if problem == "not sqlite":
        backup.write_bytes(b"PK\x03\x04 a zip, not a store" * 100)
    elif problem == "not ours":
        backup.unlink()
        other = raw(backup)
        other.execute("CREATE TABLE t (x)")
        other.close()
    elif problem == "truncated":
        os.truncate(backup, backup.stat().st_size // 2)
    elif problem == "wrong passphrase":
        passphrase = "nie to hasło"
    else:
        backup.unlink()
    before = {p.name: _sha(p) for p in home.iterdir()}
    with pytest.raises(StoreError):
        restore_store(home, backup, passphrase, clock=RESTORE_CLOCK)
    assert {p.name: _sha(p) for p in home.iterdir()} == before  # no side copy, no staging left behind


def test_restore_is_refused_while_another_process_has_the_store_open(
    seeded: tuple[Store, dict[str, object]], home: Path, tmp_path: Path, polish_from_source: None
) -> None:
    store, _expected = seeded
    backup_store(store, tmp_path / "kopia.db")
    store.close()
    opened, release = SPAWN.Event(), SPAWN.Event()
    holder = SPAWN.Process(target=hold_store_worker, args=(str(home), opened, release))
    holder.start()
    try:
        assert opened.wait(120)
        before = {p.name: _sha(p) for p in home.iterdir() if p.name == DB_FILENAME}
        with pytest.raises(StoreInUse) as refused:
            restore_store(home, tmp_path / "kopia.db", PASSPHRASE, clock=RESTORE_CLOCK)
        assert str(refused.value) == "Magazyn jest otwarty w innym ksef-tui; zamknij go i spróbuj ponownie."
        assert {p.name: _sha(p) for p in home.iterdir() if p.name == DB_FILENAME} == before
        assert not any(SIDE_COPY_MARK in p.name or p.name.startswith(".") for p in home.iterdir())
    finally:
        release.set()
        holder.join(120)
    assert holder.exitcode == 0
    assert restore_store(home, tmp_path / "kopia.db", PASSPHRASE, clock=RESTORE_CLOCK).clients == 3


def test_restore_over_a_store_sqlite_cannot_read(
    seeded: tuple[Store, dict[str, object]], home: Path, tmp_path: Path
) -> None:
    """The usual reason to restore: the store is damaged. Its bytes are kept aside all the same."""
    store, _expected = seeded
    backup_store(store, tmp_path / "kopia.db")
    store.close()
    live = home / DB_FILENAME
    os.truncate(live, live.stat().st_size // 3)
    damaged = _sha(live)
    result = restore_store(home, tmp_path / "kopia.db", PASSPHRASE, clock=RESTORE_CLOCK)
    assert result.side_copy is not None and _sha(result.side_copy) == damaged
    assert stat.S_IMODE(result.side_copy.stat().st_mode) == 0o600
    restored = Store.open(home, PASSPHRASE)
    assert _open_every_sealed_value(restored)["clients"] == 3
    restored.close()


# -- the commands ------------------------------------------------------------------------------------------


def test_backup_and_restore_commands(
    seeded: tuple[Store, dict[str, object]], home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ksef_tui.__main__ import cli

    store, _expected = seeded
    store.close()
    monkeypatch.setenv("KSEF_TUI_HOME", str(home))
    monkeypatch.setenv("KSEF_TUI_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("KSEF_TUI_LANG", "pl")
    runner = CliRunner()
    target = tmp_path / "kopia.db"

    done = runner.invoke(cli, ["backup", str(target)])
    assert done.exit_code == 0, done.output
    assert "3" in done.output and stat.S_IMODE(target.stat().st_mode) == 0o600
    again = runner.invoke(cli, ["backup", str(target)])
    assert again.exit_code == 3 and "--force" in again.output
    assert runner.invoke(cli, ["backup", "--force", str(target)]).exit_code == 0

    wrong = runner.invoke(cli, ["restore", str(target)], env={"KSEF_TUI_PASSPHRASE": "zło"})
    assert wrong.exit_code == 3 and "Nieprawidłowe hasło" in wrong.output
    missing = runner.invoke(cli, ["restore", str(tmp_path / "nie-ma.db")])
    assert missing.exit_code == 3
    restored = runner.invoke(cli, ["restore", str(target)])
    assert restored.exit_code == 0, restored.output
    assert any(SIDE_COPY_MARK in p.name for p in home.iterdir())

    elsewhere = {"KSEF_TUI_HOME": str(tmp_path / "n")}
    no_store = runner.invoke(cli, ["backup", str(tmp_path / "x.db")], env=elsewhere)
    assert no_store.exit_code == 3


def test_fast_test_limits_are_what_these_stores_use(store: Store) -> None:
    """Restores above open stores made with the test limits; the cap allows them (MIN <= FAST <= MODERATE)."""
    assert store.kdf_limits == KdfLimits.FAST_FOR_TESTS and KdfLimits.FAST_FOR_TESTS.is_sane()

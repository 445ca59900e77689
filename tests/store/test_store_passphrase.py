"""Passphrases: a wrong one is refused loudly and changes nothing; a change rewraps one slot only."""

from __future__ import annotations

import hashlib
import inspect
import os
from pathlib import Path

import pytest
from nacl.pwhash import argon2id
from store_helpers import PASSPHRASE, client, ok_check, raw, token_for

from ksef_tui.core.models import SyncState
from ksef_tui.store import KdfLimits, Store, StoreError, WrongPassphrase
from ksef_tui.store.paths import DB_FILENAME


def _snapshot(home: Path) -> dict[str, tuple[str, int, int]]:
    """Every file in home: content hash, mtime (ns) and mode."""
    return {
        p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns, p.stat().st_mode)
        for p in sorted(home.iterdir())
    }


def test_wrong_passphrase_is_refused_in_polish_and_changes_nothing(
    store: Store, home: Path, polish_from_source: None
) -> None:
    store.clients.add(client(1))
    store.close()
    for p in home.iterdir():  # back-date every file, so any write shows in the mtime (no waiting)
        os.utime(p, ns=(1_000_000_000_000_000_000, 1_000_000_000_000_000_000))
    before = _snapshot(home)
    with pytest.raises(WrongPassphrase) as refused:
        Store.open(home, PASSPHRASE + "x")
    assert str(refused.value) == "Nieprawidłowe hasło. Niczego nie zmieniono."
    assert _snapshot(home) == before
    # Also while the store is open in this process and merely locked.
    again = Store.open(home, PASSPHRASE)
    again.lock()
    with pytest.raises(WrongPassphrase):
        again.unlock("Żółta łódź 2025!")
    assert again.is_locked
    again.unlock(PASSPHRASE)
    assert [c.short_code for c in again.clients.list()] == ["K00001"]
    again.close()


def test_empty_passphrase_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError):
        Store.create(tmp_path / "h", "", kdf=KdfLimits.FAST_FOR_TESTS)
    assert not Store.exists(tmp_path / "h")


def test_passphrase_is_unicode_normalised(tmp_path: Path) -> None:
    composed, decomposed = "Łódź\u00f3", "Łódz\u0301o\u0301"
    s = Store.create(tmp_path / "h", composed, kdf=KdfLimits.FAST_FOR_TESTS)
    s.close()
    Store.open(tmp_path / "h", decomposed).close()


def test_change_passphrase_keeps_every_value_readable_and_touches_one_row(store: Store, home: Path) -> None:
    c = store.clients.add(client(1))
    cred = store.credentials.add(token_for(c.id, 1))  # type: ignore[arg-type]
    store.checks.record(ok_check(c.id, cred.id, cred.created))  # type: ignore[arg-type]
    store.sync_state.set(SyncState(client_id=c.id, last_error="błąd"))  # type: ignore[arg-type]
    store.settings.set("warn_days", 30)
    store.documents.put(c.id, "invoice", "K1", b"<Faktura/>", {"kwota": "1.00"})  # type: ignore[arg-type]
    board_before = store.board_rows()
    conn = raw(home / DB_FILENAME)
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
        )
        if r[0] not in ("key_slots", "audit_log")  # audit_log: one entry is appended, none changed
    ]
    dump_before = {t: conn.execute(f"SELECT * FROM [{t}] ORDER BY 1").fetchall() for t in tables}
    slot_before = conn.execute("SELECT salt, wrapped_key FROM key_slots").fetchall()
    audit_before = conn.execute("SELECT * FROM audit_log").fetchall()

    with pytest.raises(WrongPassphrase):
        store.change_passphrase("nie to hasło", "nowe hasło 1")
    assert conn.execute("SELECT salt, wrapped_key FROM key_slots").fetchall() == slot_before

    store.change_passphrase(PASSPHRASE, "nowe hasło 1")
    assert {t: conn.execute(f"SELECT * FROM [{t}] ORDER BY 1").fetchall() for t in tables} == dump_before
    assert conn.execute("SELECT salt, wrapped_key FROM key_slots").fetchall() != slot_before
    assert conn.execute("SELECT * FROM audit_log").fetchall()[: len(audit_before)] == audit_before
    conn.close()
    store.close()

    with pytest.raises(WrongPassphrase):
        Store.open(home, PASSPHRASE)
    reopened = Store.open(home, "nowe hasło 1")
    assert reopened.board_rows() == board_before
    assert reopened.settings.get("warn_days") == 30
    assert reopened.documents.get(c.id, "invoice", "K1") == b"<Faktura/>"  # type: ignore[arg-type]
    assert reopened.audit.list(limit=1)[0].action == "passphrase_changed"
    assert reopened.damaged == []
    reopened.close()


def test_kdf_limits_are_kept_in_the_slot(tmp_path: Path) -> None:
    limits = KdfLimits(argon2id.OPSLIMIT_MIN + 1, argon2id.MEMLIMIT_MIN * 2)
    s = Store.create(tmp_path / "h", PASSPHRASE, kdf=limits)
    s.close()
    reopened = Store.open(tmp_path / "h", PASSPHRASE)  # no limits given: the slot's own are used
    assert reopened.kdf_limits == limits
    reopened.change_passphrase(PASSPHRASE, "inne")
    assert reopened.kdf_limits == limits
    reopened.close()


def test_tampered_kdf_limits_fail_cleanly(store: Store, home: Path) -> None:
    store.close()
    conn = raw(home / DB_FILENAME)
    conn.execute("UPDATE key_slots SET memlimit = ?", [1 << 42])  # 4 TiB: must not be attempted
    conn.close()
    with pytest.raises(StoreError):
        Store.open(home, PASSPHRASE)


def test_default_kdf_is_libsodium_moderate(tmp_path: Path) -> None:
    """The one test that pays for the real thing."""
    default = inspect.signature(Store.create).parameters["kdf"].default
    assert default == KdfLimits.MODERATE
    assert KdfLimits(argon2id.OPSLIMIT_MODERATE, argon2id.MEMLIMIT_MODERATE) == KdfLimits.MODERATE
    assert KdfLimits.FAST_FOR_TESTS != KdfLimits.MODERATE
    s = Store.create(tmp_path / "h", PASSPHRASE)
    s.close()
    conn = raw(tmp_path / "h" / DB_FILENAME)
    assert conn.execute("SELECT opslimit, memlimit FROM key_slots").fetchone() == (
        argon2id.OPSLIMIT_MODERATE,
        argon2id.MEMLIMIT_MODERATE,
    )
    conn.close()

"""Locking: keys leave memory, every call is refused while locked, idle time locks on its own."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from store_helpers import FIXED_NOW, PASSPHRASE, client

from ksef_tui.store import DEFAULT_IDLE_TIMEOUT, KdfLimits, Store, StoreError, StoreLocked


def test_locked_store_refuses_every_call_in_polish(store: Store, polish_from_source: None) -> None:
    c = store.clients.add(client(1))
    keyring = store._keys
    assert keyring is not None
    office = keyring.office
    store.lock()
    assert store.is_locked
    assert not any(office._buf), "the office key must be zeroed"
    calls = [
        store.clients.list,
        lambda: store.clients.get(c.id),  # type: ignore[arg-type]
        lambda: store.clients.add(client(2)),
        lambda: store.clients.find_by_nip(c.nip),
        lambda: store.credentials.for_client(c.id),  # type: ignore[arg-type]
        store.credentials.all,
        store.checks.latest_all,
        lambda: store.sync_state.get(c.id),  # type: ignore[arg-type]
        lambda: store.settings.get("x"),
        lambda: store.settings.set("x", 1),
        lambda: store.documents.keys(c.id, "invoice"),  # type: ignore[arg-type]
        lambda: store.audit.append(None, "x", "ok"),
        store.audit.list,
        store.board_rows,
        lambda: store.change_passphrase(PASSPHRASE, "nowe"),
    ]
    for call in calls:
        with pytest.raises(StoreLocked) as refused:
            call()
        assert str(refused.value) == "Magazyn jest zablokowany. Wpisz hasło, aby go odblokować."
    store.unlock(PASSPHRASE)
    assert not store.is_locked
    assert store.clients.list() == [c]


def test_idle_lock(home: Path) -> None:
    now = [FIXED_NOW]
    s = Store.create(home, PASSPHRASE, kdf=KdfLimits.FAST_FOR_TESTS, clock=lambda: now[0])
    assert s.idle_timeout == DEFAULT_IDLE_TIMEOUT == timedelta(minutes=15)
    assert not s.lock_if_idle(FIXED_NOW + timedelta(minutes=14))
    now[0] = FIXED_NOW + timedelta(minutes=10)
    s.touch()
    assert not s.lock_if_idle(FIXED_NOW + timedelta(minutes=24))  # 14 minutes since the touch
    # Repository calls are not "activity": background sync must not keep the screen unlocked.
    s.clients.list()
    assert s.lock_if_idle(FIXED_NOW + timedelta(minutes=25))
    assert s.is_locked
    assert not s.lock_if_idle(FIXED_NOW + timedelta(hours=1))  # already locked: nothing to do
    s.unlock(PASSPHRASE)
    s.idle_timeout = timedelta(minutes=1)
    assert s.lock_if_idle(now[0] + timedelta(minutes=1))
    s.close()


def test_closed_store_refuses(store: Store) -> None:
    store.close()
    with pytest.raises(StoreError):
        store.clients.list()
    with pytest.raises(StoreError):
        store.unlock(PASSPHRASE)
    store.close()  # twice is fine


def test_repr_shows_no_secrets(store: Store) -> None:
    assert "locked=False" in repr(store)
    assert "••••" in repr(store._keys.office)  # type: ignore[union-attr]
    assert "KeyRing(clients=" in repr(store._keys)


def test_unlock_sees_a_passphrase_changed_by_another_process(store: Store, home: Path) -> None:
    other = Store.open(home, PASSPHRASE)
    other.change_passphrase(PASSPHRASE, "nowe hasło")
    other.close()
    store.lock()
    store.unlock("nowe hasło")
    assert store.clients.list() == []

"""The schema is built by numbered migrations; an old store migrates forward on open."""

from __future__ import annotations

from pathlib import Path

import pytest
from store_helpers import FIXED_NOW, PASSPHRASE, client, raw, token_for

from ksef_tui.core.clock import fixed_clock
from ksef_tui.store import KdfLimits, Store, StoreError
from ksef_tui.store.migrations import LATEST, MIGRATIONS
from ksef_tui.store.paths import DB_FILENAME


def _versions(home: Path) -> list[tuple[int, str]]:
    conn = raw(home / DB_FILENAME)
    try:
        return conn.execute("SELECT version, name FROM schema_migrations ORDER BY version").fetchall()
    finally:
        conn.close()


def test_new_store_is_at_the_latest_version(store: Store, home: Path) -> None:
    assert LATEST == len(MIGRATIONS) >= 2
    assert _versions(home) == [(i + 1, name) for i, (name, _) in enumerate(MIGRATIONS)]


def test_v1_store_migrates_forward_and_keeps_its_data(home: Path) -> None:
    old = Store._create(
        home,
        PASSPHRASE,
        operator="admin",
        kdf=KdfLimits.FAST_FOR_TESTS,
        clock=fixed_clock(FIXED_NOW),
        schema_version=1,
    )
    c = old.clients.add(client(1))
    cred = old.credentials.add(token_for(c.id, 1))  # type: ignore[arg-type]
    old.settings.set("warn_days", 21)
    old.close()
    assert _versions(home) == [(1, "initial")]
    conn = raw(home / DB_FILENAME)
    assert "documents" not in {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()

    migrated = Store.open(home, PASSPHRASE)
    assert [v for v, _ in _versions(home)] == list(range(1, LATEST + 1))
    assert migrated.clients.list() == [c]
    assert migrated.credentials.for_client(c.id) == [cred]  # type: ignore[arg-type]
    assert migrated.settings.get("warn_days") == 21
    migrated.documents.put(c.id, "upo", "REF-1", b"<UPO/>")  # type: ignore[arg-type]
    assert migrated.documents.get(c.id, "upo", "REF-1") == b"<UPO/>"  # type: ignore[arg-type]
    assert migrated.damaged == []
    migrated.close()
    Store.open(home, PASSPHRASE).close()  # a second open finds nothing to do
    assert len(_versions(home)) == LATEST


def test_wrong_passphrase_does_not_migrate(home: Path) -> None:
    Store._create(
        home,
        PASSPHRASE,
        operator="admin",
        kdf=KdfLimits.FAST_FOR_TESTS,
        clock=fixed_clock(FIXED_NOW),
        schema_version=1,
    ).close()
    with pytest.raises(StoreError):
        Store.open(home, "złe")
    assert _versions(home) == [(1, "initial")]


def test_store_from_a_newer_release_is_refused_untouched(store: Store, home: Path) -> None:
    store.close()
    conn = raw(home / DB_FILENAME)
    conn.execute("INSERT INTO schema_migrations VALUES (?, 'from the future', '2030-01-01')", [LATEST + 1])
    conn.close()
    before = (home / DB_FILENAME).read_bytes()
    with pytest.raises(StoreError) as refused:
        Store.open(home, PASSPHRASE)
    assert "newer" in str(refused.value) or "nowsza" in str(refused.value)
    assert (home / DB_FILENAME).read_bytes() == before

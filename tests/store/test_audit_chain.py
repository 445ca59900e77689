"""The audit log's hash chain (issue 15 item 2): every way of tampering with the file names the place;
an intact, a re-sealed and a redacted log verify."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from store_helpers import FIXED_NOW, PASSPHRASE, append_audit_worker, client, raw, token_for

from ksef_tui.core.clock import fixed_clock
from ksef_tui.store import KdfLimits, Store
from ksef_tui.store.paths import DB_FILENAME
from ksef_tui.store.repositories.audit import CHAIN_STARTED, AuditFilter, BreakKind


def _some_entries(store: Store) -> list[int]:
    """Office and client entries (the second client's sealed under its own key); returns the client ids."""
    a = store.clients.add(client(1))
    b = store.clients.add(client(2))
    assert a.id is not None and b.id is not None
    store.audit.append(a.id, "ksef.login", "ok", "token")
    store.audit.append(b.id, "purchases.sync", "ok", "12 invoices")
    store.audit.append(None, "settings.update", "ok", "warn_days")
    store.audit.append(b.id, "upo.download", "ok", "invoice")
    store.audit.append(a.id, "ksef.check", "failed", "450")
    return [a.id, b.id]


def _ids(home: Path) -> list[int]:
    conn = raw(home / DB_FILENAME)
    try:
        return [r[0] for r in conn.execute("SELECT id FROM audit_log ORDER BY id")]
    finally:
        conn.close()


def _tamper(home: Path, *statements: tuple[str, list[object]]) -> None:
    conn = raw(home / DB_FILENAME)
    try:
        for sql, params in statements:
            conn.execute(sql, params)
    finally:
        conn.close()


def test_an_intact_log_verifies_and_names_its_last_digest(store: Store, home: Path) -> None:
    _some_entries(store)
    report = store.audit.verify()
    ids = _ids(home)
    assert report.intact and report.broken is None
    assert report.entries == len(ids) and report.last_id == ids[-1]
    conn = raw(home / DB_FILENAME)
    stored = conn.execute("SELECT chain FROM audit_log WHERE id = ?", [ids[-1]]).fetchone()[0]
    assert all(row[0] is not None for row in conn.execute("SELECT chain FROM audit_log"))
    conn.close()
    assert report.last_digest == bytes(stored).hex() and len(report.last_digest) == 64


def test_a_deleted_entry_is_named(store: Store, home: Path) -> None:
    _some_entries(store)
    ids = _ids(home)
    victim = ids[3]
    _tamper(home, ("DELETE FROM audit_log WHERE id = ?", [victim]))
    broken = store.audit.verify().broken
    assert broken is not None
    assert (broken.kind, broken.entry_id, broken.next_id) == (BreakKind.DELETED, victim, ids[4])


def test_the_deleted_last_entry_is_named(store: Store, home: Path) -> None:
    _some_entries(store)
    ids = _ids(home)
    _tamper(home, ("DELETE FROM audit_log WHERE id = ?", [ids[-1]]))
    report = store.audit.verify()
    assert report.broken is not None
    assert (report.broken.kind, report.broken.entry_id) == (BreakKind.DELETED, ids[-1])
    assert report.last_id == ids[-2]


def test_a_sealed_body_swapped_with_another_entrys_is_named(store: Store, home: Path) -> None:
    _some_entries(store)
    ids = _ids(home)
    # Entries 3 and 5 are both the second client's: the same key, so only the row binding can tell.
    _tamper(
        home,
        (
            "UPDATE audit_log SET detail = (SELECT detail FROM audit_log WHERE id = ?) WHERE id = ?",
            [ids[5], ids[3]],
        ),
    )
    broken = store.audit.verify().broken
    assert broken is not None and (broken.kind, broken.entry_id) == (BreakKind.ALTERED, ids[3])


@pytest.mark.parametrize(
    ("column", "value"),
    [("at", "2026-03-01T09:30:00+00:00"), ("slot_id", 7), ("client_id", None), ("chain", b"\x00" * 32)],
)
def test_a_changed_plaintext_column_is_named(store: Store, home: Path, column: str, value: object) -> None:
    _some_entries(store)
    ids = _ids(home)
    victim = ids[4]  # an office entry: changing client_id does not even stop it from opening
    _tamper(home, (f"UPDATE audit_log SET {column} = ? WHERE id = ?", [value, victim]))
    broken = store.audit.verify().broken
    assert broken is not None and (broken.kind, broken.entry_id) == (BreakKind.ALTERED, victim)


def test_two_entries_swapped_are_named_as_moved(store: Store, home: Path) -> None:
    _some_entries(store)
    ids = _ids(home)
    a, b = ids[2], ids[5]
    _tamper(
        home,
        ("UPDATE audit_log SET id = -1 WHERE id = ?", [a]),
        ("UPDATE audit_log SET id = ? WHERE id = ?", [a, b]),
        ("UPDATE audit_log SET id = ? WHERE id = -1", [b]),
    )
    broken = store.audit.verify().broken
    assert broken is not None
    assert (broken.kind, broken.entry_id, broken.original_id) == (BreakKind.MOVED, a, b)


def test_a_removed_clients_trail_is_resealed_and_still_verifies(store: Store) -> None:
    a, _b = _some_entries(store)
    store.clients.remove(a)
    assert store.audit.verify().intact
    mine = [e for e in store.audit.list() if e.client_id == a]
    assert {e.action for e in mine} >= {"ksef.login", "ksef.check", "client_removed"}
    assert not any(e.damaged for e in mine)


def test_a_redacted_trail_verifies_and_a_tampered_one_does_not(store: Store, home: Path) -> None:
    a, b = _some_entries(store)
    assert store.audit.redact_client(a, "client offboarded") == 2
    store.clients.remove(a)  # the client's key is destroyed: the tombstones live under the office key
    report = store.audit.verify()
    assert report.intact and report.redacted == 2
    redacted = [e for e in store.audit.list() if e.client_id == a and e.redacted]
    assert [(e.action, e.result, e.detail) for e in redacted] == [
        ("ksef.check", "failed", "client offboarded"),
        ("ksef.login", "ok", "client offboarded"),
    ]
    assert store.audit.redact_client(a, "again") == 3  # idempotent: the recorded digest is kept
    assert store.audit.verify().intact
    # A tombstone moved onto another entry's row does not open there.
    ids = [e.id for e in redacted]
    other = next(e.id for e in store.audit.list() if e.client_id == b)
    _tamper(
        home,
        (
            "UPDATE audit_log SET detail = (SELECT detail FROM audit_log WHERE id = ?) WHERE id = ?",
            [ids[0], other],
        ),
    )
    broken = store.audit.verify().broken
    assert broken is not None and (broken.kind, broken.entry_id) == (BreakKind.ALTERED, other)


def test_a_tombstone_cannot_launder_an_altered_entry(store: Store, home: Path) -> None:
    a, _b = _some_entries(store)
    victim = next(e.id for e in store.audit.list() if e.client_id == a)
    _tamper(home, ("UPDATE audit_log SET at = ? WHERE id = ?", ["2020-01-01T00:00:00+00:00", victim]))
    store.audit.redact_client(a, "offboarded")
    broken = store.audit.verify().broken
    assert broken is not None and (broken.kind, broken.entry_id) == (BreakKind.ALTERED, victim)


def test_entries_in_one_transaction_and_from_the_bookings_writer_chain(store: Store) -> None:
    a, b = _some_entries(store)
    with store.transaction():
        store.audit.append(a, "client.update", "ok", "name")
        store.audit.append(b, "client.update", "ok", "notes")
    assert store.audit.verify().intact
    assert [e.action for e in store.audit.list(limit=2)] == ["client.update", "client.update"]


def test_an_older_store_chains_its_entries_on_the_first_unlock(home: Path) -> None:
    old = Store._create(
        home,
        PASSPHRASE,
        operator="admin",
        kdf=KdfLimits.FAST_FOR_TESTS,
        clock=fixed_clock(FIXED_NOW),
        schema_version=7,
    )
    c = old.clients.add(client(1))
    assert c.id is not None
    old.audit.append(c.id, "ksef.login", "ok", "token")
    old.credentials.add(token_for(c.id, 1))
    old.close()
    before = _ids(home)

    store = Store.open(home, PASSPHRASE, clock=fixed_clock(FIXED_NOW))
    report = store.audit.verify()
    assert report.intact and report.entries == len(before) + 1
    assert store.audit.list(limit=1)[0].action == CHAIN_STARTED
    store.audit.append(None, "settings.update", "ok", "")
    assert store.audit.verify().intact
    store.close()
    Store.open(home, PASSPHRASE).close()  # nothing left to chain: no second marker
    assert len(_ids(home)) == len(before) + 2


def test_blanked_digests_are_not_chained_afresh(store: Store, home: Path) -> None:
    _some_entries(store)
    ids = _ids(home)
    # Someone deletes an entry and blanks every digest, hoping the next unlock chains what is left.
    _tamper(home, ("DELETE FROM audit_log WHERE id = ?", [ids[2]]), ("UPDATE audit_log SET chain = NULL", []))
    store.close()
    reopened = Store.open(home, PASSPHRASE, clock=fixed_clock(FIXED_NOW))
    broken = reopened.audit.verify().broken
    assert broken is not None and broken.entry_id == ids[0]
    reopened.close()


def test_two_processes_appending_at_once_keep_one_chain(store: Store, home: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    in_step = ctx.Barrier(2)
    workers = [ctx.Process(target=append_audit_worker, args=(str(home), name, 30, in_step)) for name in "AB"]
    for w in workers:
        w.start()
    try:
        for w in workers:
            w.join(timeout=120)
        assert [w.exitcode for w in workers] == [0, 0]
    finally:
        for w in workers:
            if w.is_alive():
                w.terminate()
                w.join()
    report = store.audit.verify()
    assert report.intact, report.broken
    details = [e.detail for e in store.audit.list(limit=100) if e.action == "test.append"]
    assert sorted(details) == sorted(f"{name}{n}" for name in "AB" for n in range(30))


def test_pages_filter_by_client_period_operator_and_action(home: Path) -> None:
    moments = iter(FIXED_NOW + timedelta(hours=h) for h in range(1000))
    store = Store.create(home, PASSPHRASE, kdf=KdfLimits.FAST_FOR_TESTS, clock=lambda: next(moments))
    a, b = _some_entries(store)
    for n in range(30):
        store.audit.append(a if n % 2 else b, f"booking.{'approve' if n % 3 else 'exclude'}", "ok", str(n))
    everything = store.audit.list(limit=1000)

    page = store.audit.page(AuditFilter(), limit=10)
    assert [e.id for e in page.entries] == [e.id for e in everything[:10]]
    assert page.next_before == everything[9].id
    seen = list(page.entries)
    while page.next_before is not None:
        page = store.audit.page(AuditFilter(), before_id=page.next_before, limit=10)
        seen += page.entries
    assert [e.id for e in seen] == [e.id for e in everything]

    only_a = store.audit.page(AuditFilter(client_ids=frozenset({a})), limit=1000).entries
    assert only_a and only_a == [e for e in everything if e.client_id == a]
    excluded = store.audit.page(AuditFilter(action="BOOKING.ex"), limit=4)
    assert [e.detail for e in excluded.entries] == [
        "27",
        "24",
        "21",
        "18",
    ] and excluded.next_before is not None
    rest = store.audit.page(AuditFilter(action="booking.ex"), before_id=excluded.next_before, limit=100)
    assert [e.detail for e in rest.entries] == ["15", "12", "9", "6", "3", "0"] and rest.next_before is None
    assert store.audit.page(AuditFilter(operator="ADM"), limit=1000).entries == everything
    assert store.audit.page(AuditFilter(operator="ewa"), limit=10).entries == []
    since = everything[5].at
    until = everything[2].at
    window = store.audit.page(AuditFilter(since=since, until=until), limit=100).entries
    assert [e.id for e in window] == [e.id for e in everything[3:6]]
    assert all(e.at.tzinfo is not None for e in window)
    assert datetime(2026, 1, 1, tzinfo=UTC) < since
    store.close()


def test_every_single_entry_deleted_or_altered_is_named(store: Store, home: Path, tmp_path: Path) -> None:
    import shutil

    _some_entries(store)
    ids = _ids(home)
    store.close()
    for victim in ids:
        for kind, sql in (
            (BreakKind.DELETED, "DELETE FROM audit_log WHERE id = ?"),
            (BreakKind.ALTERED, "UPDATE audit_log SET at = at || ' ' WHERE id = ?"),
        ):
            copy = tmp_path / f"{kind.value}-{victim}"
            shutil.copytree(home, copy)
            _tamper(copy, (sql, [victim]))
            with Store.open(copy, PASSPHRASE, clock=fixed_clock(FIXED_NOW)) as opened:
                broken = opened.audit.verify().broken
            assert broken is not None and (broken.kind, broken.entry_id) == (kind, victim), (kind, victim)

"""Purchase invoices and their sync state in the sealed store (issue 12 items 1 and 3).

One package is one transaction: its invoices, their XML and the new cursor commit together or not at all;
a KSeF number already stored with other content refuses the whole package; everything but ids, flags and
the scheduling timestamps is sealed.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from dataclasses import fields, replace
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from purchase_helpers import (
    T0,
    export_key,
    invoice_xml,
    ksef_number,
    package,
    purchase,
    sha256_b64,
    sync_state,
)
from store_helpers import PASSPHRASE, client, raw

from ksef_tui.core.purchases import (
    SUBJECT_BUYER,
    SUBJECT_THIRD,
    ExportPurpose,
    PendingExport,
    PurchaseRecord,
    PurchaseStatus,
)
from ksef_tui.store import (
    DamagedOverwrite,
    DamagedValue,
    DamagedValueError,
    PackageCommit,
    PurchaseContentMismatch,
    PurchaseHashConflict,
    Store,
    describe_damage,
)
from ksef_tui.store.migrations import LATEST
from ksef_tui.store.paths import DB_FILENAME

INVOICE = "invoice"


@pytest.fixture
def cid(store: Store) -> int:
    added = store.clients.add(client(1))
    assert added.id is not None
    return added.id


def _numbers(*ns: int) -> set[str]:
    return {ksef_number(n) for n in ns}


def _flip(home: Path, table: str, column: str, where: str, params: list[object]) -> None:
    conn = raw(home / DB_FILENAME)
    (blob,) = conn.execute(f"SELECT {column} FROM {table} WHERE {where}", params).fetchone()
    conn.execute(
        f"UPDATE {table} SET {column} = ? WHERE {where}", [blob[:-1] + bytes([blob[-1] ^ 1]), *params]
    )
    conn.close()


# -- round trips -------------------------------------------------------------------------------------


def test_every_record_field_round_trips_exactly(store: Store, cid: int) -> None:
    xml = invoice_xml(7)
    plus_two = timezone(timedelta(hours=2))
    record = PurchaseRecord(
        client_id=cid,
        ksef_number=ksef_number(7),
        subject=SUBJECT_THIRD,
        seller_nip="5260250274",
        seller_name="Orlen Paliwa „Żółw” Sp. z o.o.",
        buyer_nip="1234563218",
        invoice_number="FV/07/2026/Ł",
        issue_date=date(2026, 2, 27),
        acquisition_date=datetime(2026, 3, 1, 0, 15, 30, 123456, tzinfo=plus_two),
        permanent_storage_date=datetime(2026, 2, 28, 23, 59, 59, 999999, tzinfo=UTC),
        currency="EUR",
        net=Decimal("1230.50"),
        vat=Decimal("0.00"),
        gross=Decimal("-12345678901234.4567"),
        invoice_type="KorZal",
        invoice_hash=sha256_b64(xml),
        status=PurchaseStatus.WARNINGS,
        problems=3,
        fetched_at=datetime(2026, 3, 2, 9, 30, 1, tzinfo=UTC),
    )
    # Every field differs from its default, so a field lost on the way would show.
    defaults = PurchaseRecord(client_id=0, ksef_number="")
    assert all(getattr(record, f.name) != getattr(defaults, f.name) for f in fields(record))

    assert store.purchases.commit_package(cid, [(record, xml)], None) == PackageCommit(added=1, known=0)
    home = store.home
    store.close()
    with Store.open(home, PASSPHRASE) as again:
        back = again.purchases.get(cid, ksef_number(7).lower())
        assert back == record
        assert back is not None
        for f in fields(record):  # equal *and* the same representation (offset, exponent)
            assert repr(getattr(back, f.name)) == repr(getattr(record, f.name)), f.name
        assert again.documents.get(cid, INVOICE, ksef_number(7)) == xml
        assert again.documents.meta(cid, INVOICE, ksef_number(7)) == {"sha256": record.invoice_hash}


def test_sync_state_round_trips_with_pending_and_parked_exports(store: Store, cid: int) -> None:
    parked = PendingExport(
        reference="20260203-EE-PARKED-01",
        key=export_key(99),
        iv=bytes(range(16)),
        window_from=datetime(2026, 2, 1, tzinfo=timezone(timedelta(hours=1))),
        window_to=datetime(2026, 4, 30, 21, 59, 59, tzinfo=UTC),
        created=T0,
        purpose=ExportPurpose.RECONCILE,
    )
    state = sync_state(
        cid,
        4,
        subject=SUBJECT_THIRD,
        parked=(parked, replace(parked, reference="20260203-EE-PARKED-02", purpose=ExportPurpose.REDOWNLOAD)),
        blocked_until=T0 + timedelta(minutes=90),
        last_error="KSeF 429: spróbuj za 60 s",
        stalled=True,
        last_reconciled=T0 - timedelta(days=3),
        started_from=T0 - timedelta(days=40),
    )
    assert store.purchases.state(cid, SUBJECT_THIRD) is None
    store.purchases.save_state(state)
    home = store.home
    store.close()
    with Store.open(home, PASSPHRASE) as again:
        back = again.purchases.state(cid, SUBJECT_THIRD)
        assert back == state
        assert back is not None and back.pending is not None and state.pending is not None
        assert back.pending.key == state.pending.key and back.pending.iv == state.pending.iv
        assert back.cursor is not None and state.cursor is not None
        assert back.cursor.utcoffset() == state.cursor.utcoffset()  # KSeF's offset kept
        assert again.purchases.state(cid, SUBJECT_BUYER) is None
        assert again.purchases.states() == {(cid, SUBJECT_THIRD): state}
        # Saving again replaces the row.
        again.purchases.save_state(replace(state, pending=None, stalled=False))
        assert again.purchases.states()[(cid, SUBJECT_THIRD)].pending is None


# -- commit_package ----------------------------------------------------------------------------------


def test_committing_a_package_twice_counts_every_invoice_known(store: Store, cid: int) -> None:
    assert store.purchases.commit_package(cid, package(cid, range(3)), sync_state(cid, 1)) == PackageCommit(
        3, 0
    )
    # Overlapping windows (duplicates across packages): the known ones are not written again.
    assert store.purchases.commit_package(
        cid, package(cid, range(1, 5)), sync_state(cid, 2)
    ) == PackageCommit(2, 2)
    assert store.purchases.numbers(cid) == _numbers(0, 1, 2, 3, 4)
    assert store.purchases.counts() == {cid: 5}
    assert store.documents.keys(cid, INVOICE) == sorted(_numbers(0, 1, 2, 3, 4))
    assert store.purchases.state(cid, SUBJECT_BUYER) == sync_state(cid, 2)
    # The same number twice within one package is stored once.
    twice = package(cid, range(5, 6)) * 2
    assert store.purchases.commit_package(cid, twice, None) == PackageCommit(1, 1)


def test_a_hash_conflict_refuses_the_whole_package(store: Store, cid: int, polish_from_source: None) -> None:
    store.purchases.commit_package(cid, package(cid, range(2)), sync_state(cid, 1))
    other = invoice_xml(1, variant="-zmieniona")
    changed = purchase(cid, 1, xml=other)
    poisoned = [*package(cid, range(2, 4)), (changed, other), *package(cid, range(4, 6))]

    with pytest.raises(PurchaseHashConflict) as caught:
        store.purchases.commit_package(cid, poisoned, sync_state(cid, 2))

    assert caught.value.ksef_number == ksef_number(1)
    assert str(caught.value) == (
        f"Numer KSeF {ksef_number(1)} jest już zapisany z inną treścią; z tej paczki niczego nie zapisano."
    )
    # Invoices 2 and 3 came before the conflict in the same package: not stored either; no cursor move.
    assert store.purchases.numbers(cid) == _numbers(0, 1)
    assert store.documents.keys(cid, INVOICE) == sorted(_numbers(0, 1))
    assert store.documents.get(cid, INVOICE, ksef_number(1)) == invoice_xml(1)
    assert store.purchases.state(cid, SUBJECT_BUYER) == sync_state(cid, 1)
    assert store.purchases.counts() == {cid: 2}


def test_xml_not_matching_its_record_hash_is_refused(store: Store, cid: int) -> None:
    record = purchase(cid, 1)
    with pytest.raises(PurchaseContentMismatch):
        store.purchases.commit_package(cid, [(record, invoice_xml(1) + b" ")], sync_state(cid, 1))
    assert store.purchases.get(cid, ksef_number(1)) is None
    assert store.purchases.state(cid, SUBJECT_BUYER) is None


class _Unpacking(Exception):
    pass


def test_a_generator_raising_midway_leaves_nothing_and_its_error_propagates(store: Store, cid: int) -> None:
    store.purchases.commit_package(cid, package(cid, range(1)), sync_state(cid, 1))
    consumed: list[int] = []
    error = _Unpacking("part 2: wrong hash")

    def stream() -> Iterator[tuple[PurchaseRecord, bytes]]:
        for n in range(1, 4):
            consumed.append(n)
            yield purchase(cid, n), invoice_xml(n)
        raise error

    with pytest.raises(_Unpacking) as caught:
        store.purchases.commit_package(cid, stream(), sync_state(cid, 2))
    assert caught.value is error  # unchanged, not wrapped
    assert consumed == [1, 2, 3]  # it was consumed inside commit_package
    assert store.purchases.numbers(cid) == _numbers(0)
    assert store.documents.keys(cid, INVOICE) == [ksef_number(0)]
    assert store.purchases.state(cid, SUBJECT_BUYER) == sync_state(cid, 1)
    # The store is usable after the rollback.
    assert store.purchases.commit_package(cid, package(cid, range(1, 3)), None) == PackageCommit(2, 0)


def test_the_package_is_consumed_lazily_one_invoice_at_a_time(store: Store, cid: int) -> None:
    """Memory stays bounded: commit_package never materialises the iterable (each item is written
    before the next is asked for)."""
    seen_in_store: list[int] = []

    def stream() -> Iterator[tuple[PurchaseRecord, bytes]]:
        for n in range(4):
            # Same thread, same connection: the rows written so far are visible inside the transaction.
            seen_in_store.append(store.purchases.counts().get(cid, 0))
            yield purchase(cid, n), invoice_xml(n)

    store.purchases.commit_package(cid, stream(), None)
    assert seen_in_store == [0, 1, 2, 3]


def test_records_of_another_client_or_a_state_of_another_client_are_refused(store: Store, cid: int) -> None:
    other = store.clients.add(client(2))
    assert other.id is not None
    with pytest.raises(ValueError):
        store.purchases.commit_package(cid, [*package(cid, range(1)), *package(other.id, range(1, 2))], None)
    with pytest.raises(ValueError):
        store.purchases.commit_package(cid, package(cid, range(1)), sync_state(other.id, 1))
    assert store.purchases.counts() == {}


# -- provisional rows --------------------------------------------------------------------------------


def test_provisional_rows_are_replaced_by_stored_ones(store: Store, cid: int) -> None:
    seen = [purchase(cid, n, invoice_hash="") for n in (5, 6)]
    assert store.purchases.replace_provisional(cid, seen) == 2
    assert {r.ksef_number: r.status for r in store.purchases.list([cid])} == {
        ksef_number(5): PurchaseStatus.PROVISIONAL,
        ksef_number(6): PurchaseStatus.PROVISIONAL,
    }
    assert store.purchases.numbers(cid) == set()  # provisional: not stored
    assert store.purchases.counts() == {}

    assert store.purchases.commit_package(cid, package(cid, range(5, 6)), None) == PackageCommit(1, 0)
    stored = store.purchases.get(cid, ksef_number(5))
    assert stored == purchase(cid, 5)
    assert store.purchases.numbers(cid) == _numbers(5)
    assert store.documents.get(cid, INVOICE, ksef_number(5)) == invoice_xml(5)

    # The next "what's new": 5 is stored (skipped), 6 still provisional, 7 new; the old 6 row replaced.
    again = [purchase(cid, n, invoice_hash="") for n in (5, 6, 7)]
    assert store.purchases.replace_provisional(cid, again) == 2
    statuses = {r.ksef_number: r.status for r in store.purchases.list([cid])}
    assert statuses == {
        ksef_number(5): PurchaseStatus.STORED,
        ksef_number(6): PurchaseStatus.PROVISIONAL,
        ksef_number(7): PurchaseStatus.PROVISIONAL,
    }
    assert store.purchases.replace_provisional(cid, []) == 0
    assert [r.ksef_number for r in store.purchases.list([cid])] == [ksef_number(5)]


def test_a_provisional_record_cannot_be_committed_with_xml(store: Store, cid: int) -> None:
    record = purchase(cid, 1, status=PurchaseStatus.PROVISIONAL)
    with pytest.raises(ValueError):
        store.purchases.commit_package(cid, [(record, invoice_xml(1))], None)


# -- listing -----------------------------------------------------------------------------------------


def test_list_is_newest_receipt_first_and_since_is_a_polish_day(store: Store, cid: int) -> None:
    other = store.clients.add(client(2))
    assert other.id is not None
    late_feb_9 = datetime(2026, 2, 9, 22, 59, tzinfo=UTC)  # 23:59 on 9 February in Warsaw
    early_feb_10 = datetime(2026, 2, 9, 23, 30, tzinfo=UTC)  # 00:30 on 10 February in Warsaw
    mine = [
        purchase(cid, 1, acquisition_date=late_feb_9),
        purchase(cid, 2, acquisition_date=early_feb_10),
        purchase(cid, 3, acquisition_date=datetime(2026, 3, 1, 12, tzinfo=UTC)),
    ]
    store.purchases.commit_package(
        cid, [(r, invoice_xml(n)) for n, r in zip((1, 2, 3), mine, strict=True)], None
    )
    theirs = purchase(other.id, 4, acquisition_date=datetime(2026, 2, 20, tzinfo=UTC))
    store.purchases.commit_package(other.id, [(theirs, invoice_xml(4))], None)

    def order(records: list[PurchaseRecord]) -> list[str]:
        return [r.ksef_number for r in records]

    assert order(store.purchases.list()) == [ksef_number(n) for n in (3, 4, 2, 1)]
    assert order(store.purchases.list([cid])) == [ksef_number(n) for n in (3, 2, 1)]
    assert order(store.purchases.list([other.id])) == [ksef_number(4)]
    assert order(store.purchases.list([])) == []
    assert order(store.purchases.list(since=date(2026, 2, 10))) == [ksef_number(n) for n in (3, 4, 2)]
    assert order(store.purchases.list([cid], since=date(2026, 2, 21))) == [ksef_number(3)]
    assert [r.client_id for r in store.purchases.list()] == [cid, other.id, cid, cid]


# -- damage ------------------------------------------------------------------------------------------


def test_a_damaged_record_is_left_out_reported_and_never_overwritten(
    store: Store, cid: int, home: Path
) -> None:
    store.purchases.commit_package(cid, package(cid, range(3)), sync_state(cid, 1))
    conn = raw(home / DB_FILENAME)
    ids = [r[0] for r in conn.execute("SELECT id FROM purchase_invoices ORDER BY id")]
    conn.close()
    store.close()
    _flip(home, "purchase_invoices", "record", "id = ?", [ids[1]])

    s = Store.open(home, PASSPHRASE)
    try:
        assert [r.ksef_number for r in s.purchases.list()] == [ksef_number(2), ksef_number(0)]
        damaged = DamagedValue("purchase_invoices", ids[1], "record")
        assert s.damaged == [damaged]
        assert [describe_damage(e) for e in s.damage_report()] == [
            f"Uszkodzone w magazynie: tabela purchase_invoices, wiersz {ids[1]}, kolumna record,"
            " klient K00001."
        ]
        assert s.purchases.numbers(cid) == _numbers(0, 2)
        with pytest.raises(DamagedValueError):
            s.purchases.get(cid, ksef_number(1))
        # Fetching it again (reconciliation sees a gap) refuses rather than overwrite the damaged row,
        # and the rest of that package is not stored either.
        with pytest.raises(DamagedValueError):
            s.purchases.commit_package(cid, package(cid, range(1, 5)), sync_state(cid, 2))
        assert s.purchases.numbers(cid) == _numbers(0, 2)
        assert s.purchases.state(cid, SUBJECT_BUYER) == sync_state(cid, 1)
        assert s.purchases.counts() == {cid: 3}  # the damaged row still counts: it exists
    finally:
        s.close()


def test_a_damaged_sync_state_is_reported_and_not_saved_over(store: Store, cid: int, home: Path) -> None:
    store.purchases.save_state(sync_state(cid, 1))
    store.close()
    _flip(home, "purchase_sync", "state", "client_id = ? AND subject = ?", [cid, SUBJECT_BUYER])

    s = Store.open(home, PASSPHRASE)
    try:
        state = s.purchases.state(cid, SUBJECT_BUYER)
        assert state is not None and state.damaged == frozenset({"state"})
        assert state.cursor is None and state.pending is None  # placeholders, flagged
        assert state.last_success == sync_state(cid, 1).last_success  # plaintext still read
        with pytest.raises(DamagedOverwrite):
            s.purchases.save_state(state)
        with pytest.raises(DamagedOverwrite):
            s.purchases.commit_package(cid, package(cid, range(1)), state)
        assert s.purchases.counts() == {}
        entries = s.damage_report()
        assert [(e.value, e.client_id) for e in entries] == [
            (DamagedValue("purchase_sync", f"{cid}/{SUBJECT_BUYER}", "state"), cid)
        ]
        assert "klient K00001" in describe_damage(entries[0])
        # An explicit fresh state (the sync starting over for this subject) repairs it.
        s.purchases.save_state(sync_state(cid, 2))
        assert s.purchases.state(cid, SUBJECT_BUYER) == sync_state(cid, 2)
        assert s.damaged == []
    finally:
        s.close()


def test_a_tampered_plaintext_subject_is_reported(store: Store, cid: int, home: Path) -> None:
    store.purchases.commit_package(cid, package(cid, range(2)), None)
    store.close()
    conn = raw(home / DB_FILENAME)
    conn.execute(
        "UPDATE purchase_invoices SET subject = ? WHERE id = (SELECT min(id) FROM purchase_invoices)",
        [SUBJECT_THIRD],
    )
    (row_id,) = conn.execute("SELECT min(id) FROM purchase_invoices").fetchone()
    conn.close()
    with Store.open(home, PASSPHRASE) as s:
        assert [r.ksef_number for r in s.purchases.list()] == [ksef_number(1)]
        assert s.damaged == [DamagedValue("purchase_invoices", row_id, "subject")]


# -- clients, schema, plaintext ----------------------------------------------------------------------


def test_removing_a_client_removes_its_purchases_and_sync_state(store: Store, cid: int, home: Path) -> None:
    other = store.clients.add(client(2))
    assert other.id is not None
    for owner in (cid, other.id):
        store.purchases.commit_package(owner, package(owner, range(3)), sync_state(owner, 1))
        store.purchases.replace_provisional(owner, [purchase(owner, 9)])
        store.purchases.save_state(sync_state(owner, 1, subject=SUBJECT_THIRD))

    store.clients.remove(cid)

    conn = raw(home / DB_FILENAME)
    for table in ("purchase_invoices", "purchase_sync", "documents"):
        owners = {r[0] for r in conn.execute(f"SELECT client_id FROM {table}")}
        assert owners == {other.id}, table
    conn.close()
    assert set(store.purchases.states()) == {(other.id, SUBJECT_BUYER), (other.id, SUBJECT_THIRD)}
    assert store.purchases.counts() == {other.id: 3}
    assert store.purchases.list([cid]) == []


def test_plaintext_columns_of_the_purchase_tables_are_exactly_the_documented_ones(
    store: Store, home: Path
) -> None:
    conn = raw(home / DB_FILENAME)
    columns = {
        (table, column, declared)
        for table in ("purchase_invoices", "purchase_sync")
        for _, column, declared, *_ in conn.execute(f"PRAGMA table_info([{table}])")
    }
    conn.close()
    sealed = {("purchase_invoices", "record", "BLOB"), ("purchase_sync", "state", "BLOB")}
    index = {("purchase_invoices", "number_index", "BLOB")}
    plaintext = {(t, c) for t, c, _ in columns - sealed - index}
    assert plaintext == {
        ("purchase_invoices", "id"),
        ("purchase_invoices", "client_id"),
        ("purchase_invoices", "subject"),
        ("purchase_invoices", "provisional"),
        ("purchase_invoices", "created"),
        ("purchase_sync", "client_id"),
        ("purchase_sync", "subject"),
        ("purchase_sync", "last_attempt"),
        ("purchase_sync", "last_success"),
        ("purchase_sync", "blocked_until"),
    }
    doc = (Path(__file__).resolve().parents[2] / "docs" / "SECURITY.md").read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `(purchase_\w+)` \| `(\w+)` \|", doc, re.MULTILINE))
    assert documented == plaintext | {("purchase_invoices", "number_index")}


def test_an_older_store_migrates_to_the_purchase_tables(home: Path) -> None:
    from store_helpers import FIXED_NOW

    from ksef_tui.core.clock import fixed_clock
    from ksef_tui.store import KdfLimits

    old = Store._create(
        home,
        PASSPHRASE,
        operator="admin",
        kdf=KdfLimits.FAST_FOR_TESTS,
        clock=fixed_clock(FIXED_NOW),
        schema_version=3,
    )
    added = old.clients.add(client(1))
    assert added.id is not None
    old.close()
    conn = raw(home / DB_FILENAME)
    assert "purchase_invoices" not in {r[0] for r in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()
    with Store.open(home, PASSPHRASE) as s:
        s.purchases.commit_package(added.id, package(added.id, range(2)), sync_state(added.id, 1))
        assert s.purchases.counts() == {added.id: 2}
    conn = raw(home / DB_FILENAME)
    assert conn.execute("SELECT max(version) FROM schema_migrations").fetchone()[0] == LATEST
    conn.close()


def _scan(home: Path, needles: dict[str, bytes]) -> list[tuple[str, str]]:
    hits = []
    for path in sorted(p for p in home.rglob("*") if p.is_file()):
        data = path.read_bytes()
        hits += [(path.name, name) for name, needle in needles.items() if needle in data]
    return hits


def test_the_export_key_and_invoice_contents_never_reach_the_file_in_plaintext(
    store: Store, cid: int, home: Path
) -> None:
    state = sync_state(cid, 1)
    assert state.pending is not None
    key, iv = state.pending.key, state.pending.iv
    record = purchase(cid, 1, gross=Decimal("98765.43"))
    store.purchases.commit_package(cid, [(record, invoice_xml(1))], state)
    store.purchases.replace_provisional(cid, [purchase(cid, 2, seller_name="Tajny Dostawca Provisional")])
    needles = {
        "key": key,
        "key base64": base64.b64encode(key),
        "key hex": key.hex().encode(),
        "key HEX": key.hex().upper().encode(),
        "iv": iv,
        "iv base64": base64.b64encode(iv),
        "export reference": state.pending.reference.encode(),
        "ksef number": ksef_number(1).encode(),
        "provisional number": ksef_number(2).encode(),
        "seller name": record.seller_name.encode(),
        "provisional seller": b"Tajny Dostawca Provisional",
        "invoice number": record.invoice_number.encode(),
        "invoice hash": record.invoice_hash.encode(),
        "xml text": "Zakup paliwa żółć nr 1".encode(),
        "gross": b"98765.43",
    }
    assert _scan(home, needles) == []  # while open: the -wal file included
    store.close()
    assert _scan(home, needles) == []

"""store.exports (issue 14): export batches recorded in one transaction with the bookings moved to EXPORTED
and audited; undo back to the exact snapshots, refused while a newer batch depends on it; the taxpayer
profile; nothing readable in the file."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from plaintext_scan import find_plaintext
from store_helpers import FIXED_NOW, PASSPHRASE, client, raw

from ksef_tui.core.bookings import Booking, BookingStatus
from ksef_tui.core.export_batch import BatchFile, BatchStatus, ExportBatch
from ksef_tui.core.exports import (
    ExportFormat,
    ExportWarning,
    Ledger,
    PeriodKind,
    TaxpayerKind,
    TaxpayerProfile,
)
from ksef_tui.store import DamagedValue, DamagedValueError, NotFound, Store
from ksef_tui.store.paths import DB_FILENAME
from ksef_tui.store.repositories.bookings import BookingChanged
from ksef_tui.store.repositories.exports import BatchUndoRefused
from tests.export_helpers import booking, context

EXPORTED = BookingStatus.EXPORTED
APPROVED = BookingStatus.APPROVED


@pytest.fixture
def cid(store: Store) -> int:
    added = store.clients.add(client(1))
    assert added.id is not None
    return added.id


@pytest.fixture
def other(store: Store) -> int:
    added = store.clients.add(client(2))
    assert added.id is not None
    return added.id


def _stored(store: Store, cid: int, ns: range | list[int], **changes: object) -> list[Booking]:
    return store.bookings.put_many([booking(cid, n, **changes) for n in ns])


def _batch(cid: int, bookings: list[Booking], *, at_minutes: int = 0, again: bool = False) -> ExportBatch:
    at = FIXED_NOW + timedelta(minutes=at_minutes)
    return ExportBatch(
        client_id=cid,
        format=ExportFormat.BUNDLE,
        period="2026-03",
        period_kind=PeriodKind.VAT,
        created_at=at,
        created_by="Anna Nowak",
        context=context(cid, created_at=at),
        bookings=tuple(bookings),
        files=(BatchFile("bookings.csv", "ab" * 32, 120), BatchFile("manifest.json", "cd" * 32, 80)),
        warnings=(ExportWarning("export.not_approved", "Faktura FV/9 nie jest zatwierdzona", "X-9"),),
        folder="/biuro/eksport/K00001/2026-03",
        again=again,
        run_id="f00d",
    )


def _audit(store: Store, prefix: str) -> list[dict[str, object]]:
    return [
        {"action": e.action, "result": e.result, **json.loads(e.detail)}
        for e in reversed(store.audit.list(limit=10_000))
        if e.action.startswith(prefix)
    ]


def test_record_moves_the_bookings_to_exported_and_keeps_the_whole_batch(store: Store, cid: int) -> None:
    bookings = _stored(store, cid, range(1, 4), status=APPROVED)
    batch = store.exports.record(_batch(cid, bookings))
    assert batch.id is not None and batch.status is BatchStatus.DONE
    for b in bookings:
        now = store.bookings.get(cid, b.ksef_number)
        assert now == replace(b, status=EXPORTED, export_batch=str(batch.id))
    got = store.exports.get(batch.id)
    assert got == batch  # every field, the context and the snapshots included
    assert got.bookings == tuple(replace(b, id=None) for b in bookings)  # the state given to the writer
    assert got.context.profile.tax_office_code == "1471" and got.context.client_id == cid
    exports = _audit(store, "booking.export")
    assert [(e["booking"], e["result"]) for e in exports] == [
        (b.ksef_number, "approved -> exported") for b in bookings
    ]
    (created,) = _audit(store, "export_batch.")
    assert created["action"] == "export_batch.created" and created["batch"] == batch.id
    assert created["files"] == ["bookings.csv", "manifest.json"] and created["bookings"] == 3
    assert created["by"] == "Anna Nowak"


def test_a_booking_changed_since_the_plan_refuses_the_whole_record(store: Store, cid: int) -> None:
    bookings = _stored(store, cid, range(1, 4), status=APPROVED)
    store.bookings.put_many([replace(bookings[2], note="poprawione po podglądzie")])
    with pytest.raises(BookingChanged):
        store.exports.record(_batch(cid, bookings))
    assert store.exports.list(cid) == []
    assert {b.status for b in store.bookings.list([cid])} == {APPROVED}
    assert _audit(store, "booking.export") == []


def test_list_is_newest_first_without_snapshots_and_per_client(store: Store, cid: int, other: int) -> None:
    first = store.exports.record(_batch(cid, _stored(store, cid, [1], status=APPROVED)))
    theirs = store.exports.record(_batch(other, _stored(store, other, [2], status=APPROVED)))
    second = store.exports.record(_batch(cid, _stored(store, cid, [3], status=APPROVED), at_minutes=5))
    listed = store.exports.list(cid)
    assert [b.id for b in listed] == [second.id, first.id]
    assert all(b.bookings == () for b in listed) and listed[0].files == second.files
    assert [b.id for b in store.exports.list()] == [second.id, theirs.id, first.id]
    with pytest.raises(NotFound, match="Nie ma paczki eksportu 999"):
        store.exports.get(999)


def test_undo_puts_the_bookings_back_exactly_and_is_audited(store: Store, cid: int) -> None:
    bookings = _stored(store, cid, range(1, 4), status=APPROVED)
    batch = store.exports.record(_batch(cid, bookings))
    assert batch.id is not None
    undone = store.exports.undo(batch.id, "Jan Kowalski", FIXED_NOW + timedelta(hours=1))
    assert undone.status is BatchStatus.UNDONE and undone.undone_by == "Jan Kowalski"
    assert store.bookings.list([cid]) == bookings  # every field as before the export
    assert store.exports.get(batch.id).status is BatchStatus.UNDONE
    assert store.exports.list(cid)[0].status is BatchStatus.UNDONE
    undos = _audit(store, "booking.export_undo")
    assert [(e["result"], e["by"]) for e in undos] == [("exported -> approved", "Jan Kowalski")] * 3
    assert _audit(store, "export_batch.undone")[0]["batch"] == batch.id
    with pytest.raises(BatchUndoRefused, match="została już cofnięta"):
        store.exports.undo(batch.id, "Jan Kowalski", FIXED_NOW)


def test_undo_is_refused_while_a_newer_batch_holds_its_bookings(store: Store, cid: int) -> None:
    bookings = _stored(store, cid, range(1, 4), status=APPROVED)
    first = store.exports.record(_batch(cid, bookings))
    assert first.id is not None
    later = _stored(store, cid, [7], status=APPROVED)  # a newer batch of other bookings: no dependency
    unrelated = store.exports.record(_batch(cid, later, at_minutes=2))
    # Exported again in a newer batch: the snapshots are the EXPORTED states of the first batch.
    again_from = [b for b in store.bookings.list([cid]) if b.ksef_number in first.ksef_numbers][:2]
    again = store.exports.record(_batch(cid, again_from, at_minutes=5, again=True))
    assert again.id is not None and unrelated.id is not None
    with pytest.raises(BatchUndoRefused) as refused:
        store.exports.undo(first.id, "Anna", FIXED_NOW)
    assert f"nowsza paczka {again.id}" in str(refused.value)
    assert {b.export_batch for b in store.bookings.list([cid]) if b.ksef_number in first.ksef_numbers} == {
        str(first.id),
        str(again.id),
    }  # nothing changed
    store.exports.undo(again.id, "Anna", FIXED_NOW)  # the newest first: back to the first batch's state
    assert {b.export_batch for b in store.bookings.list([cid]) if b.ksef_number in first.ksef_numbers} == {
        str(first.id)
    }
    store.exports.undo(first.id, "Anna", FIXED_NOW)  # now nothing newer depends on it
    mine = [b for b in store.bookings.list([cid]) if b.ksef_number in first.ksef_numbers]
    assert mine == bookings
    assert store.bookings.get(cid, later[0].ksef_number).status is EXPORTED  # type: ignore[union-attr]


def test_undo_refuses_when_a_booking_left_the_batch_meanwhile(store: Store, cid: int) -> None:
    bookings = _stored(store, cid, range(1, 3), status=APPROVED)
    batch = store.exports.record(_batch(cid, bookings))
    assert batch.id is not None
    moved = store.bookings.get(cid, bookings[0].ksef_number)
    assert moved is not None
    store.bookings.put_many([replace(moved, export_batch="elsewhere")])
    with pytest.raises(BookingChanged):
        store.exports.undo(batch.id, "Anna", FIXED_NOW)
    assert store.exports.get(batch.id).status is BatchStatus.DONE
    assert store.bookings.get(cid, bookings[1].ksef_number).status is EXPORTED  # type: ignore[union-attr]


def test_taxpayer_profile_defaults_empty_then_round_trips(store: Store, cid: int, other: int) -> None:
    assert store.exports.profile(cid) == TaxpayerProfile()
    person = TaxpayerProfile(
        kind=TaxpayerKind.PERSON,
        first_name="Jan",
        last_name="Kowalski-Źdźbło",
        birth_date=date(1980, 2, 29),
        email="jan@example.pl",
        tax_office_code="1435",
        ledger=Ledger.KPIR,
        city="Łódź",
        postcode="90-001",
    )
    store.exports.set_profile(cid, person)
    assert store.exports.profile(cid) == person
    assert store.exports.profile(other) == TaxpayerProfile()
    with pytest.raises(NotFound):
        store.exports.set_profile(12345, person)


def test_nothing_of_a_batch_or_profile_reaches_the_file(store: Store, cid: int, home: Path) -> None:
    bookings = _stored(store, cid, [1], status=APPROVED)
    store.exports.record(_batch(cid, bookings))
    store.exports.set_profile(cid, TaxpayerProfile(email="tajny@piekarnia.pl", tax_office_code="1471"))
    needles = [
        bookings[0].ksef_number,
        bookings[0].invoice_number,
        "Piekarnia Nowak",
        "/biuro/eksport",
        "Faktura FV/9",
        "tajny@piekarnia.pl",
        "Anna Nowak",
        "abababab",
    ]
    assert find_plaintext(home, needles) == []
    store.close()
    assert find_plaintext(home, needles) == []


def test_a_tampered_plaintext_status_is_damage(store: Store, cid: int, home: Path) -> None:
    batch = store.exports.record(_batch(cid, _stored(store, cid, [1], status=APPROVED)))
    store.close()
    conn = raw(home / DB_FILENAME)
    conn.execute("UPDATE export_batches SET status = 'undone' WHERE id = ?", [batch.id])
    conn.close()
    s = Store.open(home, PASSPHRASE)
    try:
        assert s.exports.list(cid) == []
        assert s.damaged == [DamagedValue("export_batches", batch.id, "status")]  # type: ignore[arg-type]
        with pytest.raises(DamagedValueError):
            s.exports.get(batch.id)  # type: ignore[arg-type]
        (entry,) = s.damage_report()
        assert entry.client_id == cid
    finally:
        s.close()

"""store.bookings (issue 13): bookings and rules sealed, one transaction per decision with its audit
entries, undo, the plaintext columns, drafts committed with their invoices."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from booking_helpers import Q0, SELLER, SELLER_NAME, approval, booking, number, rule
from plaintext_scan import find_plaintext
from purchase_helpers import invoice_xml, package, purchase, sync_state
from store_helpers import FIXED_NOW, PASSPHRASE, client, raw

from ksef_tui.core.booking_queue import QueueFacts
from ksef_tui.core.bookings import (
    OPEN_STATUSES,
    BookingStatus,
    Decision,
    Dictionaries,
    QueueSettings,
    RuleTemplate,
)
from ksef_tui.core.purchases import PurchaseStatus
from ksef_tui.store import DamagedValue, DamagedValueError, NotFound, Store
from ksef_tui.store.paths import DB_FILENAME
from ksef_tui.store.repositories import bookings as bookings_module
from ksef_tui.store.repositories.bookings import BookingChanged, SellerStats

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


def _audit(store: Store, prefix: str) -> list[dict[str, object]]:
    return [
        {"action": e.action, "result": e.result, **json.loads(e.detail)}
        for e in reversed(store.audit.list(limit=10_000))
        if e.action.startswith(prefix)
    ]


# -- round trips ------------------------------------------------------------------------------------


def test_every_booking_field_round_trips_exactly(store: Store, cid: int) -> None:
    original = booking(
        cid, 1, review_reasons=(), note="zapłacono kartą; „cudzysłów”", fx_rate=Decimal("4.2713")
    )
    (saved,) = store.bookings.put_many([original])
    assert saved.id is not None
    assert store.bookings.get(cid, original.ksef_number.lower()) == replace(original, id=saved.id)
    assert store.bookings.get(cid, number(99)) is None


def test_put_many_replaces_by_number_in_one_transaction(store: Store, cid: int) -> None:
    first = store.bookings.put_many([booking(cid, 1), booking(cid, 2)])
    again = store.bookings.put_many([replace(booking(cid, 2), note="poprawione"), booking(cid, 3)])
    assert again[0].id == first[1].id  # the same row, written again
    assert [b.note for b in store.bookings.list([cid])] == ["", "poprawione", ""]
    with pytest.raises(NotFound):  # one unknown client: nothing of the batch is written
        store.bookings.put_many([booking(cid, 4), booking(cid + 100, 5)])
    assert store.bookings.count([cid]) == 3


def test_list_is_oldest_in_the_queue_first_filtered_and_paged_in_sql(
    store: Store, cid: int, other: int
) -> None:
    store.bookings.put_many(
        [
            booking(cid, 1, queued_at=Q0 + timedelta(hours=5)),
            booking(other, 2, queued_at=Q0 + timedelta(hours=1), status=BookingStatus.NEEDS_REVIEW),
            booking(cid, 3, queued_at=Q0 + timedelta(hours=3), status=APPROVED),
            booking(cid, 4, queued_at=Q0 + timedelta(hours=1)),
            booking(cid, 5, queued_at=None, status=BookingStatus.NEW),
        ]
    )
    every = [b.ksef_number for b in store.bookings.list()]
    assert every == [number(2), number(4), number(3), number(1), number(5)]  # ties by row id, None last
    assert [b.ksef_number for b in store.bookings.list([cid], OPEN_STATUSES)] == [
        number(4),
        number(1),
        number(5),
    ]
    assert [b.ksef_number for b in store.bookings.list(None, OPEN_STATUSES, offset=1, limit=2)] == [
        number(4),
        number(1),
    ]
    assert store.bookings.list([], None) == [] and store.bookings.list(None, []) == []
    assert store.bookings.count(None, OPEN_STATUSES) == 4
    assert store.bookings.counts() == {
        BookingStatus.PROPOSED: 2,
        BookingStatus.NEEDS_REVIEW: 1,
        APPROVED: 1,
        BookingStatus.NEW: 1,
    }
    assert store.bookings.counts([other]) == {BookingStatus.NEEDS_REVIEW: 1}
    assert store.bookings.queued_before(Q0 + timedelta(hours=2), None, OPEN_STATUSES) == 2


def test_every_clients_open_queue_is_paged_off_its_index_in_the_same_order(
    store: Store, cid: int, other: int, home: Path
) -> None:
    statuses = [BookingStatus.PROPOSED, BookingStatus.NEEDS_REVIEW, BookingStatus.NEW, APPROVED]
    store.bookings.put_many(
        booking(
            (cid, other)[n % 2],
            n,
            queued_at=None if n % 5 == 0 else Q0 + timedelta(hours=n % 4),  # ties, and never queued
            status=statuses[n % 4],
        )
        for n in range(1, 41)
    )
    subsets = [OPEN_STATUSES, {BookingStatus.NEEDS_REVIEW}, {BookingStatus.PROPOSED, BookingStatus.NEW}]
    for subset in subsets:
        whole = [b.ksef_number for b in store.bookings.list(None, subset)]  # no page: one sorted read
        assert whole and all(b.status in subset for b in store.bookings.list(None, subset))
        for offset, limit in [(0, 7), (3, 5), (0, 100), (len(whole) - 1, 10), (len(whole), 10)]:
            page = store.bookings.list(None, subset, offset=offset, limit=limit)
            assert [b.ksef_number for b in page] == whole[offset : offset + limit]
    statements: list[str] = []
    store._db.conn.set_trace_callback(statements.append)
    store.bookings.list(None, OPEN_STATUSES, offset=0, limit=10)
    store.bookings.list(None, [APPROVED], offset=0, limit=10)  # not in the open queue's index
    store._db.conn.set_trace_callback(None)
    conn = raw(home / DB_FILENAME)
    plans = []
    for sql in (s for s in statements if s.startswith("SELECT id FROM bookings")):
        plans.append(" ".join(r[3] for r in conn.execute("EXPLAIN QUERY PLAN " + sql)))
    conn.close()
    assert len(plans) == 2
    assert "bookings_open_order" in plans[0] and "TEMP B-TREE" not in plans[0]  # read in order, no sort
    assert "bookings_open_order" not in plans[1]
    first = [b.ksef_number for b in store.bookings.list(None, OPEN_STATUSES, offset=0, limit=10)]
    conn = raw(home / DB_FILENAME)
    conn.execute("DROP INDEX bookings_open_order")  # an edited file: the queue is still read, sorted
    conn.close()
    assert [b.ksef_number for b in store.bookings.list(None, OPEN_STATUSES, offset=0, limit=10)] == first


def test_scan_unseals_each_candidate_once_and_again_only_what_was_written_since(
    store: Store, cid: int, other: int, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.bookings.put_many([booking(cid, n, queued_at=Q0 + timedelta(minutes=10 - n)) for n in range(1, 5)])
    store.bookings.put_many([booking(other, 9, status=APPROVED)])
    unsealed: list[int] = []
    read = bookings_module._Decoded.read

    def counting(vault: object, row_id: int, *rest: object) -> object:
        unsealed.append(row_id)
        return read(vault, row_id, *rest)  # type: ignore[arg-type]

    monkeypatch.setattr(bookings_module._Decoded, "read", counting)
    odd = {number(1), number(3)}

    def keep(b: QueueFacts) -> bool:
        return b.ksef_number in odd

    page, total = store.bookings.scan(None, OPEN_STATUSES, keep, 0, 1)
    assert ([b.ksef_number for b in page], total) == ([number(3)], 2)  # queue order, one page of two
    assert len(unsealed) == 4  # every open candidate once; the approved one not at all
    assert store.bookings.scan(None, OPEN_STATUSES, keep, 1, 5)[0][0].ksef_number == number(1)
    assert len(unsealed) == 4  # nothing written meanwhile: nothing unsealed again
    store.bookings.put_many([booking(cid, 3, queued_at=Q0 + timedelta(minutes=7), confidence=12)])
    page, _ = store.bookings.scan(None, OPEN_STATUSES, keep, 0, 5)
    assert [b.confidence for b in page] == [12, 93] and len(unsealed) == 5  # only the rewritten row
    conn = raw(home / DB_FILENAME)  # another connection's write is seen too (SQLite's data_version)
    conn.execute("UPDATE bookings SET status = 'approved' WHERE id = ?", [page[0].id])
    conn.close()
    assert store.bookings.scan(None, OPEN_STATUSES, keep, 0, 5)[1] == 1
    store.lock()  # the decoded bookings go with the keys
    store.unlock(PASSPHRASE)
    store.bookings.scan(None, OPEN_STATUSES, keep, 0, 5)
    assert len(unsealed) == 5 + 3


def test_counts_are_kept_until_something_is_written_here_or_elsewhere(
    store: Store, cid: int, other: int, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.bookings.put_many([booking(cid, 1), booking(other, 2, status=APPROVED)])
    statements: list[str] = []
    store._db.conn.set_trace_callback(statements.append)
    counted = lambda: sum("GROUP BY status" in s for s in statements)  # noqa: E731
    assert store.bookings.counts() == {BookingStatus.PROPOSED: 1, APPROVED: 1}
    assert store.bookings.counts() == {BookingStatus.PROPOSED: 1, APPROVED: 1} and counted() == 1
    assert store.bookings.counts([other]) == {APPROVED: 1} and counted() == 2  # another WHERE
    store.bookings.counts()[APPROVED] = 99  # (one view is kept: counted again) a caller's copy...
    assert store.bookings.counts()[APPROVED] == 1 and counted() == 3  # ...the kept counts stay
    store.bookings.put_many([booking(cid, 3, status=BookingStatus.NEEDS_REVIEW)])
    assert store.bookings.counts() == {BookingStatus.PROPOSED: 1, APPROVED: 1, BookingStatus.NEEDS_REVIEW: 1}
    before = counted()
    conn = raw(home / DB_FILENAME)  # another process's write moves SQLite's data_version
    conn.execute("UPDATE bookings SET status = 'excluded' WHERE status = 'needs_review'")
    conn.close()
    assert store.bookings.counts() == {BookingStatus.PROPOSED: 1, APPROVED: 1, BookingStatus.EXCLUDED: 1}
    assert counted() == before + 1
    store._db.conn.set_trace_callback(None)


def test_seller_history_counts_decided_bookings_and_their_median(store: Store, cid: int) -> None:
    store.bookings.put_many(
        [
            booking(cid, 1, status=APPROVED, gross=Decimal("100.00")),
            booking(cid, 2, status=BookingStatus.EXPORTED, gross=Decimal("300.00")),
            booking(cid, 3, status=APPROVED, gross=Decimal("200.00"), seller_nip="PL 774-000-14-54"),
            booking(cid, 4, status=BookingStatus.PROPOSED, gross=Decimal("9999.00")),  # not decided
            booking(cid, 5, status=APPROVED, gross=Decimal("50.00"), seller_nip="5260250274"),
        ]
    )
    assert store.bookings.seller_history(cid) == {
        SELLER: SellerStats(3, Decimal("200.00")),
        "5260250274": SellerStats(1, Decimal("50.00")),
    }


def test_dictionaries_and_queue_settings_default_then_round_trip(store: Store, cid: int, other: int) -> None:
    assert store.bookings.dictionaries(cid) == Dictionaries()
    assert store.bookings.queue_settings() == QueueSettings()
    mine = Dictionaries(registers=("ZAKUP", "PALIWO"), cost_centres=("MPK-1", "Sklep Łódź"))
    store.bookings.set_dictionaries(cid, mine)
    store.bookings.set_queue_settings(QueueSettings(sla_hours=48, fixed_asset_threshold=Decimal("3500.00")))
    assert store.bookings.dictionaries(cid) == mine
    assert store.bookings.dictionaries(other) == Dictionaries()  # per client
    assert store.bookings.queue_settings() == QueueSettings(
        sla_hours=48, fixed_asset_threshold=Decimal("3500.00")
    )


# -- rules --------------------------------------------------------------------------------------------


def test_rules_per_client_and_office_found_by_seller_and_audited(store: Store, cid: int, other: int) -> None:
    mine = store.bookings.save_rule(rule(cid), "Anna", FIXED_NOW)
    theirs = store.bookings.save_rule(
        rule(other, template=RuleTemplate(gl_account="401-01")), "Anna", FIXED_NOW
    )
    office = store.bookings.save_rule(rule(None, seller_nip="5260250274"), "Anna", FIXED_NOW)
    assert mine.id is not None and office.id is not None
    assert store.bookings.rules(cid) == [mine, office]
    assert store.bookings.rules(cid, seller_nip="PL 774 000 14 54") == [mine]
    assert store.bookings.rules(cid, seller_nip="5260250274") == [office]
    assert store.bookings.rules(cid, office=False) == [mine]
    assert store.bookings.rules() == [mine, theirs, office]
    assert store.bookings.rules(seller_nip=SELLER) == [mine, theirs]
    changed = store.bookings.save_rule(replace(mine, confirmations=9), "Ewa", FIXED_NOW)
    assert store.bookings.rule(mine.id) == changed
    store.bookings.delete_rule(mine.id, "Ewa", FIXED_NOW)
    with pytest.raises(NotFound):
        store.bookings.rule(mine.id)
    with pytest.raises(NotFound):
        store.bookings.delete_rule(mine.id, "Ewa", FIXED_NOW)
    assert [(a["action"], a["rule"], a["by"]) for a in _audit(store, "booking_rule")] == [
        ("booking_rule.created", mine.id, "Anna"),
        ("booking_rule.created", theirs.id, "Anna"),
        ("booking_rule.created", office.id, "Anna"),
        ("booking_rule.updated", mine.id, "Ewa"),
        ("booking_rule.deleted", mine.id, "Ewa"),
    ]


# -- decisions ----------------------------------------------------------------------------------------


def test_decide_writes_after_states_rules_and_one_audit_entry_per_booking(store: Store, cid: int) -> None:
    before = store.bookings.put_many([booking(cid, n) for n in range(3)])
    learned = rule(cid)
    decision = replace(approval(before, FIXED_NOW), rule_changes=((None, learned),))
    saved = store.bookings.decide(decision)
    (created,) = saved.rule_changes
    assert created[0] is None and created[1] is not None and created[1].id is not None
    assert store.bookings.rules(cid) == [created[1]]
    assert [b.status for b in store.bookings.list([cid])] == [APPROVED] * 3
    assert store.bookings.get(cid, number(1)) == saved.after[1]
    entries = _audit(store, "booking")
    assert [e["action"] for e in entries] == ["booking.approve"] * 3 + ["booking_rule.created"]
    first = entries[0]
    assert first["booking"] == number(0) and first["by"] == "Anna Nowak"
    assert first["result"] == "proposed -> approved"
    assert first["before"] == {"status": "proposed", "decided_by": "", "decided_at": None}
    assert first["after"] == {
        "status": "approved",
        "decided_by": "Anna Nowak",
        "decided_at": FIXED_NOW.isoformat(),
    }
    assert store.audit.list(limit=1)[0].operator == "admin"  # the key slot that unlocked the store


def test_a_stale_before_state_refuses_the_whole_decision(store: Store, cid: int) -> None:
    before = store.bookings.put_many([booking(cid, n) for n in range(3)])
    store.bookings.put_many([replace(before[2], status=BookingStatus.EXCLUDED)])  # decided elsewhere
    audit_before = len(store.audit.list(limit=10_000))
    with pytest.raises(BookingChanged) as caught:
        store.bookings.decide(replace(approval(before, FIXED_NOW), rule_changes=((None, rule(cid)),)))
    assert caught.value.ksef_number == number(2)
    assert [b.status for b in store.bookings.list([cid])] == [
        BookingStatus.PROPOSED,
        BookingStatus.PROPOSED,
        BookingStatus.EXCLUDED,
    ]
    assert store.bookings.rules(cid) == []
    assert len(store.audit.list(limit=10_000)) == audit_before


def test_a_failure_in_the_middle_of_a_decision_leaves_nothing(
    store: Store, cid: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = store.bookings.put_many([booking(cid, n) for n in range(3)])
    audit_before = len(store.audit.list(limit=10_000))

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")  # after the bookings and the rule were written

    monkeypatch.setattr(bookings_module, "_audit_many", broken)
    with pytest.raises(OSError, match="disk full"):
        store.bookings.decide(replace(approval(before, FIXED_NOW), rule_changes=((None, rule(cid)),)))
    assert store.bookings.list([cid]) == before
    assert store.bookings.rules(cid) == []
    assert len(store.audit.list(limit=10_000)) == audit_before


def test_undo_restores_bookings_and_rules_exactly_and_is_audited(store: Store, cid: int) -> None:
    kept = store.bookings.save_rule(rule(cid, item_text="myjnia"), "Anna", FIXED_NOW)
    doomed = store.bookings.save_rule(rule(cid, item_text="olej"), "Anna", FIXED_NOW)
    before = store.bookings.put_many([booking(cid, n, rule_id=kept.id) for n in range(4)])
    decision = Decision(
        "approve",
        tuple(before),
        tuple(replace(b, status=APPROVED, decided_by="Anna", decided_at=FIXED_NOW) for b in before),
        "Anna",
        FIXED_NOW,
        rule_changes=(
            (kept, replace(kept, confirmations=kept.confirmations + 4)),
            (None, rule(cid, item_text="nowa")),
            (doomed, None),
        ),
    )
    saved = store.bookings.decide(decision)
    assert {r.item_text for r in store.bookings.rules(cid)} == {"myjnia", "nowa"}
    store.bookings.undo(saved, "Ewa", FIXED_NOW + timedelta(minutes=1))
    assert store.bookings.list([cid]) == before
    assert store.bookings.rules(cid) == [kept, doomed]  # the deleted one back under its own id
    undo = _audit(store, "booking.undo")
    assert len(undo) == 4 and undo[0]["by"] == "Ewa" and undo[0]["result"] == "approved -> proposed"
    with pytest.raises(BookingChanged):  # undone already: the bookings are no longer in their after-state
        store.bookings.undo(saved, "Ewa", FIXED_NOW)


def test_approving_a_thousand_bookings_is_one_decision(store: Store, cid: int) -> None:
    before = store.bookings.put_many([booking(cid, n) for n in range(1000)])
    store.bookings.decide(approval(before, FIXED_NOW))
    assert store.bookings.counts([cid]) == {APPROVED: 1000}
    assert len(_audit(store, "booking.approve")) == 1000


# -- drafts with the purchase package -------------------------------------------------------------------


def test_a_draft_is_stored_with_its_invoice_and_never_over_a_booking(store: Store, cid: int) -> None:
    items = [
        (r, x, booking(cid, 0, ksef_number=r.ksef_number, status=BookingStatus.NEW))
        for r, x in package(cid, range(3))
    ]
    store.bookings.put_many([replace(items[2][2], status=APPROVED, note="zatwierdzona wcześniej")])
    result = store.purchases.commit_package(cid, items, sync_state(cid, 1))
    assert (result.added, result.drafted) == (3, 2)
    by_number = {b.ksef_number: b for b in store.bookings.list([cid])}
    assert by_number[items[0][0].ksef_number].status is BookingStatus.NEW
    assert by_number[items[2][0].ksef_number].note == "zatwierdzona wcześniej"
    again = store.purchases.commit_package(cid, items, sync_state(cid, 2))
    assert (again.known, again.drafted) == (3, 0)  # known invoices draft nothing


def test_a_package_failing_midway_stores_no_draft(store: Store, cid: int) -> None:
    def items():  # type: ignore[no-untyped-def]
        record = purchase(cid, 1)
        yield (
            record,
            invoice_xml(1),
            booking(cid, 0, ksef_number=record.ksef_number, status=BookingStatus.NEW),
        )
        raise RuntimeError("the package broke")

    with pytest.raises(RuntimeError):
        store.purchases.commit_package(cid, items(), sync_state(cid, 1))
    assert store.bookings.count() == 0


def test_a_draft_for_another_invoice_is_refused(store: Store, cid: int) -> None:
    (record, xml) = package(cid, range(1))[0]
    with pytest.raises(ValueError):
        store.purchases.commit_package(cid, [(record, xml, booking(cid, 5))], None)
    assert store.bookings.count() == 0 and store.purchases.counts() == {}


def test_unbooked_lists_stored_invoices_without_a_booking(store: Store, cid: int, other: int) -> None:
    store.purchases.commit_package(cid, package(cid, range(3)), None)
    store.purchases.commit_package(other, package(other, range(5, 6)), None)
    store.purchases.replace_provisional(cid, [purchase(cid, 9)])  # provisional: no XML, nothing to book
    first = store.purchases.list([cid])[-1]
    store.bookings.put_many([booking(cid, 0, ksef_number=first.ksef_number)])
    stored = {r.ksef_number for r in store.purchases.list() if r.status is not PurchaseStatus.PROVISIONAL}
    assert len(stored) == 4
    assert {r.ksef_number for r in store.purchases.unbooked()} == stored - {first.ksef_number}
    assert len(store.purchases.unbooked([other])) == 1


# -- what the file shows ---------------------------------------------------------------------------------


def test_no_seller_nip_amount_or_booking_text_reaches_the_file(store: Store, cid: int, home: Path) -> None:
    before = store.bookings.put_many([booking(cid, 1, gross=Decimal("98765.43"), note="Tajna notatka")])
    store.bookings.decide(replace(approval(before, FIXED_NOW), rule_changes=((None, rule(cid)),)))
    store.bookings.save_rule(rule(None, seller_nip="5260250274", item_text="Biurowe"), "Anna", FIXED_NOW)
    store.bookings.set_dictionaries(cid, Dictionaries(cost_centres=("Oddział Gdańsk",)))
    b = before[0]
    needles = [
        SELLER,
        "774-000-14-54",
        "5260250274",
        SELLER_NAME,
        b.ksef_number,
        b.invoice_number,
        "98765.43",
        str(b.lines[0].net),
        "Tajna notatka",
        "MPK-żółw",
        "ZAKUP-50",
        "Paliwo ON",
        "dostawca znany",
        "Oddział Gdańsk",
        "Biurowe",
        "Anna Nowak",
    ]
    assert find_plaintext(home, needles) == []  # while open: the -wal included
    store.close()
    assert find_plaintext(home, needles) == []


def test_a_tampered_plaintext_status_is_reported_not_shown(store: Store, cid: int, home: Path) -> None:
    saved = store.bookings.put_many([booking(cid, 1), booking(cid, 2)])
    store.close()
    conn = raw(home / DB_FILENAME)
    conn.execute("UPDATE bookings SET status = 'approved' WHERE id = ?", [saved[0].id])
    conn.close()
    s = Store.open(home, PASSPHRASE)
    try:
        assert [b.ksef_number for b in s.bookings.list()] == [number(2)]
        assert s.damaged == [DamagedValue("bookings", saved[0].id, "status")]  # type: ignore[arg-type]
        with pytest.raises(DamagedValueError):
            s.bookings.get(cid, number(1))
    finally:
        s.close()


def test_removing_a_client_removes_its_bookings_and_rules(store: Store, cid: int, other: int) -> None:
    store.bookings.put_many([booking(cid, 1), booking(other, 2)])
    store.bookings.save_rule(rule(cid), "Anna", FIXED_NOW)
    office = store.bookings.save_rule(rule(None), "Anna", FIXED_NOW)
    store.clients.remove(cid)
    assert [b.client_id for b in store.bookings.list()] == [other]
    assert store.bookings.rules() == [office]


def test_the_largest_item_round_trips_and_an_old_booking_without_it_reads_as_none(
    store: Store, cid: int
) -> None:
    with_item = replace(booking(cid, 1), max_item_net=Decimal("12345.67"))
    without = replace(booking(cid, 2), max_item_net=None)
    saved = store.bookings.put_many([with_item, without])
    assert store.bookings.get(cid, with_item.ksef_number) == replace(with_item, id=saved[0].id)
    assert store.bookings.get(cid, without.ksef_number) == replace(without, id=saved[1].id)
    data = bookings_module.to_json(with_item)
    assert data["max_item_net"] == "12345.67"
    del data["max_item_net"]  # as written before the field existed
    assert bookings_module.from_json(type(with_item), data, client_id=cid).max_item_net is None


def test_the_scan_keeps_few_objects_for_the_collector(store: Store, cid: int) -> None:
    """The queue's decoded bookings stay alive while it is open: kept as JSON text with their facts (a
    few tracked objects each), not as parsed dicts (~25 each), so the cyclic collector's walks stay short
    (docs/PERFORMANCE.md: a generation-2 pause landed in paints and keystrokes)."""
    import gc

    store.bookings.put_many([booking(cid, n) for n in range(1, 201)])
    gc.collect()
    before = len(gc.get_objects())
    store.bookings.scan(None, OPEN_STATUSES, lambda facts: False, 0, 0)
    gc.collect()
    assert len(gc.get_objects()) - before < 200 * 4
    assert gc.isenabled()

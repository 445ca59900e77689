"""The queue's use cases (sync/bookings.py, issue 13) on a real store: drafting from stored XML, proposing,
approving with learning, editing, excluding, rejecting, undo, the queue page, and the purchase sync
drafting bookings in the package's transaction, with core's booking engine."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from test_purchase_sync import _office

from ksef_tui.core.bookings import OPEN_STATUSES, BookingStatus, QueueSettings, Rule, RuleTemplate
from ksef_tui.core.clock import fixed_clock
from ksef_tui.core.models import Client
from ksef_tui.core.purchases import PurchaseRecord
from ksef_tui.simulator.suppliers import CATALOGUE
from ksef_tui.store import KdfLimits, Store
from ksef_tui.store.repositories.bookings import BookingChanged
from ksef_tui.sync import bookings as uc
from tests.booking_engine import engine  # noqa: F401  (the fixture, used by every test below)
from tests.purchase_store import store_purchase

pytestmark = pytest.mark.usefixtures("engine")

NOW = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
BUYER = "5260250274"
SUPPLIERS = [s for s in CATALOGUE if not s.monthly][:2]
APPROVED, PROPOSED, REVIEW = BookingStatus.APPROVED, BookingStatus.PROPOSED, BookingStatus.NEEDS_REVIEW


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.create(tmp_path / "home", "pass phrase", operator="Anna Nowak", kdf=KdfLimits.FAST_FOR_TESTS)
    yield s
    s.close()


@pytest.fixture
def cid(store: Store) -> int:
    added = store.clients.add(Client("Piekarnia Nowak", "PIEKARNIA", [BUYER]))
    assert added.id is not None
    return added.id


def _stored(store: Store, cid: int, n: int, supplier: int = 0, days_ago: int = 0) -> str:
    """One purchase invoice stored as the sync stores it (record + XML), without a booking."""
    received = NOW - timedelta(days=days_ago, minutes=n)
    return store_purchase(store, cid, (BUYER, "Piekarnia Nowak"), SUPPLIERS[supplier], n, received)


def _open(store: Store, cid: int) -> list[tuple[str, BookingStatus]]:
    return [(b.ksef_number, b.status) for b in store.bookings.list([cid], OPEN_STATUSES)]


def test_propose_new_drafts_stored_invoices_and_a_new_seller_needs_review(store: Store, cid: int) -> None:
    numbers = [_stored(store, cid, n) for n in range(3)]
    assert store.bookings.count() == 0  # a store synced before bookings existed
    uc.propose_new(store, fixed_clock(NOW), [cid])
    found = {b.ksef_number: b for b in store.bookings.list([cid])}
    assert set(found) == set(numbers)
    for b in found.values():
        assert b.status is REVIEW and b.lines and b.queued_at == NOW  # no rule, first from the seller
    assert uc.propose_new(store, fixed_clock(NOW), [cid]) == 0  # nothing NEW left, nothing drafted twice


def test_classifying_a_new_supplier_proposes_its_next_invoice(store: Store, cid: int) -> None:
    first = _stored(store, cid, 1, days_ago=3)
    uc.propose_new(store, fixed_clock(NOW))
    booking = store.bookings.get(cid, first)
    assert booking is not None
    lines = tuple(replace(line, gl_account="402-01") for line in booking.lines)
    decision = uc.save_booking(
        store, replace(booking, lines=lines, vat_register="ZAKUP"), "Anna Nowak", fixed_clock(NOW)
    )
    assert decision.after[0].status is APPROVED
    (learned,) = store.bookings.rules(cid)
    assert learned.seller_nip == booking.seller_nip and learned.template.gl_account == "402-01"
    nxt = _stored(store, cid, 2)
    uc.propose_new(store, fixed_clock(NOW + timedelta(hours=1)), [cid])
    proposed = store.bookings.get(cid, nxt)
    assert proposed is not None and proposed.rule_id == learned.id
    assert {line.gl_account for line in proposed.lines} == {"402-01"}


def test_approve_confirms_the_rule_and_undo_restores_everything(store: Store, cid: int) -> None:
    numbers = [_stored(store, cid, n, days_ago=1) for n in range(4)]
    rule = store.bookings.save_rule(
        Rule(cid, SUPPLIERS[0].nip, RuleTemplate(vat_register="ZAKUP", gl_account="401-01"), confirmations=5),
        "Anna Nowak",
        NOW,
    )
    uc.propose_new(store, fixed_clock(NOW), [cid])
    before = store.bookings.list([cid], OPEN_STATUSES)
    keys = [(cid, n) for n in numbers]
    decision = uc.approve(store, keys, uc.operator_name(store), fixed_clock(NOW))
    assert {s for _n, s in _open(store, cid)} == set()
    assert all(b.decided_by == "Anna Nowak" for b in decision.after)
    assert {b.rule_id for b in before} == {rule.id}
    confirmed = store.bookings.rule(rule.id)  # type: ignore[arg-type]
    assert confirmed.confirmations == rule.confirmations + 4 and confirmed.overrides == 0
    approvals = [e for e in store.audit.list(limit=100) if e.action == "booking.approve"]
    assert len(approvals) == 4
    uc.undo(store, decision, "Anna Nowak", fixed_clock(NOW + timedelta(minutes=1)))
    assert store.bookings.list([cid], OPEN_STATUSES) == before
    assert store.bookings.rule(rule.id) == rule  # type: ignore[arg-type]
    with pytest.raises(BookingChanged):
        uc.undo(store, decision, "Anna Nowak", fixed_clock(NOW))


def test_exclude_and_reject_are_decisions_that_undo(store: Store, cid: int) -> None:
    a, b = _stored(store, cid, 1), _stored(store, cid, 2)
    uc.propose_new(store, fixed_clock(NOW))
    excluded = uc.exclude(store, [(cid, a)], "zakup prywatny", "Anna Nowak", fixed_clock(NOW))
    got = store.bookings.get(cid, a)
    assert (
        got is not None and got.status is BookingStatus.EXCLUDED and got.excluded_reason == "zakup prywatny"
    )
    approved = uc.approve(store, [(cid, b)], "Anna Nowak", fixed_clock(NOW))
    uc.reject(store, [(cid, b)], "Anna Nowak", fixed_clock(NOW))
    again = store.bookings.get(cid, b)
    assert again is not None and again.status is REVIEW
    uc.undo(store, excluded, "Anna Nowak", fixed_clock(NOW))
    back = store.bookings.get(cid, a)
    assert back is not None and back.status is excluded.before[0].status
    with pytest.raises(BookingChanged):  # b was rejected after that approval: its undo is refused
        uc.undo(store, approved, "Anna Nowak", fixed_clock(NOW))


def test_the_queue_page_counts_ages_and_filters(store: Store, cid: int) -> None:
    store.bookings.set_queue_settings(QueueSettings(sla_hours=24))
    old = _stored(store, cid, 1, days_ago=2)
    _stored(store, cid, 2, supplier=1)
    uc.propose_new(store, fixed_clock(NOW - timedelta(days=2)), [cid])  # the first entered 2 days ago
    uc.propose_new(store, fixed_clock(NOW), [cid])
    store.bookings.put_many(
        [
            replace(b, queued_at=NOW - timedelta(hours=2))
            for b in store.bookings.list([cid])
            if b.ksef_number != old
        ]
    )
    page = uc.load_queue(store, uc.QueueFilter(), fixed_clock(NOW))
    assert page.total == 2 and page.rows[0].booking.ksef_number == old  # oldest first
    assert page.rows[0].age_hours == pytest.approx(48.0) and page.rows[0].past_sla
    assert page.rows[1].age_hours == pytest.approx(2.0) and not page.rows[1].past_sla
    assert page.rows[0].client_code == "PIEKARNIA" and page.rows[0].client_nip == BUYER
    assert page.past_sla == 1 and page.counts == {REVIEW: 2}
    named = uc.load_queue(store, uc.QueueFilter(text=SUPPLIERS[1].nip), fixed_clock(NOW))
    assert [r.booking.seller_nip for r in named.rows] == [SUPPLIERS[1].nip] and named.total == 1
    # The filter reads decoded bookings kept between keystrokes: a decision in between is seen.
    key = (cid, named.rows[0].booking.ksef_number)
    decision = uc.exclude(store, [key], "duplikat", "Anna", fixed_clock(NOW))
    assert uc.load_queue(store, uc.QueueFilter(text=SUPPLIERS[1].nip), fixed_clock(NOW)).total == 0
    uc.undo(store, decision, "Anna", fixed_clock(NOW))
    assert uc.load_queue(store, uc.QueueFilter(text=SUPPLIERS[1].nip), fixed_clock(NOW)).total == 1
    paged = uc.load_queue(store, uc.QueueFilter(), fixed_clock(NOW), offset=1, limit=1)
    assert paged.total == 2 and len(paged.rows) == 1
    none = uc.load_queue(store, uc.QueueFilter(statuses=frozenset({APPROVED})), fixed_clock(NOW))
    assert none.rows == [] and none.total == 0


def test_dictionaries_settings_and_the_operator(store: Store, cid: int) -> None:
    assert uc.dictionaries(store, cid).registers[0] == "ZAKUP"
    assert uc.queue_settings(store).sla_hours == 24
    assert uc.operator_name(store) == "Anna Nowak"


def test_the_purchase_sync_drafts_and_proposes_in_the_same_run(tmp_path: Path) -> None:
    running = _office(tmp_path, clients=1)
    office = next(running)
    try:
        report = office.sync()
        assert not report.failed and report.added > 0
        (cid,) = office.ids.values()
        stored = {r.ksef_number for r in office.store.purchases.list([cid])}
        booked = {b.ksef_number for b in office.store.bookings.list([cid])}
        assert booked == stored  # every invoice got its booking with it
        assert office.store.bookings.counts([cid]).get(BookingStatus.NEW, 0) == 0  # proposed at once
    finally:
        running.close()  # the fixture's own cleanup: connections closed, store closed


def test_a_draft_that_cannot_read_the_invoice_still_reaches_the_queue(store: Store, cid: int) -> None:
    record = PurchaseRecord(
        cid, "X-1", seller_nip="7740001454", gross=Decimal("12.30"), issue_date=date(2026, 11, 2)
    )
    booking = uc.draft(record, None, QueueSettings(), NOW)
    assert booking.status is REVIEW and booking.lines == () and booking.gross == Decimal("12.30")
    assert booking.reason

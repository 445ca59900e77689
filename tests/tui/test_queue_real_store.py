"""The whole morning on a REAL store (issue 13 "Tests"): the queue screen over `sync.bookings` and a
sealed store on disk, no fakes. Last month's invoices from a known supplier were approved (the rule
learned from them); this month three more from it wait, proposed strongly, with one from a supplier never
seen. Open the queue → mark the strong ones → approve them in one step → classify the new supplier in the
booking form → its next invoice (stored and proposed as the sync does) comes proposed with that booking.
Every step is checked in the store, not in the screen only."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from textual.widgets import Input

from ksef_tui.core.bookings import OPEN_STATUSES, BookingStatus, Strength
from ksef_tui.core.clock import fixed_clock
from ksef_tui.core.models import Client
from ksef_tui.screens.booking_form import BookingFormScreen
from ksef_tui.screens.queue import QueueScreen
from ksef_tui.screens.queue_dialogs import AskScreen, ConfirmScreen
from ksef_tui.simulator.suppliers import CATALOGUE
from ksef_tui.store import KdfLimits, Store
from ksef_tui.sync import bookings as uc
from ksef_tui.ui.app import KsefApp
from ksef_tui.ui.config import AppConfig
from ksef_tui.widgets.queue_table import QueueTable
from tests.purchase_store import store_purchase

from .helpers import screen_text, settle

NOW = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
BUYER = ("5260250274", "Piekarnia Nowak")
KNOWN, NEW = [s for s in CATALOGUE if not s.monthly][:2]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.create(tmp_path / "home", "pass phrase", operator="Anna Nowak", kdf=KdfLimits.FAST_FOR_TESTS)
    yield s
    s.close()


def _last_month_approved(store: Store, cid: int) -> None:
    """Four invoices of KNOWN from October: the first classified in the form (the rule is made), the rest
    approved as proposed (confirmations)."""
    clock = fixed_clock(NOW - timedelta(days=30))
    numbers = [
        store_purchase(store, cid, BUYER, KNOWN, n, NOW - timedelta(days=35, hours=n)) for n in range(4)
    ]
    uc.propose_new(store, clock, [cid])
    first = store.bookings.get(cid, numbers[0])
    assert first is not None
    lines = tuple(replace(line, gl_account="401-01") for line in first.lines)
    uc.save_booking(store, replace(first, lines=lines), "Anna Nowak", clock)
    uc.propose_new(store, clock, [cid])
    uc.approve(store, [(cid, n) for n in numbers[1:]], "Anna Nowak", clock)


async def test_the_whole_morning_on_a_real_store(tmp_path: Path, store: Store) -> None:
    added = store.clients.add(Client(BUYER[1], "PIEKARNIA", [BUYER[0]]))
    assert added.id is not None
    cid = added.id
    _last_month_approved(store, cid)
    strong = {
        store_purchase(store, cid, BUYER, KNOWN, 10 + n, NOW - timedelta(hours=20 + n)) for n in range(3)
    }
    new_one = store_purchase(store, cid, BUYER, NEW, 20, NOW - timedelta(hours=30))
    uc.propose_new(store, fixed_clock(NOW), [cid])
    for number in strong:
        b = store.bookings.get(cid, number)
        assert b is not None and b.status is BookingStatus.PROPOSED and b.confidence >= 90, b
    fresh = store.bookings.get(cid, new_one)
    assert fresh is not None and fresh.status is BookingStatus.NEEDS_REVIEW

    app = KsefApp(AppConfig(home=tmp_path, clock=fixed_clock(NOW), store=store))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f4")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, QueueScreen)
        table = screen.query_one(QueueTable)
        assert {r.booking.ksef_number for r in table.rows} == strong | {new_one}

        await pilot.press("asterisk")
        await settle(pilot)
        assert isinstance(app.screen, AskScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert {k[1] for k in screen.marked} == strong
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "Zatwierdzić 3 faktury?" in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        for number in strong:  # in the store, sealed, with who decided
            b = store.bookings.get(cid, number)
            assert b is not None and b.status is BookingStatus.APPROVED and b.decided_by == "Anna Nowak"
        assert [r.booking.ksef_number for r in table.rows] == [new_one]

        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, BookingFormScreen)
        account = form.query_one("#account-0", Input)
        account.focus()
        account.value = ""
        await pilot.press(*"402-02")
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert app.screen is screen
        saved = store.bookings.get(cid, new_one)
        assert saved is not None and saved.status is BookingStatus.APPROVED
        assert {line.gl_account for line in saved.lines} == {"402-02"}
        assert [r.seller_nip for r in store.bookings.rules(cid) if r.seller_nip == NEW.nip] == [NEW.nip]

        # The next invoice from the new supplier, stored and proposed as the purchase sync does.
        later = store_purchase(store, cid, BUYER, NEW, 21, NOW - timedelta(hours=1))
        uc.propose_new(store, fixed_clock(NOW), [cid])
        screen.reload()
        await settle(pilot)
        (row,) = [r for r in table.rows if r.booking.ksef_number == later]
        assert row.booking.status is BookingStatus.PROPOSED and row.booking.strength is Strength.SELLER
        assert {line.gl_account for line in row.booking.lines} == {"402-02"}
        assert "402-02" in screen_text(app)  # the proposal under the cursor, as the user reads it

    assert {b.ksef_number for b in store.bookings.list([cid], OPEN_STATUSES)} == {later}
    actions = [e.action for e in store.audit.list(cid, limit=100)]
    assert actions.count("booking.approve") >= 3 + 3  # last month's and this morning's, one per booking

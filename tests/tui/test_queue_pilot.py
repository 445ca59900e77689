"""The approval queue from the keyboard (issue 13 item 4): the whole morning — open the queue, mark the
strongly proposed, approve them with one count-and-sum question, classify a new supplier in the form (the
next invoice from it is proposed with that booking), undo, redo — then the filters, next/previous needing
review, exclude and reject, the inspector from a row, paging, F4 from anywhere, the client screen's keys.

The use cases are faked (tests/tui/queue_helpers.py: a FakeQueue holding Booking values that approves,
undoes and learns); the store, the screens and the workers are real.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from textual.widgets import Input, Select

from ksef_tui.core.bookings import BookingStatus, Deduction, KpirColumn, Strength
from ksef_tui.core.fa.generate import generate_invoice
from ksef_tui.core.i18n import set_language
from ksef_tui.core.money_format import format_amount
from ksef_tui.screens.booking_form import BookingFormScreen
from ksef_tui.screens.client_detail import ClientDetailScreen
from ksef_tui.screens.client_form import ClientFormScreen
from ksef_tui.screens.clients import ClientsScreen
from ksef_tui.screens.invoice import InvoiceScreen
from ksef_tui.screens.queue import QueueScreen
from ksef_tui.screens.queue_dialogs import AskScreen, ConfirmScreen
from ksef_tui.screens.rules import OfficeRulesScreen, RuleFormScreen, RulesScreen
from ksef_tui.ui.app import KsefApp
from ksef_tui.widgets.queue_table import QueueTable
from ksef_tui.widgets.rule_table import RuleTable

from .helpers import make_store, screen_text, services, settle
from .queue_helpers import FakeQueue, agreeing_rules, key, morning, needs_review, proposed, sample_rules


def _app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bookings=None):  # type: ignore[no-untyped-def]
    store = make_store(tmp_path)
    ids = [c.id for c in store.clients.list()][:3]
    fake = FakeQueue.for_store(store, bookings if bookings is not None else morning(ids)).install(monkeypatch)
    return KsefApp(services(tmp_path, store)), fake, store, ids


def _table(app: KsefApp) -> QueueTable:
    return app.screen.query_one(QueueTable)


def _text(app: KsefApp, widget_id: str) -> str:
    return str(app.screen.query_one(f"#{widget_id}").render())


async def _open_queue(pilot) -> QueueScreen:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await pilot.press("z")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, QueueScreen)
    return screen


async def _type(pilot, field: Input, text: str) -> None:  # type: ignore[no-untyped-def]
    field.focus()
    field.value = ""
    await pilot.press(*text)
    await settle(pilot)


# --- the morning --------------------------------------------------------------------------------


async def test_the_whole_morning_from_the_keyboard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app, fake, _store, ids = _app(tmp_path, monkeypatch)
    strong = {
        key(b) for b in fake.bookings.values() if b.status is BookingStatus.PROPOSED and b.confidence >= 90
    }
    assert len(strong) == 12
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open_queue(pilot)
        table = _table(app)
        # Oldest first, with the age shown; the header counts per status and past the SLA.
        ages = [row.age_hours for row in table.rows]
        assert ages == sorted(ages, reverse=True) and len(ages) == 18
        title = _text(app, "title")
        assert "do przejrzenia: 4" in title and "proponowane: 14" in title and "po terminie 24 h: 3" in title
        assert "2 dni!" in screen_text(app)  # the oldest, 52 hours, past the SLA

        # * asks the threshold (90 by default) and marks the strongly proposed, never the ones to review.
        await pilot.press("asterisk")
        await settle(pilot)
        assert isinstance(app.screen, AskScreen)
        assert app.screen.query_one("#value", Input).value == "90"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen and set(screen.marked) == strong
        total = sum((fake.bookings[k].gross for k in strong), Decimal("0.00"))
        assert f"zaznaczone 12: {format_amount(total, 'PLN')}" in _text(app, "filters")

        # a: one question with the count and the gross sum, then one step.
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        question = screen_text(app)
        assert "Zatwierdzić 12 faktur?" in question
        assert f"12 faktur na łączną kwotę brutto {format_amount(total, 'PLN')}" in question
        await pilot.press("enter")
        await settle(pilot)
        action, decision = fake.calls[-1]
        assert action == "approve" and {key(b) for b in decision.after} == strong
        assert all(fake.bookings[k].status is BookingStatus.APPROVED for k in strong)
        assert screen.marked == {} and len(table.rows) == 6 and len(screen.undo_stack) == 1

        # The new supplier needs a look: n goes there, e opens the form.
        await pilot.press("home")
        await pilot.press("n")
        await settle(pilot)
        row = table.selected()
        assert row is not None and row.booking.status is BookingStatus.NEEDS_REVIEW and table.cursor_row == 1
        await pilot.press("home")
        await settle(pilot)
        assert table.selected() is not None and table.selected().booking.seller_nip == "6762468391"  # type: ignore[union-attr]
        new_supplier = table.selected().booking  # type: ignore[union-attr]
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, BookingFormScreen)

        # Checked as you type: a wrong period is named and nothing is saved.
        await _type(pilot, form.query_one("#vat_period", Input), "2026-13")
        assert "RRRR-MM" in _text(app, "header-error")
        await _type(pilot, form.query_one("#account-0", Input), "402-01")
        form.query_one("#kpir-0", Select).value = KpirColumn.OTHER.value
        form.query_one("#deduction-0", Select).value = Deduction.PROPORTION.value
        await settle(pilot)
        await _type(pilot, form.query_one("#pct-0", Input), "76")
        assert "VAT do odliczenia 433,50" in _text(app, "derived-0")  # 570,40 × 76 %
        await pilot.press("f2")
        await settle(pilot)
        assert app.screen is form and not any(a == "edit" for a, _d in fake.calls)
        assert "Nie zapisano" in _text(app, "message")
        await _type(pilot, form.query_one("#vat_period", Input), "2026-11")
        await pilot.press("f2")
        await settle(pilot)
        assert app.screen is screen
        action, decision = fake.calls[-1]
        assert action == "edit"
        saved = decision.after[0]
        assert key(saved) == key(new_supplier) and saved.status is BookingStatus.APPROVED
        line = saved.lines[0]
        assert (line.gl_account, line.deduction, line.deduction_pct) == (
            "402-01",
            Deduction.PROPORTION,
            Decimal(76),
        )
        assert len(screen.undo_stack) == 2

        # It learnt: the next invoice from that supplier is proposed with that booking.
        arrived = fake.arrive(needs_review(ids[0], 41, hours=0.5))
        screen.reload()
        await settle(pilot)
        (row,) = [r for r in table.rows if key(r.booking) == key(arrived)]
        assert row.booking.status is BookingStatus.PROPOSED and row.booking.strength is Strength.SELLER
        assert row.booking.lines[0].gl_account == "402-01" and row.booking.lines[0].deduction_pct == Decimal(
            76
        )

        # u undoes the form's step (the booking and the rule), U redoes it, u u goes back two levels.
        await pilot.press("u")
        await settle(pilot)
        assert fake.bookings[key(new_supplier)] == new_supplier
        assert not [r for r in fake.rules.values() if r.seller_nip == new_supplier.seller_nip]
        await pilot.press("U")
        await settle(pilot)
        assert fake.bookings[key(new_supplier)].status is BookingStatus.APPROVED
        assert [r for r in fake.rules.values() if r.seller_nip == new_supplier.seller_nip]
        await pilot.press("u")
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        assert all(fake.bookings[k].status is BookingStatus.PROPOSED for k in strong)
        assert fake.bookings[key(new_supplier)] == new_supplier
        assert screen.undo_stack == [] and len(screen.redo_stack) == 2


async def test_approve_asks_first_and_esc_approves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, fake, _store, _ids = _app(tmp_path, monkeypatch)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _open_queue(pilot)
        await pilot.press("end")
        await pilot.press("space")  # the newest: proposed
        await settle(pilot)
        assert len(screen.marked) == 1
        await pilot.press("a")
        await settle(pilot)
        assert "Zatwierdzić 1 fakturę?" in screen_text(app)  # the accusative, as Polish asks
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen and fake.calls == [] and len(screen.marked) == 1
        await pilot.press("minus")
        await settle(pilot)
        assert screen.marked == {}


# --- filters, moving -----------------------------------------------------------------------------


async def test_filters_as_you_type_and_by_status_strength_client(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, _fake, _store, ids = _app(tmp_path, monkeypatch)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _open_queue(pilot)
        table = _table(app)
        await pilot.press("slash")
        await pilot.press(*"orlen")
        await settle(pilot)
        assert table.rows and {r.booking.seller_name for r in table.rows} == {"ORLEN SA"}
        assert "„orlen”" in _text(app, "filters")
        await pilot.press("enter", "escape")  # back to the table, then clear the filter
        await settle(pilot)
        assert len(table.rows) == 18
        await pilot.press("s")  # only to review
        await settle(pilot)
        assert {r.booking.status for r in table.rows} == {BookingStatus.NEEDS_REVIEW}
        assert "tylko do przejrzenia" in _text(app, "filters")
        await pilot.press("s", "s", "s", "s")  # proposed, approved, excluded, back to open
        await settle(pilot)
        assert len(table.rows) == 18
        await pilot.press("p", "p", "p")  # strength: seller and items, seller, pattern
        await settle(pilot)
        assert {r.booking.strength for r in table.rows} == {Strength.PATTERN} and len(table.rows) == 2
        await pilot.press("p", "p")  # none, then any
        await settle(pilot)
        await pilot.press("home")
        await pilot.press("c")  # only the selected row's client
        await settle(pilot)
        assert {r.booking.client_id for r in table.rows} == {ids[0]}
        assert screen.narrowed_to == ids[0]
        await pilot.press("c")
        await settle(pilot)
        assert len(table.rows) == 18
        await pilot.press("o")  # this month (November 2026): every sample is
        await settle(pilot)
        assert len(table.rows) == 18 and "okres VAT 2026-11" in _text(app, "filters")
        await pilot.press("o")  # last month: none
        await settle(pilot)
        assert table.rows == [] and "Żadna faktura nie pasuje" in _text(app, "detail")


async def test_next_and_previous_needing_review(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app, _fake, _store, _ids = _app(tmp_path, monkeypatch)
    async with app.run_test(size=(100, 30)) as pilot:
        await _open_queue(pilot)
        table = _table(app)
        review = [i for i, r in enumerate(table.rows) if r.booking.status is BookingStatus.NEEDS_REVIEW]
        assert len(review) == 4
        await pilot.press("home")
        for expected in review[1:]:
            await pilot.press("n")
            assert table.cursor_row == expected
        await pilot.press("n")  # none further: the cursor stays
        assert table.cursor_row == review[-1]
        await pilot.press("N")
        assert table.cursor_row == review[-2]


# --- exclude, reject ------------------------------------------------------------------------------


async def test_exclude_asks_why_and_reject_sends_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, fake, _store, _ids = _app(tmp_path, monkeypatch)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _open_queue(pilot)
        table = _table(app)
        await pilot.press("end")
        target = table.selected()
        assert target is not None
        await pilot.press("x")
        await settle(pilot)
        assert isinstance(app.screen, AskScreen)
        field = app.screen.query_one("#value", Input)
        assert field.value == "zakup prywatny"
        field.value = "  "
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, AskScreen) and "Podaj powód" in _text(app, "error")
        field.value = "zakup prywatny wspólnika"
        await pilot.press("enter")
        await settle(pilot)
        assert app.screen is screen
        assert fake.bookings[key(target.booking)].status is BookingStatus.EXCLUDED
        assert fake.bookings[key(target.booking)].excluded_reason == "zakup prywatny wspólnika"
        # The excluded view, then back to review from there.
        await pilot.press("s", "s", "s", "s")
        await settle(pilot)
        assert [key(r.booking) for r in table.rows] == [key(target.booking)]
        assert "wykluczona: zakup prywatny wspólnika" in _text(app, "detail")
        await pilot.press("r")
        await settle(pilot)
        assert fake.bookings[key(target.booking)].status is BookingStatus.NEEDS_REVIEW
        assert [a for a, _d in fake.calls] == ["exclude", "reject"]


# --- the inspector, paging -------------------------------------------------------------------------


async def test_enter_opens_the_invoice_in_the_inspector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, _fake, store, ids = _app(tmp_path, monkeypatch)
    client = store.clients.get(ids[0])
    async with app.run_test(size=(100, 30)) as pilot:
        await _open_queue(pilot)
        row = _table(app).selected()
        assert row is not None and row.booking.client_id == ids[0]
        xml = generate_invoice(
            row.booking.seller_nip,
            row.booking.seller_name,
            client.nip,
            client.name,
            row.booking.invoice_number,
            "2026-11-17",
            lines=3,
        )
        store.documents.put(ids[0], "invoice", row.booking.ksef_number, xml)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, InvoiceScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
        await pilot.press("i")
        await settle(pilot)
        assert isinstance(app.screen, InvoiceScreen)


async def test_the_next_page_is_read_near_the_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = make_store(tmp_path)
    ids = [c.id for c in store.clients.list()][:3]
    many = [proposed(ids[i % 3], i, hours=1000 - i * 0.5, known=i) for i in range(1200)]
    fake = FakeQueue.for_store(store, many).install(monkeypatch)
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _open_queue(pilot)
        table = _table(app)
        assert len(table.rows) == 500 and screen.page is not None and screen.page.total == 1200
        await pilot.press("end")
        await settle(pilot)
        assert len(table.rows) == 1000
        await pilot.press("end")
        await settle(pilot)
        assert len(table.rows) == 1200
        assert [key(r.booking) for r in table.rows] == [key(b) for b in many]  # oldest first, no gaps
        assert fake.loads == 4  # a screenful (FIRST_PAGE) and the rest of the first page, then two pages


# --- ways in ----------------------------------------------------------------------------------------


async def test_f4_opens_the_queue_from_any_screen_but_not_over_a_dialog(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, _fake, _store, _ids = _app(tmp_path, monkeypatch)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientDetailScreen)
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen) and app.screen.client_id is None
        await pilot.press("f4")  # not a second queue over the first
        await settle(pilot)
        assert sum(isinstance(s, QueueScreen) for s in app.screen_stack) == 1
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, ClientFormScreen)
        await pilot.press("f4")
        await settle(pilot)
        assert isinstance(app.screen, ClientFormScreen)


async def test_the_client_screen_opens_its_own_queue_and_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, fake, store, ids = _app(tmp_path, monkeypatch)
    for rule in sample_rules(ids[0]):
        fake.rules[rule.id or 0] = rule
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.screen.select_client(ids[0])  # type: ignore[attr-defined]
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientDetailScreen)
        await pilot.press("z")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, QueueScreen) and screen.client_id == ids[0]
        table = _table(app)
        assert table.rows and {r.booking.client_id for r in table.rows} == {ids[0]}
        assert "client" not in {c.key for c in table.columns}
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, RulesScreen)
        rules = app.screen.query_one(RuleTable).rules
        assert [r.id for r in rules] == [100, 102, 104, 900]  # the client's, then the office's
        assert store.clients.get(ids[0]).short_code in _text(app, "title")


async def test_rules_are_edited_and_deleted_from_the_queue(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, fake, _store, ids = _app(tmp_path, monkeypatch)
    for rule in sample_rules(ids[0]):
        fake.rules[rule.id or 0] = rule
    async with app.run_test(size=(100, 30)) as pilot:
        await _open_queue(pilot)
        await pilot.press("home")
        await pilot.press("R")
        await settle(pilot)
        rules_screen = app.screen
        assert isinstance(rules_screen, RulesScreen) and rules_screen.client_id == ids[0]
        assert "Energa Obrót SA" in screen_text(app)  # seller names from the queue's rows
        await pilot.press("e")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, RuleFormScreen)
        await _type(pilot, form.query_one("#amount_min", Input), "abc")
        assert "Kwoty to liczby" in _text(app, "error")
        await _type(pilot, form.query_one("#amount_min", Input), "100,00")
        await _type(pilot, form.query_one("#account", Input), "401-01")
        await pilot.press("f2")
        await settle(pilot)
        assert app.screen is rules_screen
        action, saved = fake.calls[-1]
        assert action == "save_rule" and saved.id == 100
        assert saved.template.gl_account == "401-01" and saved.amount_min == Decimal("100.00")
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert fake.calls[-1] == ("delete_rule", 100) and 100 not in fake.rules
        assert [r.id for r in rules_screen.query_one(RuleTable).rules] == [102, 104, 900]


async def test_an_office_rule_on_offer_is_created_after_a_question(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    app, fake, _store, ids = _app(tmp_path, monkeypatch)
    for rule in [*sample_rules(ids[0]), *agreeing_rules(ids)]:
        fake.rules[rule.id or 0] = rule
    async with app.run_test(size=(100, 30)) as pilot:
        await _open_queue(pilot)
        await pilot.press("home", "R")
        await settle(pilot)
        rules_screen = app.screen
        assert isinstance(rules_screen, RulesScreen)
        offer = _text(app, "offer")
        assert "NIP 521-300-00-11: 3 klientów księguje tak samo — utworzyć regułę biura? (o)" in offer
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(app.screen, OfficeRulesScreen)
        await pilot.press("escape")  # closes the list: nothing created
        await settle(pilot)
        assert app.screen is rules_screen and not [c for c in fake.calls if c[0] == "promote_office_rule"]
        await pilot.press("o")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert "reguły klientów zostają i mają pierwszeństwo" in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        action, office = fake.calls[-1]
        assert action == "promote_office_rule" and office.client_id is None
        assert office.seller_nip == sample_rules(ids[0])[2].seller_nip and office.template.gl_contra is None
        assert app.screen is rules_screen
        assert office.id in [r.id for r in rules_screen.query_one(RuleTable).rules]
        assert not rules_screen.query_one("#offer").has_class("shown")  # covered now: nothing on offer
        await pilot.press("o")
        await settle(pilot)
        assert app.screen is rules_screen  # nothing to list: a notice instead


async def test_the_queue_speaks_english_with_lang_en(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    set_language("en")  # conftest puts Polish back after the test
    app, _fake, _store, _ids = _app(tmp_path, monkeypatch)
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_queue(pilot)
        text = screen_text(app)
        assert "to review: 4" in text and "proposed: 14" in text and "past the 24 h SLA: 3" in text
        assert "2 d!" in text and "Look at it: first invoice from this seller" in text
        assert "Approve" in text and "Zatwierdź" not in text

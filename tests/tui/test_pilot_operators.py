"""Operators in the TUI (issue 15), on a real store of 45 demo-roster clients: the administrator adds an
operator and assigns three clients on the operators screen; the operator unlocks (choosing who they
are), must replace the initial passphrase, and the board shows 3 of 45."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import DataTable, Input, Select, SelectionList

from ksef_tui.core.operators import OfficeRole
from ksef_tui.screens.clients import ClientsScreen
from ksef_tui.screens.operators import ClientChecklistScreen, OperatorFormScreen, OperatorsScreen
from ksef_tui.screens.unlock import UnlockScreen
from ksef_tui.store import Store
from ksef_tui.ui.app import KsefApp

from .helpers import PASSPHRASE, make_store, screen_text, services, settle, until, wait_for_text

START = "start-ani-2026"
OWN = "własne hasło Ani"


async def _add_operator_with_three_clients(home: Path) -> list[int]:
    store = make_store(home, extra_healthy=24)
    app = KsefApp(services(home, store))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        await pilot.press("u")
        await settle(pilot)
        assert isinstance(app.screen, OperatorsScreen)
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, OperatorFormScreen)
        form.query_one("#login", Input).value = "ania"
        form.query_one("#name", Input).value = "Anna Nowak"
        form.query_one("#role", Select).value = OfficeRole.ACCOUNTANT.value
        form.query_one("#passphrase", Input).value = START
        form.query_one("#repeat", Input).value = START
        await pilot.press("f2")
        await settle(pilot)
        await wait_for_text(pilot, "Anna Nowak")
        screen = app.screen
        assert isinstance(screen, OperatorsScreen)
        table = screen.query_one(DataTable)
        table.move_cursor(row=[o.login for o in screen.operators].index("ania"))
        await pilot.press("c")
        await settle(pilot)
        checklist = app.screen
        assert isinstance(checklist, ClientChecklistScreen)
        for _ in range(3):
            await pilot.press("space")
            await pilot.press("down")
        chosen = sorted(checklist.query_one(SelectionList).selected)
        assert len(chosen) == 3
        await pilot.press("f2")
        await settle(pilot)
        await wait_for_text(pilot, "3/45")
        assert "do zmiany" in screen_text(app)
    store.close()
    return chosen


async def test_an_administrator_adds_an_operator_who_then_sees_only_their_three_clients(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    chosen = await _add_operator_with_three_clients(home)
    with Store.open(home, PASSPHRASE) as admin:
        info = admin.operators.get("ania")
        assert info.client_ids == tuple(chosen) and info.must_change and info.role is OfficeRole.ACCOUNTANT
        codes = {c.id: c.short_code for c in admin.clients.list()}

    app = KsefApp(services(home))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        unlock = app.screen
        assert isinstance(unlock, UnlockScreen)
        who = unlock.query_one("#who", Select)
        assert who.value == "admin"
        who.value = "ania"
        unlock.query_one("#passphrase", Input).value = START
        await pilot.press("enter")
        await until(pilot, lambda: unlock.has_class("changing"), "the new passphrase asked for")
        assert "hasło startowe" in screen_text(app)
        unlock.query_one("#new", Input).value = OWN
        unlock.query_one("#repeat", Input).value = OWN
        await pilot.press("enter", "enter")  # Enter in the first field moves to the second
        await until(pilot, lambda: isinstance(app.screen, ClientsScreen), "the board")
        await settle(pilot)
        board = app.screen
        assert isinstance(board, ClientsScreen)
        await wait_for_text(pilot, "3 z 45, operator ania")
        assert sorted(e.client.id for e in board.entries) == chosen
        text = screen_text(app)
        for cid, code in codes.items():
            assert (code in text) == (cid in chosen), code
        # the operators screen is not theirs
        await pilot.press("u")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
    with Store.open(home, OWN, operator="ania") as op:
        assert not op.must_change_passphrase


async def test_a_wrong_repeat_of_the_new_passphrase_is_said_and_nothing_changes(tmp_path: Path) -> None:
    home = tmp_path / "home"
    store = make_store(home, roster=False)
    store.operators.add("ania", "Anna Nowak", START, OfficeRole.READ_ONLY, [])
    store.close()
    app = KsefApp(services(home, operator="ania"))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        unlock = app.screen
        assert isinstance(unlock, UnlockScreen)
        assert unlock.query_one("#who", Select).value == "ania"  # `ksef-tui --operator ania`
        unlock.query_one("#passphrase", Input).value = START
        await pilot.press("enter")
        await until(pilot, lambda: unlock.has_class("changing"), "the new passphrase asked for")
        unlock.query_one("#new", Input).value = OWN
        unlock.query_one("#repeat", Input).value = OWN + "x"
        await pilot.press("enter", "enter")
        await wait_for_text(pilot, "różnią")
        assert isinstance(app.screen, UnlockScreen)
    with Store.open(home, START, operator="ania") as op:
        assert op.must_change_passphrase


async def test_after_a_lock_the_next_person_unlocks_as_themselves(tmp_path: Path) -> None:
    """A shared desk: the administrator locks, the operator unlocks as themselves, and the board (not a
    screen left from the administrator) shows only the operator's clients; a wrong passphrase for the
    other operator changes nothing and keeps the administrator's store."""
    home = tmp_path / "home"
    store = make_store(home, extra_healthy=24)
    ids = [c.id for c in store.clients.list() if c.id is not None][:3]
    store.operators.add("ania", "Anna Nowak", OWN, OfficeRole.ACCOUNTANT, ids, must_change=False)
    app = KsefApp(services(home, store))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen) and len(app.screen.entries) == 45
        await pilot.press("ctrl+l")
        await settle(pilot)
        unlock = app.screen
        assert isinstance(unlock, UnlockScreen)
        who = unlock.query_one("#who", Select)
        assert who.value == "admin"  # the person who locked, chosen
        who.value = "ania"
        unlock.query_one("#passphrase", Input).value = "not hers"
        await pilot.press("enter")
        await wait_for_text(pilot, "hasło")
        assert isinstance(app.screen, UnlockScreen) and app.services.store is store
        unlock.query_one("#passphrase", Input).disabled = False
        unlock.query_one("#passphrase", Input).value = OWN
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, ClientsScreen), "the board")
        await settle(pilot)
        await wait_for_text(pilot, "3 z 45, operator ania")
        assert sorted(e.client.id for e in app.screen.entries) == sorted(ids)  # type: ignore[attr-defined]
        assert app.services.store is not store and app.services.store.operator == "ania"

"""The office audit screen (issue 15 item 2) on a real store: every client's entries and the office's,
newest first, filtered as typed, paged in the store, a removed client's trail readable, the chain
verified from the screen."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from ksef_tui.screens.audit import PAGE, AuditScreen
from ksef_tui.store.paths import DB_FILENAME
from ksef_tui.ui.app import KsefApp
from ksef_tui.widgets.audit_table import AuditTable

from .helpers import make_store, screen_text, services, settle, until


def _app(home: Path, entries: int = 0) -> tuple[KsefApp, Any]:
    store = make_store(home, extra_healthy=0)
    clients = store.clients.list()
    for n in range(entries):
        client = clients[n % len(clients)]
        store.audit.append(client.id, "booking.approve", "proposed -> approved", f"FV/{n}")
    return KsefApp(services(home, store)), store


async def _open(pilot: Any) -> AuditScreen:
    await settle(pilot)
    await pilot.press("A")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, AuditScreen)
    return screen


async def _type(pilot: Any, field: str, text: str) -> None:
    pilot.app.screen.query_one(f"#{field}").focus()
    await pilot.press(*text)
    await settle(pilot)


async def test_the_board_opens_every_clients_entries_and_the_offices(tmp_path: Path) -> None:
    app, store = _app(tmp_path, entries=4)
    everything = store.audit.list(limit=1000)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await _open(pilot)
        table = screen.query_one(AuditTable)
        assert [r.id for r in table.lines] == [e.id for e in everything]  # newest first, nothing left out
        assert {r.client == "" for r in table.lines} == {True, False}  # the office's and the clients'
        text = screen_text(app)
        assert "Dziennik zdarzeń" in text and "store_created" in text
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, AuditScreen)


async def test_filters_as_you_type(tmp_path: Path) -> None:
    app, store = _app(tmp_path, entries=40)
    client = store.clients.list()[1]
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await _open(pilot)
        table = screen.query_one(AuditTable)
        await _type(pilot, "client", client.short_code.lower())
        assert table.lines and {r.client for r in table.lines} == {client.short_code}
        await _type(pilot, "action", "booking.")
        assert table.lines and {r.action for r in table.lines} == {"booking.approve"}
        await _type(pilot, "operator", "nikt")
        assert table.lines == [] and "Żaden wpis dziennika nie pasuje do filtrów." in screen_text(app)
        await _type(pilot, "period", "03.2026")
        assert "Wpisz okres jako" in screen_text(app)
        await pilot.press("escape")  # leaves the field, not the screen
        await settle(pilot)
        assert isinstance(app.screen, AuditScreen) and app.screen.focused is table


async def test_pages_are_read_as_the_cursor_nears_the_end(tmp_path: Path) -> None:
    app, store = _app(tmp_path, entries=PAGE + 150)
    total = len(store.audit.list(limit=10_000))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot)
        table = screen.query_one(AuditTable)
        assert len(table.lines) == PAGE and screen.next_before is not None
        assert f"({PAGE}+)" in screen_text(app)
        for _ in range(3):
            await pilot.press("end")
            await settle(pilot)
        await until(pilot, lambda: len(table.lines) == total, "every entry read")
        assert [r.id for r in table.lines] == sorted((r.id for r in table.lines), reverse=True)
        assert screen.next_before is None


async def test_a_removed_clients_entries_stay_readable(tmp_path: Path) -> None:
    app, store = _app(tmp_path)
    gone = store.clients.list()[0]
    store.audit.append(gone.id, "sessions.login", "ok", "ksef_token")
    store.clients.remove(gone.id)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await _open(pilot)
        await _type(pilot, "client", f"#{gone.id}")
        table = screen.query_one(AuditTable)
        assert {r.action for r in table.lines} >= {"sessions.login", "client_removed"}
        assert all(r.client == f"#{gone.id}" and not r.damaged for r in table.lines)


async def test_verify_from_the_screen_names_the_broken_place(tmp_path: Path) -> None:
    app, store = _app(tmp_path, entries=5)
    async with app.run_test(size=(120, 36)) as pilot:
        await _open(pilot)
        await pilot.press("v")
        await settle(pilot)
        assert "nienaruszony" in screen_text(app)
        victim = store.audit.list(limit=3)[2].id
        conn = sqlite3.connect(tmp_path / DB_FILENAME, isolation_level=None)
        conn.execute("DELETE FROM audit_log WHERE id = ?", [victim])
        conn.close()
        await pilot.press("v")
        await settle(pilot)
        text = screen_text(app)
        assert "naruszony" in text and f"Usunięto wpis nr {victim}." in text

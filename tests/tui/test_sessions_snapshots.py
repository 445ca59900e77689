"""Snapshots: the sessions list, a session with rejected invoices, the UPO viewer (80×24 and 120×36)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ksef_tui.core.ksef_sessions import SessionFilter
from ksef_tui.core.upo import parse_upo
from ksef_tui.screens.session import SessionScreen
from ksef_tui.screens.sessions import SessionsScreen
from ksef_tui.screens.upo_viewer import UpoViewerScreen
from ksef_tui.ui.app import KsefApp

from .helpers import NOW, services, settle
from .sessions_helpers import make_session_store

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "samples" / "upo"
SIZES = [(80, 24), (120, 36)]


def _rejected_case(store: Any) -> Any:
    since = NOW.replace(day=14)
    return store.ksef_sessions.page(SessionFilter(since=since, rejected_only=True), 0, 1)[0]


def _app(tmp_path: Path) -> tuple[KsefApp, Any]:
    store, _world = make_session_store(tmp_path / "home")
    return KsefApp(services(tmp_path / "home", store)), store


@pytest.mark.parametrize("size", SIZES)
def test_sessions_list(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    app, store = _app(tmp_path)
    client_id = _rejected_case(store).client_id

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        app.push_screen(SessionsScreen(app.services, client_id))
        await settle(pilot)
        await pilot.press("d")  # 30 days
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_session_with_rejected_invoices(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    app, store = _app(tmp_path)
    record = _rejected_case(store)
    row = next(i for i, inv in enumerate(store.ksef_sessions.invoices(record.id)) if inv.rejected)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        app.push_screen(SessionScreen(app.services, record))
        await settle(pilot)
        for _ in range(row):
            await pilot.press("down")
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_upo_viewer(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    app, _store = _app(tmp_path)
    receipt = parse_upo((SAMPLE / "ksef-docs__kontekst-nip__upo-sesja-kontekst-id-nip.xml").read_bytes())

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        app.push_screen(UpoViewerScreen([receipt]))
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)

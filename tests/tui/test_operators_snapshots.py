"""Snapshots of the operators screen and of the unlock screen asking who is unlocking (issue 15), at
80×24 and 120×36 (files under snapshots/)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, Select

from ksef_tui.core.operators import OfficeRole
from ksef_tui.ui.app import KsefApp

from .helpers import make_store, services, settle, until

SIZES = [(80, 24), (120, 36)]


def _store_with_operators(home: Path):  # type: ignore[no-untyped-def]
    store = make_store(home)
    ids = [c.id for c in sorted(store.clients.list(), key=lambda c: c.short_code)]
    store.operators.add("ania", "Anna Nowak", "start-ani-2026", OfficeRole.ACCOUNTANT, ids[:3])
    store.operators.add("piotr.k", "Piotr Kowalczyk", "start-piotra-1", OfficeRole.READ_ONLY, ids[3:5])
    return store


@pytest.mark.parametrize("size", SIZES)
def test_operators_screen(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    store = _store_with_operators(tmp_path / "home")

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)

    assert snap_compare(
        KsefApp(services(tmp_path / "home", store)), terminal_size=size, run_before=run_before
    )


@pytest.mark.parametrize("size", SIZES)
def test_unlock_asks_who(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    _store_with_operators(tmp_path / "home").close()

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        pilot.app.screen.query_one("#who", Select).value = "ania"
        await settle(pilot)

    assert snap_compare(KsefApp(services(tmp_path / "home")), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_unlock_asks_for_a_new_passphrase(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    _store_with_operators(tmp_path / "home").close()

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        screen = pilot.app.screen
        screen.query_one("#who", Select).value = "ania"
        screen.query_one("#passphrase", Input).value = "start-ani-2026"
        await pilot.press("enter")
        await until(pilot, lambda: screen.has_class("changing"), "the new passphrase asked for")
        await settle(pilot)

    assert snap_compare(KsefApp(services(tmp_path / "home")), terminal_size=size, run_before=run_before)

"""Snapshots of the foundation screens at 80×24 and a wide size (files under snapshots/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ksef_tui.ui.app import KsefApp

from .helpers import make_store, services, settle


def _board_app(home: Path) -> KsefApp:
    return KsefApp(services(home, make_store(home)))


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
def test_board(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)

    assert snap_compare(_board_app(tmp_path), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
def test_board_filtered(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("slash", "p", "i", "e")
        await settle(pilot)

    assert snap_compare(_board_app(tmp_path), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
def test_unlock_screen(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    make_store(tmp_path, roster=False).close()

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)

    app = KsefApp(services(tmp_path, passphrase_hint="demo"))
    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
def test_add_client_form_with_error(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        await pilot.press(*"Piekarnia", "tab", *"1234563219")
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(_board_app(tmp_path), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
def test_help_screen(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)

    assert snap_compare(_board_app(tmp_path), terminal_size=size, run_before=run_before)

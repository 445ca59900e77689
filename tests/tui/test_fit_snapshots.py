"""Snapshots of what issue 16 item 4 fitted: the token dialog's labels wrapped at 80×24, and the board at
160×45 (names and reasons share the width; the detail lines whole)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ksef_tui.ui.app import KsefApp

from .helpers import make_store, services, settle


@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
def test_token_dialog(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)

    app = KsefApp(services(tmp_path, make_store(tmp_path)))
    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_board_at_160(snap_compare, tmp_path: Path) -> None:
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)

    app = KsefApp(services(tmp_path, make_store(tmp_path)))
    assert snap_compare(app, terminal_size=(160, 45), run_before=run_before)

"""Snapshots of the office profile screen at 80×24 and 120×36 (files under snapshots/)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from ksef_tui.core.models import Environment
from ksef_tui.sync.office import OfficeProfile, write_profile
from ksef_tui.ui.app import KsefApp

from .helpers import make_store, services, settle

# Folders written out: the defaults are under the home folder, which differs from machine to machine.
PROFILE = OfficeProfile(
    nip="5260250274",
    name="Biuro Rachunkowe Zielonka",
    environment=Environment.TEST,
    upo_folder="/srv/biuro/KSeF/UPO",
    export_folder="/srv/biuro/KSeF/Eksport",
)


def _app(home: Path) -> KsefApp:
    store = make_store(home)
    write_profile(store, PROFILE)
    return KsefApp(services(home, store))


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
def test_office_profile(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)

    assert snap_compare(_app(tmp_path), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
def test_office_profile_with_errors(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        pilot.app.screen.query_one("#red_days", Input).value = "40"
        pilot.app.screen.query_one("#idle_minutes", Input).value = "0"
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(_app(tmp_path), terminal_size=size, run_before=run_before)

"""Snapshots of the readiness screen and the grant request at 80×24 and 120×36 (issue 11; files under
snapshots/): the demo office on the fixed clock of the tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from ksef_tui.widgets.readiness_table import ReadinessTable

from .helpers import settle, until
from .readiness_helpers import code_of, demo_app


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
def test_readiness_screen(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    app, _demo, _store = demo_app(tmp_path)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        await until(pilot, lambda: getattr(pilot.app.screen, "view", None) is not None, "the readiness view")
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
def test_grant_request(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    app, demo, store = demo_app(tmp_path)
    client = store.clients.find_by_short_code(code_of(demo, "no_credential"))

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        screen = pilot.app.screen
        await until(pilot, lambda: getattr(screen, "view", None) is not None, "the readiness view")
        assert screen.query_one(ReadinessTable).select_client(client.id)
        await pilot.press("g")
        await settle(pilot)
        await until(pilot, lambda: bool(getattr(pilot.app.screen, "text", "")), "the request text")
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
def test_office_certificate_screen(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    app, _demo, _store = demo_app(tmp_path)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("O")
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)

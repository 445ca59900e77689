"""Snapshots of the offboarding screen (its plan before confirming, and the end with the text for the
client) and of who holds grants in a client's context, at 80×24 and 120×36 (issue 15 item 3): the demo
office and its simulator on the fixed clock of the tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from ksef_tui.widgets.client_table import ClientTable

from .helpers import settle, until
from .readiness_helpers import code_of, demo_app

SIZES = [(80, 24), (120, 36)]


def _offboarding_app(tmp_path: Path):  # type: ignore[no-untyped-def]
    app, demo, store = demo_app(tmp_path)
    return app, store.clients.find_by_short_code(code_of(demo, "token_and_cert"))


async def _open(pilot, client):  # type: ignore[no-untyped-def]
    await settle(pilot)
    assert pilot.app.screen.query_one(ClientTable).select_client(client.id)
    await pilot.press("d")
    await settle(pilot)
    screen = pilot.app.screen
    await until(pilot, lambda: screen.plan is not None, "the plan")
    await settle(pilot)
    return screen


@pytest.mark.parametrize("size", SIZES)
def test_offboarding_plan(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    app, client = _offboarding_app(tmp_path)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await _open(pilot, client)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_offboarding_done(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    app, client = _offboarding_app(tmp_path)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        screen = await _open(pilot, client)
        await pilot.press(*client.short_code, "enter")
        await settle(pilot)
        await until(pilot, lambda: screen.result is not None, "the result")
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_grant_holders(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    app, client = _offboarding_app(tmp_path)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        assert pilot.app.screen.query_one(ClientTable).select_client(client.id)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        screen = pilot.app.screen
        await until(pilot, lambda: len(getattr(screen, "lines", [])) > 1, "the holders")
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)

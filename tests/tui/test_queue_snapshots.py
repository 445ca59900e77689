"""Snapshots of the approval queue (with the sure ones marked), the booking form and the rules screen at
80×24 and 120×36 (fixed clock; the queue's use cases faked with realistic bookings and rules)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ksef_tui.ui.app import KsefApp

from .helpers import make_store, services, settle
from .queue_helpers import FakeQueue, agreeing_rules, morning, sample_rules

SIZES = [(80, 24), (120, 36)]


def _app(home: Path, monkeypatch: pytest.MonkeyPatch, *, offer: bool = False) -> KsefApp:
    store = make_store(home)
    ids = [c.id for c in store.clients.list()][:3]
    fake = FakeQueue.for_store(store, morning(ids)).install(monkeypatch)
    for rule in [*sample_rules(ids[0]), *(agreeing_rules(ids) if offer else [])]:
        fake.rules[rule.id or 0] = rule
    return KsefApp(services(home, store))


@pytest.mark.parametrize("size", SIZES)
def test_queue_with_the_sure_ones_marked(
    snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("z")
        await settle(pilot)
        await pilot.press("asterisk")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("home")
        await settle(pilot)

    assert snap_compare(_app(tmp_path, monkeypatch), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_booking_form_of_a_fuel_invoice(
    snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("z")
        await settle(pilot)
        await pilot.press("slash", *"orlen", "enter")
        await settle(pilot)
        await pilot.press("end")  # the newest ORLEN invoice: 50 % VAT, 75 % tax cost
        await pilot.press("e")
        await settle(pilot)

    assert snap_compare(_app(tmp_path, monkeypatch), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_rules_of_a_client(
    snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("z")
        await settle(pilot)
        await pilot.press("home", "R")
        await settle(pilot)

    assert snap_compare(_app(tmp_path, monkeypatch), terminal_size=size, run_before=run_before)


def test_rules_with_an_office_rule_on_offer(
    snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("z")
        await settle(pilot)
        await pilot.press("home", "R")
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)

    assert snap_compare(
        _app(tmp_path, monkeypatch, offer=True), terminal_size=(80, 24), run_before=run_before
    )

"""Snapshots of the purchase invoice list and the client screen's "Purchase invoices" section at 80×24
and 120×36 (fixed clock; the sync use cases faked with realistic records)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ksef_tui.ui.app import KsefApp

from .helpers import make_store, services, settle
from .purchases_helpers import FakePurchases, provisional_records, purchase_records, synced_summary

SIZES = [(80, 24), (120, 36)]


def _app(home: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[KsefApp, int]:
    store = make_store(home)
    client = store.clients.list()[1]
    fake = FakePurchases().install(monkeypatch)
    fake.stored[client.id] = purchase_records(client.id, 30)
    fake.preview[client.id] = provisional_records(client.id)
    fake.summary[client.id] = synced_summary(
        client.id, last_error="KSeF nie odpowiedział na czas (eksport wznowiony)", pending_export=True
    )
    return KsefApp(services(home, store, ksef_factory=object())), client.id


@pytest.mark.parametrize("size", SIZES)
def test_purchase_list_with_provisional_rows(
    snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    app, client_id = _app(tmp_path, monkeypatch)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        pilot.app.screen.select_client(client_id)
        await pilot.press("f")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("home")
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_client_screen_purchase_section(
    snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    app, client_id = _app(tmp_path, monkeypatch)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        pilot.app.screen.select_client(client_id)
        await pilot.press("enter")
        await settle(pilot)
        section = pilot.app.screen.query_one("#purchases")
        pilot.app.screen.query_one("#body").scroll_to_widget(section, animate=False, top=True)
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)

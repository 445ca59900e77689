"""Snapshots of the export dialog (the preview of a real store's October: sums per VAT rate and JPK group,
the open invoice's warning) and of the client screen with export batches (one written, one undone) at
80×24 and 120×36 (fixed clock; folders that read the same on every run: the SVG never holds tmp_path)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ksef_tui.core.exports import ExportFormat
from ksef_tui.screens.client_detail import ClientDetailScreen
from ksef_tui.screens.queue import QueueScreen
from ksef_tui.sync import exports as export_uc
from ksef_tui.sync import purchase_views
from ksef_tui.ui.app import KsefApp

from .export_ui_helpers import PERIOD, export_store
from .helpers import services, settle

SIZES = [(80, 24), (120, 36)]


@pytest.fixture(autouse=True)
def _never_synced(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        purchase_views, "purchase_summary", lambda _store, cid: purchase_views.PurchaseSummary(cid)
    )


@pytest.fixture
def out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The export folder at a path that is the same on every run (shown on screen)."""
    monkeypatch.chdir(tmp_path)
    return Path("/tmp/ksef-tui-snapshot/Eksport")


@pytest.mark.parametrize("size", SIZES)
def test_export_dialog(snap_compare, tmp_path: Path, out: Path, size: tuple[int, int]) -> None:
    store, cid, *_rest = export_store(tmp_path / "home", out)
    app = KsefApp(services(tmp_path / "home", store))

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        app.push_screen(QueueScreen(app.services, cid))
        await settle(pilot)
        await pilot.press("E")
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_client_screen_with_export_batches(
    snap_compare, tmp_path: Path, out: Path, size: tuple[int, int]
) -> None:
    store, cid, *_rest = export_store(tmp_path / "home", out)
    clock = services(tmp_path).clock
    root = Path("Eksport")  # relative to tmp_path (the fixture's chdir): the same text on every run
    first = export_uc.plan_export(store, cid, ExportFormat.BUNDLE, PERIOD, clock, out=root)
    batch = export_uc.run_export(store, first, "Anna Nowak").batch
    assert batch is not None and batch.id is not None
    export_uc.undo_batch(store, batch.id, "Anna Nowak", clock)
    second = export_uc.plan_export(store, cid, ExportFormat.BUNDLE, "2026-11", clock, out=root)
    assert export_uc.run_export(store, second, "Anna Nowak").batch is not None
    app = KsefApp(services(tmp_path / "home", store))

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        app.push_screen(ClientDetailScreen(app.services, cid))
        await settle(pilot)
        app.screen.query_one("#batches").focus()
        app.screen.query_one("#batches").scroll_visible(animate=False)
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)

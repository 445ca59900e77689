"""Pilot tests of the sessions flow: board → a client's sessions → rejections → session → reason →
duplicate's original → UPO download (file on disk, XSD-valid apart from the TEST issuer) → 21178 retry."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import xmlschema

from ksef_tui.core.ksef_sessions import SessionFilter
from ksef_tui.core.session_status import StatusGroup, status_group
from ksef_tui.screens.clients import ClientsScreen
from ksef_tui.screens.session import SessionScreen
from ksef_tui.screens.sessions import UPO_FOLDER_SETTING, SessionsScreen
from ksef_tui.screens.upo_viewer import UpoViewerScreen
from ksef_tui.simulator.faults import Faults
from ksef_tui.sync import upo as upo_sync
from ksef_tui.ui.app import KsefApp
from ksef_tui.widgets.session_table import SessionInvoiceTable, SessionTable

from .helpers import NOW, screen_text, services, settle
from .sessions_helpers import make_session_store, simulator_factory

XSD = Path(__file__).resolve().parents[2] / "ksef_tui" / "resources" / "schemas" / "UPO" / "upo-v4-3.xsd"


def _duplicate_case(store: Any) -> tuple[int, str]:
    """A client with a recent session holding a duplicate whose original session is in the store."""
    since = NOW.replace(day=14)
    for record in store.ksef_sessions.page(SessionFilter(since=since, rejected_only=True), 0, 500):
        for inv in store.ksef_sessions.invoices(record.id):
            if inv.status_code == 440 and store.ksef_sessions.find(
                record.client_id, inv.original_session or ""
            ):
                return record.client_id, record.reference
    raise AssertionError("the demo world has no recent duplicate")


async def _open_sessions(pilot: Any, client_id: int) -> None:
    await settle(pilot)
    assert isinstance(pilot.app.screen, ClientsScreen)
    pilot.app.screen.select_client(client_id)
    await pilot.press("s")
    await settle(pilot)
    assert isinstance(pilot.app.screen, SessionsScreen)


async def test_rejections_reason_and_jump_to_original(tmp_path: Path) -> None:
    store, world = make_session_store(tmp_path / "home")
    client_id, reference = _duplicate_case(store)
    app = KsefApp(services(tmp_path / "home", store, ksef_factory=simulator_factory(world)))
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_sessions(pilot, client_id)
        table = app.screen.query_one(SessionTable)
        shown = len(table.records)
        await pilot.press("o")
        await settle(pilot)
        assert all(
            r.invoices_rejected > 0 or status_group(r.status_code) is StatusGroup.FAILED
            for r in table.records
        )
        assert len(table.records) <= shown
        assert "tylko z błędami" in screen_text(app)
        row = next(i for i, r in enumerate(table.records) if r.reference == reference)
        table.move_cursor(row=row)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, SessionScreen)
        invoices = app.screen.query_one(SessionInvoiceTable)
        dup_row = next(i for i, inv in enumerate(invoices.invoices) if inv.status_code == 440)
        duplicate = invoices.invoices[dup_row]
        invoices.move_cursor(row=dup_row)
        await settle(pilot)
        text = screen_text(app)
        assert "duplikat" in text and "Przyczyna" in text
        assert (duplicate.original_ksef_number or "")[-10:] in text.replace("\n", "")
        await pilot.press("g")
        await settle(pilot)
        assert isinstance(app.screen, SessionScreen)
        assert app.screen.record.reference == duplicate.original_session
        selected = app.screen.query_one(SessionInvoiceTable).selected()
        assert selected is not None and selected.ksef_number == duplicate.original_ksef_number
        await pilot.press("escape", "escape")
        await settle(pilot)
        assert isinstance(app.screen, SessionsScreen)


def _downloadable(store: Any, world: Any) -> tuple[int, str]:
    """A recent processed session with accepted invoices of a client whose credential logs in."""
    since = NOW.replace(day=14)
    for record in store.ksef_sessions.page(SessionFilter(since=since), 0, 500):
        client = store.clients.get(record.client_id)
        tp = world.taxpayer(client.nip)
        if record.expects_upo and any(t.held_by_office and t.status == "Active" for t in tp.tokens):
            creds = store.credentials.for_client(record.client_id)
            if any(c.status.value == "active" and c.kind.value == "ksef_token" for c in creds):
                return record.client_id, record.reference
    raise AssertionError("no downloadable session")


@pytest.mark.parametrize("not_ready", [0, 2])
async def test_download_upo_to_disk_and_view_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, not_ready: int
) -> None:
    monkeypatch.setattr(upo_sync, "RETRY_SCHEDULE", (1, 1, 1))
    store, world = make_session_store(tmp_path / "home")
    store.settings.set(UPO_FOLDER_SETTING, str(tmp_path / "UPO"))
    client_id, reference = _downloadable(store, world)
    factory = simulator_factory(world, faults=Faults(upo_not_ready_requests=not_ready))
    app = KsefApp(services(tmp_path / "home", store, ksef_factory=factory))
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_sessions(pilot, client_id)
        table = app.screen.query_one(SessionTable)
        table.move_cursor(row=next(i for i, r in enumerate(table.records) if r.reference == reference))
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, SessionScreen)
        seen: list[str] = []
        original = screen._progress

        def spy(message: str) -> None:
            seen.append(message)
            original(message)

        screen._progress = spy  # type: ignore[method-assign]
        await pilot.press("u")
        await settle(pilot)
        if not_ready:
            countdown = [m for m in seen if "21178" in m]
            assert countdown and any("próba 2 z 4" in m for m in countdown)
        assert "Zapisano UPO" in screen_text(app)
        files = list((tmp_path / "UPO").rglob("*.xml"))
        assert len(files) == 1 and files[0].name == f"{reference}.xml"
        assert files[0].parent.name == f"{screen.record.opened.astimezone(NOW.tzinfo):%Y-%m}"[:7]
        schema = xmlschema.XMLSchema(str(XSD))
        errors = [
            e for e in schema.iter_errors(str(files[0])) if "NazwaPodmiotuPrzyjmujacego" not in str(e.path)
        ]
        assert errors == []
        await pilot.press("v")
        await settle(pilot)
        assert isinstance(app.screen, UpoViewerScreen)
        assert reference in screen_text(app)


async def test_open_session_says_there_is_no_upo(tmp_path: Path) -> None:
    store, world = make_session_store(tmp_path / "home")
    record = next(r for r in store.ksef_sessions.page(SessionFilter(), 0, 50) if r.status_code == 100)
    app = KsefApp(services(tmp_path / "home", store, ksef_factory=simulator_factory(world)))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.push_screen(SessionScreen(app.services, record))
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        assert "tylko dla sesji zamkniętej" in screen_text(app).replace("\n", " ")


async def test_copy_reference_and_all_clients_view(tmp_path: Path) -> None:
    store, world = make_session_store(tmp_path / "home")
    app = KsefApp(services(tmp_path / "home", store, ksef_factory=simulator_factory(world)))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("S")
        await settle(pilot)
        assert isinstance(app.screen, SessionsScreen) and app.screen.client_id is None
        table = app.screen.query_one(SessionTable)
        assert table.records and len({r.client_id for r in table.records}) > 1
        await pilot.press("c")
        assert app.clipboard == table.records[0].reference


async def test_ksef_refusal_during_upo_download_is_a_message_not_a_crash(tmp_path: Path) -> None:
    """Found by hand in the demo: an expired certificate made the UPO download raise out of the worker."""
    from ksef_tui.core.demo_roster import make_roster

    store, world = make_session_store(tmp_path / "home")
    expired = next(e for e in make_roster(NOW, 2026) if e.profile == "expired")
    client = store.clients.find_by_nip(expired.nip)
    records = store.ksef_sessions.page(SessionFilter(client_id=client.id), 0, 100)
    closed = [r for r in records if r.status_code == 200]
    assert closed, "the demo keeps the history of a once-valid credential"
    app = KsefApp(services(tmp_path / "home", store, ksef_factory=simulator_factory(world)))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.push_screen(SessionScreen(app.services, closed[0]))
        await settle(pilot)
        await pilot.press("u")
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, SessionScreen)
        shown = screen_text(app).replace("\n", " ")
        assert "460" in shown or "certyfikat" in shown.lower()
        await pilot.press("r")  # fetching the invoices fails the same way, and says so too
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, SessionScreen)

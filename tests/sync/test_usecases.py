"""The use cases the screens and the CLI share (ksef_tui.sync): a real sealed store seeded with the
demo roster and session history, and the in-process simulator behind a real KsefClient."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from ksef_tui.core.clock import fixed_clock
from ksef_tui.core.demo_roster import make_roster
from ksef_tui.core.health import HealthSettings
from ksef_tui.core.ksef_sessions import SessionFilter
from ksef_tui.core.models import Client, Environment
from ksef_tui.sync import upo as upo_sync
from ksef_tui.sync.clients import load_board, load_client_view
from ksef_tui.sync.invoices import open_invoice
from ksef_tui.sync.records import StoreProblem, save_client
from ksef_tui.sync.sessions import (
    NoCredential,
    load_session,
    load_sessions,
    more_sessions,
    refresh_clients,
)
from tests.tui.helpers import NOW
from tests.tui.sessions_helpers import make_session_store, simulator_factory

CLOCK = fixed_clock(NOW)


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[tuple[Any, Any]]:
    store, world = make_session_store(tmp_path / "home")
    yield store, world
    store.close()


def _by_profile(store: Any, profile: str) -> int:
    codes = {e.short_code for e in make_roster(NOW, 2026) if e.profile == profile}
    return next(c.id for c in store.clients.list() if c.short_code in codes)


async def test_refresh_clients_reports_each_client_and_respects_the_pacing(seeded: tuple[Any, Any]) -> None:
    store, world = seeded
    factory = simulator_factory(world)
    healthy, bare = _by_profile(store, "healthy"), _by_profile(store, "no_credential")
    steps: list[tuple[int, int]] = []
    first = await refresh_clients(
        store, factory, [healthy, bare], CLOCK, progress=lambda done, total: steps.append((done, total))
    )
    assert steps == [(0, 2), (1, 2)]
    assert first.total == 2 and first.refreshed == [healthy] and not first.too_soon
    assert first.failed == {bare: str(NoCredential())}  # one client's failure does not stop the other
    assert store.ksef_sessions.refresh_times(healthy)[1] is not None
    again = await refresh_clients(store, factory, [healthy], CLOCK)
    assert again.refreshed == [] and list(again.too_soon) == [healthy] and not again.failed
    assert again.too_soon[healthy].next_allowed == store.ksef_sessions.refresh_times(healthy)[1]


async def test_sessions_page_session_view_and_more_come_from_the_store(seeded: tuple[Any, Any]) -> None:
    store, _world = seeded
    everything = SessionFilter()
    page = await load_sessions(store, everything, 20)
    assert page.total == store.ksef_sessions.count(everything) and len(page.records) == 20
    assert page.next_allowed is None  # every client: no one client's pacing
    assert {r.client_id for r in page.records} <= set(page.clients)
    more = await more_sessions(store, everything, 20, 20)
    assert more == store.ksef_sessions.page(everything, 20, 20)
    one = page.records[0]
    known = {one.client_id: page.clients[one.client_id]}
    mine = await load_sessions(store, SessionFilter(client_id=one.client_id), 5, known)
    assert mine.clients is known and all(r.client_id == one.client_id for r in mine.records)
    view = await load_session(store, replace(one, status_code=0))  # a stale copy: the store's wins
    assert view.record.status_code == one.status_code
    assert view.client.id == one.client_id
    assert view.invoices == store.ksef_sessions.invoices(one.id)


async def test_invoice_xml_comes_from_ksef_once_then_from_the_store(seeded: tuple[Any, Any]) -> None:
    store, world = seeded
    record = next(
        r for r in store.ksef_sessions.page(SessionFilter(), 0, 500) if r.invoices_accepted and r.closed
    )
    invoice = next(i for i in store.ksef_sessions.invoices(record.id) if i.ksef_number)
    assert store.documents.get(invoice.client_id, "invoice", invoice.ksef_number) is None
    assert await open_invoice(store, None, invoice.client_id, invoice.ksef_number) is None
    said: list[str] = []
    first = await open_invoice(
        store,
        simulator_factory(world),
        invoice.client_id,
        invoice.ksef_number,
        on_download=lambda: said.append("downloading"),
    )
    assert first is not None and first.downloaded and said == ["downloading"]
    assert first.report.invoice is not None  # parsed (in a thread)
    sealed = store.documents.get(invoice.client_id, "invoice", invoice.ksef_number)
    assert sealed == first.xml
    second = await open_invoice(store, None, invoice.client_id, invoice.ksef_number)
    assert second is not None and not second.downloaded and second.xml == first.xml


async def test_client_view_and_board_read_the_store(seeded: tuple[Any, Any]) -> None:
    store, _world = seeded
    client_id = _by_profile(store, "healthy")
    store.audit.append(client_id, "client.edit", "ok")
    view = await load_client_view(store, client_id)
    assert view.client.id == client_id
    assert view.credentials == store.credentials.for_client(client_id)
    assert set(view.history) == {c.id for c in view.credentials}
    assert view.audit[0].action == "client.edit" and view.damage == []
    board = await load_board(store, CLOCK, HealthSettings())
    assert {e.client.id for e in board.entries} == {c.id for c in store.clients.list()}
    assert board.damage == []


async def test_one_upo_entry_for_a_session_and_for_an_invoice_then_read_back(
    seeded: tuple[Any, Any], tmp_path: Path
) -> None:
    store, world = seeded
    factory = simulator_factory(world)
    client_id = next(r.client_id for r in store.ksef_sessions.page(SessionFilter(), 0, 500) if r.expects_upo)
    record = store.ksef_sessions.missing_upo(client_id)[0]
    assert await upo_sync.read_saved_upo(store, record) == []
    folder = await upo_sync.read_upo_folder(store, tmp_path, demo=True)
    assert folder == tmp_path / "UPO"  # no setting: the demo keeps copies inside its own folder
    await upo_sync.save_upo_folder(store, str(tmp_path / "copies"))
    folder = await upo_sync.read_upo_folder(store, tmp_path, demo=True)
    assert folder == tmp_path / "copies"
    session = await upo_sync.download_upo(store, factory, record, None, "X", folder)
    assert session.pages and all(p.is_file() and p.is_relative_to(folder) for p in session.paths)
    saved = store.ksef_sessions.get(record.id)
    receipts = await upo_sync.read_saved_upo(store, saved)
    assert len(receipts) == len(session.pages)
    invoice = next(i for i in store.ksef_sessions.invoices(record.id) if i.ksef_number)
    own = await upo_sync.download_upo(store, factory, saved, invoice, "X", folder)
    assert len(own.pages) == 1 and len(own.paths) == 1
    invoice = next(i for i in store.ksef_sessions.invoices(record.id) if i.id == invoice.id)
    assert invoice.upo_saved
    assert len(await upo_sync.read_saved_upo(store, saved, invoice)) == 1  # the invoice's own


async def test_refused_upo_says_why(seeded: tuple[Any, Any], tmp_path: Path) -> None:
    store, world = seeded
    client_id = next(r.client_id for r in store.ksef_sessions.page(SessionFilter(), 0, 500) if r.expects_upo)
    record = store.ksef_sessions.missing_upo(client_id)[0]  # a client that logs in
    invoice = store.ksef_sessions.invoices(record.id)[0]
    unaccepted = replace(invoice, ksef_number=None)
    with pytest.raises(upo_sync.UpoUnavailable, match="nie przyjął tej faktury"):
        await upo_sync.download_upo(store, simulator_factory(world), record, unaccepted, "X", tmp_path)


def test_store_refusals_become_store_problems(seeded: tuple[Any, Any]) -> None:
    store, _world = seeded
    taken = store.clients.list()[0]
    twin = Client(name="Bliźniak", nips=list(taken.nips), short_code="TWIN", environment=Environment.TEST)
    with pytest.raises(StoreProblem):
        save_client(store, twin)
    fresh = replace(twin, nips=["5260250274"], short_code="FRESH")
    client_id = save_client(store, fresh)
    assert store.clients.get(client_id).short_code == "FRESH"
    assert store.audit.list(client_id=client_id, limit=1)[0].action == "client.add"


def test_refresh_too_soon_names_the_time_in_polish_time() -> None:
    """The message and the sessions screen's header agree: both in Europe/Warsaw, whatever the machine's
    zone (found by hand: the header said 14:13, the message 13:13 on a UTC machine)."""
    from datetime import UTC, datetime

    from ksef_tui.sync.sessions import RefreshTooSoon

    winter = datetime(2026, 12, 1, 13, 13, 36, tzinfo=UTC)
    summer = datetime(2026, 7, 1, 13, 13, 36, tzinfo=UTC)
    assert "14:13:36" in str(RefreshTooSoon(winter))
    assert "15:13:36" in str(RefreshTooSoon(summer))

"""The export in the app (issue 14 item 5), on a REAL store: the queue's `E` opens the export dialog for the
queue's client and the previous month; the preview shows the count and the sums (per VAT rate and JPK
group); F2 writes the files (the bookings become EXPORTED); an existing file asks before it is replaced;
a problem writes nothing and is shown; a bad period is refused as typed; the client screen lists the batch
and undoes it (bookings back to APPROVED), and a refusal from the service is shown as it is."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import Checkbox, Input, Select, Static

from ksef_tui.core.bookings import BookingStatus
from ksef_tui.core.export_batch import BatchStatus
from ksef_tui.core.exports import ExportFormat
from ksef_tui.screens.client_detail import ClientDetailScreen
from ksef_tui.screens.export_dialog import ExportDialog
from ksef_tui.screens.queue import QueueScreen
from ksef_tui.screens.queue_dialogs import AskScreen, ConfirmScreen
from ksef_tui.sync import exports as export_uc
from ksef_tui.sync.bookings import INVOICE_DOCUMENT
from ksef_tui.ui.app import KsefApp
from ksef_tui.widgets.export_batch_table import ExportBatchTable

from .export_ui_helpers import PERIOD, export_store
from .helpers import NOW, services, settle


@pytest.fixture
def office(tmp_path: Path):  # type: ignore[no-untyped-def]
    store, cid, code, approved = export_store(tmp_path / "home", tmp_path / "out")
    yield store, cid, code, approved, tmp_path / "out" / code / PERIOD
    store.close()


def _statuses(store, cid: int) -> dict[str, BookingStatus]:  # type: ignore[no-untyped-def]
    return {b.ksef_number: b.status for b in store.bookings.list([cid])}


async def _open_dialog(pilot, app: KsefApp, cid: int) -> ExportDialog:  # type: ignore[no-untyped-def]
    await settle(pilot)
    app.push_screen(QueueScreen(app.services, cid))
    await settle(pilot)
    await pilot.press("E")
    await settle(pilot)
    dialog = app.screen
    assert isinstance(dialog, ExportDialog)
    return dialog


def _plan_text(app: KsefApp) -> str:
    """The whole preview as plain text (also what is scrolled out of view), 100 columns wide."""
    console = Console(width=100, record=True, file=io.StringIO())
    console.print(app.screen.query_one("#plan", Static).content)
    return console.export_text()


async def test_export_from_the_queue_previews_then_writes(office) -> None:  # type: ignore[no-untyped-def]
    store, cid, _code, approved, folder = office
    app = KsefApp(services(store.home, store))
    async with app.run_test(size=(100, 40)) as pilot:
        dialog = await _open_dialog(pilot, app, cid)
        # The queue shows no period filter: the previous month; the office's export folder.
        assert dialog.query_one("#period", Input).value == PERIOD
        assert dialog.plan is not None and dialog.plan.folder == folder
        text = _plan_text(app)
        assert "4 księgowania" in text
        assert "netto 6 969,61 PLN · VAT 1 608,65 PLN · VAT odliczony 1 263,55 PLN" in text
        # Per VAT rate and per JPK group (the fixed asset and the fuel invoices' lines).
        assert "23%" in text and "7 007,11" in text and "1 611,65" in text
        assert "środki trwałe (K_40/41)" in text and "4 000,00" in text
        assert "korekta pozostałych nabyć (K_45)" in text
        # The open invoice of the period is a warning, listed in full.
        assert "jeszcze niezatwierdzone: 1" in text
        assert "FV/ŻÓŁĆ/5/2026" in text
        assert not folder.exists()  # the preview writes nothing
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)  # written: the dialog closed, the queue reloads
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(
        [*(b.ksef_number + ".xml" for b in approved), "bookings.csv", "bookings.json", "manifest.json"]
    )
    statuses = _statuses(store, cid)
    assert all(statuses[b.ksef_number] is BookingStatus.EXPORTED for b in approved)
    (batch,) = export_uc.list_batches(store, cid)
    assert (batch.format, batch.period, batch.booking_count) == (ExportFormat.BUNDLE, PERIOD, 4)
    assert batch.created_at == NOW  # the app's clock


async def test_a_bad_period_is_refused_as_typed(office) -> None:  # type: ignore[no-untyped-def]
    store, cid, *_rest, folder = office
    app = KsefApp(services(store.home, store))
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await _open_dialog(pilot, app, cid)
        field = dialog.query_one("#period", Input)
        field.value = "2026-13"
        await settle(pilot)
        assert "Okres to miesiąc w postaci RRRR-MM" in str(dialog.query_one("#error").render())
        assert dialog.plan is None
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, ExportDialog) and not folder.exists()
        field.value = "2026-11"  # November: one approved booking
        await settle(pilot)
        assert not dialog.query_one("#error").display
        assert "1 księgowanie" in _plan_text(app)


async def test_an_existing_file_asks_before_it_is_replaced(office) -> None:  # type: ignore[no-untyped-def]
    store, cid, _code, approved, folder = office
    folder.mkdir(parents=True)
    (folder / "bookings.csv").write_bytes(b"someone's own file")
    app = KsefApp(services(store.home, store))
    async with app.run_test(size=(100, 40)) as pilot:
        await _open_dialog(pilot, app, cid)
        assert "bookings.csv" in _plan_text(app)  # named in the preview
        await pilot.press("f2")
        await settle(pilot)
        question = app.screen
        assert isinstance(question, ConfirmScreen)
        assert "bookings.csv" in question.body and str(folder) in question.body
        await pilot.press("escape")  # no: nothing written
        await settle(pilot)
        assert isinstance(app.screen, ExportDialog)
        assert (folder / "bookings.csv").read_bytes() == b"someone's own file"
        assert all(s is not BookingStatus.EXPORTED for s in _statuses(store, cid).values() if s)
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("enter")  # yes: replaced
        await settle(pilot)
        assert isinstance(app.screen, QueueScreen)
    assert (folder / "bookings.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert _statuses(store, cid)[approved[0].ksef_number] is BookingStatus.EXPORTED


async def test_a_problem_writes_nothing_and_is_shown(office) -> None:  # type: ignore[no-untyped-def]
    store, cid, _code, approved, folder = office
    store.documents.remove(cid, INVOICE_DOCUMENT, approved[0].ksef_number)  # the bundle needs every XML
    app = KsefApp(services(store.home, store))
    async with app.run_test(size=(100, 40)) as pilot:
        dialog = await _open_dialog(pilot, app, cid)
        assert dialog.plan is not None and dialog.plan.all_problems
        text = _plan_text(app)
        assert "1 problem: nic nie zostanie zapisane" in text
        assert approved[0].ksef_number in text
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, ExportDialog)
    assert not folder.exists()
    assert all(s is not BookingStatus.EXPORTED for s in _statuses(store, cid).values())
    assert export_uc.list_batches(store, cid) == []


async def test_the_dialog_follows_its_fields(office) -> None:  # type: ignore[no-untyped-def]
    """Nothing left after an export; `again` takes the exported ones; the format changes the files."""
    store, cid, *_rest, _folder = office
    app = KsefApp(services(store.home, store))
    async with app.run_test(size=(100, 40)) as pilot:
        await _open_dialog(pilot, app, cid)
        await pilot.press("f2")
        await settle(pilot)
        await pilot.press("E")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, ExportDialog)
        assert "Nie ma czego eksportować: wyeksportowane wcześniej 4" in _plan_text(app)
        dialog.query_one("#again", Checkbox).value = True
        await settle(pilot)
        assert "4 księgowania" in _plan_text(app)
        assert dialog.plan is not None and dialog.plan.again
        dialog.query_one("#format", Select).value = ExportFormat.JPK_V7M.value
        await settle(pilot)
        assert dialog.plan is not None and dialog.plan.format is ExportFormat.JPK_V7M


async def test_the_client_screen_lists_the_batch_and_undoes_it(office) -> None:  # type: ignore[no-untyped-def]
    store, cid, _code, approved, folder = office
    app = KsefApp(services(store.home, store))
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_dialog(pilot, app, cid)
        await pilot.press("f2")
        await settle(pilot)
        app.push_screen(ClientDetailScreen(app.services, cid))
        await settle(pilot)
        table = app.screen.query_one(ExportBatchTable)
        assert [b.booking_count for b in table.batches] == [4]
        detail = str(app.screen.query_one("#batch-detail").render())
        assert "Paczka 1" in detail and str(folder) in detail
        await pilot.press("u")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmScreen) and "4 księgowania" in app.screen.body
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientDetailScreen)
        assert table.batches[0].status is BatchStatus.UNDONE
        assert "Cofnięta 2026-11-21 10:30" in str(app.screen.query_one("#batch-detail").render())
    statuses = _statuses(store, cid)
    assert all(statuses[b.ksef_number] is BookingStatus.APPROVED for b in approved)
    assert folder.exists()  # the files stay


async def test_undo_refused_by_the_service_is_shown(office) -> None:  # type: ignore[no-untyped-def]
    """A newer batch (exported `again`) holds the bookings: the older one's undo is refused, as it is."""
    store, cid, *_rest = office
    clock = services(store.home).clock
    first = export_uc.run_export(
        store, export_uc.plan_export(store, cid, ExportFormat.BUNDLE, PERIOD, clock), "Anna"
    )
    assert first.batch is not None
    again = export_uc.plan_export(store, cid, ExportFormat.BUNDLE, PERIOD, clock, again=True)
    assert export_uc.run_export(store, again, "Anna", overwrite=True).batch is not None
    app = KsefApp(services(store.home, store))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        app.push_screen(ClientDetailScreen(app.services, cid))
        await settle(pilot)
        table = app.screen.query_one(ExportBatchTable)
        table.focus()
        await pilot.press("down")  # the older batch
        assert table.selected() is not None and table.selected().id == first.batch.id
        await pilot.press("u", "enter")
        await settle(pilot)
        shown = [n.message for n in app._notifications]
        assert any("Najpierw cofnij paczkę" in m for m in shown), shown
    assert export_uc.list_batches(store, cid)[1].status is BatchStatus.DONE


async def test_write_a_batch_again_into_another_folder(office, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store, cid, _code, _approved, folder = office
    clock = services(store.home).clock
    assert export_uc.run_export(
        store, export_uc.plan_export(store, cid, ExportFormat.BUNDLE, PERIOD, clock), "Anna"
    ).batch
    copy = tmp_path / "copy"
    app = KsefApp(services(store.home, store))
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        app.push_screen(ClientDetailScreen(app.services, cid))
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        ask = app.screen
        assert isinstance(ask, AskScreen) and ask.query_one("#value", Input).value == str(folder)
        ask.query_one("#value", Input).value = str(copy)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientDetailScreen)
        # Into its own folder, where its files are: named in a question before they are replaced.
        (folder / "bookings.csv").write_bytes(b"changed by hand")
        await pilot.press("w")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        question = app.screen
        assert isinstance(question, ConfirmScreen) and "bookings.csv" in question.body
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientDetailScreen)
    assert {p.name: p.read_bytes() for p in copy.iterdir()} == {
        p.name: p.read_bytes() for p in folder.iterdir()
    }

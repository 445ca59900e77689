"""Session: the invoices of one KSeF session, rejected ones with their reasons; UPO download and view."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from ksef_tui.core.i18n import _
from ksef_tui.core.ksef_sessions import SessionInvoiceRecord, SessionRecord
from ksef_tui.core.models import Client
from ksef_tui.core.session_status import invoice_text, is_duplicate, session_text
from ksef_tui.core.upo import UpoError
from ksef_tui.screens.invoice_opening import InvoiceOpening
from ksef_tui.screens.upo_viewer import UpoViewerScreen
from ksef_tui.sync import upo as upo_sync
from ksef_tui.sync.sessions import fetch_session_invoices, find_or_fetch_session, load_session
from ksef_tui.ui.commands import RegistryKeys, bindings_for
from ksef_tui.ui.config import AppConfig
from ksef_tui.ui.messages import (
    InvoicesFetched,
    SessionFound,
    SessionLoaded,
    UpoDownloaded,
    UpoOpened,
    UpoRefused,
    UpoWaiting,
)
from ksef_tui.widgets.key_bar import KeyBar
from ksef_tui.widgets.line_table import LineTable
from ksef_tui.widgets.safe_text import plain, safe_text
from ksef_tui.widgets.session_table import SessionInvoiceTable, fmt_dt, kind_label


class SessionScreen(InvoiceOpening, RegistryKeys, Screen[None]):
    invoice_group = "session-invoice"

    SCOPE = "session"
    KEEP_ON_LOCK = True  # a view: back as it was after a lock
    BINDINGS = bindings_for(SCOPE)
    CSS_PATH = "sessions.tcss"

    def __init__(
        self,
        services: AppConfig,
        record: SessionRecord,
        client: Client | None = None,
        *,
        download_upo: bool = False,
    ) -> None:
        super().__init__()
        self.services = services
        self.record = record
        self.client = client
        self.invoices: list[SessionInvoiceRecord] = []
        self._download_on_load = download_upo
        self._upo_worker: Worker[Any] | None = None
        self.last_upo_paths: list[Path] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="title")
        yield Static("", id="summary")
        yield SessionInvoiceTable(id="invoices")
        yield Static("", id="detail")
        yield Static("", id="progress")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#progress", Static).display = False
        self.query_one(SessionInvoiceTable).focus()
        self._header()
        self._load()

    # --- data --------------------------------------------------------------------------------------

    @work(exclusive=True, group="session-load")
    async def _load(self) -> None:
        store = self.services.store
        assert store is not None and self.record.id is not None
        self.post_message(SessionLoaded(await load_session(store, self.record, self.client)))

    def on_session_loaded(self, message: SessionLoaded) -> None:
        client, record, invoices = message.view.client, message.view.record, message.view.invoices
        self.client = client
        self.record = record
        self.invoices = invoices
        self._header()
        table = self.query_one(SessionInvoiceTable)
        table.show(invoices, self.size.width or self.app.size.width)
        if self.focus_ksef_number:
            for index, inv in enumerate(invoices):
                if inv.ksef_number == self.focus_ksef_number:
                    table.move_cursor(row=index)
                    break
            self.focus_ksef_number = None
        self._show_detail()
        if not invoices and record.invoices_total and self.services.ksef_factory is not None:
            self.action_refresh()
        if self._download_on_load:
            self._download_on_load = False
            self.action_session_upo()

    def _header(self) -> None:
        r = self.record
        title = Text()
        title.append(_("Session"), style="bold")
        title.append(f" {r.reference}")
        if self.client is not None:
            title.append(f" · {self.client.short_code}")
        self.query_one("#title", Static).update(safe_text(title))
        text = session_text(r.kind, r.status_code)
        out = Text()
        opened, updated = fmt_dt(r.opened, year=True), fmt_dt(r.updated)
        out.append(f"{kind_label(r.kind)} · {_('opened')} {opened} · {_('updated')} {updated} · ")
        out.append(f"{r.status_code} {text.label}", style="bold")
        out.append(
            " · "
            + _("invoices {total}, accepted {ok}, rejected {rej}").format(
                total=r.invoices_total, ok=r.invoices_accepted, rej=r.invoices_rejected
            )
        )
        out.append("\n" + text.meaning + " " + text.action)
        self.query_one("#summary", Static).update(safe_text(out))

    def _show_detail(self) -> None:
        inv = self.query_one(SessionInvoiceTable).selected()
        detail = self.query_one("#detail", Static)
        if inv is None:
            if self.record.invoices_total:
                detail.update(Text(_("The invoice list is not in the store yet; r fetches it from KSeF.")))
            else:
                detail.update(Text(_("This session has no invoices.")))
            return
        text = invoice_text(inv.status_code)
        out = Text()
        out.append(f"{inv.ordinal or ''}. {inv.invoice_number or '—'}  ", style="bold")
        out.append(f"{inv.status_code} {text.label}", style="bold red" if inv.rejected else "bold")
        out.append(
            f"  {_('KSeF number')}: {inv.ksef_number or '—'}" if inv.ksef_number else f"  {inv.reference}"
        )
        if inv.rejected and inv.status_details:
            out.append("\n" + _("Reason: "), style="bold")
            out.append("; ".join(inv.status_details))
        if is_duplicate(inv.status_code) and (inv.original_ksef_number or inv.original_session):
            out.append(
                "\n"
                + _("Original: KSeF number {number} in session {session} — g jumps there.").format(
                    number=inv.original_ksef_number or "?", session=inv.original_session or "?"
                ),
                style="yellow",
            )
        out.append(f"\n{text.meaning} {text.action}", style="dim" if inv.rejected else "")
        if inv.upo_saved:
            out.append("  " + _("(its UPO is saved)"), style="green")
        detail.update(safe_text(out))  # KSeF's words and invoice numbers: no control or bidi characters

    @on(LineTable.Highlighted, "#invoices")
    def _highlighted(self) -> None:
        self._show_detail()

    def on_resize(self) -> None:
        self.query_one(SessionInvoiceTable).relayout(self.size.width)

    def _selected(self) -> SessionInvoiceRecord | None:
        inv = self.query_one(SessionInvoiceTable).selected()
        if inv is None:
            self.notify(_("Select an invoice first."), severity="warning")
        return inv

    # --- actions -------------------------------------------------------------------------------------

    def action_back(self) -> None:
        self.dismiss()

    def action_copy_reference(self) -> None:
        inv = self.query_one(SessionInvoiceTable).selected()
        value = (inv.ksef_number or inv.reference) if inv is not None else self.record.reference
        value = self.record.reference if inv is None else value
        self.app.copy_to_clipboard(value)
        self.notify(_("Copied {ref} to the clipboard.").format(ref=value), markup=False)

    def action_refresh(self) -> None:
        if self.services.ksef_factory is None:
            self.notify(_("KSeF is not configured for this store."), severity="warning")
            return
        self._fetch_invoices()

    @work(exclusive=True, group="session-fetch", exit_on_error=False)
    async def _fetch_invoices(self) -> None:
        store = self.services.store
        assert store is not None and self.services.ksef_factory is not None
        self._progress(_("Fetching the session's invoices from KSeF…"))
        await fetch_session_invoices(store, self.services.ksef_factory, self.record)
        self.post_message(InvoicesFetched())

    def on_invoices_fetched(self) -> None:
        self._progress(_("Invoices fetched from KSeF."))
        self._load()

    @on(LineTable.Selected, "#invoices")
    def _row_selected(self) -> None:
        self.action_open_invoice()

    def action_open_invoice(self) -> None:
        inv = self._selected()
        if inv is None:
            return
        if not inv.ksef_number:
            self.notify(_("KSeF did not accept this invoice, so its XML is not in KSeF."), severity="warning")
            return
        self.open_stored_invoice(inv.client_id, inv.ksef_number, inv.invoice_hash)

    def action_jump_original(self) -> None:
        inv = self._selected()
        if inv is None:
            return
        if not is_duplicate(inv.status_code) or not inv.original_session:
            self.notify(_("Only a duplicate (440) names an original."), severity="warning")
            return
        self._jump(inv.client_id, inv.original_session, inv.original_ksef_number)

    @work(exclusive=True, group="session-jump", exit_on_error=False)
    async def _jump(self, client_id: int, reference: str, ksef_number: str | None) -> None:
        store = self.services.store
        assert store is not None
        record = await find_or_fetch_session(store, self.services.ksef_factory, client_id, reference)
        self.post_message(SessionFound(reference, record, ksef_number))

    def on_session_found(self, message: SessionFound) -> None:
        if message.record is None:
            self.notify(
                _("Session {ref} is not in the store or in KSeF.").format(ref=message.reference), markup=False
            )
            return
        screen = SessionScreen(self.services, message.record, self.client)
        screen.focus_ksef_number = message.ksef_number
        self.app.push_screen(screen)

    focus_ksef_number: str | None = None

    def on_screen_resume(self) -> None:
        self._load()

    # --- UPO ---------------------------------------------------------------------------------------

    def action_session_upo(self) -> None:
        reason = upo_sync.explain_no_upo(self.record)
        if reason:
            self._progress(reason)
            return
        self._start_upo(None)

    def action_invoice_upo(self) -> None:
        inv = self._selected()
        if inv is None:
            return
        if not inv.ksef_number:
            self._progress(_("This invoice was not accepted by KSeF, so it has no UPO."))
            return
        self._start_upo(inv)

    def _start_upo(self, inv: SessionInvoiceRecord | None) -> None:
        if self.services.ksef_factory is None:
            self.notify(_("KSeF is not configured for this store."), severity="warning")
            return
        if self._upo_worker is not None and self._upo_worker.is_running:
            self.notify(_("A UPO download is already running (x stops it)."), severity="warning")
            return
        self._upo_worker = self._download_upo(inv)

    @work(exclusive=True, group="session-upo", exit_on_error=False)
    async def _download_upo(self, inv: SessionInvoiceRecord | None) -> None:
        store = self.services.store
        factory = self.services.ksef_factory
        assert store is not None and factory is not None
        code = self.client.short_code if self.client is not None else str(self.record.client_id)
        self._progress(_("Downloading the UPO…"))
        folder = await upo_sync.read_upo_folder(store, self.services.home, self.services.demo)
        try:
            download = await upo_sync.download_upo(
                store,
                factory,
                self.record,
                inv,
                code,
                folder,
                on_wait=lambda left, attempt, attempts: self.post_message(
                    UpoWaiting(left, attempt, attempts)
                ),
            )
        except upo_sync.UpoUnavailable as err:
            self.post_message(UpoRefused(str(err)))
            return
        self.post_message(UpoDownloaded(download))

    def on_upo_waiting(self, message: UpoWaiting) -> None:
        if self._upo_worker is not None and self._upo_worker.is_cancelled:
            return  # posted before x stopped it: the "stopped" line stays
        self._progress(
            _(
                "KSeF has not generated the UPO yet (21178). Next try in {left} s (attempt {attempt} of {attempts}); x stops."  # noqa: E501
            ).format(left=message.left, attempt=message.attempt, attempts=message.attempts)
        )

    def on_upo_refused(self, message: UpoRefused) -> None:
        self._progress(message.reason)

    def on_upo_downloaded(self, message: UpoDownloaded) -> None:
        pages, paths = message.download.pages, message.download.paths
        self.last_upo_paths = paths
        where = str(paths[0]) if paths else ""
        self._progress(_("UPO saved ({n} page(s)): {path}  v shows it.").format(n=len(pages), path=where))
        self._load()

    def action_cancel(self) -> None:
        if self._upo_worker is not None and self._upo_worker.is_running:
            self._upo_worker.cancel()
            self._progress(_("UPO download stopped."))

    def action_view_upo(self) -> None:
        self._view_upo(self.query_one(SessionInvoiceTable).selected())

    @work(exclusive=True, group="session-view", exit_on_error=False)
    async def _view_upo(self, inv: SessionInvoiceRecord | None) -> None:
        store = self.services.store
        assert store is not None
        try:
            receipts = await upo_sync.read_saved_upo(store, self.record, inv)
        except UpoError as err:
            self.post_message(UpoOpened([], str(err)))
            return
        self.post_message(UpoOpened(receipts))

    def on_upo_opened(self, message: UpoOpened) -> None:
        if message.error is not None:
            self.notify(message.error, severity="error", markup=False)
        elif not message.receipts:
            self.notify(_("No UPO of this session is saved yet; u downloads it."), severity="warning")
        else:
            self.app.push_screen(UpoViewerScreen(message.receipts))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and str(event.worker.group).startswith("session-"):
            self._progress(_("Stopped: {error}").format(error=str(event.worker.error)))

    def _progress(self, message: str) -> None:
        bar = self.query_one("#progress", Static)
        bar.display = True
        bar.update(plain(message))

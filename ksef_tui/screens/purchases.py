"""Purchase invoices: one client's incoming invoices (the client as buyer), newest receipt first.

Read from the sealed store in a thread; the table draws only the rows on screen (a line table), so a
client with tens of thousands of invoices scrolls as fast as one with ten. `/` filters as you type,
Enter opens the invoice's stored XML in the inspector, `n` asks KSeF what has arrived since the last
download (rows marked provisional: KSeF has not closed them below its high-water mark yet, so their XML
comes with the next download), `p` downloads now.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Input, Static
from textual.worker import Worker, WorkerState

from ksef_tui.core.i18n import _
from ksef_tui.core.money_format import format_amount
from ksef_tui.core.nip import format_nip
from ksef_tui.core.purchases import PurchaseRecord, PurchaseStatus
from ksef_tui.screens.invoice_opening import InvoiceOpening
from ksef_tui.screens.purchase_sync import PURCHASE_SYNC_GROUP, PurchaseSyncing
from ksef_tui.sync import purchase_views as views
from ksef_tui.sync import purchases as purchase_sync
from ksef_tui.ui.commands import RegistryKeys, bindings_for
from ksef_tui.ui.config import AppConfig
from ksef_tui.ui.messages import (
    PurchasesLoaded,
    PurchasesPreviewed,
)
from ksef_tui.widgets.key_bar import KeyBar
from ksef_tui.widgets.line_table import LineTable
from ksef_tui.widgets.purchase_table import PurchaseTable, day
from ksef_tui.widgets.safe_text import plain, safe_text
from ksef_tui.widgets.session_table import fmt_dt


class PurchasesScreen(PurchaseSyncing, InvoiceOpening, RegistryKeys, Screen[bool | None]):
    """Dismissed with True when a download ran here (the screen below reloads), else None."""

    invoice_group = "purchases-invoice"

    SCOPE = "purchases"
    KEEP_ON_LOCK = True  # a view: back as it was after a lock
    BINDINGS = bindings_for(SCOPE)
    CSS_PATH = "purchases.tcss"

    def __init__(self, services: AppConfig, client_id: int) -> None:
        super().__init__()
        self.services = services
        self.client_id = client_id
        self.listing: views.PurchaseList | None = None
        self.preview: list[PurchaseRecord] = []  # "what's new": rows KSeF listed, not stored yet
        self.records: list[PurchaseRecord] = []  # stored + provisional, newest first
        self.shown: list[PurchaseRecord] = []  # after the filter
        self.synced = False
        self._purchase_worker: Worker[None] | None = None
        self._preview_worker: Worker[None] | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="title")
        yield Input(
            placeholder=_("Filter: seller, NIP, invoice or KSeF number, amount (Esc clears)"), id="filter"
        )
        yield PurchaseTable(views.status_words, id="purchases")
        yield Static("", id="detail")
        yield Static("", id="progress")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#filter", Input).display = False
        self.query_one("#progress", Static).display = False
        self.query_one(PurchaseTable).focus()
        self.reload()

    # --- data ----------------------------------------------------------------------------------

    def reload(self) -> None:
        self._load()

    @work(exclusive=True, group="purchases-load", exit_on_error=False)
    async def _load(self) -> None:
        store = self.services.store
        assert store is not None
        self.post_message(PurchasesLoaded(await views.load_purchase_list(store, self.client_id)))

    def on_purchases_loaded(self, message: PurchasesLoaded) -> None:
        self.listing = message.listing
        self._merge()

    def _merge(self) -> None:
        stored = self.listing.records if self.listing is not None else []
        self.records = views.merge_provisional(stored, self.preview)
        self._apply_filter()

    def _query(self) -> str:
        field = self.query_one("#filter", Input)
        return field.value if field.display else ""

    def _apply_filter(self) -> None:
        query = self._query()
        self.shown = views.filter_purchases(self.records, query)
        self.query_one(PurchaseTable).show(self.shown, self.size.width or self.app.size.width)
        self._update_title(query)
        self._show_detail()

    def _update_title(self, query: str) -> None:
        # The counts and the filter first: at 80 columns a long client name is what the ellipsis cuts.
        title = Text()
        title.append(_("Purchase invoices"), style="bold")
        provisional = sum(1 for r in self.records if r.status is PurchaseStatus.PROVISIONAL)
        count = str(len(self.records) - provisional)
        if provisional:
            count += ", " + _("{n} provisional").format(n=provisional)
        title.append(f" ({count})")
        if query:
            title.append(
                "  " + _("filter: {query} → {n}").format(query=query, n=len(self.shown)), style="italic"
            )
        if self.listing is not None:
            client = self.listing.client
            title.append(f" — {client.short_code} · {client.name} · NIP {format_nip(client.nip)}")
        self.query_one("#title", Static).update(safe_text(title))

    def _show_detail(self) -> None:
        record = self.query_one(PurchaseTable).selected()
        detail = self.query_one("#detail", Static)
        if record is None:
            if self.records:
                detail.update(plain(_("No invoice matches the filter (Esc clears it).")))
            else:
                detail.update(
                    plain(
                        _(
                            "No purchase invoices in the store yet. p fetches them from KSeF, n shows what"
                            " has just arrived."
                        )
                    )
                )
            return
        detail.update(safe_text(self._detail(record)))

    def _detail(self, r: PurchaseRecord) -> Text:
        """Three lines, each fitting 80 columns with the usual values: what identifies the invoice and
        when it was received; who sold it; the amounts and the issue date."""
        out = Text()
        out.append(r.ksef_number, style="bold")
        out.append(
            f"  {views.status_words(r)}", style="italic" if r.status is PurchaseStatus.PROVISIONAL else ""
        )
        out.append("  " + _("received {at}").format(at=fmt_dt(r.acquisition_date, year=True)))
        out.append("\n")
        out.append(r.seller_name or "—", style="bold")
        if r.seller_nip:
            out.append(f" · NIP {format_nip(r.seller_nip)}")
        out.append(" · " + (r.invoice_number or "—"))
        if r.invoice_type:
            out.append(f" ({r.invoice_type})")
        out.append("\n")
        out.append(
            _("gross {gross} · net {net} · VAT {vat} · issued {issued}").format(
                gross=format_amount(r.gross, r.currency),
                net=format_amount(r.net),
                vat=format_amount(r.vat),
                issued=day(r.issue_date),
            )
        )
        if r.status is PurchaseStatus.PROVISIONAL:
            out.append(" · " + _("XML with the next download"), style="italic")
        return out

    @on(LineTable.Highlighted, "#purchases")
    def _highlighted(self) -> None:
        self._show_detail()

    def on_resize(self) -> None:
        self.query_one(PurchaseTable).relayout(self.size.width)

    # --- filter --------------------------------------------------------------------------------

    def action_filter(self) -> None:
        field = self.query_one("#filter", Input)
        field.display = True
        field.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self) -> None:
        self._apply_filter()

    @on(Input.Submitted, "#filter")
    def _filter_done(self) -> None:
        self.query_one(PurchaseTable).focus()

    def action_back(self) -> None:
        field = self.query_one("#filter", Input)
        if field.display:
            field.value = ""
            field.display = False
            self._apply_filter()
            self.query_one(PurchaseTable).focus()
            return
        for worker in (self._purchase_worker, self._preview_worker):
            if worker is not None and worker.is_running:
                worker.cancel()
        self.dismiss(True if self.synced else None)

    # --- open ----------------------------------------------------------------------------------

    def _selected(self) -> PurchaseRecord | None:
        record = self.query_one(PurchaseTable).selected()
        if record is None:
            self.notify(_("Select an invoice first."), severity="warning")
        return record

    @on(LineTable.Selected, "#purchases")
    def _row_selected(self) -> None:
        self.action_open_invoice()

    def action_open_invoice(self) -> None:
        if (record := self._selected()) is not None:
            self.open_stored_invoice(self.client_id, record.ksef_number, record.invoice_hash or None)

    # --- what's new, download ------------------------------------------------------------------

    def _ksef_ready(self) -> bool:
        if self.services.ksef_factory is None:
            self.notify(_("KSeF is not configured for this store."), severity="warning")
            return False
        return True

    def action_preview_new(self) -> None:
        if not self._ksef_ready():
            return
        if self._preview_worker is not None and self._preview_worker.is_running:
            return
        self._progress(_("Asking KSeF what has arrived…"))
        self._preview_worker = self._preview()

    @work(exclusive=True, group="purchases-preview", exit_on_error=False)
    async def _preview(self) -> None:
        store, factory = self.services.store, self.services.ksef_factory
        assert store is not None and factory is not None
        records = await purchase_sync.preview_new(store, factory, self.client_id, clock=self.services.clock)
        self.post_message(PurchasesPreviewed(records))

    def on_purchases_previewed(self, message: PurchasesPreviewed) -> None:
        stored = {r.ksef_number.upper() for r in (self.listing.records if self.listing else [])}
        new = [r for r in message.records if r.ksef_number.upper() not in stored]
        self.preview = new
        self._merge()
        if new:
            self._progress(
                _(
                    "KSeF lists {n} new invoices (provisional: their XML comes with the next download)."
                ).format(n=len(new))
            )
        else:
            self._progress(_("Nothing new in KSeF since the last download."))

    def action_sync_purchases(self) -> None:
        self.start_purchase_sync([self.client_id])

    def _purchases_fetched(self, report: purchase_sync.SyncReport) -> None:
        self.synced = True
        self.reload()

    def action_cancel(self) -> None:
        self.stop_purchase_sync()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is not WorkerState.ERROR:
            return
        group = event.worker.group
        if group == "purchases-load":
            self.query_one("#detail", Static).update(
                plain(_("Could not read the purchase invoices: {error}").format(error=event.worker.error))
            )
        elif group in (PURCHASE_SYNC_GROUP, "purchases-preview", "purchases-invoice"):
            self._progress(_("Stopped: {error}").format(error=str(event.worker.error)))

    def _progress(self, message: str) -> None:
        bar = self.query_one("#progress", Static)
        bar.display = True
        bar.update(plain(message))

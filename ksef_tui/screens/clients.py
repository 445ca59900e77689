"""Clients: the health board an accountant opens every morning."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Input, Static
from textual.worker import Worker, WorkerState

from ksef_tui.core.board import READY_GLYPHS, BoardEntry, filter_board, level_counts, not_ready_2027
from ksef_tui.core.health import GLYPHS, Level
from ksef_tui.core.i18n import _
from ksef_tui.core.readiness import Ready
from ksef_tui.screens.message_history import Notice, record
from ksef_tui.screens.purchase_sync import PurchaseSyncing
from ksef_tui.sync.clients import load_board
from ksef_tui.ui.commands import RegistryKeys, bindings_for, commands_for, key_label
from ksef_tui.ui.config import AppConfig
from ksef_tui.ui.messages import (
    BoardLoaded,
    CheckProgress,
    ChecksFinished,
)
from ksef_tui.widgets.client_detail import ClientDetail
from ksef_tui.widgets.client_table import ClientTable
from ksef_tui.widgets.damage_banner import DamageBanner
from ksef_tui.widgets.key_bar import KeyBar
from ksef_tui.widgets.safe_text import plain, safe_text
from ksef_tui.widgets.tones import LEVEL_TONE, READY_TONE, tone_style

if TYPE_CHECKING:
    from ksef_tui.sync.purchases import SyncReport


class ClientsScreen(PurchaseSyncing, RegistryKeys, Screen[None]):
    SCOPE = "clients"
    KEEP_ON_LOCK = True  # a view: back as it was after a lock
    BINDINGS = bindings_for(SCOPE)
    CSS_PATH = "clients.tcss"

    def __init__(self, services: AppConfig) -> None:
        super().__init__()
        self.services = services
        self.entries: list[BoardEntry] = []
        self.shown: list[BoardEntry] = []
        self._check_worker: Worker[None] | None = None
        self._purchase_worker: Worker[None] | None = None
        self._start_sync_pending = False  # the fetch started by itself on first open (the demo)
        self._board_worker: Worker[None] | None = None
        self._reload_pending = False  # a reload asked for while a load runs: one more load after it
        # A client to put the cursor on when the next load arrives (just added or edited).
        self._select_after_load: int | None = None
        self.not_ready_only = False  # `2`: only the clients not ready for 2027

    def compose(self) -> ComposeResult:
        yield Static("", id="title")
        yield DamageBanner(id="damage")
        yield Input(placeholder=_("Filter: name, NIP or short code (Esc clears)"), id="filter")
        yield Static("", id="empty")
        yield ClientTable(id="board")
        yield ClientDetail(id="detail")
        yield Static("", id="progress")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#filter", Input).display = False
        self.query_one("#progress", Static).display = False
        self.query_one("#empty", Static).display = False
        self.query_one(ClientTable).focus()
        self.reload()
        if self.services.sync_purchases_on_start:
            self.services.sync_purchases_on_start = False  # once per run, not on every unlock
            self._start_sync_pending = True
            self.services.queue_preparing = self.services.after_start_sync is not None
            self.action_sync_all_purchases()

    # --- data ----------------------------------------------------------------------------------

    def reload(self) -> None:
        # Reloads asked for while a load runs (every live check's progress asks) are coalesced into one
        # more load when it arrives: a running load is never cancelled for a newer one.
        if self._board_worker is not None and self._board_worker.is_running:
            self._reload_pending = True
            return
        self._board_worker = self._load()

    @work(exclusive=True, group="board-load")
    async def _load(self) -> None:
        store = self.services.store
        assert store is not None
        self.post_message(BoardLoaded(await load_board(store, self.services.clock, self.services.health)))

    def on_board_loaded(self, message: BoardLoaded) -> None:
        self.entries = message.board.entries
        self.query_one(DamageBanner).show(message.board.damage)
        self._show_empty_hint()
        self._apply_filter()
        if self._reload_pending:  # the store changed while this load ran: its client may be missing
            self._reload_pending = False
            self._board_worker = self._load()
        elif self._select_after_load is not None:
            self.query_one(ClientTable).select_client(self._select_after_load)
            self._select_after_load = None

    def _show_empty_hint(self) -> None:
        """No client at all: say how to get the first one (the keys from the registry), not a blank table."""
        hint = self.query_one("#empty", Static)
        hint.display = not self.entries
        if self.entries:
            return
        store = self.services.store
        if store is not None and not store.is_locked and not store.is_admin:
            hint.update(_("No client is assigned to you yet: ask an administrator to assign one."))
            return
        keys = {c.action: key_label(c) for c in commands_for(self.SCOPE, include_global=False)}
        hint.update(
            _("No clients yet: press {add} to add the first client, or {imp} to import a list.").format(
                add=keys["add_client"], imp=keys["import_clients"]
            )
        )

    def _apply_filter(self) -> None:
        field = self.query_one("#filter", Input)
        query = field.value if field.display else ""
        self.shown = filter_board(self.entries, query)
        if self.not_ready_only:
            self.shown = not_ready_2027(self.shown)
        table = self.query_one(ClientTable)
        table.show(self.shown, self.size.width or self.app.size.width)
        self._update_title(query)
        self.query_one(ClientDetail).show(table.selected_entry())

    def _update_title(self, query: str) -> None:
        counts = level_counts(self.entries)
        title = Text()
        title.append(_("Clients"), style="bold")
        store = self.services.store
        if store is not None and not store.is_locked and not store.is_admin:
            # An operator sees the assigned clients only: say how many the office has, and who this is.
            total = store.count_clients()
            title.append(
                " "
                + _("({n} of {total}, operator {login})").format(
                    n=len(self.entries), total=total, login=store.operator
                )
                + "  "
            )
        else:
            title.append(f" ({len(self.entries)})  ")
        no_color = self.app.no_color
        for level in Level:
            title.append(f"{GLYPHS[level]} {counts[level]}  ", style=tone_style(LEVEL_TONE[level], no_color))
        ready = [e.readiness.ready for e in self.entries if e.readiness is not None]
        title.append("2027: ")
        for ready_level in Ready:
            title.append(
                f"{READY_GLYPHS[ready_level]} {ready.count(ready_level)}  ",
                style=tone_style(READY_TONE[ready_level], no_color),
            )
        if self.not_ready_only:
            title.append(_("not ready for 2027 → {n}").format(n=len(self.shown)), style="italic")
            title.append("  ")
        if query:
            title.append(_("filter: {query} → {n}").format(query=query, n=len(self.shown)), style="italic")
        self.query_one("#title", Static).update(safe_text(title))

    def on_resize(self) -> None:
        if self.entries:
            self._apply_filter()

    @on(ClientTable.Highlighted)
    def _highlighted(self, event: ClientTable.Highlighted) -> None:
        self.query_one(ClientDetail).show(event.entry)

    @on(ClientTable.Selected)
    def _clicked_again(self) -> None:
        self.action_open_client()

    def action_open_client(self) -> None:
        # The other screens are imported when opened, not at the top: with the use cases behind them they
        # load the KSeF client (~0.3 s, -X importtime), which the board's first paint does not need.
        from ksef_tui.screens.client_detail import ClientDetailScreen

        if (entry := self._selected()) and entry.client.id is not None:
            screen = ClientDetailScreen(self.services, entry.client.id)
            self.app.push_screen(screen, callback=self._after_change)

    def select_client(self, client_id: int) -> None:
        field = self.query_one("#filter", Input)
        if field.display and field.value:
            field.value = ""
            field.display = False
            self._apply_filter()
        table = self.query_one(ClientTable)
        table.select_client(client_id)
        table.focus()

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
        self.query_one(ClientTable).focus()

    def action_clear_filter(self) -> None:
        field = self.query_one("#filter", Input)
        if not field.display:
            return
        field.value = ""
        field.display = False
        self._apply_filter()
        self.query_one(ClientTable).focus()

    def action_toggle_not_ready(self) -> None:
        """`2`: only the clients not ready (or only partly ready) for 2027; again: every client."""
        self.not_ready_only = not self.not_ready_only
        self._apply_filter()

    # --- readiness for 2027 and the office certificate (issue 11) --------------------------------

    def action_readiness(self) -> None:
        from ksef_tui.screens.readiness import ReadinessScreen

        self.app.push_screen(ReadinessScreen(self.services), callback=self._after_change)

    def action_audit(self) -> None:
        from ksef_tui.screens.audit import AuditScreen

        store = self.services.store
        if store is None or not store.is_admin:  # the office-wide log: every client's entries
            self.notify(_("Only an administrator can read the office's audit log."), severity="warning")
            return
        self.app.push_screen(AuditScreen(self.services))

    def action_operators(self) -> None:
        from ksef_tui.screens.operators import OperatorsScreen

        store = self.services.store
        if store is None or not store.is_admin:
            self.notify(_("Only an administrator can manage operators."), severity="warning")
            return
        self.app.push_screen(OperatorsScreen(self.services), callback=self._after_change)

    def action_office_certificate(self) -> None:
        from ksef_tui.screens.office_certificate import OfficeCertificateScreen

        self.app.push_screen(OfficeCertificateScreen(self.services), callback=self._after_change)

    # --- add, edit, token, remove --------------------------------------------------------------

    def _selected(self) -> BoardEntry | None:
        entry = self.query_one(ClientTable).selected_entry()
        if entry is None:
            self.notify(_("Select a client first."), severity="warning")
        return entry

    def action_add_client(self) -> None:
        from ksef_tui.screens.client_form import ClientFormScreen

        self.app.push_screen(ClientFormScreen(self.services, None), callback=self._after_change)

    def action_edit_client(self) -> None:
        from ksef_tui.screens.client_form import ClientFormScreen

        if entry := self._selected():
            self.app.push_screen(ClientFormScreen(self.services, entry.client), callback=self._after_change)

    def action_import_token(self) -> None:
        from ksef_tui.screens.token_import import TokenImportScreen

        if entry := self._selected():
            self.app.push_screen(TokenImportScreen(self.services, entry.client), callback=self._after_change)

    def action_import_certificate(self) -> None:
        from ksef_tui.screens.certificate_import import CertificateImportScreen

        if entry := self._selected():
            self.app.push_screen(
                CertificateImportScreen(self.services, entry.client), callback=self._after_change
            )

    def action_import_clients(self) -> None:
        from ksef_tui.screens.clients_import import ClientsImportScreen

        self.app.push_screen(ClientsImportScreen(self.services), callback=self._after_change)

    def action_remove_client(self) -> None:
        from ksef_tui.screens.offboarding import OffboardingScreen

        if entry := self._selected():
            self.app.push_screen(OffboardingScreen(self.services, entry.client), callback=self._after_change)

    def _after_change(self, changed: int | bool | None) -> None:
        if changed:
            # The board reloads in a thread: select the client when that load arrives, not before.
            if isinstance(changed, int) and not isinstance(changed, bool):
                self._select_after_load = changed
            self.reload()

    def action_office(self) -> None:
        from ksef_tui.screens.office import OfficeScreen

        self.app.push_screen(OfficeScreen(self.services), callback=self._after_change)

    # --- sessions ------------------------------------------------------------------------------

    def action_sessions(self) -> None:
        from ksef_tui.screens.sessions import SessionsScreen

        if entry := self._selected():
            self.app.push_screen(SessionsScreen(self.services, entry.client.id))

    def action_all_sessions(self) -> None:
        from ksef_tui.screens.sessions import SessionsScreen

        self.app.push_screen(SessionsScreen(self.services, None))

    def action_api_log(self) -> None:
        from ksef_tui.screens.api_log import ApiLogScreen

        if entry := self._selected():
            api_log = getattr(self.services.ksef_factory, "api_log", None)
            self.app.push_screen(ApiLogScreen(api_log, entry.client))

    # --- live checks ---------------------------------------------------------------------------

    def action_check_selected(self) -> None:
        if entry := self._selected():
            self._start_checks([entry.client.id or 0])

    def action_check_all(self) -> None:
        self._start_checks([e.client.id or 0 for e in self.entries])

    def action_cancel_checks(self) -> None:
        """`x`: stop what runs (the live checks, the purchase invoice download, or both)."""
        if self._check_worker is not None and self._check_worker.is_running:
            self._check_worker.cancel()
            self._progress(_("Live check cancelled."))
        self.stop_purchase_sync()

    def _start_checks(self, client_ids: list[int]) -> None:
        if self.services.ksef_factory is None:
            self.notify(_("KSeF is not configured for this store."), severity="warning")
            return
        if self._check_worker is not None and self._check_worker.is_running:
            self.notify(_("A live check is already running (x stops it)."), severity="warning")
            return
        self._check_worker = self._run_checks(client_ids)

    @work(exclusive=True, group="live-check", exit_on_error=False)
    async def _run_checks(self, client_ids: list[int]) -> None:
        # Here, not at the top: the live checks load the KSeF client (~0.3 s measured with -X importtime),
        # which the board, the first screen, does not need to paint.
        from ksef_tui.sync.live_checks import run_live_checks

        total = len(client_ids)
        self._progress(_("Checking {n} clients in KSeF… (x stops)").format(n=total))
        store = self.services.store
        assert store is not None
        summary = await run_live_checks(
            store,
            self.services.ksef_factory,
            client_ids,
            self.services.clock,
            lambda done, failed: self.post_message(CheckProgress(done, failed, total)),
        )
        self.post_message(ChecksFinished(summary))

    def on_check_progress(self, message: CheckProgress) -> None:
        if self._check_worker is not None and self._check_worker.is_cancelled:
            return  # posted before x stopped it: the "cancelled" line stays
        self._progress(
            _("Checked {done} of {total}; refused or not checked: {failed}. (x stops)").format(
                done=message.done, total=message.total, failed=message.failed
            )
        )
        self.reload()

    def on_checks_finished(self, message: ChecksFinished) -> None:
        self._progress(message.summary)
        record(self.app, Notice(self.services.clock(), "information", "", message.summary))
        self.reload()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        ours = event.worker is self._check_worker or event.worker is self._purchase_worker
        if ours and event.state in (WorkerState.SUCCESS, WorkerState.CANCELLED):
            self.set_timer(8, self._hide_progress)
        if event.worker is self._check_worker and event.state is WorkerState.ERROR:
            line = _("Live check stopped: {error}").format(error=str(event.worker.error))
            self._progress(line)
            record(self.app, Notice(self.services.clock(), "error", "", line))
        if event.state is WorkerState.ERROR:
            self.purchase_sync_failed(event.worker)

    def _progress(self, message: str) -> None:
        bar = self.query_one("#progress", Static)
        bar.display = True
        bar.update(plain(message))

    def _hide_progress(self) -> None:
        running = [w for w in (self._check_worker, self._purchase_worker) if w is not None and w.is_running]
        if not running:
            self.query_one("#progress", Static).display = False

    # --- purchase invoices -----------------------------------------------------------------------

    def action_purchases(self) -> None:
        from ksef_tui.screens.purchases import PurchasesScreen

        if (entry := self._selected()) and entry.client.id is not None:
            self.app.push_screen(PurchasesScreen(self.services, entry.client.id), callback=self._after_change)

    def action_queue(self) -> None:
        from ksef_tui.screens.queue import QueueScreen

        self.app.push_screen(QueueScreen(self.services, None), callback=self._after_change)

    def action_sync_purchases(self) -> None:
        if entry := self._selected():
            self.start_purchase_sync([entry.client.id or 0])

    def action_sync_all_purchases(self) -> None:
        # None: every client with a usable credential (the use case picks them, as `ksef-tui sync` does),
        # so a client without a token is not reported as a failure on every run.
        self.start_purchase_sync(None)

    def _purchases_fetched(self, report: SyncReport) -> None:
        from ksef_tui.sync.purchase_views import failure_lines

        failures = failure_lines(report)
        if failures:
            more = len(failures) - 8
            shown = failures[:8]
            if more > 0:
                shown.append(_("…and {n} more (F9 shows them all)").format(n=more))
            self.notify(
                "\n".join(shown),
                title=_("Purchase invoices: {n} clients failed").format(n=len(failures)),
                severity="warning",
                markup=False,
                timeout=15,
            )
        self.reload()
        after, store = self.services.after_start_sync, self.services.store
        if self._start_sync_pending and after is not None and store is not None:
            self._start_sync_pending = False
            self._progress(_("Preparing the approval queue…"))
            self._after_start_worker = self._after_start(after, store)

    @work(thread=True, exclusive=True, group="after-start-sync", exit_on_error=False)
    def _after_start(self, after: Callable[[Any], object], store: Any) -> None:
        try:
            after(store)
        except Exception:  # reported as any worker's failure; the queue stops waiting for it
            self.app.call_from_thread(self._after_start_done, False)
            raise
        self.app.call_from_thread(self._after_start_done, True)

    def _after_start_done(self, ready: bool) -> None:
        from ksef_tui.screens.queue import QueueScreen

        self.services.queue_preparing = False
        if ready:
            self._progress(_("The approval queue is ready."))
        self.reload()
        for screen in self.app.screen_stack:  # a queue opened meanwhile showed the queue half prepared
            if isinstance(screen, QueueScreen):
                screen.prepared()

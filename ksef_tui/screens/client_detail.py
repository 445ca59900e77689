"""The Client screen: one client's credentials and their health, live checks, syncs and audit trail.

Read from the store in a thread; every text from the store reaches the screen as rich Text (never
markup), and no secret does: a credential shows only `Credential.masked()` (token reference or
certificate serial).

Credentials are numbered on the screen: a digit selects one (marked ▸), `d` removes the selected one
after its code is typed (screens/credential_remove.py). Past export batches are listed with keys to write
one again or undo it (screens/export_batches.py).
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from ksef_tui.core.health import Health, Level, client_health, credential_health
from ksef_tui.core.humanize_pl import WARSAW, in_words, until_words
from ksef_tui.core.i18n import N_, _
from ksef_tui.core.models import (
    CREDENTIAL_KIND_LABELS,
    CheckOutcome,
    CredentialKind,
    CredentialStatus,
    permission_words,
)
from ksef_tui.core.nip import format_nip
from ksef_tui.screens.api_log import ApiLogScreen
from ksef_tui.screens.certificate_import import CertificateImportScreen
from ksef_tui.screens.client_form import ClientFormScreen
from ksef_tui.screens.credential_remove import CredentialRemoveScreen
from ksef_tui.screens.export_batches import ExportBatches
from ksef_tui.screens.purchase_sync import PurchaseSyncing
from ksef_tui.screens.purchases import PurchasesScreen
from ksef_tui.screens.sessions import SessionsScreen
from ksef_tui.screens.token_import import TokenImportScreen
from ksef_tui.sync import purchase_views
from ksef_tui.sync.clients import ClientView, load_client_view
from ksef_tui.sync.damage import DAMAGED_RESULT
from ksef_tui.sync.live_checks import run_live_checks
from ksef_tui.ui.commands import RegistryKeys, bindings_for
from ksef_tui.ui.config import AppConfig
from ksef_tui.ui.messages import (
    ChecksFinished,
    ClientViewLoaded,
    PurchaseSummaryLoaded,
)
from ksef_tui.widgets.client_table import APP_STEPS, LEVEL_STYLE
from ksef_tui.widgets.export_batch_table import ExportBatchTable
from ksef_tui.widgets.key_bar import KeyBar
from ksef_tui.widgets.safe_text import plain, safe_renderable

STATUS_WORDS = {
    CredentialStatus.PENDING: N_("being activated"),
    CredentialStatus.ACTIVE: N_("active"),
    CredentialStatus.REVOKING: N_("being revoked"),
    CredentialStatus.REVOKED: N_("revoked"),
    CredentialStatus.FAILED: N_("activation failed"),
    CredentialStatus.EXPIRED: N_("expired"),
}
OUTCOME_WORDS = {
    CheckOutcome.OK: N_("login OK"),
    CheckOutcome.AUTH_FAILED: N_("login refused"),
    CheckOutcome.REVOKED: N_("revoked"),
    CheckOutcome.ERROR: N_("KSeF unreachable"),
}
OUTCOME_STYLE = {
    CheckOutcome.OK: LEVEL_STYLE[Level.GREEN],
    CheckOutcome.AUTH_FAILED: LEVEL_STYLE[Level.RED],
    CheckOutcome.REVOKED: LEVEL_STYLE[Level.RED],
    CheckOutcome.ERROR: LEVEL_STYLE[Level.YELLOW],
}
# The audit trail's action ids (grep audit.append) in words; an unknown id is shown as it is.
ACTION_WORDS = {
    "store_created": N_("store created"),
    "passphrase.change": N_("passphrase changed"),
    "client.add": N_("client added"),
    "client.edit": N_("client edited"),
    "client.remove": N_("client removed"),
    "credential.import_token": N_("token imported"),
    "credential.import_certificate": N_("certificate imported"),
    "credential.remove": N_("credential removed"),
    "credential.live_check": N_("live check"),
    "sessions.login": N_("logged in to read sessions"),
    "upo.download": N_("UPO downloaded"),
    "booking.export": N_("booking exported"),
    "booking.export_undo": N_("booking export undone"),
    "export_batch.created": N_("export batch written"),
    "export_batch.undone": N_("export batch undone"),
    "credential.expiry": N_("expiry date noted"),
    "client.import": N_("client imported"),
    "client.import_update": N_("client updated by an import"),
    "purchases.sync": N_("purchase invoices fetched"),
    "purchases.reconcile": N_("purchase invoices compared with KSeF"),
    "purchases.hash_conflict": N_("an invoice differs from KSeF's copy"),
    "grants.requested": N_("permission request noted"),
}
RESULT_WORDS = {
    "ok": N_("ok"),
    "failed": N_("did not succeed"),
    "alarm": N_("alarm"),
    "gaps": N_("invoices missing"),
    **{o.value: w for o, w in OUTCOME_WORDS.items() if o is not CheckOutcome.OK},
    DAMAGED_RESULT: N_("skipped: data damaged in the store"),
}


def action_words(action: str) -> str:
    return _(ACTION_WORDS[action]) if action in ACTION_WORDS else action


def result_words(result: str) -> str:
    return _(RESULT_WORDS[result]) if result in RESULT_WORDS else result


CREDENTIAL_KIND_VALUES = {kind.value for kind in CredentialKind}
UPO_PAGE_DETAIL = re.compile(r"session page (\d+)/(\d+)")


def detail_words(action: str, detail: str) -> str:
    """An entry's detail in words where it is a machine's note ("ksef_token 450", "session page 1/2");
    anything else (a reference, a serial, a message already in words) as it is."""
    if action in ("credential.live_check", "sessions.login"):
        kind, _space, code = detail.partition(" ")
        words = [_(CREDENTIAL_KIND_LABELS[CredentialKind(kind)]) if kind in CREDENTIAL_KIND_VALUES else kind]
        if code:
            words.append(_("KSeF code {code}").format(code=code))
        return ", ".join(w for w in words if w)
    if action == "upo.download":
        if page := UPO_PAGE_DETAIL.fullmatch(detail):
            return _("session UPO, page {n} of {total}").format(n=page[1], total=page[2])
        if detail == "invoice":
            return _("the invoice's UPO")
    if action == "purchases.reconcile" and detail.isdigit():
        return _("missing: {n}").format(n=detail)
    if action == "grants.requested" and detail == "cleared":
        return _("mark cleared")
    return detail


def _date(at: datetime) -> str:
    return at.astimezone(WARSAW).strftime("%Y-%m-%d %H:%M")


def _when(at: datetime | None, now: datetime) -> str:
    """ "2 godziny temu (2026-11-21 08:30)", or "nigdy"."""
    if at is None:
        return _("never")
    return f"{in_words(at - now)} ({_date(at)})"


if TYPE_CHECKING:
    from ksef_tui.sync.purchases import SyncReport


class ClientDetailScreen(PurchaseSyncing, ExportBatches, RegistryKeys, Screen[int | None]):
    """Dismissed with the client id when something changed here (the board reloads), else None."""

    SCOPE = "client"
    KEEP_ON_LOCK = True  # a view: back as it was after a lock
    BINDINGS = bindings_for(SCOPE)
    DEFAULT_CSS = """
    ClientDetailScreen #title { height: 1; padding: 0 1; background: $primary-darken-3; }
    ClientDetailScreen #header { height: auto; padding: 0 1; }
    ClientDetailScreen #body { height: 1fr; }
    ClientDetailScreen .section { height: auto; padding: 0 1; margin-top: 1; }
    ClientDetailScreen #progress { height: 1; padding: 0 1; background: $accent-darken-2; }
    ClientDetailScreen #batches { margin: 0 1; }
    ClientDetailScreen #batch-detail { height: auto; padding: 0 1; }
    """

    def __init__(self, services: AppConfig, client_id: int) -> None:
        super().__init__()
        self.services = services
        self.client_id = client_id
        self.view: ClientView | None = None
        self.changed = False
        self.selected = 0  # index of the selected credential (the one `d` removes)
        self._check_worker: Worker[None] | None = None
        self._purchase_worker: Worker[None] | None = None
        self.purchases: purchase_views.PurchaseSummary | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="title")
        yield Static("", id="header")
        with VerticalScroll(id="body"):
            yield Static("", id="damage", classes="section")
            yield Static("", id="credentials", classes="section")
            yield Static("", id="checks", classes="section")
            yield Static("", id="sync", classes="section")
            yield Static("", id="purchases", classes="section")
            yield Static("", id="batches-title", classes="section")
            yield ExportBatchTable(id="batches")
            yield Static("", id="batch-detail")
            yield Static("", id="audit", classes="section")
        yield Static("", id="progress")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#progress", Static).display = False
        self.query_one("#body", VerticalScroll).focus()
        self.reload()

    # --- data ----------------------------------------------------------------------------------

    def reload(self) -> None:
        self._load()
        self._load_purchases()
        self.load_batches()

    @work(exclusive=True, group="client-load")
    async def _load(self) -> None:
        store = self.services.store
        assert store is not None
        self.post_message(ClientViewLoaded(await load_client_view(store, self.client_id)))

    @work(exclusive=True, group="client-purchases", exit_on_error=False)
    async def _load_purchases(self) -> None:
        store = self.services.store
        assert store is not None
        try:
            summary = await purchase_views.load_purchase_summary(store, self.client_id)
        except Exception as exc:  # the section says so; the rest of the screen stays
            self.post_message(PurchaseSummaryLoaded(None, str(exc) or type(exc).__name__))
            return
        self.post_message(PurchaseSummaryLoaded(summary))

    def on_purchase_summary_loaded(self, message: PurchaseSummaryLoaded) -> None:
        self.purchases = message.summary
        section = self._purchase_section(message.summary, self.services.clock(), message.error)
        self.query_one("#purchases", Static).update(safe_renderable(section))

    def on_client_view_loaded(self, message: ClientViewLoaded) -> None:
        view = self.view = message.view
        self.selected = min(self.selected, max(len(view.credentials) - 1, 0))
        now = self.services.clock()
        settings = self.services.health
        health = client_health(view.client, view.credentials, view.latest, view.sync, now, settings)
        title = Text()
        title.append(_("Client"), style="bold")
        title.append(f" · {view.client.short_code} · {view.client.name}")
        # Names, notes, labels and KSeF's messages: cleaned of control and bidi characters.
        self.query_one("#title", Static).update(safe_renderable(title))
        self.query_one("#header", Static).update(safe_renderable(self._header(view, health)))
        damage = self.query_one("#damage", Static)
        damage.display = bool(view.damage)
        damage.update(safe_renderable(self._damage(view)))
        self._show_credentials()
        self.query_one("#checks", Static).update(safe_renderable(self._checks(view, now)))
        self.query_one("#sync", Static).update(safe_renderable(self._sync(view, now)))
        self.query_one("#audit", Static).update(safe_renderable(self._audit(view, now)))

    def _show_credentials(self) -> None:
        if self.view is not None:
            section = self._credentials(self.view, self.services.clock())
            self.query_one("#credentials", Static).update(safe_renderable(section))

    # --- sections ------------------------------------------------------------------------------

    def _header(self, view: ClientView, health: Health) -> Text:
        client = view.client
        text = Text()
        text.append(f"{health.glyph} ", style=LEVEL_STYLE[health.level])
        text.append(client.name, style="bold")
        text.append(f"  {client.short_code}")
        text.append("\nNIP " + " · ".join(format_nip(n) for n in client.nips))
        text.append(" · " + _("KSeF environment") + f": {client.environment.value}")
        text.append("\n")
        text.append(
            health.said(APP_STEPS), style=LEVEL_STYLE[health.level] if health.level is not Level.GREEN else ""
        )
        if client.notes:
            text.append("\n")
            text.append(client.notes, style="italic")
        return text

    def _damage(self, view: ClientView) -> RenderableType:
        """Where this client's damaged values are (table, row, column; never a value), and what to do."""
        alarm = LEVEL_STYLE[Level.RED]
        title = Text(
            _("Damaged in the store ({n})").format(n=len(view.damage)), style=f"bold underline {alarm}"
        )
        lines = [
            Text(
                "✖ "
                + _("table {table}, row {row}, column {column}").format(
                    table=e.value.table, row=e.value.row_id, column=e.value.column
                ),
                style=alarm,
            )
            for e in view.damage
        ]
        hint = Text(
            _(
                "These values could not be authenticated (changed outside ksef-tui, or the file is"
                " corrupted). Restore the store from a backup, or import the credential or enter the"
                " field again."
            ),
            style="italic",
        )
        return Group(title, *lines, hint)

    def _credentials(self, view: ClientView, now: datetime) -> RenderableType:
        title = Text(_("Credentials ({n})").format(n=len(view.credentials)), style="bold underline")
        if not view.credentials:
            return Group(title, Text(_("No KSeF credential: import a token or a certificate.")))
        title.append("  ")
        if len(view.credentials) > 1:
            keys = _("1–{last} selects, d removes the selected one").format(
                last=min(len(view.credentials), 9)
            )
        else:
            keys = _("d removes it")
        title.append(keys, style="dim not underline not bold")
        grid = Table.grid(padding=(0, 1))
        grid.add_column(width=2, no_wrap=True)
        grid.add_column(width=1, no_wrap=True)
        grid.add_column(ratio=1)
        for number, cred in enumerate(view.credentials, start=1):
            check = view.latest.get(cred.id or -1)
            health = credential_health(cred, check, now, self.services.health)
            alarm = LEVEL_STYLE[health.level] if health.level is not Level.GREEN else ""
            head = Text()
            head.append(_(CREDENTIAL_KIND_LABELS[cred.kind]), style="bold")
            head.append("  ")
            if cred.kind is CredentialKind.KSEF_TOKEN:
                head.append(cred.masked())
            else:
                head.append(_("serial {serial}").format(serial=cred.masked()))
            # KSeF's status says nothing about time: a certificate past its validity reads "expired".
            status = cred.status
            if status is CredentialStatus.ACTIVE and health.expires is not None and health.expires <= now:
                status = CredentialStatus.EXPIRED
            head.append(f"  · {_(STATUS_WORDS.get(status, status.value))}")
            if cred.label:
                head.append("  ")
                head.append(cred.label, style="dim")
            valid_from = cred.valid_from.astimezone(WARSAW).date().isoformat() if cred.valid_from else "—"
            if health.expires is not None:
                until = health.expires.astimezone(WARSAW).date().isoformat()
                expiry = until_words(health.expires, now)
            else:
                until, expiry = "—", "—"
            validity = Text(
                _("Valid from {start} until {end} ({expiry})").format(
                    start=valid_from, end=until, expiry=expiry
                )
            )
            perms = Text(_("Permissions") + ": ")
            if cred.permissions:
                perms.append(permission_words(cred.permissions))
                seen = next(
                    (c for c in view.history.get(cred.id or 0, []) if c.outcome is CheckOutcome.OK), None
                )
                if seen is not None:
                    perms.append(
                        " " + _("(seen {when})").format(when=in_words(seen.checked_at - now)), style="dim"
                    )
            else:
                perms.append(_("not read yet (press c)"), style="dim")
            chosen = number - 1 == self.selected
            mark = Text(
                f"{'▸' if chosen else ' '}{number}" if number <= 9 else "  ",
                style="bold" if chosen else "dim",
            )
            grid.add_row(mark, Text(health.glyph, style=LEVEL_STYLE[health.level]), head)
            grid.add_row("", "", validity)
            grid.add_row("", "", perms)
            grid.add_row("", "", Text(health.said(APP_STEPS), style=alarm))
        return Group(title, grid)

    def _checks(self, view: ClientView, now: datetime) -> RenderableType:
        title = Text(_("Live checks"), style="bold underline")
        checks = [(cred, c) for cred in view.credentials for c in view.history.get(cred.id or 0, [])]
        checks.sort(key=lambda pair: pair[1].checked_at, reverse=True)
        if not checks:
            return Group(title, Text(_("Never checked live in KSeF: press c to check.")))
        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True)
        grid.add_column(no_wrap=True)
        grid.add_column(ratio=1)
        for cred, check in checks:
            when = Text(_date(check.checked_at))
            when.append(f" {in_words(check.checked_at - now)}", style="dim")
            outcome = Text(_(OUTCOME_WORDS[check.outcome]), style=OUTCOME_STYLE[check.outcome])
            more = Text(_(CREDENTIAL_KIND_LABELS[cred.kind]), style="dim")
            if check.ksef_code:
                more.append(" · " + _("KSeF code {code}").format(code=check.ksef_code))
            if check.message:
                more.append(" · ")
                more.append(check.message)
            grid.add_row(when, outcome, more)
        return Group(title, grid)

    def _sync(self, view: ClientView, now: datetime) -> RenderableType:
        sync = view.sync
        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True)
        grid.add_column(ratio=1)
        grid.add_row(_("Last attempt"), _when(sync.last_attempt if sync else None, now))
        grid.add_row(_("Last success"), _when(sync.last_success if sync else None, now))
        if sync is not None and sync.last_error:
            grid.add_row(_("Last error"), Text(sync.last_error, style=LEVEL_STYLE[Level.YELLOW]))
        grid.add_row(_("Sessions refreshed"), _when(view.refreshed, now))
        if view.next_refresh is not None and view.next_refresh > now:
            grid.add_row(_("Next refresh allowed"), _date(view.next_refresh))
        return Group(Text(_("Synchronisation"), style="bold underline"), grid)

    def _purchase_section(
        self, summary: purchase_views.PurchaseSummary | None, now: datetime, error: str = ""
    ) -> RenderableType:
        """Where the purchase invoice download stands: the cursor (Polish time), last success, last
        error, a pending export, how many invoices the store holds."""
        title = Text(_("Purchase invoices"), style="bold underline")
        title.append("  ")
        title.append(_("p fetches now, f lists them"), style="dim not underline not bold")
        if summary is None:
            return Group(title, Text(_("Could not read the purchase invoices: {error}").format(error=error)))
        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True)
        grid.add_column(ratio=1)
        if summary.cursor is None:
            grid.add_row(_("Fetched up to"), Text(_("never fetched: press p"), style="dim"))
        else:
            cursor = Text(_date(summary.cursor))
            if summary.stalled:
                cursor.append("  " + _("(KSeF has not moved on since)"), style="dim")
            grid.add_row(_("Fetched up to"), cursor)
        grid.add_row(_("Last success"), _when(summary.last_success, now))
        if summary.last_error:
            grid.add_row(_("Last error"), Text(summary.last_error, style=LEVEL_STYLE[Level.YELLOW]))
        else:
            grid.add_row(_("Last error"), Text("—", style="dim"))
        pending = Text(_("yes (resumed on the next download)") if summary.pending_export else _("no"))
        if summary.parked:
            pending.append(
                " · " + _("{n} stuck in KSeF").format(n=summary.parked), style=LEVEL_STYLE[Level.YELLOW]
            )
        grid.add_row(_("Export pending"), pending)
        if summary.blocked_until is not None and summary.blocked_until > now:
            grid.add_row(_("KSeF asked to wait until"), _date(summary.blocked_until))
        stored = Text(str(summary.stored))
        if summary.with_warnings:
            stored.append("  " + _("{n} with remarks").format(n=summary.with_warnings), style="yellow")
        grid.add_row(_("Invoices stored"), stored)
        grid.add_row(_("Provisional"), str(summary.provisional))
        return Group(title, grid)

    def _audit(self, view: ClientView, now: datetime) -> RenderableType:
        title = Text(_("Audit trail"), style="bold underline")
        if not view.audit:
            return Group(title, Text(_("Nothing recorded yet.")))
        grid = Table.grid(padding=(0, 2))
        grid.add_column(no_wrap=True)
        grid.add_column(no_wrap=True, max_width=12, overflow="ellipsis")
        grid.add_column(ratio=1)
        for entry in view.audit:
            what = Text(action_words(entry.action), style="bold")
            what.append(f" · {result_words(entry.result)}")
            if entry.detail:
                what.append(" · ")
                what.append(detail_words(entry.action, entry.detail), style="dim")
            grid.add_row(_date(entry.at), Text(entry.operator or "—", style="dim"), what)
        return Group(title, grid)

    # --- keys ----------------------------------------------------------------------------------

    def action_back(self) -> None:
        for worker in (self._check_worker, self._purchase_worker):
            if worker is not None and worker.is_running:
                worker.cancel()
        self.dismiss(self.client_id if self.changed else None)

    def _after(self, result: object) -> None:
        if result:
            self.changed = True
            self.reload()

    def action_edit(self) -> None:
        if self.view is not None:
            self.app.push_screen(ClientFormScreen(self.services, self.view.client), callback=self._after)

    def action_import_token(self) -> None:
        if self.view is not None:
            self.app.push_screen(TokenImportScreen(self.services, self.view.client), callback=self._after)

    def action_import_certificate(self) -> None:
        if self.view is not None:
            self.app.push_screen(
                CertificateImportScreen(self.services, self.view.client), callback=self._after
            )

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """A digit with no credential of that number does nothing (and the palette leaves it out)."""
        if action == "select_credential":
            count = len(self.view.credentials) if self.view is not None else 0
            return bool(parameters) and isinstance(parameters[0], int) and 1 <= parameters[0] <= count
        return True

    def action_select_credential(self, number: int) -> None:
        if self.view is not None and 1 <= number <= len(self.view.credentials):
            self.selected = number - 1
            self._show_credentials()

    def action_remove_credential(self) -> None:
        if self.view is None:
            return
        if not self.view.credentials:
            self.notify(_("This client has no credential to remove."), severity="warning")
            return
        credential = self.view.credentials[self.selected]
        self.app.push_screen(
            CredentialRemoveScreen(self.services, self.view.client, credential), callback=self._after
        )

    def action_sessions(self) -> None:
        self.app.push_screen(SessionsScreen(self.services, self.client_id), callback=lambda _r: self.reload())

    def action_api_log(self) -> None:
        if self.view is not None:
            api_log = getattr(self.services.ksef_factory, "api_log", None)
            self.app.push_screen(ApiLogScreen(api_log, self.view.client))

    def action_queue(self) -> None:
        from ksef_tui.screens.queue import QueueScreen

        self.app.push_screen(QueueScreen(self.services, self.client_id), callback=self._after)

    def action_grant_holders(self) -> None:
        from ksef_tui.screens.grant_holders import GrantHoldersScreen

        if self.view is not None:
            self.app.push_screen(GrantHoldersScreen(self.services, self.view.client))

    def action_rules(self) -> None:
        from ksef_tui.screens.rules import RulesScreen

        code = self.view.client.short_code if self.view is not None else ""
        self.app.push_screen(RulesScreen(self.services, self.client_id, client_code=code))

    def action_purchases(self) -> None:
        self.app.push_screen(PurchasesScreen(self.services, self.client_id), callback=self._after)

    # --- purchase invoices -----------------------------------------------------------------------

    def action_sync_purchases(self) -> None:
        self.start_purchase_sync([self.client_id])

    def _purchases_fetched(self, report: SyncReport) -> None:
        self.changed = True
        self.reload()

    def action_cancel_sync(self) -> None:
        self.stop_purchase_sync()

    # --- live check ----------------------------------------------------------------------------

    def action_check(self) -> None:
        if self.services.ksef_factory is None:
            self.notify(_("KSeF is not configured for this store."), severity="warning")
            return
        if self._check_worker is not None and self._check_worker.is_running:
            return
        self._progress(_("Checking this client in KSeF…"))
        self._check_worker = self._run_check()

    @work(exclusive=True, group="client-check", exit_on_error=False)
    async def _run_check(self) -> None:
        store = self.services.store
        assert store is not None
        summary = await run_live_checks(
            store, self.services.ksef_factory, [self.client_id], self.services.clock
        )
        self.post_message(ChecksFinished(summary))

    def on_checks_finished(self, message: ChecksFinished) -> None:
        self.changed = True
        self._progress(message.summary)
        self.reload()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:
            self.purchase_sync_failed(event.worker)
        if event.worker is not self._check_worker:
            return
        if event.state is WorkerState.ERROR:
            self._progress(_("Live check stopped: {error}").format(error=str(event.worker.error)))
        if event.state in (WorkerState.SUCCESS, WorkerState.ERROR):
            self.set_timer(8, self._hide_progress)

    def _progress(self, message: str) -> None:
        bar = self.query_one("#progress", Static)
        bar.display = True
        bar.update(plain(message))

    def _hide_progress(self) -> None:
        if self._check_worker is None or not self._check_worker.is_running:
            self.query_one("#progress", Static).display = False

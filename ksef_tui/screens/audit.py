"""The office audit log (issue 15 item 2): every client's entries and the office's own, newest first.

Paged in the store (a page at a time, the next one read when the cursor nears the end), drawn by a line
table, filtered as you type by client (code, name or NIP; `#12` for a removed client), operator, action
(the start of its id) and period; times in Warsaw. A removed client's entries stay readable: they are
sealed under the office key. `v` verifies the hash chain and says where it breaks.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Input, Static
from textual.worker import Worker, WorkerState

from ksef_tui.core.clock import WARSAW
from ksef_tui.core.i18n import _
from ksef_tui.sync import audit as audit_uc
from ksef_tui.ui.commands import RegistryKeys, bindings_for
from ksef_tui.ui.config import AppConfig
from ksef_tui.widgets.audit_table import AuditRow, AuditTable
from ksef_tui.widgets.key_bar import KeyBar
from ksef_tui.widgets.line_table import LineTable
from ksef_tui.widgets.safe_text import plain, safe_text

PAGE = 200
MORE_WHEN = 20  # read the next page when the cursor is this close to the last row
_FILTERS = ("client", "operator", "action", "period")


class AuditLoaded(Message):
    """A page of the log: `more` appends to the rows shown, else it replaces them."""

    def __init__(self, lines: audit_uc.AuditLines, *, more: bool) -> None:
        super().__init__()
        self.lines = lines
        self.more = more


class AuditVerified(Message):
    def __init__(self, report: audit_uc.ChainReport) -> None:
        super().__init__()
        self.report = report


def _row(line: audit_uc.AuditLine) -> AuditRow:
    e = line.entry
    return AuditRow(e.id, e.at, e.operator, line.client, e.action, e.result, e.detail, e.redacted, e.damaged)


class AuditScreen(RegistryKeys, Screen[None]):
    SCOPE = "audit"
    KEEP_ON_LOCK = True  # a view: back as it was after a lock
    BINDINGS = bindings_for(SCOPE)
    DEFAULT_CSS = """
    AuditScreen #title { height: 1; padding: 0 1; background: $primary-darken-3; }
    AuditScreen #filters { height: 1; }
    AuditScreen #filters Input { height: 1; border: none; padding: 0 1; width: 1fr; background: $boost; }
    AuditScreen #filters Input:focus { background: $accent 30%; }
    AuditScreen #detail { height: 4; padding: 0 1; border-top: solid $primary-darken-2; }
    AuditScreen #status { height: auto; max-height: 3; padding: 0 1; background: $accent-darken-2; }
    """

    def __init__(self, services: AppConfig) -> None:
        super().__init__()
        self.services = services
        self.lines: list[AuditRow] = []
        self.next_before: int | None = None
        self.no_client = False
        self.bad_period = False
        self.codes: dict[int, str] | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="title")
        with Horizontal(id="filters"):
            yield Input(placeholder=_("Client: code, NIP"), id="client")
            yield Input(placeholder=_("Operator"), id="operator")
            yield Input(placeholder=_("Action: its start"), id="action")
            yield Input(placeholder=_("Period: 2026-03"), id="period")
        yield AuditTable(id="audit")
        yield Static("", id="detail")
        yield Static("", id="status")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#status", Static).display = False
        self.query_one(AuditTable).focus()
        self.reload()

    # --- data ----------------------------------------------------------------------------------

    def _query(self) -> audit_uc.AuditQuery | None:
        values = {name: self.query_one(f"#{name}", Input).value for name in _FILTERS}
        period = audit_uc.parse_period(values["period"])
        self.bad_period = period is None
        if period is None:
            return None
        since, until = period
        return audit_uc.AuditQuery(
            client=values["client"],
            operator=values["operator"],
            action=values["action"],
            since=since,
            until=until,
        )

    def reload(self) -> None:
        query = self._query()
        if query is None:
            self._update_title()
            self._show_detail()
            return
        self._load(query, None)

    @work(exclusive=True, group="audit-load", exit_on_error=False, thread=True)
    def _load(self, query: audit_uc.AuditQuery, before: int | None) -> None:
        store = self.services.store
        assert store is not None
        if self.codes is None:
            self.codes = audit_uc.client_codes(store)
        lines = audit_uc.load_lines(store, query, before, PAGE, self.codes)
        self.post_message(AuditLoaded(lines, more=before is not None))

    def on_audit_loaded(self, message: AuditLoaded) -> None:
        table = self.query_one(AuditTable)
        self.no_client = message.lines.no_client
        self.next_before = message.lines.next_before
        rows = [_row(line) for line in message.lines.lines]
        if message.more:
            self.lines += rows
            table.show(self.lines, self._width(), keep_cursor=True)
        else:
            self.lines = rows
            table.show(self.lines, self._width())
        self._update_title()
        self._show_detail()

    def _more(self) -> None:
        if self.next_before is None:
            return
        worker = next((w for w in self.workers if w.group == "audit-load" and w.is_running), None)
        query = self._query()
        if worker is not None or query is None:
            return
        before, self.next_before = self.next_before, None  # asked once
        self._load(query, before)

    def _width(self) -> int:
        return self.size.width or self.app.size.width

    def _update_title(self) -> None:
        title = Text()
        title.append(_("Audit log"), style="bold")
        title.append(" — " + _("every client and the office, newest first"))
        count = str(len(self.lines)) + ("+" if self.next_before is not None else "")
        title.append(f" ({count})")
        self.query_one("#title", Static).update(safe_text(title))

    def _show_detail(self) -> None:
        detail = self.query_one("#detail", Static)
        if self.bad_period:
            detail.update(plain(_("Type the period as 2026, 2026-03, 2026-03-02 or 2026-03-01..2026-03-15.")))
            return
        if self.no_client:
            detail.update(plain(_("No client matches the client filter.")))
            return
        line = self.query_one(AuditTable).selected()
        if line is None:
            detail.update(plain(_("No audit entry matches the filters.")))
            return
        detail.update(safe_text(self._detail(line)))

    def _detail(self, e: AuditRow) -> Text:
        out = Text()
        out.append(_("No. {id}").format(id=e.id), style="bold")
        out.append(f" · {e.at.astimezone(WARSAW).strftime('%Y-%m-%d %H:%M:%S')} · {e.operator}")
        out.append(" · " + (e.client or _("the office")))
        out.append("\n")
        out.append(e.action, style="bold")
        out.append(f" → {e.result}")
        if e.redacted:
            out.append("  " + _("redacted when the client was offboarded"), style="italic")
        if e.damaged:
            out.append("  " + _("damaged in the store"), style="yellow")
        out.append("\n")
        out.append(e.detail or "—")
        return out

    @on(LineTable.Highlighted, "#audit")
    def _highlighted(self, event: LineTable.Highlighted) -> None:
        self._show_detail()
        if event.row >= len(self.lines) - MORE_WHEN:
            self._more()

    def on_resize(self) -> None:
        self.query_one(AuditTable).show(self.lines, self._width(), keep_cursor=True)

    # --- filters -------------------------------------------------------------------------------

    def action_filter(self) -> None:
        self.query_one("#client", Input).focus()

    @on(Input.Changed)
    def _filter_changed(self) -> None:
        self.reload()

    @on(Input.Submitted)
    def _filter_done(self) -> None:
        self.query_one(AuditTable).focus()

    def action_back(self) -> None:
        if isinstance(self.focused, Input):
            self.query_one(AuditTable).focus()
            return
        self.dismiss(None)

    def action_refresh(self) -> None:
        self.codes = None
        self.reload()

    # --- verify --------------------------------------------------------------------------------

    def action_verify(self) -> None:
        self._status(_("Verifying the audit log's chain…"))
        self._verify()

    @work(exclusive=True, group="audit-verify", exit_on_error=False, thread=True)
    def _verify(self) -> None:
        store = self.services.store
        assert store is not None
        self.post_message(AuditVerified(audit_uc.verify_chain(store)))

    def on_audit_verified(self, message: AuditVerified) -> None:
        report = message.report
        words = audit_uc.describe_report(report)
        status = self.query_one("#status", Static)
        status.display = True
        text = Text(words[0], style="" if report.intact else "bold red")
        if report.last_id is not None:
            text.append("\n" + words[-2])  # the digest to note down (describe_report's next-to-last line)
        status.update(safe_text(text))

    def _status(self, words: str) -> None:
        status = self.query_one("#status", Static)
        status.display = True
        status.update(plain(words))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.group in ("audit-load", "audit-verify"):
            self._status(_("Could not read the audit log: {error}").format(error=event.worker.error))

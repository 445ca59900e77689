"""Sessions: one client's (or every client's) KSeF sessions, online and batch, newest first.

Read from the sealed store page by page (never every row into the table); refreshed from KSeF on request
(`r`) within the GET /sessions limit, saying when the next refresh is allowed.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Input, Static
from textual.worker import Worker, WorkerState

from ksef_tui.core.i18n import N_, _
from ksef_tui.core.ksef_sessions import SessionFilter, SessionRecord
from ksef_tui.core.models import Client
from ksef_tui.core.session_status import StatusGroup, session_text
from ksef_tui.screens.session import SessionScreen
from ksef_tui.sync import upo as upo_sync
from ksef_tui.sync.sessions import DEFAULT_PERIOD, load_sessions, more_sessions, refresh_clients
from ksef_tui.sync.upo import UPO_FOLDER_SETTING
from ksef_tui.ui.commands import RegistryKeys, bindings_for
from ksef_tui.ui.config import AppConfig
from ksef_tui.ui.messages import (
    MoreSessionsLoaded,
    RefreshProgress,
    SessionsLoaded,
    SessionsRefreshed,
    UpoFolderRead,
    UpoFolderSaved,
    UpoProgress,
    UposDownloaded,
)
from ksef_tui.widgets.key_bar import KeyBar
from ksef_tui.widgets.line_table import LineTable
from ksef_tui.widgets.safe_text import plain, safe_text
from ksef_tui.widgets.session_table import WARSAW, SessionTable, fmt_dt, kind_label

PAGE = 60  # rows per page read from the store; more are appended as the cursor nears the end
PERIODS: tuple[tuple[int | None, str], ...] = (
    (7, N_("last 7 days")),
    (30, N_("last 30 days")),
    (90, N_("last 90 days")),
    (None, N_("all")),
)
GROUPS: tuple[StatusGroup | None, ...] = (None, *StatusGroup)
GROUP_LABELS = {
    None: N_("all"),
    StatusGroup.IN_PROGRESS: N_("in progress"),
    StatusGroup.SUCCEEDED: N_("processed"),
    StatusGroup.FAILED: N_("failed"),
    StatusGroup.CANCELLED: N_("cancelled"),
}
KINDS: tuple[str | None, ...] = (None, "Online", "Batch")
__all__ = ["UPO_FOLDER_SETTING", "SessionsScreen", "parse_range"]


def parse_range(text: str) -> tuple[date | None, date | None]:
    """`2026-11-01..2026-11-21`, `2026-11-01..` or `..2026-11-21`; ValueError otherwise."""
    if ".." not in text:
        raise ValueError(text)
    lo, hi = (p.strip() for p in text.split("..", 1))
    return (date.fromisoformat(lo) if lo else None, date.fromisoformat(hi) if hi else None)


class SessionsScreen(RegistryKeys, Screen[None]):
    SCOPE = "sessions"
    KEEP_ON_LOCK = True  # a view: back as it was after a lock
    BINDINGS = bindings_for(SCOPE)
    CSS_PATH = "sessions.tcss"

    def __init__(self, services: AppConfig, client_id: int | None) -> None:
        super().__init__()
        self.services = services
        self.client_id = client_id
        self.period_index = 0
        self.custom: tuple[date | None, date | None] | None = None
        self.group_index = 0
        self.kind_index = 0
        self.rejected_only = False
        self.total = 0
        self.clients: dict[int, Client] = {}
        self.next_allowed: datetime | None = None
        self._loading_more = False
        self._bulk: Worker[Any] | None = None
        self._prompt: str | None = None
        self._upo_steps: dict[int, upo_sync.UpoProgress] = {}  # client id -> its latest bulk UPO step
        self._upo_clients = 0

    # --- layout ----------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static("", id="title")
        yield Static("", id="filters")
        yield Input(id="prompt")
        yield SessionTable(id="sessions")
        yield Static("", id="detail")
        yield Static("", id="progress")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#prompt", Input).display = False
        self.query_one("#progress", Static).display = False
        self.query_one(SessionTable).focus()
        # Every read of the store (this first page too) runs off the event loop; the page arrives as
        # SessionsLoaded.
        self.reload()

    # --- the filter ------------------------------------------------------------------------------

    def current_filter(self) -> SessionFilter:
        now = self.services.clock()
        since = until = None
        if self.custom is not None:
            lo, hi = self.custom
            since = datetime.combine(lo, time.min, WARSAW) if lo else None
            until = datetime.combine(hi, time.max, WARSAW) if hi else None
        else:
            days = PERIODS[self.period_index][0]
            since = now - timedelta(days=days) if days is not None else None
        return SessionFilter(
            client_id=self.client_id,
            since=since,
            until=until,
            group=GROUPS[self.group_index],
            kind=KINDS[self.kind_index],
            rejected_only=self.rejected_only,
        )

    def _period_label(self) -> str:
        if self.custom is not None:
            lo, hi = self.custom
            return f"{lo.strftime('%d.%m.%Y') if lo else '…'}–{hi.strftime('%d.%m.%Y') if hi else '…'}"
        return _(PERIODS[self.period_index][1])

    # --- data --------------------------------------------------------------------------------------

    def reload(self) -> None:
        self._load(self.current_filter())

    @work(exclusive=True, group="sessions-load")
    async def _load(self, flt: SessionFilter) -> None:
        store = self.services.store
        assert store is not None
        self.post_message(SessionsLoaded(await load_sessions(store, flt, PAGE, self.clients)))

    def on_sessions_loaded(self, message: SessionsLoaded) -> None:
        page = message.page
        self.clients = page.clients
        self.total = page.total
        self.next_allowed = page.next_allowed
        table = self.query_one(SessionTable)
        table.client_codes = {cid: c.short_code for cid, c in page.clients.items()}
        table.show(page.records, self.size.width or self.app.size.width, with_client=self.client_id is None)
        self._update_header()
        self._show_detail()

    @work(exclusive=True, group="sessions-more")
    async def _load_more(self, flt: SessionFilter, offset: int) -> None:
        store = self.services.store
        assert store is not None
        self.post_message(MoreSessionsLoaded(await more_sessions(store, flt, offset, PAGE)))

    def on_more_sessions_loaded(self, message: MoreSessionsLoaded) -> None:
        self._loading_more = False
        self.query_one(SessionTable).append(message.records)

    def _update_header(self) -> None:
        title = Text()
        title.append(_("KSeF sessions"), style="bold")
        if self.client_id is not None and self.client_id in self.clients:
            client = self.clients[self.client_id]
            title.append(f" — {client.short_code} · {client.name} · NIP {client.nip}")
        else:
            title.append(" — " + _("all clients"))
        title.append("  " + _("{n} sessions").format(n=self.total), style="italic")
        self.query_one("#title", Static).update(safe_text(title))
        group = GROUPS[self.group_index]
        kind = KINDS[self.kind_index]
        line = Text()
        line.append(_("status") + ": ", style="dim")
        line.append(_(GROUP_LABELS[group]) + "  ", style="bold" if group else "")
        line.append(_("type") + ": ", style="dim")
        line.append((kind_label(kind) if kind else _("all")) + "  ", style="bold" if kind else "")
        line.append(_("period") + ": ", style="dim")
        line.append(self._period_label() + "  ", style="bold")
        if self.rejected_only:
            line.append(_("with rejections only") + "  ", style="bold red")
        line.append(self._refresh_hint(), style="dim")
        self.query_one("#filters", Static).update(line)

    def _refresh_hint(self) -> str:
        if self.client_id is None:
            return _("r: refresh every client")
        now = self.services.clock()
        if self.next_allowed is not None and now < self.next_allowed:
            return _("next refresh at {at}").format(at=fmt_dt(self.next_allowed, seconds=True)[-8:])
        return _("r: refresh from KSeF")

    def _show_detail(self) -> None:
        record = self.query_one(SessionTable).selected()
        detail = self.query_one("#detail", Static)
        if record is None:
            detail.update(
                Text(_("No sessions in this period. Press r to refresh from KSeF or d to widen the period."))
            )
            return
        text = session_text(record.kind, record.status_code)
        out = Text()
        out.append(record.reference, style="bold")
        opened = _("opened")
        out.append(f"  {kind_label(record.kind)} · {opened} {fmt_dt(record.opened, year=True)}")
        if self.client_id is None and record.client_id in self.clients:
            out.append(f" · {self.clients[record.client_id].short_code}")
        out.append("\n")
        out.append(f"{record.status_code} {text.label}: ", style="bold")
        out.append(f"{text.meaning} {text.action}")
        if record.status_details:
            out.append("\n" + _("KSeF says: ") + "; ".join(record.status_details), style="italic")
        out.append("\n")
        out.append(
            _("Invoices: {total} in total, {ok} accepted, {rej} rejected.").format(
                total=record.invoices_total, ok=record.invoices_accepted, rej=record.invoices_rejected
            )
        )
        out.append("  UPO: ")
        if record.upo_complete:
            out.append(_("saved"), style="green")
        elif record.expects_upo:
            out.append(_("not downloaded yet (u)"), style="yellow")
        else:
            out.append(_("none for this session"), style="dim")
        detail.update(safe_text(out))  # KSeF's words: no control or bidi characters

    @on(LineTable.Highlighted, "#sessions")
    def _highlighted(self, event: LineTable.Highlighted) -> None:
        self._show_detail()
        table = self.query_one(SessionTable)
        if (
            not self._loading_more
            and len(table.records) < self.total
            and event.row >= len(table.records) - 10
        ):
            self._loading_more = True
            self._load_more(self.current_filter(), len(table.records))

    def on_resize(self) -> None:
        # Only the columns change with the width; the rows and the cursor stay.
        self.query_one(SessionTable).relayout(self.size.width)

    # --- filters -----------------------------------------------------------------------------------

    def action_cycle_status(self) -> None:
        self.group_index = (self.group_index + 1) % len(GROUPS)
        self.reload()

    def action_cycle_type(self) -> None:
        self.kind_index = (self.kind_index + 1) % len(KINDS)
        self.reload()

    def action_cycle_period(self) -> None:
        if self.custom is not None:
            self.custom = None
            self.period_index = 0
        else:
            self.period_index = (self.period_index + 1) % len(PERIODS)
        self.reload()

    def action_toggle_rejected(self) -> None:
        self.rejected_only = not self.rejected_only
        self.reload()

    def action_custom_period(self) -> None:
        self._ask(
            "range", _("Period: YYYY-MM-DD..YYYY-MM-DD (either end may be empty), Enter applies, Esc cancels")
        )

    def action_upo_folder(self) -> None:
        self._read_folder()

    @work(exclusive=True, group="sessions-folder")
    async def _read_folder(self) -> None:
        folder = await upo_sync.read_upo_folder(self.services.store, self.services.home, self.services.demo)
        self.post_message(UpoFolderRead(folder))

    def on_upo_folder_read(self, message: UpoFolderRead) -> None:
        self._ask("folder", _("UPO folder (Enter saves, Esc cancels)"), str(message.folder))

    def _ask(self, mode: str, placeholder: str, value: str = "") -> None:
        prompt = self.query_one("#prompt", Input)
        self._prompt = mode
        prompt.placeholder = placeholder
        prompt.value = value
        prompt.display = True
        prompt.focus()

    @on(Input.Submitted, "#prompt")
    def _prompt_done(self, event: Input.Submitted) -> None:
        value = event.value.strip()
        if self._prompt == "range":
            try:
                self.custom = parse_range(value)
            except ValueError:
                self.notify(_("Write the period as 2026-11-01..2026-11-21."), severity="warning")
                return
            self.reload()
        elif self._prompt == "folder" and value and self.services.store is not None:
            self._save_folder(value)
        self._close_prompt()

    @work(exclusive=True, group="sessions-folder")
    async def _save_folder(self, folder: str) -> None:
        store = self.services.store
        assert store is not None
        await upo_sync.save_upo_folder(store, folder)
        self.post_message(UpoFolderSaved(folder))

    def on_upo_folder_saved(self, message: UpoFolderSaved) -> None:
        self.notify(_("UPO copies will be saved under {path}").format(path=message.folder), markup=False)

    def _close_prompt(self) -> None:
        prompt = self.query_one("#prompt", Input)
        prompt.display = False
        self._prompt = None
        self.query_one(SessionTable).focus()

    def action_back(self) -> None:
        if self._prompt is not None:
            self._close_prompt()
            return
        self.dismiss()

    # --- open, copy ----------------------------------------------------------------------------------

    def _selected(self) -> SessionRecord | None:
        record = self.query_one(SessionTable).selected()
        if record is None:
            self.notify(_("Select a session first."), severity="warning")
        return record

    def action_open_session(self) -> None:
        if record := self._selected():
            client = self.clients.get(record.client_id)
            self.app.push_screen(
                SessionScreen(self.services, record, client), callback=lambda _r: self.reload()
            )

    @on(LineTable.Selected, "#sessions")
    def _row_selected(self) -> None:
        self.action_open_session()

    def action_copy_reference(self) -> None:
        if record := self._selected():
            self.app.copy_to_clipboard(record.reference)
            self.notify(_("Copied {ref} to the clipboard.").format(ref=record.reference), markup=False)

    # --- refresh ---------------------------------------------------------------------------------------

    def action_refresh(self) -> None:
        if self.services.ksef_factory is None:
            self.notify(_("KSeF is not configured for this store."), severity="warning")
            return
        ids = [self.client_id] if self.client_id is not None else sorted(self.clients)
        self._refresh(ids, self.current_filter().since)

    @work(exclusive=True, group="sessions-refresh", exit_on_error=False)
    async def _refresh(self, client_ids: list[int], since: datetime | None) -> None:
        store = self.services.store
        factory = self.services.ksef_factory
        assert store is not None and factory is not None
        since = since or (self.services.clock() - timedelta(days=3650))  # KSeF keeps ten years
        if self.services.clock() - since < DEFAULT_PERIOD:
            since = self.services.clock() - DEFAULT_PERIOD
        summary = await refresh_clients(
            store,
            factory,
            client_ids,
            self.services.clock,
            since=since,
            progress=lambda done, total: self.post_message(RefreshProgress(done, total)),
        )
        self.post_message(SessionsRefreshed(summary))

    def on_refresh_progress(self, message: RefreshProgress) -> None:
        self._progress(
            _("Refreshing sessions from KSeF… {done} of {total}").format(
                done=message.done, total=message.total
            )
        )

    def on_sessions_refreshed(self, message: SessionsRefreshed) -> None:
        summary = message.summary
        problems = [
            f"{self.clients[cid].short_code if cid in self.clients else cid}: {why}"
            for cid, why in summary.failed.items()
        ]
        if summary.total == 1 and summary.too_soon:
            problems = [str(err) for err in summary.too_soon.values()]
        line = _("Refreshed {ok} of {total}; {later} not yet allowed, {failed} failed.").format(
            ok=len(summary.refreshed),
            total=summary.total,
            later=len(summary.too_soon),
            failed=len(summary.failed),
        )
        self._progress(line + ("  " + problems[0] if problems else ""))
        self.reload()

    # --- UPO ---------------------------------------------------------------------------------------

    def action_download_upo(self) -> None:
        record = self._selected()
        if record is None:
            return
        screen = SessionScreen(self.services, record, self.clients.get(record.client_id), download_upo=True)
        self.app.push_screen(screen, callback=lambda _r: self.reload())

    def action_download_all_upo(self) -> None:
        if self.services.ksef_factory is None:
            self.notify(_("KSeF is not configured for this store."), severity="warning")
            return
        if self._bulk is not None and self._bulk.is_running:
            self.notify(_("UPO download is already running (x stops it)."), severity="warning")
            return
        flt = self.current_filter()
        ids = [self.client_id] if self.client_id is not None else sorted(self.clients)
        self._upo_steps = {}
        self._upo_clients = len(ids)
        self._progress(_("Looking for missing UPOs…"))
        self._bulk = self._download_all(ids, flt.since, flt.until)

    @work(exclusive=True, group="sessions-upo", exit_on_error=False)
    async def _download_all(
        self, client_ids: list[int], since: datetime | None, until: datetime | None
    ) -> None:
        store = self.services.store
        factory = self.services.ksef_factory
        assert store is not None and factory is not None
        folder = await upo_sync.read_upo_folder(store, self.services.home, self.services.demo)
        result = await upo_sync.download_missing_upos(
            store,
            factory,
            client_ids,
            folder,
            self.services.clock,
            since=since,
            until=until,
            progress=lambda event: self.post_message(UpoProgress(event)),
            schedule=upo_sync.RETRY_SCHEDULE,
        )
        self.post_message(UposDownloaded(result, folder))

    def on_upo_progress(self, message: UpoProgress) -> None:
        if self._bulk is not None and self._bulk.is_cancelled:
            return  # posted before x stopped it: the "stopped" line stays
        event = message.event
        self._upo_steps[event.client_id] = event
        steps = self._upo_steps.values()
        line = _(
            "UPO: {code} {done}/{total} · clients {cdone}/{ctotal} · fetched {fetched}, failed {failed} (x stops)"  # noqa: E501
        ).format(
            code=event.short_code,
            done=event.done,
            total=event.total,
            cdone=sum(1 for e in steps if e.finished),
            ctotal=self._upo_clients,
            fetched=sum(e.fetched for e in steps),
            failed=sum(e.failed for e in steps),
        )
        if event.message:
            line += " · " + event.message
        self._progress(line)

    def on_upos_downloaded(self, message: UposDownloaded) -> None:
        result = message.result
        self._progress(
            _(
                "UPO done: fetched {fetched}, already saved {skipped}, failed {failed}. Folder: {folder}"
            ).format(
                fetched=result.fetched, skipped=result.skipped, failed=result.failed, folder=message.folder
            )
            + (("  " + result.errors[0]) if result.errors else "")
        )
        self.reload()

    def action_cancel(self) -> None:
        if self._bulk is not None and self._bulk.is_running:
            self._bulk.cancel()
            self._progress(_("UPO download stopped; run it again to continue where it stopped."))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR and event.worker.group in ("sessions-refresh", "sessions-upo"):
            self._progress(_("Stopped: {error}").format(error=str(event.worker.error)))

    def _progress(self, message: str) -> None:
        bar = self.query_one("#progress", Static)
        bar.display = True
        bar.update(plain(message))

    def with_filter(self, **changes: Any) -> SessionFilter:
        return replace(self.current_filter(), **changes)

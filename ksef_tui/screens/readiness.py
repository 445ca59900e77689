"""Readiness for 1 January 2027 (issue 11 items 3-6): the office's progress, every client's row, the grant
census and what changed since the previous one, NIPs that granted the office but are not clients, who
still has not granted after being asked; the census, the probes, "asked today" and the grant request.

`r` on the board opens it. The census and the probes run as workers (`x` stops them); everything is read
and written through the use cases in sync/grants.py.
"""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import Worker

from ksef_tui.core.board import READY_GLYPHS, ready_words
from ksef_tui.core.clock import WARSAW
from ksef_tui.core.i18n import N_, _, ngettext
from ksef_tui.core.models import PERMISSION_WORDS, Permission
from ksef_tui.core.nip import format_nip
from ksef_tui.core.readiness import GrantChange, Readiness, Ready
from ksef_tui.screens.ksef_work import KsefWorking
from ksef_tui.sync.grants import ReadinessView, load_readiness_view
from ksef_tui.ui.commands import RegistryKeys, bindings_for
from ksef_tui.ui.config import AppConfig
from ksef_tui.ui.messages import (
    CensusTaken,
    GrantRequestMarked,
    ProbeProgress,
    ProbesFinished,
    ReadinessLoaded,
)
from ksef_tui.widgets.client_table import READY_STYLE
from ksef_tui.widgets.key_bar import KeyBar
from ksef_tui.widgets.readiness_table import ReadinessTable, missing_words, via_words
from ksef_tui.widgets.safe_text import plain, safe_text
from ksef_tui.widgets.tones import READY_TONE, tone_style

LEVEL_WORDS = {
    "read": PERMISSION_WORDS[Permission.INVOICE_READ],
    "write": PERMISSION_WORDS[Permission.INVOICE_WRITE],
    "read_write": N_("invoice viewing and issuing"),
}
COUNT_WORDS = {Ready.YES: N_("ready: {n}"), Ready.PARTLY: N_("partly: {n}"), Ready.NO: N_("not ready: {n}")}
SHOWN_CHANGES = 3  # changes named on the census line; the rest are counted


def moment_words(moment: datetime) -> str:
    return f"{moment.astimezone(WARSAW):%Y-%m-%d %H:%M}"


def level_words(level: str) -> str:
    """A grant level of the census in words: "—" for none."""
    if level == "none":
        return "—"
    return _(LEVEL_WORDS[level]) if level in LEVEL_WORDS else "?"


def change_words(change: GrantChange) -> str:
    before, after = (level_words(level) for level in (change.before, change.after))
    return f"{format_nip(change.nip)}: {before} → {after}"


class ReadinessScreen(KsefWorking, RegistryKeys, Screen[bool]):
    """Dismissed with True when something the board shows may have changed (a census, a client added)."""

    SCOPE = "readiness"
    KEEP_ON_LOCK = True  # a view: back as it was after a lock
    BINDINGS = bindings_for(SCOPE)
    DEFAULT_CSS = """
    ReadinessScreen #title { height: 1; padding: 0 1; background: $primary-background-darken-2; }
    ReadinessScreen #office, ReadinessScreen #census { height: 1; padding: 0 1; }
    ReadinessScreen #detail { height: 4; padding: 0 1; border-top: solid $primary-darken-2; }
    ReadinessScreen #others { height: auto; max-height: 3; padding: 0 1; color: $text-muted; }
    ReadinessScreen #progress { height: 1; padding: 0 1; background: $accent-darken-2; }
    """

    def __init__(self, services: AppConfig) -> None:
        super().__init__()
        self.services = services
        self.view: ReadinessView | None = None
        self._changed = False
        self._work: Worker[None] | None = None
        self._load_worker: Worker[None] | None = None

    def compose(self) -> ComposeResult:
        yield Static("", id="title")
        yield Static("", id="office")
        yield Static("", id="census")
        yield ReadinessTable(id="rows")
        yield Static("", id="detail")
        yield Static("", id="others")
        yield Static("", id="progress")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#progress", Static).display = False
        self.query_one(ReadinessTable).focus()
        self.reload()

    # --- data ------------------------------------------------------------------------------------

    def reload(self) -> None:
        self._load_worker = self._load()

    @work(exclusive=True, group="readiness-load")
    async def _load(self) -> None:
        store = self.services.store
        assert store is not None
        self.post_message(ReadinessLoaded(await load_readiness_view(store, self.services.clock)))

    def on_readiness_loaded(self, message: ReadinessLoaded) -> None:
        self.view = message.view
        self._paint()

    def on_resize(self) -> None:
        if self.view is not None:
            self._paint()

    def _paint(self) -> None:
        view = self.view
        assert view is not None
        title = Text()
        title.append(_("Readiness for 2027-01-01"), style="bold")
        title.append(f" ({len(view.rows)})  ")
        for level in (Ready.YES, Ready.PARTLY, Ready.NO):
            count = _(COUNT_WORDS[level]).format(n=view.counts[level])
            style = tone_style(READY_TONE[level], self.app.no_color)
            title.append(f"{READY_GLYPHS[level]} {count}  ", style=style)
        self.query_one("#title", Static).update(safe_text(title))
        self.query_one("#office", Static).update(plain(view.office.text))
        self.query_one("#census", Static).update(plain(self._census_line(view)))
        table = self.query_one(ReadinessTable)
        table.show(view.rows, self.size.width or self.app.size.width)
        self._show_detail(table.selected())
        self.query_one("#others", Static).update(plain(self._others(view)))

    @staticmethod
    def _census_line(view: ReadinessView) -> str:
        if view.census_at is None:
            return _("No grant census yet: c takes it in KSeF (logged in with the office certificate).")
        line = _("Grant census: {when}.").format(when=moment_words(view.census_at))
        if view.previous_at is None:
            return line
        if not view.changes:
            return line + " " + _("No changes since {when}.").format(when=moment_words(view.previous_at))
        named = "; ".join(change_words(c) for c in view.changes[:SHOWN_CHANGES])
        more = len(view.changes) - SHOWN_CHANGES
        if more > 0:
            named += " " + _("…and {n} more").format(n=more)
        return (
            line
            + " "
            + ngettext(
                "{n} change since {when}: {changes}", "{n} changes since {when}: {changes}", len(view.changes)
            ).format(n=len(view.changes), when=moment_words(view.previous_at), changes=named)
        )

    @staticmethod
    def _others(view: ReadinessView) -> str:
        lines = []
        if view.not_clients:
            lines.append(
                _("Granted the office but not clients: {nips} (a adds one).").format(
                    nips=", ".join(format_nip(n) for n in view.not_clients)
                )
            )
        if view.still_not_granted:
            lines.append(
                ngettext(
                    "Asked {days} day ago or earlier, still no grant: {clients}",
                    "Asked {days} days ago or earlier, still no grant: {clients}",
                    view.days,
                ).format(days=view.days, clients=", ".join(c.short_code for c in view.still_not_granted))
            )
        return "\n".join(lines)

    @on(ReadinessTable.Highlighted)
    def _highlighted(self, event: ReadinessTable.Highlighted) -> None:
        self._show_detail(event.readiness)

    def _show_detail(self, row: Readiness | None) -> None:
        detail = self.query_one("#detail", Static)
        if row is None:
            detail.update(_("No client selected."))
            return
        text = Text()
        text.append(f"{READY_GLYPHS[row.ready]} {ready_words(row.ready)}  ", style=READY_STYLE[row.ready])
        text.append(row.client.name, style="bold")
        text.append(f"  {row.client.short_code} · NIP {format_nip(row.client.nip)}")
        text.append("\n")
        text.append(row.reason)
        text.append("\n")
        asked = self.view.requested.get(row.client.id or 0) if self.view is not None else None
        asked_words = (
            _("asked for the grant on {date}").format(date=asked.isoformat())
            if asked
            else _("not asked for the grant yet")
        )
        text.append(
            _("Via: {via} · missing: {missing} · {asked}").format(
                via=via_words(row.via), missing=missing_words(row.missing), asked=asked_words
            ),
            style="dim",
        )
        detail.update(safe_text(text))

    def _selected(self) -> Readiness | None:
        row = self.query_one(ReadinessTable).selected()
        if row is None:
            self.notify(_("Select a client first."), severity="warning")
        return row

    # --- the census and the probes -----------------------------------------------------------------

    def action_census(self) -> None:
        if self._busy():
            return
        self._progress(_("Taking the grant census in KSeF… (x stops)"))
        self._work = self._run_census()

    @work(exclusive=True, group="readiness-work", exit_on_error=False)
    async def _run_census(self) -> None:
        from ksef_tui.sync.grants import run_census

        store, factory = self.services.store, self.services.ksef_factory
        assert store is not None and factory is not None
        result = await run_census(store, factory, self.services.clock)
        self.post_message(CensusTaken(result))

    def on_census_taken(self, message: CensusTaken) -> None:
        result = message.result
        self._changed = True
        self._progress(
            _("Census taken: {grants} granting NIPs, {changes} changes.").format(
                grants=len(result.census.grants), changes=len(result.changes)
            )
        )
        self.reload()

    def action_probe_selected(self) -> None:
        if (row := self._selected()) and not self._busy():
            self._start_probes([row.client.id or 0])

    def action_probe_all(self) -> None:
        if self.view is not None and not self._busy():
            self._start_probes([r.client.id or 0 for r in self.view.rows])

    def _start_probes(self, client_ids: list[int]) -> None:
        self._progress(
            _("Probing {n} clients with the office certificate… (x stops)").format(n=len(client_ids))
        )
        self._work = self._run_probes(client_ids)

    @work(exclusive=True, group="readiness-work", exit_on_error=False)
    async def _run_probes(self, client_ids: list[int]) -> None:
        from ksef_tui.sync.grants import probe_clients

        store, factory = self.services.store, self.services.ksef_factory
        assert store is not None and factory is not None
        total = len(client_ids)
        results = await probe_clients(
            store,
            factory,
            self.services.clock,
            client_ids,
            lambda done, failed: self.post_message(ProbeProgress(done, failed, total)),
        )
        self.post_message(ProbesFinished(results))

    def on_probe_progress(self, message: ProbeProgress) -> None:
        if self._work is not None and self._work.is_cancelled:
            return
        self._progress(
            _("Probed {done} of {total}; {failed} without access. (x stops)").format(
                done=message.done, total=message.total, failed=message.failed
            )
        )

    def on_probes_finished(self, message: ProbesFinished) -> None:
        from ksef_tui.core.readiness import probe_words

        self._changed = True
        results = message.results
        if len(results) == 1:
            self._progress(probe_words(next(iter(results.values())).status))
        else:
            works = sum(1 for p in results.values() if p.status == 200)
            self._progress(
                _("Probed {n} clients: the office certificate works for {ok}.").format(
                    n=len(results), ok=works
                )
            )
        self.reload()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if self._work_failed(event):
            self.reload()  # a probe that finished before the error is stored

    # --- asking for the grant ------------------------------------------------------------------------

    def action_mark_requested(self) -> None:
        if row := self._selected():
            self._mark(row.client.id or 0)

    @work(thread=True, exclusive=True, group="readiness-mark")
    def _mark(self, client_id: int) -> None:
        from ksef_tui.sync.grants import mark_grant_requested

        store = self.services.store
        assert store is not None
        mark_grant_requested(store, client_id, self.services.clock().astimezone(WARSAW).date())
        self.post_message(GrantRequestMarked(client_id))

    def on_grant_request_marked(self, message: GrantRequestMarked) -> None:
        self._progress(_("Recorded: asked for the grant today."))
        self.reload()

    def action_grant_request(self) -> None:
        from ksef_tui.screens.grant_request import GrantRequestScreen

        if row := self._selected():
            self.app.push_screen(GrantRequestScreen(self.services, row.client), callback=self._after)

    def _after(self, changed: bool | int | None) -> None:
        if changed:
            self._changed = True
            self.reload()

    def action_add_granting(self) -> None:
        from ksef_tui.screens.client_form import ClientFormScreen

        if self.view is None or not self.view.not_clients:
            self.notify(_("Every NIP that granted the office is a client already."), severity="warning")
            return
        nip = self.view.not_clients[0]
        self.app.push_screen(ClientFormScreen(self.services, None, nip=nip), callback=self._after)

    def action_office_certificate(self) -> None:
        from ksef_tui.screens.office_certificate import OfficeCertificateScreen

        self.app.push_screen(OfficeCertificateScreen(self.services), callback=self._after)

    def action_back(self) -> None:
        self._stop_work()
        self.dismiss(self._changed)

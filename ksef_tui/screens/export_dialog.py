"""The export dialog (issue 14 item 5): the queue's client and period handed over to the accounting
program, previewed before anything is written.

Opened from the approval queue (`E`): for the queue's client — the client's own queue, or the all-clients
queue narrowed with `c`. On the all-clients queue not narrowed, the dialog opens for the client of the
invoice under the cursor and lets the user pick another (docs/DECISIONS.md "Export from the queue").

Fields: client, format (bundle, EDI++, JPK_V7M, JPK_PKPIR), period YYYY-MM (checked as typed; default the
queue's period filter, else the previous month), period kind (VAT or cost), "again" (EXPORTED bookings
too) and the export folder (default the office's). Each change recomputes the preview in a worker thread
(`sync.exports.plan_export`: nothing written): the count, the sums per VAT rate and per JPK group, the
warnings and problems in full (scrollable), the target folder and the files already there.

F2 (or Enter in a text field) writes: files already in the folder are named in a second question before
they are replaced; then `run_export` runs in a thread (never on the UI thread). Written: a message with
the folder and the counts, and the dialog closes with True (the queue reloads). Problems: nothing
written, the problems shown here.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Grid, VerticalScroll
from textual.screen import Screen
from textual.widgets import Checkbox, Input, Label, Select, Static

from ksef_tui.core.export_plan import PeriodError, parse_period
from ksef_tui.core.exports import ExportFormat, ExportWarning, PeriodKind
from ksef_tui.core.i18n import N_, _, ngettext
from ksef_tui.core.money_format import format_amount
from ksef_tui.screens.queue_dialogs import ConfirmScreen
from ksef_tui.sync import exports as export_uc
from ksef_tui.sync.bookings import operator_name
from ksef_tui.sync.records import StoreError
from ksef_tui.ui.commands import RegistryKeys, bindings_for
from ksef_tui.ui.config import AppConfig
from ksef_tui.widgets.export_preview import bookings_words, preview, problems_renderable
from ksef_tui.widgets.key_bar import KeyBar
from ksef_tui.widgets.safe_text import plain, safe_text

FORMAT_WORDS: dict[ExportFormat, str] = {
    ExportFormat.BUNDLE: N_("KSeF bundle"),
    ExportFormat.EPP: "EDI++ (.epp)",
    ExportFormat.JPK_V7M: N_("JPK_V7M purchases"),
    ExportFormat.JPK_PKPIR: N_("JPK_PKPIR expenses"),
}
KIND_WORDS: dict[PeriodKind, str] = {
    PeriodKind.VAT: N_("VAT period"),
    PeriodKind.COST: N_("cost period"),
}


@dataclass(frozen=True)
class ExportChoice:
    """What the fields say: one plan per distinct choice."""

    client_id: int
    format: ExportFormat
    period: str
    kind: PeriodKind
    again: bool
    root: Path | None  # None: the office's export folder


class ExportDialog(RegistryKeys, Screen[bool | None]):
    """Dismissed with True when a batch was written (the queue reloads), else None."""

    SCOPE = "export"
    BINDINGS = bindings_for(SCOPE)
    CSS_PATH = "export_dialog.tcss"

    def __init__(
        self,
        services: AppConfig,
        client_id: int | None,
        *,
        period: str,
        client_fixed: bool = True,
    ) -> None:
        super().__init__()
        self.services = services
        self.client_id = client_id  # None: the first client (the user picks)
        self.client_fixed = client_fixed  # False: the all-clients queue, the client can be picked
        self.start_period = period
        self.clients: list[tuple[int, str, str]] = []  # id, short code, name
        self.office_root: Path | None = None
        self.plan: export_uc.ExportPlan | None = None
        self.plan_choice: ExportChoice | None = None  # what `plan` was made for
        self.pending: ExportChoice | None = None  # the preview being prepared
        self.writing = False
        self.result: export_uc.ExportResult | None = None

    # --- building ---------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(plain(_("Export to the accounting program"), style="bold"), id="title")
        with Grid(id="fields"):
            yield Label(_("Client"))
            yield Select[int]([], id="client", compact=True, allow_blank=True, prompt="…")
            yield Label(_("Format"))
            yield Select[str](
                [(_(w), f.value) for f, w in FORMAT_WORDS.items()],
                value=ExportFormat.BUNDLE.value,
                allow_blank=False,
                id="format",
                compact=True,
            )
            yield Label(_("Period"))
            yield Input(self.start_period, id="period", compact=True, placeholder="2026-03")
            yield Label(_("Period kind"))
            yield Select[str](
                [(_(w), k.value) for k, w in KIND_WORDS.items()],
                value=PeriodKind.VAT.value,
                allow_blank=False,
                id="kind",
                compact=True,
            )
            yield Label(_("Folder"))
            yield Input("", id="root", compact=True)
            yield Label(_("Again"))
            yield Checkbox(_("exported ones too"), id="again", compact=True)
        yield Static("", id="error")
        with VerticalScroll(id="preview"):
            yield Static("", id="plan")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#client", Select).disabled = True
        self.query_one("#period", Input).focus()
        self._load_start()

    @work(exclusive=True, group="export-start", exit_on_error=False)
    async def _load_start(self) -> None:
        store = self.services.store
        assert store is not None

        def read() -> tuple[list[tuple[int, str, str]], Path]:
            clients = [(c.id, c.short_code, c.name) for c in store.clients.list() if c.id is not None]
            return clients, export_uc.export_root(store, None)

        self.clients, self.office_root = await asyncio.to_thread(read)
        if self.client_id is None:
            if not self.clients:
                self.query_one("#plan", Static).update(plain(_("No client yet: nothing to export.")))
                return
            self.client_id = self.clients[0][0]
        client = self.query_one("#client", Select)
        client.set_options([(plain(f"{code} — {name}"), cid) for cid, code, name in self.clients])
        client.value = self.client_id
        client.disabled = self.client_fixed
        self.query_one("#root", Input).placeholder = str(self.office_root)
        self._update_title()
        self.refresh_preview()

    def _update_title(self) -> None:
        title = Text(no_wrap=True, overflow="ellipsis")
        title.append(_("Export to the accounting program"), style="bold")
        code = next((c for cid, c, _n in self.clients if cid == self.client_id), "")
        if code:
            title.append(f" · {code}")
        self.query_one("#title", Static).update(safe_text(title))

    # --- the fields ---------------------------------------------------------------------------------

    def choice(self) -> ExportChoice | None:
        """The fields as a choice, or None when the period is not a month (the error line says why) or
        there is no client."""
        try:
            period = parse_period(self.query_one("#period", Input).value)
        except PeriodError:
            return None
        root_text = self.query_one("#root", Input).value.strip()
        client = self.query_one("#client", Select).value
        client_id = client if isinstance(client, int) else self.client_id
        if client_id is None:
            return None
        return ExportChoice(
            client_id=client_id,
            format=ExportFormat(str(self.query_one("#format", Select).value)),
            period=period,
            kind=PeriodKind(str(self.query_one("#kind", Select).value)),
            again=self.query_one("#again", Checkbox).value,
            root=Path(root_text).expanduser() if root_text else None,
        )

    @on(Input.Changed)
    @on(Select.Changed)
    @on(Checkbox.Changed)
    def _changed(self) -> None:
        if self.office_root is not None:  # before the start is read, the first preview is on its way
            self.refresh_preview()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_write()

    def refresh_preview(self) -> None:
        error = self.query_one("#error", Static)
        try:
            parse_period(self.query_one("#period", Input).value)
        except PeriodError as err:
            error.update(plain(str(err)))
            error.display = True
            self.plan = self.plan_choice = self.pending = None
            self.query_one("#plan", Static).update("")
            return
        error.display = False
        choice = self.choice()
        if choice is None:
            return
        client = self.query_one("#client", Select).value
        if isinstance(client, int):
            self.client_id = client
            self._update_title()
        if (choice == self.plan_choice and self.plan is not None) or choice == self.pending:
            return
        self.plan = self.plan_choice = None
        self.pending = choice
        self._plan(choice)

    @work(exclusive=True, group="export-plan", exit_on_error=False)
    async def _plan(self, choice: ExportChoice) -> None:
        store = self.services.store
        assert store is not None
        self.query_one("#plan", Static).update(plain(_("Preparing the preview…"), style="dim"))
        try:
            plan = await asyncio.to_thread(
                export_uc.plan_export,
                store,
                choice.client_id,
                choice.format,
                choice.period,
                self.services.clock,
                period_kind=choice.kind,
                again=choice.again,
                out=choice.root,
            )
        except (StoreError, OSError, ValueError) as err:
            self.pending = None
            text = _("Could not prepare the export: {error}").format(error=err)
            self.query_one("#plan", Static).update(plain(text, style="bold red"))
            return
        if choice != self.choice():  # the fields changed meanwhile: a newer preview is coming
            return
        self.plan, self.plan_choice, self.pending = plan, choice, None
        self.query_one("#plan", Static).update(preview(plan))

    # --- writing ------------------------------------------------------------------------------------

    def action_write(self) -> None:
        if self.writing:
            self.notify(_("Wait: the export is being written."), severity="warning")
            return
        if self.choice() is None:
            self.notify(_("Correct the period first."), severity="warning", markup=False)
            return
        plan = self.plan
        if plan is None and self.pending is None:  # after a refused write: preview afresh first
            self.refresh_preview()
            self.notify(_("The preview is prepared again: check it, then F2 writes."), markup=False)
            return
        if plan is None or self.plan_choice != self.choice():
            self.notify(_("Wait: the preview is being prepared."), severity="warning")
            return
        if plan.all_problems:
            self.notify(
                _("Nothing was written: fix the problems listed first."), severity="error", markup=False
            )
            return
        if plan.nothing_to_export:
            self.notify(_("Nothing to export in this period."), severity="warning", markup=False)
            return
        if plan.existing:

            def answered(yes: bool | None) -> None:
                if yes:
                    self._start_write(plan, overwrite=True)

            self.app.push_screen(
                ConfirmScreen(
                    _("Replace files?"),
                    ngettext(
                        "This file is already in {folder}: {names}. Replace it?",
                        "These files are already in {folder}: {names}. Replace them?",
                        len(plan.existing),
                    ).format(folder=plan.folder, names=", ".join(plan.existing)),
                ),
                callback=answered,
            )
            return
        self._start_write(plan, overwrite=False)

    def _start_write(self, plan: export_uc.ExportPlan, *, overwrite: bool) -> None:
        self.writing = True
        self.query_one("#plan", Static).update(plain(_("Writing the files…"), style="bold"))
        self._write(plan, overwrite)

    @work(exclusive=True, group="export-write", exit_on_error=False)
    async def _write(self, plan: export_uc.ExportPlan, overwrite: bool) -> None:
        store = self.services.store
        assert store is not None

        def run() -> export_uc.ExportResult:
            try:
                return export_uc.run_export(store, plan, operator_name(store), overwrite=overwrite)
            except StoreError as err:
                return export_uc.ExportResult(plan, problems=(ExportWarning("export.store", str(err)),))

        try:
            result = await asyncio.to_thread(run)
        finally:
            self.writing = False
        self.result = result
        if result.batch is None:
            self.plan = self.plan_choice = None  # the next change previews afresh
            heading = _("Nothing was written:")
            self.query_one("#plan", Static).update(problems_renderable(heading, result.problems))
            self.notify(_("Nothing was written: see the problems listed."), severity="error", markup=False)
            return
        summary = plan.summary
        message = _(
            "Written: {bookings}, {files} files to {folder} (batch {id}); net {net}, VAT {vat}."
        ).format(
            bookings=bookings_words(summary.count),
            files=len(result.written),
            folder=plan.folder,
            id=result.batch.id,
            net=format_amount(summary.net, "PLN"),
            vat=format_amount(summary.vat, "PLN"),
        )
        if result.warnings:
            message += " " + ngettext(
                "{n} warning, as the preview listed.",
                "{n} warnings, as the preview listed.",
                len(result.warnings),
            ).format(n=len(result.warnings))
        self.notify(
            message, severity="warning" if result.warnings else "information", markup=False, timeout=12
        )
        self.dismiss(True)

    def action_cancel(self) -> None:
        if self.writing:
            self.notify(_("Wait: the export is being written."), severity="warning")
            return
        self.dismiss(None)

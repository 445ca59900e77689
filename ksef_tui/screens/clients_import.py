"""Import the client list from the board: a path, the per-row report, then the import on F2.

The same use case as `ksef-tui clients import` (`sync/client_import.py`): the file is read and every row
checked in a thread; nothing is written until F2, and then all valid rows in one transaction. Invalid
rows stop the import unless "skip invalid rows" is ticked. No line shows a token.
"""

from __future__ import annotations

from pathlib import Path

from rich.markup import escape
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Checkbox, Input, Label, Static

from ksef_tui.core.client_import import ImportPlan, describe_row
from ksef_tui.core.display_text import safe_display
from ksef_tui.core.i18n import _
from ksef_tui.sync.client_import import ImportProblem, load_import_plan, run_import
from ksef_tui.ui.commands import RegistryKeys, bindings_for
from ksef_tui.ui.config import AppConfig
from ksef_tui.ui.messages import ClientsImported, ImportPlanned, StoreRefused
from ksef_tui.widgets.key_bar import KeyBar
from ksef_tui.widgets.safe_text import plain


class ClientsImportScreen(RegistryKeys, ModalScreen[bool]):
    SCOPE = "form"
    BINDINGS = bindings_for(SCOPE)
    CSS_PATH = "clients_import.tcss"

    def __init__(self, services: AppConfig) -> None:
        super().__init__()
        self.services = services
        self.plan: ImportPlan | None = None
        self._busy = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(_("Import the client list"), classes="dialog-title")
            yield Label(_("File (CSV or .xlsx; header row: nip, nazwa, kod, środowisko, token, …)"))
            yield Input(id="path", placeholder="~/klienci.xlsx")
            yield Checkbox(_("Skip invalid rows (import the others)"), id="skip")
            yield Static("", id="summary")
            with VerticalScroll(id="report"):
                yield Static("", id="rows")
            yield Static(_("Enter checks the file · F2 imports · Esc closes"), classes="hint")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#report").display = False
        self.query_one("#path", Input).focus()

    @on(Input.Submitted, "#path")
    def _check(self) -> None:
        raw = self.query_one("#path", Input).value.strip()
        if not raw:
            self._say(_("Type the path of the file."), error=True)
            return
        self.plan = None
        self._say(_("Reading the file…"))
        self._plan(Path(raw).expanduser())

    @on(Input.Changed, "#path")
    def _forget_plan(self) -> None:
        self.plan = None  # F2 never imports a file other than the one whose report is shown

    @on(Checkbox.Changed)
    def _skip_changed(self) -> None:
        if self.plan is not None:
            self._show(self.plan)

    @work(exclusive=True, group="import-plan", exit_on_error=False)
    async def _plan(self, path: Path) -> None:
        store = self.services.store
        assert store is not None
        try:
            plan = await load_import_plan(store, path)
        except ImportProblem as err:
            self.post_message(StoreRefused(str(err)))
            return
        self.post_message(ImportPlanned(plan))

    def on_import_planned(self, message: ImportPlanned) -> None:
        self.plan = message.plan
        self._show(message.plan)

    def _show(self, plan: ImportPlan) -> None:
        rows = Text()
        for problem in plan.file_problems:
            rows.append_text(plain(problem + "\n", style="bold red"))
        if plan.ignored_columns:
            ignored = _("Columns ignored (not recognised): {names}").format(
                names=", ".join(plan.ignored_columns)
            )
            rows.append_text(plain(ignored + "\n", style="italic"))
        for row in plan.rows:
            rows.append_text(plain(describe_row(row) + "\n", style="" if row.valid else "red"))
        rows.rstrip()
        self.query_one("#rows", Static).update(rows)
        self.query_one("#report").display = True
        skip = self.query_one("#skip", Checkbox).value
        if plan.file_problems:
            self._say(_("Nothing can be imported from this file."), error=True)
        elif plan.importable(skip):
            self._say(
                _("{valid} rows ready, {invalid} invalid. F2 imports.").format(
                    valid=len(plan.valid), invalid=len(plan.invalid)
                )
            )
        else:
            self._say(
                _("{invalid} rows have errors: correct the file, or tick “Skip invalid rows”.").format(
                    invalid=len(plan.invalid)
                ),
                error=True,
            )

    def action_save(self) -> None:
        plan = self.plan
        skip = self.query_one("#skip", Checkbox).value
        if plan is None:
            self._say(_("Press Enter to check the file first."), error=True)
            return
        if self._busy or not plan.importable(skip):
            return
        self._busy = True
        self._say(_("Importing…"))
        self._import(plan, skip)

    @work(exclusive=True, group="import-run", exit_on_error=False)
    async def _import(self, plan: ImportPlan, skip: bool) -> None:
        store = self.services.store
        assert store is not None
        try:
            result = await run_import(store, plan, self.services.clock, skip)
        except ImportProblem as err:
            self.post_message(StoreRefused(str(err)))
            return
        self.post_message(ClientsImported(result))

    def on_clients_imported(self, message: ClientsImported) -> None:
        self.app.notify(message.result.summary())
        self.dismiss(True)

    def on_store_refused(self, message: StoreRefused) -> None:
        self._busy = False
        self._say(message.reason, error=True)

    def _say(self, message: str, error: bool = False) -> None:
        label = self.query_one("#summary", Static)
        label.set_class(error, "error")
        label.update(escape(safe_display(message)))

    def action_cancel(self) -> None:
        self.dismiss(False)

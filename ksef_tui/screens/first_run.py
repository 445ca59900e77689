"""First run: choose the office passphrase (twice), with a strength hint, and create the store."""

from __future__ import annotations

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Input, Label, Static

from ksef_tui.core.i18n import _
from ksef_tui.core.passphrase import MIN_LENGTH, strength
from ksef_tui.sync.records import StoreProblem, create_store
from ksef_tui.ui.commands import RegistryKeys, bindings_for
from ksef_tui.ui.config import AppConfig
from ksef_tui.ui.messages import RecordSaved, StoreRefused


class FirstRunScreen(RegistryKeys, Screen[bool]):
    SCOPE = "first_run"
    BINDINGS = bindings_for(SCOPE)
    DEFAULT_CSS = """
    FirstRunScreen { align: center middle; }
    FirstRunScreen .dialog { width: 64; }
    """

    def __init__(self, services: AppConfig) -> None:
        super().__init__()
        self.services = services

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(_("Welcome to ksef-tui"), classes="dialog-title")
            yield Static(
                _(
                    "Choose the office passphrase. It protects every client's KSeF credentials; "
                    "it cannot be recovered if lost."
                ),
                classes="hint",
            )
            yield Label(_("Passphrase"))
            yield Input(password=True, id="first")
            yield Static("", id="strength", classes="hint")
            yield Label(_("Repeat the passphrase"))
            yield Input(password=True, id="second")
            yield Static("", id="message", classes="error")

    def on_mount(self) -> None:
        self.query_one("#first", Input).focus()

    @on(Input.Changed, "#first")
    def _hint(self, event: Input.Changed) -> None:
        verdict = strength(event.value)
        self.query_one("#strength", Static).update(escape(verdict.words) if event.value else "")

    @on(Input.Submitted, "#first")
    def _next(self) -> None:
        self.query_one("#second", Input).focus()

    @on(Input.Submitted, "#second")
    def _create(self) -> None:
        first = self.query_one("#first", Input).value
        second = self.query_one("#second", Input).value
        if len(first) < MIN_LENGTH:
            self._say(_("The passphrase must have at least {n} characters.").format(n=MIN_LENGTH))
            self.query_one("#first", Input).focus()
            return
        if first != second:
            self._say(_("The two passphrases differ. Type them again."))
            self.query_one("#second", Input).value = ""
            self.query_one("#second", Input).focus()
            return
        for field in self.query(Input):
            field.disabled = True
        self._say(_("Creating the store…"), error=False)
        self._make(first)

    @work(thread=True, exclusive=True)
    def _make(self, passphrase: str) -> None:
        services = self.services
        try:
            store = create_store(services.home, passphrase, services.clock, services.kdf, services.on_created)
        except StoreProblem as err:
            self.post_message(StoreRefused(str(err)))
            return
        self.services.store = store
        self.post_message(RecordSaved(True))

    def _say(self, message: str, error: bool = True) -> None:
        label = self.query_one("#message", Static)
        label.set_class(error, "error")
        label.update(escape(message))

    def on_store_refused(self, message: StoreRefused) -> None:
        self._say(message.reason)

    def on_record_saved(self, message: RecordSaved) -> None:
        self.dismiss(True)

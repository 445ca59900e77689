"""Unlock: the passphrase opens the store (Argon2id runs in a thread so the screen stays alive)."""

from __future__ import annotations

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Input, Label, Static

from ksef_tui.core.i18n import _
from ksef_tui.sync.records import StoreProblem, unlock_store
from ksef_tui.ui.commands import RegistryKeys, bindings_for
from ksef_tui.ui.config import AppConfig
from ksef_tui.ui.messages import RecordSaved, StoreRefused


class UnlockScreen(RegistryKeys, Screen[bool]):
    SCOPE = "unlock"
    BINDINGS = bindings_for(SCOPE)
    DEFAULT_CSS = """
    UnlockScreen { align: center middle; }
    UnlockScreen .dialog { width: 60; }
    """

    def __init__(self, services: AppConfig) -> None:
        super().__init__()
        self.services = services

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(_("ksef-tui: the store is locked"), classes="dialog-title")
            yield Label(_("Passphrase"))
            yield Input(password=True, id="passphrase")
            if self.services.passphrase_hint:
                hint = _("Demo: the passphrase is “{hint}”.").format(hint=self.services.passphrase_hint)
                yield Static(escape(hint), classes="hint", id="hint")
            yield Static("", id="message", classes="error")

    def on_mount(self) -> None:
        self.query_one("#passphrase", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        passphrase = event.value
        if not passphrase:
            self._say(_("Enter the passphrase."))
            return
        event.input.disabled = True
        self._say(_("Unlocking…"), error=False)
        self._open(passphrase)

    @work(thread=True, exclusive=True)
    def _open(self, passphrase: str) -> None:
        services = self.services
        try:
            services.store = unlock_store(services.home, passphrase, services.clock, services.store)
        except StoreProblem as err:
            self.post_message(StoreRefused(str(err)))
            return
        self.post_message(RecordSaved(True))

    def _failed(self, message: str) -> None:
        field = self.query_one("#passphrase", Input)
        field.disabled = False
        field.value = ""
        field.focus()
        self._say(message)

    def _say(self, message: str, error: bool = True) -> None:
        label = self.query_one("#message", Static)
        label.set_class(error, "error")
        label.update(escape(message))

    def on_store_refused(self, message: StoreRefused) -> None:
        self._failed(message.reason)

    def on_record_saved(self, message: RecordSaved) -> None:
        self.dismiss(True)

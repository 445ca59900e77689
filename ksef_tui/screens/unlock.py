"""Unlock: the passphrase opens the store (Argon2id runs in a thread so the screen stays alive)."""

from __future__ import annotations

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Input, Label, Static

from ksef_tui.core.i18n import _
from ksef_tui.ui.commands import RegistryKeys, bindings_for
from ksef_tui.ui.config import AppConfig


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
        from ksef_tui.store import Store, StoreError

        store = self.services.store
        try:
            if store is not None:
                store.unlock(passphrase)
            else:
                self.services.store = Store.open(self.services.home, passphrase, clock=self.services.clock)
        except StoreError as err:
            self.app.call_from_thread(self._failed, str(err))
            return
        self.app.call_from_thread(self.dismiss, True)

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

"""Remove a client: confirmed by typing its short code, so a stray key never deletes anything."""

from __future__ import annotations

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from ksef_tui.core.display_text import safe_display
from ksef_tui.core.i18n import _
from ksef_tui.core.models import Client
from ksef_tui.sync.records import remove_client
from ksef_tui.ui.commands import RegistryKeys, bindings_for
from ksef_tui.ui.config import AppConfig
from ksef_tui.ui.messages import RecordSaved
from ksef_tui.widgets.key_bar import KeyBar


class RemoveClientScreen(RegistryKeys, ModalScreen[bool]):
    SCOPE = "form"
    BINDINGS = bindings_for(SCOPE)

    def __init__(self, services: AppConfig, client: Client) -> None:
        super().__init__()
        self.services = services
        self.client = client

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            name = safe_display(self.client.name)
            yield Static(escape(_("Remove {name}?").format(name=name)), classes="dialog-title")
            yield Static(
                escape(
                    _(
                        "This deletes the client, its credentials and its history from this store. "
                        "KSeF itself is not touched. To confirm, type the short code {code}:"
                    ).format(code=self.client.short_code)
                )
            )
            yield Input(id="confirm", placeholder=self.client.short_code)
            yield Static("", id="message", classes="error")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#confirm", Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        if event.value.strip().upper() != self.client.short_code:
            self.query_one("#message", Static).update(
                escape(_("The code does not match: nothing was removed."))
            )
            return
        self._remove()

    def action_save(self) -> None:
        self._submitted(
            Input.Submitted(self.query_one("#confirm", Input), self.query_one("#confirm", Input).value)
        )

    @work(thread=True, exclusive=True)
    def _remove(self) -> None:
        store = self.services.store
        assert store is not None and self.client.id is not None
        remove_client(store, self.client)
        self.post_message(RecordSaved(True))

    def action_cancel(self) -> None:
        self.dismiss(False)

    def on_record_saved(self, message: RecordSaved) -> None:
        self.dismiss(True)

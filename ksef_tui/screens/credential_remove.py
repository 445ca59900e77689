"""Remove one credential of a client: confirmed by typing its code (the last four characters of the token
reference or the certificate serial), so a stray key never deletes anything."""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from ksef_tui.core.i18n import _
from ksef_tui.core.models import CREDENTIAL_KIND_LABELS, Client, Credential, CredentialKind
from ksef_tui.sync.records import StoreProblem, removal_code, remove_credential
from ksef_tui.ui.commands import RegistryKeys, bindings_for
from ksef_tui.ui.config import AppConfig
from ksef_tui.ui.messages import RecordSaved, StoreRefused
from ksef_tui.widgets.key_bar import KeyBar
from ksef_tui.widgets.safe_text import plain, safe_text


def credential_words(credential: Credential) -> Text:
    """ "KSeF token 20251010-EC-…|…" or "KSeF certificate, serial 1A2B…": what the list shows, no secret."""
    text = Text(_(CREDENTIAL_KIND_LABELS[credential.kind]), style="bold")
    text.append("  ")
    if credential.kind is CredentialKind.KSEF_TOKEN:
        text.append(credential.masked())
    else:
        text.append(_("serial {serial}").format(serial=credential.masked()))
    if credential.label:
        text.append("  ")
        text.append(credential.label, style="dim")
    return text


class CredentialRemoveScreen(RegistryKeys, ModalScreen[bool]):
    """Dismissed with True when the credential was removed."""

    SCOPE = "form"
    BINDINGS = bindings_for(SCOPE)
    DEFAULT_CSS = """
    CredentialRemoveScreen .dialog { width: 76; }
    CredentialRemoveScreen #credential { margin-bottom: 1; }
    """

    def __init__(self, services: AppConfig, client: Client, credential: Credential) -> None:
        super().__init__()
        self.services = services
        self.client = client
        self.credential = credential
        self.code = removal_code(credential, client)
        self._removing = False

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(plain(_("Remove this credential?")), classes="dialog-title")
            # The label and the reference come from the store: shown as Text, never markup.
            yield Static(safe_text(credential_words(self.credential)), id="credential")
            yield Static(
                plain(
                    _(
                        "This deletes the credential and its live checks from this store; the audit trail"
                        " keeps a line. KSeF itself is not touched: the token or certificate stays valid"
                        " there until it is revoked in KSeF. To confirm, type {code}:"
                    ).format(code=self.code)
                )
            )
            yield Input(id="confirm", placeholder=self.code, compact=True)
            yield Static("", id="message", classes="error")
            yield Static(_("Enter or F2 removes · Esc cancels"), classes="hint")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#confirm", Input).focus()

    def _matches(self, typed: str) -> bool:
        return typed.strip().upper() == self.code.upper()

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        if self._removing:
            return
        if not self._matches(self.query_one("#confirm", Input).value):
            self._say(_("The code does not match: nothing was removed."))
            return
        self._removing = True
        self._remove()

    @work(thread=True, exclusive=True, group="credential-remove")
    def _remove(self) -> None:
        store = self.services.store
        assert store is not None
        try:
            remove_credential(store, self.credential)
        except StoreProblem as err:
            self.post_message(StoreRefused(str(err)))
            return
        self.post_message(RecordSaved(True))

    def _say(self, message: str) -> None:
        self.query_one("#message", Static).update(plain(message))

    def action_cancel(self) -> None:
        self.dismiss(False)

    def on_store_refused(self, message: StoreRefused) -> None:
        self._removing = False
        self._say(message.reason)

    def on_record_saved(self, message: RecordSaved) -> None:
        self.dismiss(True)

"""Import a client's KSeF token: pasted into a masked field and sealed at once."""

from __future__ import annotations

from datetime import UTC, datetime, time

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Static

from ksef_tui.core.display_text import safe_display
from ksef_tui.core.i18n import _
from ksef_tui.core.models import (
    Client,
    Credential,
    CredentialKind,
    CredentialStatus,
    mask_secret,
    token_reference,
)
from ksef_tui.sync.records import StoreProblem, add_credential
from ksef_tui.ui.commands import RegistryKeys, bindings_for
from ksef_tui.ui.config import AppConfig
from ksef_tui.ui.messages import RecordSaved, StoreRefused
from ksef_tui.widgets.key_bar import KeyBar


class TokenImportScreen(RegistryKeys, ModalScreen[bool]):
    SCOPE = "form"
    BINDINGS = bindings_for(SCOPE)
    # A label as wide as the dialog wraps: "tokeny i tak wygasają z końcem 2026)" was cut at "z końcem 20".
    DEFAULT_CSS = """
    TokenImportScreen .dialog Label { width: 100%; }
    """

    def __init__(self, services: AppConfig, client: Client) -> None:
        super().__init__()
        self.services = services
        self.client = client

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(
                escape(_("KSeF token for {name}").format(name=self.client.name)), classes="dialog-title"
            )
            yield Label(_("Paste the token (it stays hidden and is sealed as soon as you press Enter)"))
            yield Input(password=True, id="token")
            yield Static("", id="token-info", classes="hint")
            yield Label(_("Valid until (YYYY-MM-DD, optional; tokens stop at the sunset anyway)"))
            yield Input(id="until", placeholder="2026-12-31")
            yield Static("", id="message", classes="error")
            yield Static(_("Enter or F2 saves · Esc cancels"), classes="hint")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#token", Input).focus()

    @on(Input.Changed, "#token")
    def _show_reference(self, event: Input.Changed) -> None:
        value = event.value.strip()
        info = ""
        if value:
            ref = token_reference(value)
            info = (
                _("Reference: {ref}").format(ref=ref)
                if ref
                else _("Token: {masked}").format(masked=mask_secret(value))
            )
        self.query_one("#token-info", Static).update(escape(safe_display(info)))

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        field = self.query_one("#token", Input)
        token = field.value.strip()
        if len(token) < 16 or any(c.isspace() for c in token):
            self._say(_("This does not look like a KSeF token: paste the whole token."))
            return
        until_raw = self.query_one("#until", Input).value.strip()
        until = None
        if until_raw:
            try:
                until = datetime.combine(
                    datetime.strptime(until_raw, "%Y-%m-%d").date(), time(23, 59, 59), tzinfo=UTC
                )
            except ValueError:
                self._say(_("Date must be YYYY-MM-DD."))
                return
        # The plaintext leaves the widget now: only the sealed copy remains.
        field.value = ""
        credential = Credential(
            client_id=self.client.id or 0,
            kind=CredentialKind.KSEF_TOKEN,
            secret=token,
            reference=token_reference(token),
            created=self.services.clock(),
            valid_until=until,
            status=CredentialStatus.ACTIVE,
        )
        self._save(credential)

    @work(thread=True, exclusive=True)
    def _save(self, credential: Credential) -> None:
        store = self.services.store
        assert store is not None
        try:
            add_credential(store, credential, "credential.import_token", credential.reference or "")
        except StoreProblem as err:
            self.post_message(StoreRefused(str(err)))
            return
        self.post_message(RecordSaved(True))

    def _say(self, message: str) -> None:
        self.query_one("#message", Static).update(escape(safe_display(message)))

    def action_cancel(self) -> None:
        self.query_one("#token", Input).value = ""
        self.dismiss(False)

    def on_store_refused(self, message: StoreRefused) -> None:
        self._say(message.reason)

    def on_record_saved(self, message: RecordSaved) -> None:
        self.dismiss(True)

"""Add or edit a client. The NIP is checked as you type; errors say what is wrong, nothing is saved."""

from __future__ import annotations

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static

from ksef_tui.core.client_form import ClientDraft, FormErrors, still_damaged, validate_client, validate_nips
from ksef_tui.core.i18n import _
from ksef_tui.core.models import SHORT_CODE_RE, Client, Environment, suggest_short_code
from ksef_tui.sync.records import StoreProblem, save_client
from ksef_tui.ui.commands import RegistryKeys, bindings_for
from ksef_tui.ui.config import AppConfig
from ksef_tui.ui.messages import RecordSaved, StoreRefused
from ksef_tui.widgets.key_bar import KeyBar

ENV_LABELS = {Environment.PROD: "prod", Environment.DEMO: "demo", Environment.TEST: "test"}


class _Fields(VerticalScroll, can_focus=False):
    """The form's fields, scrolled to the focused one; Tab goes from field to field, not to the box."""


def _field(value: str, id: str, placeholder: str = "") -> Input:
    """A field that keeps what it holds when focused: the cursor at the end, nothing selected, so the
    first key of an edit adds to the name instead of replacing it (Textual selects all on focus)."""
    return Input(value=value, id=id, placeholder=placeholder, select_on_focus=False)


class ClientFormScreen(RegistryKeys, ModalScreen[int | None]):
    SCOPE = "form"
    BINDINGS = bindings_for(SCOPE)
    DEFAULT_CSS = """
    ClientFormScreen .dialog { width: 76; }
    /* The fields scroll; the title, the error summary and the save hint stay in view (80×24 too). */
    ClientFormScreen #fields { height: auto; max-height: 70vh; }
    ClientFormScreen Input { margin-bottom: 0; }
    ClientFormScreen .row { height: auto; }
    ClientFormScreen .field-error { color: $error; height: auto; min-height: 1; }
    """

    def __init__(self, services: AppConfig, client: Client | None, *, nip: str = "") -> None:
        super().__init__()
        self.services = services
        self.client = client
        self.prefilled_nip = nip  # a new client's NIP given in advance (one that granted the office)
        self._code_touched = client is not None

    def compose(self) -> ComposeResult:
        c = self.client
        title = _("Add a client") if c is None else _("Edit client {code}").format(code=c.short_code)
        with Vertical(classes="dialog"):
            yield Static(escape(title), classes="dialog-title")
            yield from self._fields()
            yield Static("", id="message", classes="field-error")
            yield Static(_("Enter or F2 saves · Esc cancels"), classes="hint")
        yield KeyBar()

    def _fields(self) -> ComposeResult:
        c = self.client
        with _Fields(id="fields"):
            yield Label(_("Name"))
            yield _field(value=c.name if c else "", id="name")
            yield Static("", id="name-error", classes="field-error")
            yield Label(_("NIP (several for a group of companies: separate with commas)"))
            yield _field(
                value=", ".join(c.nips) if c else self.prefilled_nip, id="nips", placeholder="123-456-32-18"
            )
            yield Static("", id="nips-error", classes="field-error")
            with Horizontal(classes="row"):
                yield Label(_("Short code") + " ")
                yield _field(value=c.short_code if c else "", id="code", placeholder="NAZWA_123")
            yield Static("", id="code-error", classes="field-error")
            yield Label(_("KSeF environment"))
            yield Select(
                [(label, env.value) for env, label in ENV_LABELS.items()],
                value=(c.environment.value if c else self.services.default_environment.value),
                allow_blank=False,
                id="env",
            )
            yield Label(_("Notes"))
            yield _field(value=c.notes if c else "", id="notes")

    def on_mount(self) -> None:
        self.query_one("#name", Input).focus()

    # --- as you type ---------------------------------------------------------------------------

    @on(Input.Changed, "#nips")
    def _nips_changed(self, event: Input.Changed) -> None:
        nips, error = validate_nips(event.value) if event.value.strip() else ([], "")
        self.query_one("#nips-error", Static).update(escape(error))
        self._suggest_code(nips)

    @on(Input.Changed, "#name")
    def _name_changed(self) -> None:
        raw = self.query_one("#nips", Input).value
        nips, _error = validate_nips(raw) if raw.strip() else ([], "")
        self._suggest_code(nips)
        self.query_one("#name-error", Static).update("")

    @on(Input.Changed, "#code")
    def _code_changed(self, event: Input.Changed) -> None:
        if event.input.has_focus:
            self._code_touched = True
        value = event.value.strip().upper()
        ok = not value or SHORT_CODE_RE.match(value)
        self.query_one("#code-error", Static).update(
            "" if ok else escape(_("Short code: 2–16 capital letters, digits or _."))
        )

    def _suggest_code(self, nips: list[str]) -> None:
        name = self.query_one("#name", Input).value.strip()
        if self._code_touched or not name or not nips:
            return
        self.query_one("#code", Input).value = suggest_short_code(name, nips[0])

    # --- saving --------------------------------------------------------------------------------

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        draft = ClientDraft(
            name=self.query_one("#name", Input).value,
            nips=self.query_one("#nips", Input).value,
            short_code=self.query_one("#code", Input).value,
            environment=str(self.query_one("#env", Select).value),
            notes=self.query_one("#notes", Input).value,
        )
        result = validate_client(draft)
        if isinstance(result, FormErrors):
            self._show_errors(result)
            return
        if self.client is not None:
            result.id = self.client.id
            result.created = self.client.created
            result.damaged = still_damaged(self.client, result)  # the store refuses to save those
        self._save(result)

    def _show_errors(self, errors: FormErrors) -> None:
        for field in ("name", "nips", "code"):
            self.query_one(f"#{field}-error", Static).update(escape(errors.fields.get(field, "")))
        self.query_one("#message", Static).update(escape(_("Not saved: correct the fields marked above.")))
        first = next((f for f in ("name", "nips", "code") if f in errors.fields), "name")
        self.query_one(f"#{first}", Input).focus()

    @work(thread=True, exclusive=True)
    def _save(self, client: Client) -> None:
        store = self.services.store
        assert store is not None
        try:
            client_id = save_client(store, client)
        except StoreProblem as err:
            self.post_message(StoreRefused(str(err)))
            return
        self.post_message(RecordSaved(client_id))

    def _store_error(self, message: str) -> None:
        self.query_one("#message", Static).update(escape(_("Not saved: {reason}").format(reason=message)))

    def action_cancel(self) -> None:
        self.dismiss(None)

    def on_store_refused(self, message: StoreRefused) -> None:
        self._store_error(message.reason)

    def on_record_saved(self, message: RecordSaved) -> None:
        self.dismiss(message.result)  # the client id this form saved

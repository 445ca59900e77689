"""The office profile: the office's NIP and name, the default environment for new clients, the UPO and
export folders, the health thresholds and the idle lock (issue 10 item 2). Enter or F2 saves, Esc cancels;
a value that cannot be taken is named under its field and nothing is saved."""

from __future__ import annotations

from rich.markup import escape
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Input, Label, Select, Static

from ksef_tui.core.i18n import N_, _
from ksef_tui.core.models import Environment
from ksef_tui.sync.office import (
    KEYS,
    OfficeProfile,
    load_office_profile,
    profile_from_values,
    save_office_profile,
)
from ksef_tui.sync.records import StoreProblem
from ksef_tui.ui.commands import RegistryKeys, bindings_for
from ksef_tui.ui.config import AppConfig
from ksef_tui.ui.messages import OfficeProfileLoaded, RecordSaved, StoreRefused
from ksef_tui.widgets.key_bar import KeyBar

# The form's fields in order: (key, label msgid). `environment` is a choice, the rest are typed.
FIELDS: tuple[tuple[str, str], ...] = (
    ("nip", N_("Office NIP")),
    ("name", N_("Office name")),
    ("environment", N_("Environment for new clients")),
    ("upo_folder", N_("UPO folder")),
    ("export_folder", N_("Export folder")),
    ("red_days", N_("Red: days before expiry")),
    ("yellow_days", N_("Yellow: days before expiry")),
    ("check_stale_days", N_("Check is stale after (days)")),
    ("sync_stale_days", N_("Sync is stale after (days)")),
    ("idle_minutes", N_("Lock after idle (minutes)")),
)
ENVIRONMENTS = (Environment.PROD, Environment.TEST, Environment.DEMO)


class OfficeScreen(RegistryKeys, ModalScreen[bool]):
    SCOPE = "form"
    BINDINGS = bindings_for(SCOPE)
    AUTO_FOCUS = None  # the NIP field takes the focus once the profile is in it (on_office_profile_loaded)
    DEFAULT_CSS = """
    OfficeScreen .dialog { width: 78; }
    OfficeScreen .row { height: 1; }
    OfficeScreen .row Label { width: 33; }
    OfficeScreen .row Input { width: 1fr; }
    OfficeScreen .row Select { width: 1fr; }
    OfficeScreen .field-error { color: $error; height: auto; padding-left: 33; }
    OfficeScreen #message { color: $error; height: auto; }
    """

    def __init__(self, services: AppConfig) -> None:
        super().__init__()
        self.services = services

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog"):
            yield Static(escape(_("Office profile")), classes="dialog-title")
            for key, label in FIELDS:
                with Horizontal(classes="row"):
                    yield Label(_(label))
                    if key == "environment":
                        yield Select(
                            [(env.value, env.value) for env in ENVIRONMENTS],
                            value=Environment.PROD.value,
                            allow_blank=False,
                            compact=True,
                            id=key,
                        )
                    else:
                        yield Input(id=key, compact=True, placeholder=self._placeholder(key))
                yield Static("", id=f"{key}-error", classes="field-error")
            yield Static("", id="message")
            yield Static(
                escape(_("Empty folder: the default. Enter or F2 saves · Esc cancels")), classes="hint"
            )
        yield KeyBar()

    @staticmethod
    def _placeholder(key: str) -> str:
        defaults = OfficeProfile()
        if key == "upo_folder":
            return str(defaults.upo_path())
        if key == "export_folder":
            return str(defaults.export_path())
        if key == "nip":
            return "123-456-32-18"
        return ""

    def on_mount(self) -> None:
        for key, _label in FIELDS:
            self.query_one(f"#{key}-error", Static).display = False
        self.query_one("#message", Static).display = False
        self._load()

    @work(exclusive=True, group="office-load")
    async def _load(self) -> None:
        store = self.services.store
        assert store is not None
        self.post_message(OfficeProfileLoaded(await load_office_profile(store)))

    def on_office_profile_loaded(self, message: OfficeProfileLoaded) -> None:
        for key, value in message.profile.values().items():
            if key == "environment":
                self.query_one("#environment", Select).value = str(value)
            else:
                self.query_one(f"#{key}", Input).value = str(value)
        self.query_one("#nip", Input).focus()

    # --- saving --------------------------------------------------------------------------------

    def _typed(self) -> dict[str, str]:
        values = {key: self.query_one(f"#{key}", Input).value for key in KEYS if key != "environment"}
        values["environment"] = str(self.query_one("#environment", Select).value)
        return values

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        result = profile_from_values(self._typed())
        if isinstance(result, dict):
            self._show_errors(result)
            return
        self._show_errors({})
        self._save(result)

    def _show_errors(self, errors: dict[str, str]) -> None:
        for key, _label in FIELDS:
            field = self.query_one(f"#{key}-error", Static)
            field.update(escape(errors.get(key, "")))
            field.display = key in errors
        message = self.query_one("#message", Static)
        message.update(escape(_("Not saved: correct the fields marked above.")) if errors else "")
        message.display = bool(errors)
        first = next((key for key, _label in FIELDS if key in errors), None)
        if first is not None:
            self.query_one(f"#{first}").focus()

    @work(exclusive=True, group="office-save")
    async def _save(self, profile: OfficeProfile) -> None:
        store = self.services.store
        assert store is not None
        try:
            await save_office_profile(store, profile)
        except StoreProblem as err:  # the store refused (locked, damaged file): say so, keep the form
            self.post_message(StoreRefused(str(err)))
            return
        self.post_message(RecordSaved(profile))

    def on_store_refused(self, message: StoreRefused) -> None:
        text = self.query_one("#message", Static)
        text.update(escape(_("Not saved: {reason}").format(reason=message.reason)))
        text.display = True

    def on_record_saved(self, message: RecordSaved) -> None:
        assert isinstance(message.result, OfficeProfile)
        self.services.use_office(message.result)
        self.notify(_("Office profile saved."))
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)

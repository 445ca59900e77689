"""Unlock: the passphrase opens the store (Argon2id runs in a thread so the screen stays alive).

When more than one person can unlock the store (issue 15), the screen asks who is unlocking: a list of
logins (read from the store's key slots, which are plaintext by design), preselected with
`ksef-tui --operator LOGIN`. After a lock the list is offered again with the same person chosen, so the
next person at a shared desk unlocks as themselves (the app then starts again from the board). An initial
passphrase set by an administrator is replaced at once: the screen asks for a new one, twice.
"""

from __future__ import annotations

from rich.markup import escape
from textual import work
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import Screen
from textual.widgets import Input, Label, Select, Static

from ksef_tui.core.i18n import _
from ksef_tui.core.passphrase import MIN_LENGTH
from ksef_tui.demo.operators import DEMO_OPERATOR
from ksef_tui.sync.records import StoreProblem, change_initial_passphrase, store_logins, unlock_store
from ksef_tui.ui.commands import RegistryKeys, bindings_for
from ksef_tui.ui.config import AppConfig
from ksef_tui.ui.messages import RecordSaved, StoreRefused


class UnlockScreen(RegistryKeys, Screen[bool]):
    SCOPE = "unlock"
    BINDINGS = bindings_for(SCOPE)
    DEFAULT_CSS = """
    UnlockScreen { align: center middle; }
    UnlockScreen .dialog { width: 60; height: auto; }
    UnlockScreen #who { width: 1fr; }
    UnlockScreen .change { display: none; }
    UnlockScreen.changing .change { display: block; }
    UnlockScreen.changing .unlock { display: none; }
    """

    def __init__(self, services: AppConfig) -> None:
        super().__init__()
        self.services = services
        # The key slots say who can unlock (plaintext by design); after a lock, the same person is chosen.
        self.logins: list[str] = store_logins(services.home)
        self._old = ""  # the initial passphrase, kept only while the new one is being typed

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(_("ksef-tui: the store is locked"), classes="dialog-title")
            store = self.services.store
            if len(self.logins) > 1:
                yield Label(_("Who is unlocking"), classes="unlock")
                wanted = store.operator if store is not None else self.services.operator
                chosen = wanted if wanted in self.logins else self.logins[0]
                yield Select(
                    [(login, login) for login in self.logins],
                    value=chosen,
                    allow_blank=False,
                    compact=True,
                    id="who",
                    classes="unlock",
                )
            yield Label(_("Passphrase"), classes="unlock")
            yield Input(password=True, id="passphrase", classes="unlock")
            yield Static(
                escape(_("This is an initial passphrase set by an administrator: choose your own now.")),
                classes="change",
            )
            yield Label(_("New passphrase"), classes="change")
            yield Input(password=True, id="new", classes="change")
            yield Label(_("Repeat the passphrase"), classes="change")
            yield Input(password=True, id="repeat", classes="change")
            if self.services.passphrase_hint:
                hint = _("Demo: the passphrase is “{hint}”.").format(hint=self.services.passphrase_hint)
                yield Static(escape(hint), classes="hint unlock", id="hint")
                if self.services.demo and DEMO_OPERATOR in self.logins:
                    also = _("Demo operator {login} (3 clients): the passphrase is “{login}”.")
                    yield Static(escape(also.format(login=DEMO_OPERATOR)), classes="hint unlock")
            yield Static("", id="message", classes="error")

    def on_mount(self) -> None:
        self.query_one("#passphrase", Input).focus()

    def _operator(self) -> str | None:
        if len(self.logins) <= 1:
            store = self.services.store
            return store.operator if store is not None else self.services.operator
        value = self.query_one("#who", Select).value
        return value if isinstance(value, str) else None

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "new":
            self.query_one("#repeat", Input).focus()
            return
        if event.input.id == "repeat":
            self._submit_new()
            return
        passphrase = event.value
        if not passphrase:
            self._say(_("Enter the passphrase."))
            return
        event.input.disabled = True
        self._say(_("Unlocking…"), error=False)
        self._open(passphrase, self._operator())

    @work(thread=True, exclusive=True)
    def _open(self, passphrase: str, operator: str | None) -> None:
        services = self.services
        try:
            services.store = unlock_store(services.home, passphrase, services.clock, services.store, operator)
        except StoreProblem as err:
            self.post_message(StoreRefused(str(err)))
            return
        if services.store.must_change_passphrase:
            self._old = passphrase
            self.app.call_from_thread(self._ask_new)
            return
        self.post_message(RecordSaved(True))

    def _ask_new(self) -> None:
        self.add_class("changing")
        self._say("", error=False)
        self.query_one("#new", Input).focus()

    def _submit_new(self) -> None:
        new = self.query_one("#new", Input).value
        repeat = self.query_one("#repeat", Input).value
        if len(new) < MIN_LENGTH:
            self._say(_("The passphrase must have at least {n} characters.").format(n=MIN_LENGTH))
            return
        if new != repeat:
            self._say(_("The two passphrases differ. Type them again."))
            self.query_one("#repeat", Input).value = ""
            return
        if new == self._old:
            self._say(_("Choose a passphrase other than the initial one."))
            return
        self._say(_("Saving…"), error=False)
        self._change(new)

    @work(thread=True, exclusive=True)
    def _change(self, new: str) -> None:
        store = self.services.store
        assert store is not None
        try:
            change_initial_passphrase(store, self._old, new)
        except StoreProblem as err:
            self.post_message(StoreRefused(str(err)))
            return
        self._old = ""
        self.post_message(RecordSaved(True))

    def _failed(self, message: str) -> None:
        if self.has_class("changing"):
            self._say(message)
            return
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

"""Operators (issue 15, administrators only): who may unlock the store, with which role, for which
clients. `a` adds an operator (their initial passphrase must be changed at first use), `c` / Enter
chooses their clients (a checklist: each change rewraps or deletes one client key), `r` resets a
forgotten passphrase (new key material), `d` removes an operator, `k` makes the recovery key once.

Every change goes through the use cases in sync/operators.py, which refuse anyone but an administrator:
the screen's own check is a courtesy, not the guard."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rich.markup import escape
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import DataTable, Input, Label, Select, SelectionList, Static

from ksef_tui.core.i18n import _
from ksef_tui.core.operators import OPERATOR_ROLES, OfficeRole, role_label
from ksef_tui.core.passphrase import MIN_LENGTH
from ksef_tui.screens.queue_dialogs import ConfirmScreen
from ksef_tui.sync import operators as ops
from ksef_tui.ui.commands import RegistryKeys, bindings_for
from ksef_tui.ui.config import AppConfig
from ksef_tui.widgets.key_bar import KeyBar
from ksef_tui.widgets.safe_text import plain, safe_text


class OperatorsScreen(RegistryKeys, Screen[bool]):
    SCOPE = "operators"
    KEEP_ON_LOCK = True  # a view: back as it was after a lock
    BINDINGS = bindings_for(SCOPE)
    DEFAULT_CSS = """
    OperatorsScreen #title { height: 1; padding: 0 1; background: $primary-darken-3; }
    OperatorsScreen DataTable { height: 1fr; }
    OperatorsScreen #note { height: auto; padding: 0 1; border-top: solid $primary-darken-2; }
    """

    def __init__(self, services: AppConfig) -> None:
        super().__init__()
        self.services = services
        self.operators: list[ops.OperatorInfo] = []
        self.total = 0
        self.recovery = True
        self.changed = False

    def compose(self) -> ComposeResult:
        yield Static("", id="title")
        yield DataTable(cursor_type="row", id="operators")
        yield Static("", id="note")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label, width in (
            (_("Login"), 14),
            (_("Name"), 24),
            (_("Role"), 14),
            (_("Clients"), 9),
            (_("Passphrase"), 14),
        ):
            table.add_column(label, width=width)
        table.focus()
        self._load()

    @property
    def _store(self) -> Any:
        store = self.services.store
        assert store is not None
        return store

    @work(thread=True, exclusive=True, group="operators")
    def _load(self) -> None:
        try:
            found = ops.list_operators(self._store)
            total = ops.office_client_count(self._store)
            recovery = ops.has_recovery_key(self._store)
        except ops.StoreProblem as err:
            self.app.call_from_thread(self.notify, str(err), severity="error")
            return
        self.app.call_from_thread(self._show, found, total, recovery)

    def _show(self, found: list[ops.OperatorInfo], total: int, recovery: bool) -> None:
        self.operators, self.total, self.recovery = found, total, recovery
        table = self.query_one(DataTable)
        row = table.cursor_row
        table.clear()
        for o in found:
            clients = _("all") if o.client_ids is None else f"{len(o.client_ids)}/{total}"
            must = Text(_("to change"), style="yellow") if o.must_change else Text(_("set"))
            table.add_row(
                plain(o.login, no_wrap=True, overflow="ellipsis"),
                plain(o.name, no_wrap=True, overflow="ellipsis"),
                role_label(o.role),
                clients,
                must,
            )
        if found:
            table.move_cursor(row=min(row, len(found) - 1))
        title = Text()
        title.append(_("Operators"), style="bold")
        title.append(" " + _("({n}; the office has {total} clients)").format(n=len(found), total=total))
        self.query_one("#title", Static).update(safe_text(title))
        note = _(
            "An operator's key opens only the clients assigned to them. A new or reset passphrase must be"
            " changed at the first unlock."
        )
        if not recovery:
            note += " " + _("This store has no recovery key yet: press k to make one (once).")
        self.query_one("#note", Static).update(escape(note))

    def _selected(self) -> ops.OperatorInfo | None:
        table = self.query_one(DataTable)
        if not self.operators or not 0 <= table.cursor_row < len(self.operators):
            self.notify(_("Select an operator first."), severity="warning")
            return None
        return self.operators[table.cursor_row]

    def _selected_operator(self) -> ops.OperatorInfo | None:
        chosen = self._selected()
        if chosen is not None and chosen.role is OfficeRole.ADMINISTRATOR:
            self.notify(_("An administrator has every client; nothing to choose."), severity="warning")
            return None
        return chosen

    def _run(self, work_fn: Callable[[], object], done: str) -> None:
        """Run a use case in a thread, then say `done` and reload (or say what refused it)."""

        def body() -> None:
            try:
                work_fn()
            except ops.StoreProblem as err:
                self.app.call_from_thread(self.notify, str(err), severity="error")
                return
            self.changed = True
            self.app.call_from_thread(self.notify, done)
            self.app.call_from_thread(self._load)

        self.run_worker(body, thread=True, exclusive=True, group="operators-change")

    # -- actions ----------------------------------------------------------------------------------------

    def action_add(self) -> None:
        def added(result: tuple[str, str, OfficeRole, str] | None) -> None:
            if result is None:
                return
            login, name, role, passphrase = result
            self._run(
                lambda: ops.add_operator(self._store, login, name, passphrase, role),
                _("Operator {login} added: now choose their clients (c).").format(login=login),
            )

        self.app.push_screen(OperatorFormScreen(), callback=added)

    def action_clients(self) -> None:
        chosen = self._selected_operator()
        if chosen is None:
            return
        try:
            choices = ops.client_choices(self._store)
        except ops.StoreProblem as err:
            self.notify(str(err), severity="error")
            return

        def picked(ids: list[int] | None) -> None:
            if ids is None:
                return
            self._run(
                lambda: ops.set_operator_clients(self._store, chosen.login, ids),
                _("Clients of {login} saved ({n}).").format(login=chosen.login, n=len(ids)),
            )

        screen = ClientChecklistScreen(chosen.login, choices, set(chosen.client_ids or ()))
        self.app.push_screen(screen, callback=picked)

    def action_reset(self) -> None:
        chosen = self._selected_operator()
        if chosen is None:
            return

        def reset(passphrase: str | None) -> None:
            if passphrase:
                self._run(
                    lambda: ops.reset_passphrase(self._store, chosen.login, passphrase),
                    _("Passphrase of {login} reset; it must be changed at the next unlock.").format(
                        login=chosen.login
                    ),
                )

        self.app.push_screen(NewPassphraseScreen(chosen.login), callback=reset)

    def action_remove(self) -> None:
        chosen = self._selected_operator()
        if chosen is None:
            return

        def confirmed(ok: bool | None) -> None:
            if ok:
                self._run(
                    lambda: ops.remove_operator(self._store, chosen.login),
                    _("Operator {login} removed.").format(login=chosen.login),
                )

        body = _(
            "Their key slot and every client key wrapped for them are deleted; their passphrase opens"
            " nothing any more. Their audit entries stay."
        )
        title = _("Remove operator {login}?").format(login=chosen.login)
        self.app.push_screen(ConfirmScreen(title, body), callback=confirmed)

    def action_recovery_key(self) -> None:
        if self.recovery:
            self.notify(_("This store already has a recovery key."), severity="warning")
            return
        try:
            words = ops.create_recovery_key(self._store)
        except ops.StoreProblem as err:
            self.notify(str(err), severity="error")
            return
        self.recovery = True

        def shown(_ok: bool | None) -> None:
            self._load()

        self.app.push_screen(RecoveryWordsScreen(words), callback=shown)

    def action_back(self) -> None:
        self.dismiss(self.changed)


class OperatorFormScreen(RegistryKeys, ModalScreen[tuple[str, str, OfficeRole, str] | None]):
    """Login, name, role and the initial passphrase (twice) of a new operator; F2 or Enter saves."""

    SCOPE = "form"
    BINDINGS = bindings_for(SCOPE)
    DEFAULT_CSS = """
    OperatorFormScreen .dialog { width: 70; height: auto; }
    OperatorFormScreen .row { height: 1; }
    OperatorFormScreen .row Label { width: 24; }
    OperatorFormScreen .row Input, OperatorFormScreen .row Select { width: 1fr; }
    OperatorFormScreen #message { color: $error; height: auto; }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll(classes="dialog"):
            yield Static(escape(_("New operator")), classes="dialog-title")
            with Horizontal(classes="row"):
                yield Label(_("Login"))
                yield Input(id="login", compact=True, placeholder="ania")
            with Horizontal(classes="row"):
                yield Label(_("Name"))
                yield Input(id="name", compact=True)
            with Horizontal(classes="row"):
                yield Label(_("Role"))
                yield Select(
                    [(role_label(r), r.value) for r in OPERATOR_ROLES],
                    value=OfficeRole.ACCOUNTANT.value,
                    allow_blank=False,
                    compact=True,
                    id="role",
                )
            with Horizontal(classes="row"):
                yield Label(_("Initial passphrase"))
                yield Input(id="passphrase", password=True, compact=True)
            with Horizontal(classes="row"):
                yield Label(_("Repeat the passphrase"))
                yield Input(id="repeat", password=True, compact=True)
            yield Static(
                escape(_("Give the initial passphrase to the operator in person; they change it at once.")),
                classes="hint",
            )
            yield Static("", id="message")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#login", Input).focus()

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        self.action_save()

    def action_save(self) -> None:
        from ksef_tui.core.operators import normalise_login

        value = {
            key: self.query_one(f"#{key}", Input).value for key in ("login", "name", "passphrase", "repeat")
        }
        try:
            login = normalise_login(value["login"])
        except ValueError as err:
            self._say(str(err))
            return
        if not value["name"].strip():
            self._say(_("The operator's name must not be empty."))
            return
        if len(value["passphrase"]) < MIN_LENGTH:
            self._say(_("The passphrase must have at least {n} characters.").format(n=MIN_LENGTH))
            return
        if value["passphrase"] != value["repeat"]:
            self._say(_("The two passphrases differ. Type them again."))
            return
        role = OfficeRole(str(self.query_one("#role", Select).value))
        self.dismiss((login, value["name"].strip(), role, value["passphrase"]))

    def _say(self, message: str) -> None:
        self.query_one("#message", Static).update(escape(message))

    def action_cancel(self) -> None:
        self.dismiss(None)


class NewPassphraseScreen(RegistryKeys, ModalScreen[str | None]):
    """A new initial passphrase for an operator (twice)."""

    SCOPE = "form"
    BINDINGS = bindings_for(SCOPE)
    DEFAULT_CSS = """
    NewPassphraseScreen .dialog { width: 64; height: auto; }
    NewPassphraseScreen #message { color: $error; height: auto; }
    """

    def __init__(self, login: str) -> None:
        super().__init__()
        self.login = login

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(
                escape(_("Reset the passphrase of {login}").format(login=self.login)), classes="dialog-title"
            )
            yield Static(
                escape(
                    _(
                        "New key material is made: the old passphrase (and any copy of the old key slot)"
                        " opens nothing. The operator changes the new passphrase at the next unlock."
                    )
                )
            )
            yield Label(_("New passphrase"))
            yield Input(id="passphrase", password=True)
            yield Label(_("Repeat the passphrase"))
            yield Input(id="repeat", password=True)
            yield Static("", id="message")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#passphrase", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "passphrase":
            self.query_one("#repeat", Input).focus()
            return
        self.action_save()

    def action_save(self) -> None:
        new = self.query_one("#passphrase", Input).value
        if len(new) < MIN_LENGTH:
            self.query_one("#message", Static).update(
                escape(_("The passphrase must have at least {n} characters.").format(n=MIN_LENGTH))
            )
            return
        if new != self.query_one("#repeat", Input).value:
            self.query_one("#message", Static).update(
                escape(_("The two passphrases differ. Type them again."))
            )
            return
        self.dismiss(new)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ClientChecklistScreen(RegistryKeys, ModalScreen[list[int] | None]):
    """Every client with a mark for those assigned to the operator; Space marks, F2 saves."""

    SCOPE = "checklist"
    BINDINGS = bindings_for(SCOPE)
    DEFAULT_CSS = """
    ClientChecklistScreen .dialog { width: 80%; height: 80%; }
    ClientChecklistScreen SelectionList { height: 1fr; }
    """

    def __init__(self, login: str, choices: list[tuple[int, str]], assigned: set[int]) -> None:
        super().__init__()
        self.login = login
        self.choices = choices
        self.assigned = assigned

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(escape(_("Clients of {login}").format(login=self.login)), classes="dialog-title")
            yield SelectionList[int](
                *((plain(label, no_wrap=True), cid, cid in self.assigned) for cid, label in self.choices),
                id="clients",
            )
            yield Static("", id="count", classes="hint")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(SelectionList).focus()
        self._count()

    def on_selection_list_selected_changed(self, _event: SelectionList.SelectedChanged[int]) -> None:
        self._count()

    def _count(self) -> None:
        n = len(self.query_one(SelectionList).selected)
        self.query_one("#count", Static).update(
            escape(_("{n} of {total} marked · Space marks · F2 saves").format(n=n, total=len(self.choices)))
        )

    def action_toggle(self) -> None:  # type: ignore[override]  # the registry's "toggle", not DOMNode's
        selection = self.query_one(SelectionList)
        if selection.highlighted is not None:
            selection.toggle(selection.get_option_at_index(selection.highlighted).value)

    def action_save(self) -> None:
        self.dismiss(sorted(self.query_one(SelectionList).selected))

    def action_cancel(self) -> None:
        self.dismiss(None)


def recovery_title() -> str:  # the same words as `ksef-tui init` prints
    return _("RECOVERY KEY: write these 24 words down and keep them in the office safe.")


def recovery_note() -> str:
    return _("They are shown only now and are not stored anywhere; with them the store can be opened.")


class RecoveryWordsScreen(RegistryKeys, ModalScreen[bool]):
    """The recovery key's 24 words, shown this once."""

    SCOPE = "confirm"
    BINDINGS = bindings_for(SCOPE)
    DEFAULT_CSS = """
    RecoveryWordsScreen .dialog { width: 72; height: auto; }
    RecoveryWordsScreen #words { padding: 1 2; text-style: bold; }
    """

    def __init__(self, words: list[str]) -> None:
        super().__init__()
        self.words = words

    def compose(self) -> ComposeResult:
        rows = [
            "  ".join(f"{row + i + 1:>2}. {w}" for i, w in enumerate(self.words[row : row + 6]))
            for row in range(0, len(self.words), 6)
        ]
        with Vertical(classes="dialog"):
            yield Static(escape(_("Recovery key")), classes="dialog-title")
            yield Static(escape(recovery_title()))
            yield Static(escape("\n".join(rows)), id="words")
            yield Static(escape(recovery_note()), classes="hint")
        yield KeyBar()

    def action_confirm(self) -> None:
        self.words = []
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.action_confirm()

"""The approval queue's small dialogs: a yes/no question (approve N invoices for X zł?, delete a rule?) and
one value asked for (the confidence threshold, the reason to exclude), checked as it is typed."""

from __future__ import annotations

from collections.abc import Callable

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from ksef_tui.core.i18n import _
from ksef_tui.ui.commands import RegistryKeys, bindings_for
from ksef_tui.widgets.key_bar import KeyBar
from ksef_tui.widgets.safe_text import plain


class ConfirmScreen(RegistryKeys, ModalScreen[bool]):
    """One question; Enter (or y / t) confirms, Esc (or n) cancels. Dismissed with the answer."""

    SCOPE = "confirm"
    BINDINGS = bindings_for(SCOPE)
    DEFAULT_CSS = """
    ConfirmScreen .dialog { width: 64; }
    """

    def __init__(self, title: str, body: str) -> None:
        super().__init__()
        self.title_text = title
        self.body = body

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(plain(self.title_text), classes="dialog-title")
            yield Static(plain(self.body), id="body")
            yield Static(plain(_("Enter confirms · Esc cancels")), classes="hint")
        yield KeyBar()

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


class AskScreen(RegistryKeys, ModalScreen[str | None]):
    """One value: `check` returns the error for a value ("" when it is fine), shown as it is typed; Enter
    or F2 gives the value, Esc None."""

    SCOPE = "form"
    BINDINGS = bindings_for(SCOPE)
    DEFAULT_CSS = """
    AskScreen .dialog { width: 64; }
    AskScreen #error { color: $error; height: auto; min-height: 1; }
    """

    def __init__(
        self, title: str, prompt: str, value: str = "", check: Callable[[str], str] | None = None
    ) -> None:
        super().__init__()
        self.title_text = title
        self.prompt = prompt
        self.value = value
        self.check = check or (lambda _value: "")

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Static(plain(self.title_text), classes="dialog-title")
            yield Static(plain(self.prompt))
            yield Input(value=self.value, id="value")
            yield Static("", id="error")
            yield Static(plain(_("Enter or F2 confirms · Esc cancels")), classes="hint")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#value", Input).focus()

    @on(Input.Changed, "#value")
    def _changed(self, event: Input.Changed) -> None:
        self.query_one("#error", Static).update(plain(self.check(event.value)))

    @on(Input.Submitted, "#value")
    def _submitted(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        value = self.query_one("#value", Input).value
        error = self.check(value)
        if error:
            self.query_one("#error", Static).update(plain(error))
            return
        self.dismiss(value.strip())

    def action_cancel(self) -> None:
        self.dismiss(None)


def check_threshold(value: str) -> str:
    text = value.strip().rstrip("%").strip()
    if not text.isdigit() or not 0 <= int(text) <= 100:
        return _("A whole number from 0 to 100.")
    return ""


def check_reason(value: str) -> str:
    return "" if value.strip() else _("Say why (e.g. a private purchase): the audit log keeps it.")

"""Help: every key of the current screen, generated from the command registry."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.table import Table
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from ksef_tui.core.i18n import _
from ksef_tui.ui.commands import RegistryKeys, back_help, bindings_for, commands_for, key_label


class HelpScreen(RegistryKeys, ModalScreen[None]):
    SCOPE = "help"
    BINDINGS = bindings_for(SCOPE)

    def __init__(self, scope: str, widget_scopes: Sequence[str] = (), below: object | None = None) -> None:
        super().__init__()
        self.scope = scope
        self.widget_scopes = tuple(widget_scopes)
        self.below = below  # the screen under the one whose keys these are: where its Esc returns

    @classmethod
    def for_screen(cls, screen: Screen[Any]) -> HelpScreen:
        """The help of `screen`: its keys, the global ones, and those of its widgets that have keys."""
        widget_scopes = (getattr(widget, "SCOPE", None) for widget in screen.query("*"))
        stack = screen.app.screen_stack
        below = stack[stack.index(screen) - 1] if screen in stack and stack.index(screen) > 1 else None
        return cls(getattr(screen, "SCOPE", "global"), [s for s in dict.fromkeys(widget_scopes) if s], below)

    def rows(self) -> list[tuple[str, str]]:
        """(keys, what they do), one row per thing done: keys doing the same (`q` and `ctrl+q`, `1`…`9`)
        share a row, so nothing is listed twice."""
        commands = commands_for(self.scope) + [
            c for scope in self.widget_scopes for c in commands_for(scope, include_global=False)
        ]
        keys_by_help: dict[str, list[str]] = {}
        for command in commands:
            keys_by_help.setdefault(back_help(command, self.below), []).append(key_label(command))
        rows = [(_keys_text(keys), sentence) for sentence, keys in keys_by_help.items()]
        rows.append(
            (
                "ctrl+p",
                _("Command palette: this screen's commands, a client by name or NIP, an invoice by number"),
            )
        )
        return rows

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, padding=(0, 2, 0, 0))
        table.add_column(style="bold")
        table.add_column()
        for keys, sentence in self.rows():
            table.add_row(keys, sentence)
        with VerticalScroll(classes="dialog"):
            yield Static(_("Keys"), classes="dialog-title")
            yield Static(table)
            yield Static(_("Esc closes this help."), classes="hint")

    def action_dismiss_help(self) -> None:
        self.dismiss(None)


def _keys_text(labels: Sequence[str]) -> str:
    """ "q / ctrl+q"; a run of digits as "1–9"."""
    unique = list(dict.fromkeys(k for label in labels for k in label.split(" / ")))
    digits = [int(k) for k in unique if k.isdigit() and len(k) == 1]
    if len(digits) > 2 and len(digits) == len(unique) and digits == list(range(digits[0], digits[-1] + 1)):
        return f"{digits[0]}–{digits[-1]}"
    return " / ".join(unique)

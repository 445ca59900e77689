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
from ksef_tui.ui.commands import RegistryKeys, bindings_for, commands_for, key_label


class HelpScreen(RegistryKeys, ModalScreen[None]):
    SCOPE = "help"
    BINDINGS = bindings_for(SCOPE)

    def __init__(self, scope: str, widget_scopes: Sequence[str] = ()) -> None:
        super().__init__()
        self.scope = scope
        self.widget_scopes = tuple(widget_scopes)

    @classmethod
    def for_screen(cls, screen: Screen[Any]) -> HelpScreen:
        """The help of `screen`: its keys, the global ones, and those of its widgets that have keys."""
        widget_scopes = (getattr(widget, "SCOPE", None) for widget in screen.query("*"))
        return cls(getattr(screen, "SCOPE", "global"), [s for s in dict.fromkeys(widget_scopes) if s])

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, padding=(0, 2, 0, 0))
        table.add_column(style="bold")
        table.add_column()
        for command in commands_for(self.scope):
            table.add_row(key_label(command), _(command.help))
        shown = {(c.keys, c.help) for c in commands_for(self.scope)}
        for scope in self.widget_scopes:
            for command in commands_for(scope, include_global=False):
                if (command.keys, command.help) not in shown:
                    shown.add((command.keys, command.help))
                    table.add_row(key_label(command), _(command.help))
        table.add_row("ctrl+p", _("Command palette: this screen's commands, a client by name or NIP"))
        with VerticalScroll(classes="dialog"):
            yield Static(_("Keys"), classes="dialog-title")
            yield Static(table)
            yield Static(_("Esc closes this help."), classes="hint")

    def action_dismiss_help(self) -> None:
        self.dismiss(None)

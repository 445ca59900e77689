"""Help: every key of the current screen, generated from the command registry."""

from __future__ import annotations

from rich.table import Table
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from ksef_tui.core.i18n import _
from ksef_tui.ui.commands import apply_bindings, commands_for, key_label


class HelpScreen(ModalScreen[None]):
    SCOPE = "help"

    def __init__(self, scope: str) -> None:
        super().__init__()
        self.scope = scope
        apply_bindings(self, self.SCOPE)

    def compose(self) -> ComposeResult:
        table = Table(box=None, show_header=False, padding=(0, 2, 0, 0))
        table.add_column(style="bold")
        table.add_column()
        for command in commands_for(self.scope):
            table.add_row(key_label(command), _(command.help))
        table.add_row("ctrl+p", _("Command palette: jump to a client by name or NIP"))
        with VerticalScroll(classes="dialog"):
            yield Static(_("Keys"), classes="dialog-title")
            yield Static(table)
            yield Static(_("Esc closes this help."), classes="hint")

    def action_dismiss_help(self) -> None:
        self.dismiss(None)

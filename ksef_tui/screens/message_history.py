"""Every message of the session, whole (issue 16 item 4): `F9` on any screen.

A toast is 40 columns wide at 80×24 and goes away; a long KSeF error, the path a UPO was saved to or the
list of clients a refresh could not reach is cut or gone before it is read. The app keeps each message it
shows (`KsefApp.notify`), newest first here, each one whole and wrapped; `c` copies the highlighted one
(OSC 52, as the grant request does). The history lives in memory only and is forgotten when the store
locks: messages name clients.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rich.text import Text
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from ksef_tui.core.clock import WARSAW
from ksef_tui.core.i18n import _
from ksef_tui.ui.commands import RegistryKeys, bindings_for
from ksef_tui.widgets.key_bar import KeyBar
from ksef_tui.widgets.safe_text import plain
from ksef_tui.widgets.tones import Tone, tone_style

LIMIT = 500  # the oldest go first past this many


@dataclass(frozen=True)
class Notice:
    at: datetime
    severity: str  # Textual's: "information", "warning", "error"
    title: str
    text: str

    def copy_text(self) -> str:
        return f"{self.title}\n{self.text}" if self.title else self.text


SEVERITY = {"error": ("✖", Tone.ALARM), "warning": ("▲", Tone.WARN)}


def remember(history: list[Notice], notice: Notice) -> None:
    history.append(notice)
    del history[:-LIMIT]


def record(app: object, notice: Notice) -> None:
    """Keep `notice` in the app's history without a toast (a result line, a progress bar's last word)."""
    history = getattr(app, "notices", None)
    if isinstance(history, list):
        remember(history, notice)


class MessageHistoryScreen(RegistryKeys, Screen[None]):
    SCOPE = "message_history"
    BINDINGS = bindings_for(SCOPE)
    DEFAULT_CSS = """
    MessageHistoryScreen #title { height: 1; padding: 0 1; background: $primary-background-darken-2; }
    MessageHistoryScreen OptionList { height: 1fr; border: none; padding: 0 1; }
    MessageHistoryScreen #status { height: auto; padding: 0 1; background: $secondary-background-darken-1; }
    """

    def __init__(self, history: list[Notice]) -> None:
        super().__init__()
        self.notices = list(reversed(history))  # newest first

    def compose(self) -> ComposeResult:
        title = _("Messages of this session: {n}").format(n=len(self.notices))
        yield Static(plain(title, style="bold"), id="title")
        yield OptionList(*(Option(self._prompt(n)) for n in self.notices), id="messages")
        yield Static(
            plain(
                _("c copies the highlighted message · Esc goes back")
                if self.notices
                else _("No messages yet in this session.")
            ),
            id="status",
        )
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def _prompt(self, notice: Notice) -> Text:
        glyph, tone = SEVERITY.get(notice.severity, ("·", None))
        text = Text()
        text.append(f"{notice.at.astimezone(WARSAW):%H:%M:%S} ", style="bold")
        text.append(f"{glyph} ", style=tone_style(tone, self.app.no_color))
        if notice.title:
            text.append(plain(notice.title, style="bold"))
            text.append("\n")
        text.append(plain(notice.text))
        return text

    def selected(self) -> Notice | None:
        index = self.query_one(OptionList).highlighted
        return self.notices[index] if index is not None and 0 <= index < len(self.notices) else None

    def action_copy(self) -> None:
        notice = self.selected()
        if notice is None:
            return
        self.app.copy_to_clipboard(notice.copy_text())
        self.query_one("#status", Static).update(plain(_("Copied to the clipboard.")))

    def action_back(self) -> None:
        self.dismiss(None)

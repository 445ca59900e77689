"""Lines under the board: everything about the selected client that the table had to cut, and its
readiness for 2027 in words."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from ksef_tui.core.board import BoardEntry, ready_words
from ksef_tui.core.health import Level
from ksef_tui.core.i18n import _
from ksef_tui.core.nip import format_nip
from ksef_tui.widgets.client_table import APP_STEPS, LEVEL_STYLE, READY_STYLE
from ksef_tui.widgets.safe_text import safe_text


class ClientDetail(Static):
    DEFAULT_CSS = """
    ClientDetail { height: 5; padding: 0 1; border-top: solid $primary-darken-2; }
    """

    def show(self, entry: BoardEntry | None) -> None:
        if entry is None:
            self.update(_("No client selected."))
            return
        client = entry.client
        text = Text(no_wrap=False, overflow="ellipsis")
        text.append(f"{entry.health.glyph} ", style=LEVEL_STYLE[entry.level])
        text.append(client.name, style="bold")
        text.append(f"  {client.short_code} · NIP {' · '.join(format_nip(n) for n in client.nips)}")
        text.append("\n")
        text.append(
            entry.health.said(APP_STEPS),
            style=LEVEL_STYLE[entry.level] if entry.level is not Level.GREEN else "",
        )
        if entry.readiness is not None:  # before the credential line: that one is cut first
            ready = entry.readiness.ready
            text.append("\n")
            text.append(f"2027: {entry.ready_glyph} {ready_words(ready)}", style=READY_STYLE[ready])
            text.append(f" — {entry.readiness.reason}")
        text.append("\n")
        text.append(
            _("Credential: {kind} · expires: {expires} · last live check: {checked}").format(
                kind=entry.credential_kind, expires=entry.expires_words, checked=entry.last_check_words
            ),
            style="dim",
        )
        self.update(safe_text(text))  # a client's name and KSeF's words: no control or bidi characters

"""Lines under the board: everything about the selected client that the table had to cut, and its
readiness for 2027 in words.

Each line fits the width by leaving whole phrases out (widgets/phrases.py), never by cutting the end of
one: at 80 columns the credential line leaves out the expiry (the table shows it) and keeps
"sprawdzony w KSeF: 4 godziny temu" whole.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual.widgets import Static

from ksef_tui.core.board import BoardEntry, ready_words
from ksef_tui.core.health import Level
from ksef_tui.core.i18n import _
from ksef_tui.core.nip import format_nip
from ksef_tui.widgets.client_table import APP_STEPS
from ksef_tui.widgets.phrases import fit_phrases, sentences
from ksef_tui.widgets.safe_text import safe_text
from ksef_tui.widgets.tones import LEVEL_TONE, READY_TONE, tone_style

PADDING = 2  # the widget's padding, left and right


class ClientDetail(Static):
    DEFAULT_CSS = """
    ClientDetail { height: 5; padding: 0 1; border-top: solid $primary-darken-2; }
    """

    _entry: BoardEntry | None = None

    def on_resize(self) -> None:
        if self._entry is not None:
            self.show(self._entry)

    def show(self, entry: BoardEntry | None) -> None:
        self._entry = entry
        if entry is None:
            self.update(_("No client selected."))
            return
        width = max(20, (self.size.width or self.app.size.width) - PADDING)
        no_color = self.app.no_color
        alarm = tone_style(LEVEL_TONE[entry.level], no_color)
        client = entry.client
        text = Text(no_wrap=True, overflow="ellipsis")
        text.append(f"{entry.health.glyph} ", style=alarm)
        ident = fit_phrases(
            [(client.short_code, 1), ("NIP " + " · ".join(format_nip(n) for n in client.nips), 2)], width
        )
        name_width = width - 2 - (cell_len(ident) + 2 if ident else 0)
        name = fit_phrases([(client.name, 0)], max(10, name_width))
        text.append(name, style="bold")
        if cell_len(name) + cell_len(ident) + 4 <= width:
            text.append(f"  {ident}")
        text.append("\n")
        reason_style = alarm if entry.level is not Level.GREEN else ""
        text.append(fit_phrases(sentences(entry.health.said(APP_STEPS)), width, sep=" "), style=reason_style)
        if entry.readiness is not None:  # before the credential line: that one is cut first
            ready = entry.readiness.ready
            head = f"2027: {entry.ready_glyph} {ready_words(ready)}"
            text.append("\n")
            text.append(head, style=tone_style(READY_TONE[ready], no_color))
            rest = width - cell_len(head) - 3
            if rest > 0:
                text.append(" — " + fit_phrases(sentences(entry.readiness.reason), rest, sep=" "))
        text.append("\n")
        credential = fit_phrases(
            [
                (_("Credential: {kind}").format(kind=entry.credential_kind), 0),
                (_("expires: {expires}").format(expires=entry.expires_words), 2),  # the table shows it
                (_("last live check: {checked}").format(checked=entry.last_check_words), 1),
            ],
            width,
        )
        text.append(credential, style="italic")
        self.update(safe_text(text))  # a client's name and KSeF's words: no control or bidi characters

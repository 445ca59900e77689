"""The health board's table: a line table (widgets/line_table.py) that draws only the rows on screen.

DataTable measures every cell of every row whenever rows are added, which made each filter keystroke
at 500 clients cost ~150 ms. The board's columns have fixed widths, so nothing needs measuring: this
widget keeps the entries in a list, and a filter only swaps the list and repaints the visible lines.
It receives entries and shows them; it never touches the store.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ksef_tui.core.board import BoardEntry
from ksef_tui.core.health import Level, NextStep
from ksef_tui.core.i18n import N_, _
from ksef_tui.core.readiness import Ready
from ksef_tui.ui.commands import bindings_for
from ksef_tui.widgets.line_table import Cell, Column, LineTable, fit
from ksef_tui.widgets.tones import LEVEL_TONE, READY_TONE, Tone, tone_style

__all__ = ["LEVEL_STYLE", "READY_STYLE", "WIDE", "ClientTable", "fit"]

# The colours of the tones (widgets/tones.py), for Rich text outside the table; the table draws tones.
LEVEL_STYLE = {level: tone_style(tone) for level, tone in LEVEL_TONE.items()}
READY_STYLE: dict[Ready, str] = {ready: tone_style(tone) for ready, tone in READY_TONE.items()}
# The next step a health reason asks for, as the app says it (the CLI names its command instead).
APP_STEPS = {NextStep.CHECK: N_("Press c to check.")}
WIDE = 110  # from this width the table also shows NIP, credential kind and last live check


def board_columns(wide: bool) -> tuple[Column, ...]:
    glyph = Column("glyph", " ", 1)
    code = Column("code", _("Code"), 12)
    name = Column("name", _("Client"), 22, grow=30)
    expires = Column("expires", _("Expires"), 11)
    ready = Column("ready", "2027", 4)  # readiness for 2027-01-01: ✓ ready, ½ partly, ✗ not
    reason = Column("reason", _("Reason"), 12)  # the flexible last column
    if not wide:
        return (glyph, code, name, expires, ready, reason)
    nip = Column("nip", _("NIP"), 13)
    kind = Column("kind", _("Credential"), 13)
    checked = Column("checked", _("Checked"), 15)
    return (glyph, code, name, nip, kind, expires, checked, ready, reason)


class ClientTable(LineTable, inherit_bindings=False):
    """Rows of BoardEntry; line 0 is the header, which stays put while the rows scroll."""

    # The board's letters are commands (`k` imports a certificate), so this table moves by arrows
    # only: LineTable's vim keys j/k would swallow them.
    SCOPE = "client_table"
    BINDINGS = bindings_for(SCOPE)

    class Highlighted(LineTable.Highlighted):
        def __init__(self, table: LineTable, row: int, entry: BoardEntry | None) -> None:
            super().__init__(table, row)
            self.entry = entry

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._entries: list[BoardEntry] = []

    # --- data ----------------------------------------------------------------------------------

    def show(self, entries: Sequence[BoardEntry], width: int) -> None:
        """Replace the rows with `entries` (already sorted and filtered), keeping the cursor's client."""
        keep = self.selected_client_id()
        self._entries = list(entries)
        self.set_columns(board_columns(width >= WIDE), width)
        index = 0
        if keep is not None:
            index = next((i for i, e in enumerate(self._entries) if e.client.id == keep), 0)
        self.move_cursor(index, force_message=True)

    @property
    def row_count(self) -> int:
        return len(self._entries)

    def selected_entry(self) -> BoardEntry | None:
        if 0 <= self.cursor_row < len(self._entries):
            return self._entries[self.cursor_row]
        return None

    def selected_client_id(self) -> int | None:
        entry = self.selected_entry()
        return entry.client.id if entry else None

    def select_client(self, client_id: int) -> bool:
        for index, entry in enumerate(self._entries):
            if entry.client.id == client_id:
                self.move_cursor(index)
                return True
        return False

    def _post_highlighted(self) -> None:
        self.post_message(self.Highlighted(self, self.cursor_row, self.selected_entry()))

    # --- drawing -------------------------------------------------------------------------------

    def row_cells(self, index: int) -> Mapping[str, Cell]:
        entry = self._entries[index]
        alarm: Tone = LEVEL_TONE[entry.level]
        return {
            "glyph": (entry.health.glyph, alarm),
            "code": (entry.client.short_code, None),
            "name": (entry.client.name, None),
            "nip": (entry.nip_formatted, None),
            "kind": (entry.credential_kind, None),
            "expires": (entry.expires_words, alarm if entry.level is not Level.GREEN else None),
            "checked": (entry.last_check_words, None),
            "ready": (
                f" {entry.ready_glyph}",
                READY_TONE[entry.readiness.ready] if entry.readiness else None,
            ),
            "reason": (entry.health.said(APP_STEPS), alarm if entry.level is Level.RED else None),
        }

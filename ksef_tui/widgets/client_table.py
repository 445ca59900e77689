"""The health board's table. It receives entries and shows them; it never touches the store."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.widgets import DataTable

from ksef_tui.core.board import BoardEntry
from ksef_tui.core.health import Level
from ksef_tui.i18n import _

# Explicit colours: they downgrade to bright red/yellow/green in a 16-colour terminal, where the
# named ANSI colours pass through the theme and can land on magenta.
LEVEL_STYLE = {Level.RED: "bold #ff4040", Level.YELLOW: "#f0c000", Level.GREEN: "#40c040"}
WIDE = 110  # from this width the table also shows NIP, credential kind and last live check
# Fixed column widths; the reason takes what is left (and is shown whole in the detail lines).
NARROW_COLUMNS = {"glyph": 1, "code": 12, "name": 22, "expires": 11}
WIDE_COLUMNS = {"glyph": 1, "code": 12, "name": 22, "nip": 13, "kind": 11, "expires": 11, "checked": 15}


class ClientTable(DataTable[Text | str]):
    DEFAULT_CSS = """
    ClientTable { height: 1fr; }
    """

    def __init__(self, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self._wide: bool | None = None
        self._entries: list[BoardEntry] = []

    def show(self, entries: Sequence[BoardEntry], width: int) -> None:
        """Replace the rows with `entries` (already sorted and filtered), keeping the cursor's client."""
        keep = self.selected_client_id()
        wide = width >= WIDE
        if wide != self._wide:
            self._columns_for(width, wide)
        self.clear()
        self._entries = list(entries)
        reason_width = self._reason_width(width, wide)
        self.add_rows(self._row(e, wide, reason_width) for e in self._entries)
        # Row keys are the row index (add_rows), so find the kept client by position.
        if keep is not None:
            for index, entry in enumerate(self._entries):
                if entry.client.id == keep:
                    self.move_cursor(row=index)
                    break

    def _columns_for(self, width: int, wide: bool) -> None:
        self.clear(columns=True)
        self._wide = wide
        cols = WIDE_COLUMNS if wide else NARROW_COLUMNS
        labels = {
            "glyph": " ",
            "code": _("Code"),
            "name": _("Client"),
            "nip": _("NIP"),
            "kind": _("Credential"),
            "expires": _("Expires"),
            "checked": _("Checked"),
        }
        for key, col_width in cols.items():
            self.add_column(labels[key], width=col_width)
        self.add_column(_("Reason"), width=self._reason_width(width, wide))

    @staticmethod
    def _reason_width(width: int, wide: bool) -> int:
        cols = WIDE_COLUMNS if wide else NARROW_COLUMNS
        # Two cells of padding per column (reason included), one for the scrollbar.
        return max(12, width - sum(cols.values()) - 2 * (len(cols) + 1) - 1)

    @staticmethod
    def _row(entry: BoardEntry, wide: bool, reason_width: int) -> list[Text | str]:
        style = LEVEL_STYLE[entry.level]
        name = Text(entry.client.name, overflow="ellipsis", no_wrap=True)
        reason = Text(
            entry.health.reason,
            style=style if entry.level is Level.RED else "",
            overflow="ellipsis",
            no_wrap=True,
        )
        row: list[Text | str] = [
            Text(entry.health.glyph, style=style),
            Text(entry.client.short_code),
            name,
        ]
        if wide:
            row.append(entry.nip_formatted)
            row.append(Text(entry.credential_kind))
        row.append(Text(entry.expires_words, style=style if entry.level is not Level.GREEN else ""))
        if wide:
            row.append(Text(entry.last_check_words))
        row.append(reason)
        return row

    def selected_entry(self) -> BoardEntry | None:
        if not self._entries or self.cursor_row < 0 or self.cursor_row >= len(self._entries):
            return None
        return self._entries[self.cursor_row]

    def selected_client_id(self) -> int | None:
        entry = self.selected_entry()
        return entry.client.id if entry else None

    def select_client(self, client_id: int) -> bool:
        for index, entry in enumerate(self._entries):
            if entry.client.id == client_id:
                self.move_cursor(row=index)
                return True
        return False

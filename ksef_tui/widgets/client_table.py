"""The health board's table: a line-API widget that draws only the rows on screen.

DataTable measures every cell of every row whenever rows are added, which made each filter keystroke
at 500 clients cost ~150 ms. The board's columns have fixed widths, so nothing needs measuring: this
widget keeps the entries in a list, and a filter only swaps the list and repaints the visible lines.
It receives entries and shows them; it never touches the store.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ksef_tui.core.board import BoardEntry
from ksef_tui.core.health import Level
from ksef_tui.i18n import _

# Explicit colours: they downgrade to bright red/yellow/green in a 16-colour terminal, where the
# named ANSI colours pass through the theme and can land on magenta.
LEVEL_STYLE = {Level.RED: "bold #ff4040", Level.YELLOW: "#f0c000", Level.GREEN: "#40c040"}
WIDE = 110  # from this width the table also shows NIP, credential kind and last live check
GAP = 2  # spaces between columns


@dataclass(frozen=True)
class Column:
    key: str
    width: int


NARROW_COLUMNS = (Column("glyph", 1), Column("code", 12), Column("name", 22), Column("expires", 11))
WIDE_COLUMNS = (
    Column("glyph", 1),
    Column("code", 12),
    Column("name", 22),
    Column("nip", 13),
    Column("kind", 13),
    Column("expires", 11),
    Column("checked", 15),
)


def fit(text: str, width: int) -> str:
    """`text` cut to `width` cells (with an ellipsis) and padded to exactly `width`."""
    if cell_len(text) > width:
        return set_cell_size(text, max(0, width - 1)) + "…"
    return set_cell_size(text, width)


class ClientTable(ScrollView, can_focus=True):
    """Rows of BoardEntry; line 0 is the header, which stays put while the rows scroll."""

    DEFAULT_CSS = """
    ClientTable { height: 1fr; overflow-x: hidden; }
    """
    COMPONENT_CLASSES = {"client-table--header", "client-table--cursor"}
    BINDINGS = [
        Binding("up,k", "cursor(-1)", show=False),
        Binding("down,j", "cursor(1)", show=False),
        Binding("pageup", "page(-1)", show=False),
        Binding("pagedown", "page(1)", show=False),
        Binding("home", "edge(0)", show=False),
        Binding("end", "edge(1)", show=False),
    ]
    DEFAULT_CSS += """
    ClientTable > .client-table--header { text-style: bold; background: $panel; }
    ClientTable > .client-table--cursor { background: $accent 40%; }
    ClientTable:focus > .client-table--cursor { background: $accent; }
    """

    cursor_row: reactive[int] = reactive(0, always_update=True)

    class Highlighted(Message):
        def __init__(self, entry: BoardEntry | None) -> None:
            super().__init__()
            self.entry = entry

    def __init__(self, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(**kwargs)
        self._entries: list[BoardEntry] = []
        self._columns: tuple[Column, ...] = NARROW_COLUMNS
        self._reason_width = 20

    # --- data ----------------------------------------------------------------------------------

    def show(self, entries: Sequence[BoardEntry], width: int) -> None:
        """Replace the rows with `entries` (already sorted and filtered), keeping the cursor's client."""
        keep = self.selected_client_id()
        self._entries = list(entries)
        self._columns = WIDE_COLUMNS if width >= WIDE else NARROW_COLUMNS
        used = sum(c.width for c in self._columns) + GAP * len(self._columns) + 1
        self._reason_width = max(12, width - used - 2)  # leave room for the scrollbar
        self.virtual_size = Size(width, len(self._entries) + 1)
        index = 0
        if keep is not None:
            index = next((i for i, e in enumerate(self._entries) if e.client.id == keep), 0)
        self._move_to(index, force_message=True)
        self.refresh()

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
                self._move_to(index)
                return True
        return False

    # --- cursor --------------------------------------------------------------------------------

    def _move_to(self, index: int, force_message: bool = False) -> None:
        index = max(0, min(index, len(self._entries) - 1)) if self._entries else 0
        changed = index != self.cursor_row
        self.cursor_row = index
        rows_visible = max(1, self.size.height - 1)
        top = int(self.scroll_offset.y)
        if index < top:
            self.scroll_to(y=index, animate=False)
        elif index >= top + rows_visible:
            self.scroll_to(y=index - rows_visible + 1, animate=False)
        self.refresh()
        if changed or force_message:
            self.post_message(self.Highlighted(self.selected_entry()))

    def action_cursor(self, step: int) -> None:
        self._move_to(self.cursor_row + step)

    def action_page(self, direction: int) -> None:
        self._move_to(self.cursor_row + direction * max(1, self.size.height - 2))

    def action_edge(self, end: int) -> None:
        self._move_to(len(self._entries) - 1 if end else 0)

    def on_click(self, event: events.Click) -> None:
        if event.y >= 1:
            self._move_to(int(self.scroll_offset.y) + event.y - 1)

    # --- drawing -------------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        if y == 0:
            return self._header(width, base)
        index = int(self.scroll_offset.y) + y - 1
        if index >= len(self._entries):
            return Strip.blank(width, base)
        segments = self._row(self._entries[index], base)
        if index == self.cursor_row:
            cursor = self.get_component_rich_style("client-table--cursor")
            segments = list(Segment.apply_style(segments, post_style=cursor))
        return Strip(segments).adjust_cell_length(width, base)

    def _header(self, width: int, base: Style) -> Strip:
        style = base + self.get_component_rich_style("client-table--header")
        labels = {
            "glyph": " ",
            "code": _("Code"),
            "name": _("Client"),
            "nip": _("NIP"),
            "kind": _("Credential"),
            "expires": _("Expires"),
            "checked": _("Checked"),
        }
        text = " " + "".join(fit(labels[c.key], c.width) + " " * GAP for c in self._columns)
        text += fit(_("Reason"), self._reason_width)
        return Strip([Segment(text, style)]).adjust_cell_length(width, style)

    def _row(self, entry: BoardEntry, base: Style) -> list[Segment]:
        level = Style.parse(LEVEL_STYLE[entry.level])
        alarm = base + level
        values = {
            "glyph": (entry.health.glyph, alarm),
            "code": (entry.client.short_code, base),
            "name": (entry.client.name, base),
            "nip": (entry.nip_formatted, base),
            "kind": (entry.credential_kind, base),
            "expires": (entry.expires_words, alarm if entry.level is not Level.GREEN else base),
            "checked": (entry.last_check_words, base),
        }
        gap = Segment(" " * GAP, base)
        segments = [Segment(" ", base)]
        for column in self._columns:
            text, style = values[column.key]
            segments += [Segment(fit(text, column.width), style), gap]
        reason_style = alarm if entry.level is Level.RED else base
        segments.append(Segment(fit(entry.health.reason, self._reason_width), reason_style))
        return segments

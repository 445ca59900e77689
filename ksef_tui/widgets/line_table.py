"""A table of fixed-width columns drawn line by line: only the rows on screen are ever rendered.

DataTable measures every cell of every row it is given and renders cells through Rich renderables; with
fixed column widths nothing needs measuring. A subclass says how many rows there are and what the cells
of one row are (`row_count`, `row_cells`); this widget lays the columns out for the width it is given,
draws the header line (which stays put while the rows scroll), the cursor, and posts `Highlighted` and
`Selected` with the row index. It receives data and shows it; it never does I/O.

Layout: one space, then every column at its width followed by two spaces; the last column takes what is
left of the width (less two cells for the scrollbar), at least its own width. On a wide screen a column
that may `grow` (a name) shares what the last one (a reason) has beyond 30 cells. When the width is short,
columns with a `drop` rank are left out, the highest rank first, until the rest fits. A column is never
narrower than its header label, so headers are never cut.

A cell's style is a Rich style string or a `Tone` (widgets/tones.py): a tone is drawn in colour, or with
emphasis by urgency under `NO_COLOR`. The cursor row is the row in reverse video with a `▶` in the first
cell (underlined instead of reversed while the table has no focus): every cell keeps its own colours,
swapped, so the state stays visible and the contrast is the row's own, in every colour mode (issue 16).

Every cell's text passes through `safe_display` here (control and bidi characters from client names,
KSeF messages or invoices become U+FFFD, line breaks a space): the one choke point for every line
table (the board, the session tables).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from ksef_tui.core.display_text import safe_display
from ksef_tui.ui.commands import bindings_for
from ksef_tui.widgets.tones import Tone, tone_style

GAP = 2  # spaces between columns
SCROLLBAR = 2  # cells kept free for the vertical scrollbar
CURSOR_MARK = "▶"  # in the first cell of the cursor row (the cell is a space on other rows)

Part = tuple[str, str | Tone | None]  # text, Rich style string or tone (None: the widget's own style)
Cell = Part | tuple[Part, ...]  # one styled text, or several side by side


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int
    drop: int = 0  # 0: always shown; otherwise left out (highest first) when the width is short
    grow: int = 0  # at most this many cells more on a wide screen (a name), shared with the last column

    @property
    def span(self) -> int:
        return max(self.width, cell_len(self.label))


def fit(text: str, width: int) -> str:
    """`text` made safe to show, cut to `width` cells (with an ellipsis) and padded to exactly `width`."""
    text = safe_display(text)
    if cell_len(text) > width:
        return set_cell_size(text, max(0, width - 1)) + "…"
    return set_cell_size(text, width)


RESERVE = 30  # cells the last (flexible) column keeps before growing columns share the rest


def widths(columns: Sequence[Column], last_width: int) -> list[int]:
    """The width of each column: its own, and on a wide screen the growing ones get half of what the
    last column has beyond `RESERVE` cells (each at most `grow` more); the last one has the rest."""
    *fixed, last = columns
    spare = max(0, last_width - max(RESERVE, last.span)) // 2
    out = []
    for column in fixed:
        more = min(column.grow, spare)
        spare -= more
        out.append(column.span + more)
    given = sum(out) - sum(c.span for c in fixed)
    return [*out, last_width - given]


def lay_out(columns: Sequence[Column], width: int) -> tuple[tuple[Column, ...], int]:
    """The columns that fit in `width` and the width of the last (flexible) one."""
    shown = list(columns)
    while True:
        *fixed, last = shown
        used = 1 + sum(c.span + GAP for c in fixed)
        last_width = width - used - SCROLLBAR
        droppable = [c for c in shown if c.drop]
        if last_width >= last.span or not droppable:
            return tuple(shown), max(last.span, last_width)
        shown.remove(max(droppable, key=lambda c: c.drop))


class LineTable(ScrollView, can_focus=True):
    """Rows drawn on demand; line 0 is the header. Subclasses provide `row_count` and `row_cells`."""

    DEFAULT_CSS = """
    LineTable { height: 1fr; overflow-x: hidden; }
    LineTable > .line-table--header { text-style: bold; background: $secondary-background-darken-1; }
    """
    COMPONENT_CLASSES = {"line-table--header"}
    SCOPE = "line_table"
    BINDINGS = bindings_for(SCOPE)

    cursor_row: reactive[int] = reactive(0, always_update=True)

    class Highlighted(Message):
        """The cursor moved to `row` (also sent when the rows are replaced)."""

        def __init__(self, table: LineTable, row: int) -> None:
            super().__init__()
            self.table = table
            self.row = row

        @property
        def control(self) -> LineTable:
            return self.table

    class Selected(Message):
        """The row under the cursor was clicked again (Enter is left to the screen's bindings)."""

        def __init__(self, table: LineTable, row: int) -> None:
            super().__init__()
            self.table = table
            self.row = row

        @property
        def control(self) -> LineTable:
            return self.table

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._all_columns: tuple[Column, ...] = ()
        self._columns: tuple[Column, ...] = ()
        self._last_width = 12
        self._width = 0

    # --- what a subclass provides ----------------------------------------------------------------

    @property
    def row_count(self) -> int:
        raise NotImplementedError

    def row_cells(self, index: int) -> Mapping[str, Cell]:
        """The cells of row `index`, by column key (columns left out by the layout are ignored)."""
        raise NotImplementedError

    # --- layout ----------------------------------------------------------------------------------

    def set_columns(self, columns: Sequence[Column], width: int) -> None:
        """Lay `columns` out for `width` cells (the last one is flexible) and repaint."""
        self._all_columns = tuple(columns)
        self._width = width
        self._columns, self._last_width = lay_out(self._all_columns, width)
        self._rows_changed()

    @property
    def columns(self) -> tuple[Column, ...]:
        """The columns shown at the current width."""
        return self._columns

    def _rows_changed(self) -> None:
        """Call after the rows changed: resizes the scrollable area and repaints."""
        self.virtual_size = Size(self._width, self.row_count + 1)
        self.refresh()

    # --- cursor ----------------------------------------------------------------------------------

    def move_cursor(self, row: int, force_message: bool = False) -> None:
        """Put the cursor on `row` (clamped), scroll it into view, say so if it moved."""
        count = self.row_count
        row = max(0, min(row, count - 1)) if count else 0
        changed = row != self.cursor_row
        self.cursor_row = row
        rows_visible = max(1, self.size.height - 1)
        top = int(self.scroll_offset.y)
        if row < top:
            self.scroll_to(y=row, animate=False)
        elif row >= top + rows_visible:
            self.scroll_to(y=row - rows_visible + 1, animate=False)
        self.refresh()
        if changed or force_message:
            self._post_highlighted()

    def _post_highlighted(self) -> None:
        self.post_message(self.Highlighted(self, self.cursor_row))

    def action_cursor(self, step: int) -> None:
        self.move_cursor(self.cursor_row + step)

    def action_page(self, direction: int) -> None:
        self.move_cursor(self.cursor_row + direction * max(1, self.size.height - 2))

    def action_edge(self, end: int) -> None:
        self.move_cursor(self.row_count - 1 if end else 0)

    def on_focus(self) -> None:
        self.refresh()  # the cursor row is drawn differently with and without focus

    def on_blur(self) -> None:
        self.refresh()

    def on_click(self, event: events.Click) -> None:
        if event.y < 1:
            return
        row = int(self.scroll_offset.y) + event.y - 1
        if row >= self.row_count:
            return
        if row == self.cursor_row:
            self.post_message(self.Selected(self, row))
        else:
            self.move_cursor(row)

    # --- drawing ---------------------------------------------------------------------------------

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        base = self.rich_style
        if not self._columns:
            return Strip.blank(width, base)
        if y == 0:
            return self._header(width, base)
        index = int(self.scroll_offset.y) + y - 1
        if index >= self.row_count:
            return Strip.blank(width, base)
        segments = self._row(index, base, self.app.no_color)
        if index == self.cursor_row:
            segments = _cursor(segments, focused=self.has_focus)
        return Strip(segments).adjust_cell_length(width, base)

    def _widths(self) -> list[int]:
        return widths(self._columns, self._last_width)

    def _header(self, width: int, base: Style) -> Strip:
        style = base + self.get_component_rich_style("line-table--header")
        gap = " " * GAP
        text = " " + gap.join(fit(c.label, w) for c, w in zip(self._columns, self._widths(), strict=True))
        return Strip([Segment(text, style)]).adjust_cell_length(width, style)

    def _row(self, index: int, base: Style, no_color: bool = False) -> list[Segment]:
        cells = self.row_cells(index)
        gap = Segment(" " * GAP, base)
        segments = [Segment(" ", base)]
        for column, width in zip(self._columns, self._widths(), strict=True):
            segments += _cell_segments(cells.get(column.key, ("", None)), width, base, no_color)
            segments.append(gap)
        segments.pop()
        return segments


def _cursor(segments: list[Segment], *, focused: bool) -> list[Segment]:
    """The cursor row: the mark in the first cell, every cell reversed (underlined without focus).

    Reverse video is toggled, not set: a cell already reversed (red under `NO_COLOR`) shows plain inside
    the bar, so it still stands out."""
    first, *rest = segments
    out = [Segment(CURSOR_MARK + first.text[1:], first.style)]
    out += rest
    if not focused:
        return [Segment(s.text, (s.style or Style()) + Style(underline=True)) for s in out]
    return [Segment(s.text, _reversed(s.style or Style())) for s in out]


def _reversed(style: Style) -> Style:
    return style + Style(reverse=not style.reverse)


def _style(base: Style, style: str | Tone | None, no_color: bool = False) -> Style:
    if isinstance(style, Tone):
        style = tone_style(style, no_color)
    return base + Style.parse(style) if style else base


def _cell_segments(cell: Cell, width: int, base: Style, no_color: bool = False) -> list[Segment]:
    if not cell or isinstance(cell[0], str):
        text, style = cast(Part, cell) if cell else ("", None)  # cell[0] is a str: one Part
        return [Segment(fit(str(text), width), _style(base, style, no_color))]
    parts: tuple[Part, ...] = tuple((safe_display(text), style) for text, style in cell)
    length = sum(cell_len(text) for text, _style_ in parts)
    if length > width:  # cut: one style for the whole cell, the first part's
        return [Segment(fit("".join(t for t, _s in parts), width), _style(base, parts[0][1], no_color))]
    segments = [Segment(text, _style(base, style, no_color)) for text, style in parts]
    segments.append(Segment(" " * (width - length), base))
    return segments

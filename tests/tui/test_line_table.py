"""LineTable: the column layout (drop ranks, headers never cut) and the cursor, keys, click and messages."""

from __future__ import annotations

from collections.abc import Mapping

import pytest
from rich.style import Style
from textual.app import App, ComposeResult
from textual.widgets import Input

from ksef_tui.widgets.line_table import Cell, Column, LineTable, lay_out
from ksef_tui.widgets.tones import Tone

COLUMNS = (
    Column("a", "Alpha", 10),
    Column("b", "Bravo", 10, drop=2),
    Column("c", "A long header", 4),
    Column("d", "Delta", 10, drop=1),
    Column("e", "Echo", 8),
)


def test_layout_drops_the_highest_rank_first_and_never_cuts_a_header() -> None:
    wide, last = lay_out(COLUMNS, 200)
    # one space, then each fixed column and its two-space gap (c at 13, its header), two for the scrollbar
    assert [c.key for c in wide] == ["a", "b", "c", "d", "e"] and last == 200 - (1 + 12 + 12 + 15 + 12) - 2
    assert [c.key for c in lay_out(COLUMNS, 62)[0]] == ["a", "b", "c", "d", "e"]  # 52 + the last's 8 + 2
    assert [c.key for c in lay_out(COLUMNS, 61)[0]] == ["a", "c", "d", "e"]  # b (rank 2) goes first
    assert [c.key for c in lay_out(COLUMNS, 50)[0]] == ["a", "c", "d", "e"]
    assert [c.key for c in lay_out(COLUMNS, 49)[0]] == ["a", "c", "e"]  # then d (rank 1)
    shown, last = lay_out(COLUMNS, 10)  # nothing left to drop: the rest stays, the last at its width
    assert [c.key for c in shown] == ["a", "c", "e"] and last == 8


class Numbers(LineTable):
    def __init__(self) -> None:
        super().__init__()
        self.rows = [f"row {i}" for i in range(100)]

    @property
    def row_count(self) -> int:
        return len(self.rows)

    def row_cells(self, index: int) -> Mapping[str, Cell]:
        return {"n": (str(index), None), "text": ((self.rows[index], "bold"), ("!", "red"))}


class Host(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.highlighted: list[int] = []
        self.selected: list[int] = []

    def compose(self) -> ComposeResult:
        yield Numbers()

    def on_mount(self) -> None:
        table = self.query_one(Numbers)
        table.set_columns([Column("n", "No.", 4), Column("text", "Text", 10)], 40)
        table.focus()

    def on_line_table_highlighted(self, event: LineTable.Highlighted) -> None:
        self.highlighted.append(event.row)

    def on_line_table_selected(self, event: LineTable.Selected) -> None:
        self.selected.append(event.row)


def _lines(app: App[None]) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


async def test_keys_click_and_messages() -> None:
    app = Host()
    async with app.run_test(size=(40, 12)) as pilot:
        table = app.query_one(Numbers)
        lines = _lines(app)
        assert lines[0].startswith(" No.   Text")
        assert lines[1].startswith("▶0     row 0!")  # the cursor row is marked
        assert lines[2].startswith(" 1     row 1")
        await pilot.press("down", "down")
        await pilot.pause()
        assert table.cursor_row == 2 and app.highlighted[-2:] == [1, 2]
        await pilot.press("end")
        await pilot.pause()
        assert table.cursor_row == 99 and "row 99" in _lines(app)[11]  # scrolled: the last row at the bottom
        assert _lines(app)[0].startswith(" No.")  # the header stays
        await pilot.press("home", "pagedown")
        await pilot.pause()
        assert table.cursor_row == 10
        await pilot.click(Numbers, offset=(3, 3))  # a row not under the cursor: moves there
        await pilot.pause()
        assert table.cursor_row == int(_lines(app)[3].split()[0].lstrip("▶")) and app.selected == []
        await pilot.click(Numbers, offset=(3, 3))  # the same row again: selected
        await pilot.pause()
        assert app.selected == [table.cursor_row]
        table.move_cursor(row=500)  # clamped
        assert table.cursor_row == 99


class Toned(LineTable):
    @property
    def row_count(self) -> int:
        return 3

    def row_cells(self, index: int) -> Mapping[str, Cell]:
        return {"n": (str(index), None), "text": (f"alarm {index}", Tone.ALARM)}


class TonedHost(App[None]):
    def compose(self) -> ComposeResult:
        yield Toned()
        yield Input()

    def on_mount(self) -> None:
        table = self.query_one(Toned)
        table.set_columns([Column("n", "No.", 4), Column("text", "Text", 10)], 40)
        table.focus()


def _styles(table: LineTable, y: int) -> dict[str, Style]:
    return {s.text.strip(): s.style for s in table.render_line(y) if s.text.strip() and s.style}


async def test_the_cursor_row_swaps_its_own_colours_and_tones_follow_no_color(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Focused, the cursor row is reversed (each cell keeps its colours, swapped) and marked; without
    focus it is underlined; a cell reversed already (red under NO_COLOR) shows plain inside the bar."""
    monkeypatch.delenv("NO_COLOR", raising=False)
    app = TonedHost()
    async with app.run_test(size=(40, 8)) as pilot:
        table = app.query_one(Toned)
        cursor, other = _styles(table, 1), _styles(table, 2)
        assert "▶" in cursor and "▶" not in other
        assert cursor["alarm 0"].reverse and not other["alarm 1"].reverse
        assert cursor["alarm 0"].color == other["alarm 1"].color  # the red stays red, as the bar
        assert other["alarm 1"].bold and other["alarm 1"].color is not None
        app.query_one(Input).focus()
        await pilot.pause()
        blurred = _styles(table, 1)
        assert blurred["alarm 0"].underline and not blurred["alarm 0"].reverse
    monkeypatch.setenv("NO_COLOR", "1")
    app = TonedHost()
    async with app.run_test(size=(40, 8)):
        table = app.query_one(Toned)
        cursor, other = _styles(table, 1), _styles(table, 2)
        assert other["alarm 1"].bold and other["alarm 1"].reverse  # urgency: bold reverse
        assert cursor["alarm 0"].bold and not cursor["alarm 0"].reverse  # toggled inside the bar

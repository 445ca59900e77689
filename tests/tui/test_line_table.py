"""LineTable: the column layout (drop ranks, headers never cut) and the cursor, keys, click and messages."""

from __future__ import annotations

from collections.abc import Mapping

from textual.app import App, ComposeResult

from ksef_tui.widgets.line_table import Cell, Column, LineTable, lay_out

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
        assert lines[1].startswith(" 0     row 0!")
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
        assert table.cursor_row == int(_lines(app)[3].split()[0]) and app.selected == []
        await pilot.click(Numbers, offset=(3, 3))  # the same row again: selected
        await pilot.pause()
        assert app.selected == [table.cursor_row]
        table.move_cursor(row=500)  # clamped
        assert table.cursor_row == 99

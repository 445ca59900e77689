"""Contrast of every line table's rows, the cursor row and the header counters in three colour modes
(issue 16 item 1), computed from the rendered segments.

The widget's rendered strips (after the app's line filters: the `Monochrome` filter under `NO_COLOR`)
carry truecolor styles; a terminal shows them through Rich's colour downgrade (what the console does for
`TEXTUAL_COLOR_SYSTEM`): 256 colours (`ColorSystem.EIGHT_BIT`), 16 colours (`ColorSystem.STANDARD`,
the ANSI colours as Rich's default terminal theme draws them) and `NO_COLOR` (greys, in 256 colours).
Reverse video swaps the colours; dim text is taken at half way to the background (terminals dim by
about that). Every cell with text must reach WCAG AA, 4.5:1, by the relative-luminance formula below.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from rich.color import Color, ColorSystem
from rich.segment import Segment
from rich.style import Style
from rich.terminal_theme import DEFAULT_TERMINAL_THEME
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import Static

from ksef_tui.core.health import GLYPHS, Level
from ksef_tui.ui.app import KsefApp
from ksef_tui.widgets.client_table import ClientTable
from ksef_tui.widgets.line_table import CURSOR_MARK, LineTable
from ksef_tui.widgets.readiness_table import ReadinessTable

from .helpers import make_store, services, settle, until

AA = 4.5
MODES = ("256", "16", "no_color")
RGB = tuple[int, int, int]


# --- WCAG 2.x -------------------------------------------------------------------------------------


def _channel(value: int) -> float:
    c = value / 255
    return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4


def relative_luminance(rgb: RGB) -> float:
    r, g, b = rgb
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def contrast(a: RGB, b: RGB) -> float:
    light, dark = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_the_formula_against_known_pairs() -> None:
    assert contrast((0, 0, 0), (255, 255, 255)) == pytest.approx(21.0)
    assert contrast((118, 118, 118), (255, 255, 255)) == pytest.approx(4.54, abs=0.01)  # #767676: AA
    assert contrast((255, 0, 0), (0, 0, 0)) == pytest.approx(5.25, abs=0.01)


# --- what the terminal shows ----------------------------------------------------------------------


def terminal_rgb(color: Color, mode: str) -> RGB:
    system = ColorSystem.STANDARD if mode == "16" else ColorSystem.EIGHT_BIT
    t = color.downgrade(system).get_truecolor(DEFAULT_TERMINAL_THEME)
    return (t.red, t.green, t.blue)


def shown(style: Style, mode: str) -> tuple[RGB, RGB]:
    """(text, background) colours of a cell as the terminal draws it in `mode`."""
    assert style.color is not None and style.bgcolor is not None, style  # Textual resolves both
    fg, bg = terminal_rgb(style.color, mode), terminal_rgb(style.bgcolor, mode)
    if style.dim:
        fg = (
            (fg[0] + bg[0]) // 2,
            (fg[1] + bg[1]) // 2,
            (fg[2] + bg[2]) // 2,
        )
    return (bg, fg) if style.reverse else (fg, bg)


def worst(segments: list[Segment], mode: str) -> tuple[float, str]:
    """The lowest contrast of the cells with text, and that text."""
    result = (99.0, "")
    for seg in segments:
        if seg.text.strip() and seg.style is not None:
            ratio = contrast(*shown(seg.style, mode))
            if ratio < result[0]:
                result = (ratio, seg.text)
    return result


def colours(segments: list[Segment], mode: str) -> set[RGB]:
    return {c for seg in segments if seg.text.strip() and seg.style for c in shown(seg.style, mode)}


def lines(widget: Any) -> list[Strip]:
    return list(widget.render_lines(Region(0, 0, widget.size.width, widget.size.height)))


# --- the screens ----------------------------------------------------------------------------------

Opener = Callable[[Any], Awaitable[LineTable]]


def _board(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[KsefApp, Opener]:
    async def open_(pilot: Any) -> LineTable:
        return pilot.app.screen.query_one(ClientTable)

    return KsefApp(services(tmp_path, make_store(tmp_path))), open_


def _queue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[KsefApp, Opener]:
    from ksef_tui.widgets.queue_table import QueueTable

    from .test_queue_snapshots import _app

    async def open_(pilot: Any) -> LineTable:
        await pilot.press("z")
        await settle(pilot)
        await pilot.press("asterisk")  # mark the sure ones: the mark column too
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        return pilot.app.screen.query_one(QueueTable)

    return _app(tmp_path, monkeypatch), open_


def _rules(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[KsefApp, Opener]:
    from ksef_tui.widgets.rule_table import RuleTable

    from .test_queue_snapshots import _app

    async def open_(pilot: Any) -> LineTable:
        await pilot.press("z")
        await settle(pilot)
        await pilot.press("home", "R")
        await settle(pilot)
        return pilot.app.screen.query_one(RuleTable)

    return _app(tmp_path, monkeypatch, offer=True), open_


def _purchases(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[KsefApp, Opener]:
    from ksef_tui.widgets.purchase_table import PurchaseTable

    from .test_purchases_snapshots import _app

    app, client_id = _app(tmp_path, monkeypatch)

    async def open_(pilot: Any) -> LineTable:
        pilot.app.screen.select_client(client_id)
        await pilot.press("f")
        await settle(pilot)
        await pilot.press("n")  # the provisional rows too
        await settle(pilot)
        return pilot.app.screen.query_one(PurchaseTable)

    return app, open_


def _sessions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[KsefApp, Opener]:
    from ksef_tui.screens.sessions import SessionsScreen
    from ksef_tui.widgets.session_table import SessionTable

    from .sessions_helpers import make_session_store

    store, _world = make_session_store(tmp_path / "home")
    app = KsefApp(services(tmp_path / "home", store))

    async def open_(pilot: Any) -> LineTable:
        pilot.app.push_screen(SessionsScreen(pilot.app.services, None))
        await settle(pilot)
        await pilot.press("d")  # 30 days
        await settle(pilot)
        return pilot.app.screen.query_one(SessionTable)

    return app, open_


def _readiness(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[KsefApp, Opener]:
    from .readiness_helpers import demo_app

    app, _demo, _store = demo_app(tmp_path)

    async def open_(pilot: Any) -> LineTable:
        await pilot.press("r")
        await settle(pilot)
        await until(pilot, lambda: getattr(pilot.app.screen, "view", None) is not None, "the readiness view")
        await settle(pilot)
        return pilot.app.screen.query_one(ReadinessTable)

    return app, open_


SCREENS = {
    "board": _board,
    "queue": _queue,
    "rules": _rules,
    "purchases": _purchases,
    "sessions": _sessions,
    "readiness": _readiness,
}


def _mode(monkeypatch: pytest.MonkeyPatch, mode: str) -> None:
    if mode == "no_color":
        monkeypatch.setenv("NO_COLOR", "1")  # read when the app is made
    else:
        monkeypatch.delenv("NO_COLOR", raising=False)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("screen", sorted(SCREENS))
async def test_every_row_and_the_cursor_row_reach_aa(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, screen: str, mode: str
) -> None:
    _mode(monkeypatch, mode)
    app, open_ = SCREENS[screen](tmp_path, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = await open_(pilot)
        table.focus()
        await settle(pilot)
        rows = min(table.row_count, table.size.height - 1)
        assert rows >= 2, f"{screen}: too few rows to compare"
        failures: list[str] = []
        header_ratio, header_text = worst(list(lines(table)[0]), mode)
        if header_ratio < AA:
            failures.append(f"header {header_text!r}: {header_ratio:.2f}")
        table.move_cursor(rows - 1)  # no row above the last visible one is under the cursor
        await pilot.pause()
        plain = lines(table)
        for y in range(1, rows + 1):
            table.move_cursor(y - 1)
            await pilot.pause()
            strip = list(lines(table)[y])
            assert strip[0].text.startswith(CURSOR_MARK), f"{screen}: no cursor mark on row {y - 1}"
            for label, segments in (("row", list(plain[y])), ("cursor row", strip)):
                ratio, text = worst(segments, mode)
                if ratio < AA:
                    failures.append(f"{label} {y - 1} {text!r}: {ratio:.2f}")
            if y < rows:  # the row keeps its own colours under the cursor (its state stays visible)
                assert colours(strip, mode) == colours(list(plain[y]), mode), f"{screen} row {y - 1}"
        assert not failures, f"{screen} in {mode}: below {AA}:1\n" + "\n".join(failures)


def _glyph_style(table: ClientTable, y: int) -> Style:
    strip = lines(table)[y]
    return next(s.style for s in strip if s.text.strip() and s.text.strip() != CURSOR_MARK and s.style)


@pytest.mark.parametrize("mode", MODES)
async def test_board_states_and_header_counters(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str
) -> None:
    """Each state (red, yellow, green) on the board: its rows and its header counter reach AA; under
    NO_COLOR emphasis follows urgency (red bold reverse, yellow bold, green plain), on the row's glyph
    and on the counter."""
    _mode(monkeypatch, mode)
    app, _open = _board(tmp_path, monkeypatch)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        table = pilot.app.screen.query_one(ClientTable)
        entries = list(table._entries)
        first = {level: next(i for i, e in enumerate(entries) if e.level is level) for level in Level}
        table.move_cursor(len(entries) - 1)
        await pilot.pause()
        glyph: dict[Level, Style] = {}
        for level, index in first.items():
            table.scroll_to(y=index, animate=False)
            await pilot.pause()
            y = index - int(table.scroll_offset.y) + 1
            glyph[level] = _glyph_style(table, y)
            ratio, text = worst(list(lines(table)[y]), mode)
            assert ratio >= AA, f"{level.name} row {text!r}: {ratio:.2f}"
        title = pilot.app.screen.query_one("#title", Static)
        strip = list(lines(title)[0])
        ratio, text = worst(strip, mode)
        assert ratio >= AA, f"header counter {text!r}: {ratio:.2f}"
        if mode == "no_color":
            assert glyph[Level.RED].bold and glyph[Level.RED].reverse
            assert glyph[Level.YELLOW].bold and not glyph[Level.YELLOW].reverse
            assert not glyph[Level.GREEN].bold and not glyph[Level.GREEN].reverse
            counters = {s.text.strip()[:1]: s.style for s in strip if s.style and s.text.strip()}
            red, yellow, green = (counters[GLYPHS[level]] for level in (Level.RED, Level.YELLOW, Level.GREEN))
            assert red is not None and red.bold and red.reverse
            assert yellow is not None and yellow.bold and not yellow.reverse
            assert green is not None and not green.bold and not green.reverse
        else:  # three different colours, red the red one
            fgs = {level: shown(style, mode)[0] for level, style in glyph.items()}
            assert len(set(fgs.values())) == 3
            r, g, b = fgs[Level.RED]
            assert r > 2 * max(g, b)

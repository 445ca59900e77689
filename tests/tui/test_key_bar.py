"""The footer (widgets/key_bar.py): one widget, and the ways out always shown (issue 16 item 4)."""

from __future__ import annotations

from pathlib import Path

from ksef_tui.screens.clients import ClientsScreen
from ksef_tui.ui.app import KsefApp
from ksef_tui.widgets.key_bar import KeyBar, _Key
from tests.tui.helpers import make_store, services, settle


def _key(display: str, description: str, *, pinned: bool = False, enabled: bool = True) -> _Key:
    return _Key(display, display, description, enabled, pinned)


def test_keys_drop_from_the_right_and_the_pinned_ones_stay() -> None:
    keys = [
        _key("a", "Dodaj"),
        _key("q", "Wyjdź", pinned=True),
        _key("s", "Sesje"),
        _key("?", "Pomoc", pinned=True),
    ]
    palette = _key("^p", "Polecenia")
    everything = sum(k.width for k in keys)
    kept, shown_palette = KeyBar.fit(keys, palette, everything + palette.width)
    assert kept == keys and shown_palette == palette
    kept, shown_palette = KeyBar.fit(keys, palette, everything)
    assert kept == keys and shown_palette is None  # the palette goes first
    kept, _ = KeyBar.fit(keys, palette, everything - 1)
    assert [k.display for k in kept] == ["a", "q", "?"]  # `s` was the rightmost unpinned key
    kept, _ = KeyBar.fit(keys, palette, keys[1].width + keys[3].width)
    assert [k.display for k in kept] == ["q", "?"]
    kept, _ = KeyBar.fit(keys, palette, keys[3].width)
    assert [k.display for k in kept] == ["q"]  # pinned ones go last, from the right too


async def test_at_80_columns_the_board_footer_keeps_help_and_quit(tmp_path: Path) -> None:
    store = make_store(tmp_path, roster=False)
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        bar = app.screen.query_one(KeyBar)
        text = bar.text()
        assert "? Pomoc" in text and "q Wyjdź" in text
        assert len(text) <= 80
        wide_keys, _ = bar.keys()
        assert len(wide_keys) > len(KeyBar.fit(wide_keys, None, 80)[0])  # something did have to go


async def test_a_click_on_a_key_presses_it(tmp_path: Path) -> None:
    store = make_store(tmp_path, roster=False)
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        bar = app.screen.query_one(KeyBar)
        x = bar.text().index("? Pomoc")
        await pilot.click(KeyBar, offset=(x + 1, 0))
        await settle(pilot)
        assert type(app.screen).__name__ == "HelpScreen"

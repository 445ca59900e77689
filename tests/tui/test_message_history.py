"""The message history (issue 16 item 4): F9 on any screen shows every message of the session whole,
newest first, `c` copies one; the refresh-all summary names every failing client; lock forgets them."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import OptionList

from ksef_tui.screens.message_history import MessageHistoryScreen
from ksef_tui.sync.purchases import ClientSyncResult, SyncReport
from ksef_tui.ui.app import KsefApp
from ksef_tui.ui.messages import PurchasesSynced

from .helpers import make_store, screen_text, services, settle

LONG_PATH = "/home/biuro/ksef/eksport/UPO/" + "/".join(f"katalog-{i:02d}" for i in range(12)) + "/upo.xml"


def _app(home: Path) -> KsefApp:
    return KsefApp(services(home, make_store(home)))


def _prompts(app: KsefApp) -> list[str]:
    options = app.screen.query_one(OptionList)
    return [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]


@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
async def test_f9_shows_every_message_whole_newest_first(tmp_path: Path, size: tuple[int, int]) -> None:
    app = _app(tmp_path)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        app.notify("Zapisano UPO w pliku " + LONG_PATH, title="UPO")
        app.notify("KSeF: [b]odmowa[/b] dostępu", severity="error")  # markup: the words, not the tags
        await pilot.press("f9")
        await settle(pilot)
        assert isinstance(app.screen, MessageHistoryScreen)
        prompts = _prompts(app)
        assert "KSeF: odmowa dostępu" in prompts[0] and "✖" in prompts[0]  # newest first
        assert prompts[1].endswith("Zapisano UPO w pliku " + LONG_PATH)  # whole
        text = screen_text(app)
        assert LONG_PATH in "".join(line.strip(" ▊▎") for line in text.splitlines())  # wrapped, not cut
        assert "Komunikaty tej sesji: 2" in text
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, MessageHistoryScreen)


async def test_c_copies_the_highlighted_message(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    app = _app(tmp_path)
    copied: list[str] = []
    monkeypatch.setattr(app, "copy_to_clipboard", copied.append)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.notify("Pierwszy", title="Tytuł")
        app.notify("Drugi")
        await pilot.press("f9")
        await settle(pilot)
        await pilot.press("down", "c")
        await settle(pilot)
        assert copied == ["Tytuł\nPierwszy"]
        assert "Skopiowano do schowka." in screen_text(app)


async def test_the_refresh_all_summary_names_every_failing_client(tmp_path: Path) -> None:
    app = _app(tmp_path)
    results = [
        ClientSyncResult(i, f"KLIENT_{i:03d}", "1234563218", ok=False, error="KSeF 401") for i in range(6)
    ]
    results.append(ClientSyncResult(99, "OK_099", "1234563218", ok=True, added=3))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.screen.post_message(PurchasesSynced(SyncReport(results)))
        await settle(pilot)
        whole = "\n".join(n.title + "\n" + n.text for n in app.notices)
        for i in range(6):
            assert f"KLIENT_{i:03d}: KSeF 401" in whole
        await pilot.press("f9")
        await settle(pilot)
        assert "KLIENT_005: KSeF 401" in screen_text(app)


async def test_lock_forgets_the_messages(tmp_path: Path) -> None:
    app = _app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        app.notify("Klient Piekarnia Wiśniewski: token wygasł")
        assert app.notices
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert app.notices == []
        await pilot.press("f9")  # locked: nothing opens over the unlock screen
        await settle(pilot)
        assert not isinstance(app.screen, MessageHistoryScreen)

"""The office profile screen (`o` on the board, issue 10 item 2), and the app using the profile: health
thresholds, the idle lock and the environment of new clients."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from textual.widgets import Input, Select

from ksef_tui.core.models import Environment
from ksef_tui.screens.client_form import ClientFormScreen
from ksef_tui.screens.clients import ClientsScreen
from ksef_tui.screens.office import OfficeScreen
from ksef_tui.screens.unlock import UnlockScreen
from ksef_tui.sync.office import OfficeProfile, read_profile, write_profile
from ksef_tui.ui.app import KsefApp

from .helpers import PASSPHRASE, make_store, screen_text, services, settle


async def _open(pilot) -> OfficeScreen:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await pilot.press("o")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, OfficeScreen)
    return screen


def _set(screen: OfficeScreen, key: str, value: str) -> None:
    screen.query_one(f"#{key}", Input).value = value


def _counts(app: KsefApp) -> tuple[int, int, int]:
    board = next(s for s in app.screen_stack if isinstance(s, ClientsScreen))
    levels = [e.level.key for e in board.entries]
    return levels.count("red"), levels.count("yellow"), levels.count("green")


async def test_o_opens_the_profile_filled_from_the_store(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    write_profile(store, OfficeProfile(nip="5260250274", name="Biuro Zielonka", environment=Environment.TEST))
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot)
        assert screen.query_one("#nip", Input).value == "5260250274"
        assert screen.query_one("#name", Input).value == "Biuro Zielonka"
        assert screen.query_one("#environment", Select).value == "test"
        assert screen.query_one("#red_days", Input).value == "7"
        assert "Profil biura" in screen_text(app) and "NIP biura" in screen_text(app)


async def test_bad_values_are_named_in_polish_and_nothing_is_saved(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot)
        _set(screen, "nip", "5260250275")
        _set(screen, "idle_minutes", "0")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, OfficeScreen)
        text = screen_text(app)
        assert "Suma kontrolna" in text
        assert "Podaj liczbę minut od 1 do 480." in text
        assert "Nie zapisano: popraw zaznaczone pola." in text
        assert screen.query_one("#nip", Input).has_focus  # the first field refused
        assert read_profile(store) == OfficeProfile()


async def test_esc_cancels_without_saving(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(pilot)
        _set(screen, "name", "Nie zapisuj")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        assert read_profile(store).name == ""


async def test_enter_saves_and_the_board_recolours_by_the_new_thresholds(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        before = _counts(app)
        screen = await _open(pilot)
        _set(screen, "nip", "526-025-02-74")
        _set(screen, "red_days", "60")
        _set(screen, "yellow_days", "120")
        screen.query_one("#environment", Select).value = "demo"
        _set(screen, "idle_minutes", "3")
        screen.query_one("#name", Input).focus()
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        saved = read_profile(store)
        assert (saved.nip, saved.red_days, saved.yellow_days) == ("5260250274", 60, 120)
        assert app.services.health.red_days == 60 and app.services.health.warn_days == 120
        assert store.idle_timeout == timedelta(minutes=3)
        after = _counts(app)
        assert after[0] > before[0], (before, after)  # expiries within 60 days are red now
        # New clients start in the office's environment.
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, ClientFormScreen)
        assert app.screen.query_one("#env", Select).value == "demo"


async def test_the_saved_profile_applies_after_unlock(tmp_path: Path) -> None:
    """Thresholds and the idle lock come from the sealed profile once the store is open."""
    store = make_store(tmp_path)
    write_profile(store, OfficeProfile(red_days=60, yellow_days=120, idle_minutes=2))
    store.close()
    app = KsefApp(services(tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, UnlockScreen)
        await pilot.press(*PASSPHRASE, "enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        opened = app.services.store
        assert opened is not None and opened.idle_timeout == timedelta(minutes=2)
        assert app.services.health.red_days == 60
        assert app.services.default_environment is Environment.PROD

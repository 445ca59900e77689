"""Pilot tests of the key flows: first run, unlock, add, token import, filter, remove, help, palette."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from ksef_tui.core.health import Level
from ksef_tui.screens.client_form import ClientFormScreen
from ksef_tui.screens.clients import ClientsScreen
from ksef_tui.screens.first_run import FirstRunScreen
from ksef_tui.screens.help import HelpScreen
from ksef_tui.screens.unlock import UnlockScreen
from ksef_tui.ui.app import KsefApp
from ksef_tui.widgets.client_table import ClientTable

from .helpers import PASSPHRASE, make_store, screen_text, services, settle, until, wait_for_text


async def _type(pilot, text: str) -> None:  # type: ignore[no-untyped-def]
    await pilot.press(*list(text))


async def test_first_run_creates_store_after_matching_passphrases(tmp_path: Path) -> None:
    from ksef_tui.store import Store

    app = KsefApp(services(tmp_path / "home"))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, FirstRunScreen)
        await _type(pilot, "dlugie haslo 1")
        await pilot.press("enter")
        await _type(pilot, "dlugie haslo 2")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, FirstRunScreen)
        assert "różnią" in str(app.screen.query_one("#message").render())
        assert not Store.exists(tmp_path / "home")
        await _type(pilot, "dlugie haslo 1")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
    assert Store.exists(tmp_path / "home")
    Store.open(tmp_path / "home", "dlugie haslo 1").close()


async def test_unlock_wrong_then_right(tmp_path: Path) -> None:
    make_store(tmp_path).close()
    app = KsefApp(services(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, UnlockScreen)
        await _type(pilot, "wrong passphrase")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, UnlockScreen)
        message = str(app.screen.query_one("#message").render())
        assert "hasło" in message.lower()
        assert app.screen.query_one("#passphrase", Input).value == ""
        await _type(pilot, PASSPHRASE)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        table = app.screen.query_one(ClientTable)
        assert table.row_count == len(app.screen.entries) > 20
        # Most urgent first.
        assert app.screen.entries[0].level is Level.RED
        assert app.screen.entries[-1].level is Level.GREEN


async def test_add_client_with_invalid_nip_saves_nothing(tmp_path: Path) -> None:
    store = make_store(tmp_path, roster=False)
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        assert isinstance(app.screen, ClientFormScreen)
        await _type(pilot, "Hurtownia Testowa")
        await pilot.press("tab")
        await _type(pilot, "123-456-32-19")
        await settle(pilot)
        error = str(app.screen.query_one("#nips-error").render())
        assert "kontrolna" in error  # explained as you type
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientFormScreen)
        assert "Nie zapisano" in str(app.screen.query_one("#message").render())
        assert store.clients.list() == []
        # Fix the last digit: saved, and the short code was suggested.
        await pilot.press("backspace")
        await _type(pilot, "8")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
    clients = store.clients.list()
    assert [(c.name, c.nips, c.short_code) for c in clients] == [
        ("Hurtownia Testowa", ["1234563218"], "HURTOWNI_218")
    ]


async def test_import_token_is_sealed_and_masked(tmp_path: Path) -> None:
    from ksef_tui.core.models import Client

    store = make_store(tmp_path, roster=False)
    client = store.clients.add(Client('Biuro [/x] "Ś"', "BIURO_218", ["1234563218"]))
    token = "20251010-EC-2B0C8AB000-4A3D8E9C3B-8D|nip-1234563218|" + "c0ffee" * 10
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        # The markup-like name shows literally on the board.
        assert app.screen.entries[0].client.name == 'Biuro [/x] "Ś"'
        await pilot.press("t")
        await settle(pilot)
        field = app.screen.query_one("#token", Input)
        assert field.password
        field.value = token
        await settle(pilot)
        assert "20251010-EC-2B0C8AB000-4A3D8E9C3B-8D" in str(app.screen.query_one("#token-info").render())
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        shown = screen_text(app)
        assert "c0ffee" not in shown
        assert 'Biuro [/x] "Ś"' in shown
    creds = store.credentials.for_client(client.id)
    assert len(creds) == 1 and creds[0].secret == token
    assert creds[0].reference == "20251010-EC-2B0C8AB000-4A3D8E9C3B-8D"


async def test_filter_as_you_type_and_clear(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    target = store.clients.list()[3]
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        total = app.screen.query_one(ClientTable).row_count
        await pilot.press("slash")
        await _type(pilot, target.short_code.lower())
        await settle(pilot)
        table = app.screen.query_one(ClientTable)
        assert table.row_count == 1
        assert table.selected_entry().client.id == target.id
        await pilot.press("escape")  # leaves the field
        await settle(pilot)
        await pilot.press("escape")  # clears the filter
        await settle(pilot)
        assert app.screen.query_one(ClientTable).row_count == total
        # By NIP with dashes.
        await pilot.press("slash")
        nip = target.nips[0]
        await _type(pilot, f"{nip[:3]}-{nip[3:6]}")
        await settle(pilot)
        assert any(e.client.id == target.id for e in app.screen.shown)


async def test_offboarding_needs_the_short_code(tmp_path: Path) -> None:
    """`d` opens the offboarding screen (issue 15 item 3); without KSeF configured, a client holding no
    token can still be offboarded; a wrong code does nothing."""
    store = make_store(tmp_path)
    before = len(store.clients.list())
    victim = next(c for c in store.clients.list() if not store.credentials.for_client(c.id))
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.screen.query_one(ClientTable).select_client(victim.id)
        await pilot.press("d")
        await settle(pilot)
        screen = app.screen
        await until(pilot, lambda: getattr(screen, "plan", None) is not None, "the plan")
        await _type(pilot, "WRONG")
        await pilot.press("enter")
        await settle(pilot)
        assert "nic nie zostało zrobione" in str(app.screen.query_one("#status").render())
        assert len(store.clients.list()) == before
        app.screen.query_one("#confirm", Input).value = victim.short_code
        await pilot.press("enter")
        await settle(pilot)
        await until(pilot, lambda: getattr(screen, "result", None) is not None, "the result")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        assert len(store.clients.list()) == before - 1
        assert all(e.client.id != victim.id for e in app.screen.entries)


async def test_help_lists_the_screen_keys(tmp_path: Path) -> None:
    store = make_store(tmp_path, roster=False)
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        assert "Dodaj klienta" in text and "Filtruj klientów" in text
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)


async def test_palette_jumps_to_client_by_nip(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    target = store.clients.list()[10]
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await _type(pilot, target.nips[0])
        assert await wait_for_text(pilot, target.name)
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        assert app.screen.query_one(ClientTable).selected_client_id() == target.id


async def test_english_on_request(tmp_path: Path) -> None:
    from ksef_tui.core.i18n import set_language

    set_language("en")
    store = make_store(tmp_path)
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        text = screen_text(app)
        assert "Clients" in text and "Klienci" not in text


async def test_lock_hides_the_board_and_unlock_returns(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+l")
        await settle(pilot)
        assert isinstance(app.screen, UnlockScreen)
        assert store.is_locked
        await _type(pilot, PASSPHRASE)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        assert not store.is_locked


async def test_idle_store_locks_itself_and_hides_open_dialogs(tmp_path: Path) -> None:
    from datetime import timedelta

    store = make_store(tmp_path)
    app = KsefApp(services(tmp_path, store, idle_timeout=timedelta(minutes=15)))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("a")  # a form with client data is open
        await settle(pilot)
        app._lock_if_idle()  # the 10-second timer's job; not idle yet
        await settle(pilot)
        assert not store.is_locked and isinstance(app.screen, ClientFormScreen)
        store.idle_timeout = timedelta(0)  # as if 15 minutes passed without a key
        app._lock_if_idle()
        await settle(pilot)
        assert store.is_locked
        assert isinstance(app.screen, UnlockScreen)
        assert not any(isinstance(s, ClientFormScreen) for s in app.screen_stack)
        await _type(pilot, PASSPHRASE)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen) and not store.is_locked


async def test_new_client_is_selected_once_the_board_reloads(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        await pilot.press(*"Zzzz Nowa", "tab", *"5265877635", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        assert app.screen.query_one(ClientTable).selected_entry().client.name == "Zzzz Nowa"


async def test_empty_board_says_how_to_add_or_import_the_first_client(tmp_path: Path) -> None:
    store = make_store(tmp_path, roster=False)
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        text = " ".join(screen_text(app).split())  # the hint wraps at 80 columns
        assert "naciśnij a, aby dodać pierwszego klienta, albo i, aby zaimportować listę" in text
        # The first client added: the hint goes, the table shows it.
        await pilot.press("a")
        await settle(pilot)
        await _type(pilot, "Hurtownia Testowa")
        await pilot.press("tab")
        await _type(pilot, "1234563218")
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        await until(pilot, lambda: len(app.screen.entries) == 1, "the new client on the board")
        assert "pierwszego klienta" not in screen_text(app)


async def test_lock_then_unlock_returns_to_the_screen_you_were_on(tmp_path: Path) -> None:
    from ksef_tui.screens.client_detail import ClientDetailScreen

    store = make_store(tmp_path)
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("down", "down", "enter")  # the third client's screen
        await settle(pilot)
        detail = app.screen
        assert isinstance(detail, ClientDetailScreen)
        await pilot.press("question_mark")  # a dialog over it: closed by the lock
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        app.action_lock()  # ctrl+l (a modal dialog keeps the app's keys from it; the idle lock calls this)
        await settle(pilot)
        assert isinstance(app.screen, UnlockScreen) and store.is_locked
        assert not any(isinstance(s, HelpScreen) for s in app.screen_stack)
        await _type(pilot, PASSPHRASE)
        await pilot.press("enter")
        await settle(pilot)
        # The same client screen, as it was (not the board, not a new screen).
        assert app.screen is detail and not store.is_locked
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        assert app.screen.query_one(ClientTable).cursor_row == 2


async def test_edit_form_first_key_adds_to_the_name_not_replaces_it(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        name = app.screen.query_one(ClientTable).selected_entry().client.name
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, ClientFormScreen)
        field = app.screen.query_one("#name", Input)
        assert field.has_focus and field.selection.is_empty
        assert field.cursor_position == len(name)
        await _type(pilot, " sp")
        assert field.value == name + " sp"
        # Tab to the NIPs and back: still nothing selected, the typed text kept.
        await pilot.press("tab", "shift+tab", "x")
        assert field.value == name + " spx"


async def test_help_lists_each_thing_once_with_every_key_that_does_it(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        rows = dict((sentence, keys) for keys, sentence in app.screen.rows())
        assert len(rows) == len(app.screen.rows())  # no sentence twice
        assert rows["Zamknij ksef-tui"] == "ctrl+q / q"
        palette = next(s for s in rows if s.startswith("Paleta poleceń"))
        assert "faktura po numerze" in palette
        await pilot.press("escape", "enter")  # the client screen
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        keys = {keys: sentence for keys, sentence in app.screen.rows()}
        assert keys["k"].startswith("Wczytaj certyfikat KSeF")
        assert keys["d / Del"].startswith("Usuń wybrane poświadczenie")
        assert keys["1–9"] == "Wybierz poświadczenie po jego numerze na ekranie"
        assert keys["Esc / q"] == "Wróć do listy klientów"
        assert keys["↑"] == "Przejdź do wiersza wyżej"  # k is the certificate here, not a row up
        # `k` does what the help says even with the export batches' table focused.
        from ksef_tui.screens.certificate_import import CertificateImportScreen

        await pilot.press("escape")
        await settle(pilot)
        app.screen.query_one("#batches").focus()
        await pilot.press("k")
        await settle(pilot)
        assert isinstance(app.screen, CertificateImportScreen)


async def test_help_says_where_esc_returns(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("s")  # the client's sessions, opened from its screen
        await settle(pilot)
        assert app.screen.SCOPE == "sessions"
        await pilot.press("question_mark")
        await settle(pilot)
        sentences = [sentence for _keys, sentence in app.screen.rows()]
        assert "Wróć do ekranu klienta" in sentences
        assert "Wróć do listy klientów" not in sentences
        await pilot.press("escape", "escape")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        await pilot.press("S")  # every client's sessions, from the board
        await settle(pilot)
        assert app.screen.SCOPE == "sessions"
        await pilot.press("question_mark")
        await settle(pilot)
        assert "Wróć do listy klientów" in [sentence for _keys, sentence in app.screen.rows()]

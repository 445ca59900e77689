"""Pilot tests of the Client screen: open from the board, what it shows, edit, back, escaping, secrets."""

from __future__ import annotations

from pathlib import Path

from ksef_tui.core.demo_roster import make_roster
from ksef_tui.core.models import Client
from ksef_tui.screens.client_detail import ClientDetailScreen
from ksef_tui.screens.client_form import ClientFormScreen
from ksef_tui.screens.clients import ClientsScreen
from ksef_tui.ui.app import KsefApp
from ksef_tui.widgets.client_table import ClientTable

from .helpers import NOW, make_store, screen_text, services, settle

TALL = (100, 80)  # everything on screen at once, so screen_text sees every section


def _token_and_cert(store):  # type: ignore[no-untyped-def]
    entry = next(e for e in make_roster(NOW, 2026) if e.profile == "token_and_cert")
    return entry, store.clients.find_by_short_code(entry.short_code)


async def _open(pilot, client_id: int) -> None:  # type: ignore[no-untyped-def]
    await settle(pilot)
    pilot.app.screen.select_client(client_id)
    await pilot.press("enter")
    await settle(pilot)


async def test_enter_opens_the_highlighted_client(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    entry, client = _token_and_cert(store)
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=TALL) as pilot:
        await _open(pilot, client.id)
        assert isinstance(app.screen, ClientDetailScreen)
        assert app.screen.client_id == client.id
        text = screen_text(app)
        assert client.name in text and client.short_code in text
        token_spec = next(s for s in entry.credentials if s.token)
        assert f"{token_spec.token_reference}|…" in text  # the masked reference
        assert "przeglądanie faktur" in text and "Uprawnienia" in text and "InvoiceRead" not in text
        assert "logowanie OK" in text  # the last check's outcome in words
        assert "Poświadczenia (2)" in text and "certyfikat" in text
        # No secret: neither the token's secret part nor the whole token.
        secret = token_spec.token.rsplit("|", 1)[1]
        assert secret not in text and token_spec.token not in text


async def test_click_on_the_selected_row_opens_it(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        first = app.screen.query_one(ClientTable).selected_entry().client
        await pilot.click(ClientTable, offset=(5, 1))
        await settle(pilot)
        assert isinstance(app.screen, ClientDetailScreen)
        assert app.screen.client_id == first.id


async def test_escape_returns_with_the_same_client_highlighted(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    target = store.clients.list()[7]
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(pilot, target.id)
        assert isinstance(app.screen, ClientDetailScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        assert app.screen.query_one(ClientTable).selected_entry().client.id == target.id


async def test_audit_shows_the_client_added_through_the_form(tmp_path: Path) -> None:
    store = make_store(tmp_path, roster=False)
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=TALL) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        await pilot.press(*"Hurtownia Testowa", "tab", *"1234563218", "enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientDetailScreen)
        text = screen_text(app)
        assert "Historia działań" in text
        assert "dodano klienta" in text
        assert "Brak poświadczenia KSeF" in text or "Poświadczenia (0)" in text


async def test_edit_saves_and_shows_the_new_name(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    _entry, client = _token_and_cert(store)
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=TALL) as pilot:
        await _open(pilot, client.id)
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, ClientFormScreen)
        app.screen.query_one("#name").value = "Nowa Nazwa Sp. z o.o."
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, ClientDetailScreen)
        text = screen_text(app)
        assert "Nowa Nazwa Sp. z o.o." in text
        assert "zmieniono dane klienta" in text
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        board = app.screen.query_one(ClientTable)
        assert board.selected_entry().client.id == client.id
        assert board.selected_entry().client.name == "Nowa Nazwa Sp. z o.o."


async def test_markup_like_name_and_token_render_literally_without_the_secret(tmp_path: Path) -> None:
    from ksef_tui.core.models import Credential, CredentialKind

    store = make_store(tmp_path, roster=False)
    name = 'Biuro [/x] "Ś" [bold]b[/bold]'
    client = store.clients.add(Client(name, "BIURO_218", ["1234563218"], notes="[red]uwaga[/]"))
    token = "20251010-EC-2B0C8AB000-4A3D8E9C3B-8D|nip-1234563218|" + "c0ffee" * 10
    store.credentials.add(
        Credential(
            client.id,
            CredentialKind.KSEF_TOKEN,
            secret=token,
            reference="20251010-EC-2B0C8AB000-4A3D8E9C3B-8D",
            label="[/]",
        )
    )
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=TALL) as pilot:
        await _open(pilot, client.id)
        assert isinstance(app.screen, ClientDetailScreen)
        text = screen_text(app)
        assert name in text
        assert "[red]uwaga[/]" in text
        assert "[/]" in text
        assert "20251010-EC-2B0C8AB000-4A3D8E9C3B-8D|…" in text
        assert "c0ffee" not in text


async def test_c_checks_this_client_live_and_reloads(tmp_path: Path) -> None:
    from .sessions_helpers import make_session_store, simulator_factory

    store, world = make_session_store(tmp_path / "home")
    client = store.clients.list()[0]
    before = len(store.audit.list(client_id=client.id))
    app = KsefApp(services(tmp_path / "home", store, ksef_factory=simulator_factory(world)))
    async with app.run_test(size=TALL) as pilot:
        await _open(pilot, client.id)
        await pilot.press("c")
        await settle(pilot)
        assert isinstance(app.screen, ClientDetailScreen)
        assert "sprawdzenie na żywo" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen.query_one(ClientTable).selected_entry().client.id == client.id
    assert len(store.audit.list(client_id=client.id)) > before


async def test_expired_certificate_reads_expired_not_active(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    entry = next(e for e in make_roster(NOW, 2026) if e.profile == "expired")
    client = store.clients.find_by_nip(entry.nip)
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.push_screen(ClientDetailScreen(app.services, client.id))
        await settle(pilot)
        shown = screen_text(app)
        assert "wygasłe" in shown and "· aktywne" not in shown

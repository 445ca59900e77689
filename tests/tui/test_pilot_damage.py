"""Issue 17 item 1 on screen: the board shows a banner while the store holds damaged values, the client's
screen lists its damaged rows (table, row, column; never a value), and re-importing repairs it."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from textual.widgets import Input

from ksef_tui.core.demo_roster import make_roster
from ksef_tui.core.models import CredentialKind
from ksef_tui.screens.client_detail import ClientDetailScreen
from ksef_tui.screens.clients import ClientsScreen
from ksef_tui.store.paths import DB_FILENAME
from ksef_tui.ui.app import KsefApp
from ksef_tui.widgets.damage_banner import DamageBanner

from .helpers import NOW, make_store, screen_text, services, settle

WIDE = (140, 40)
DAMAGED_REASON = "dane uszkodzone w magazynie — przywróć z kopii lub wczytaj ponownie"


def _damage_token(home: Path, store: Any, profile: str) -> tuple[Any, Any, int]:
    """Flip one byte of the sealed secret of `profile`'s token (the store stays open, as in the app)."""
    entry = next(e for e in make_roster(NOW, 2026) if e.profile == profile)
    client = store.clients.find_by_short_code(entry.short_code)
    cred = next(c for c in store.credentials.for_client(client.id) if c.kind is CredentialKind.KSEF_TOKEN)
    conn = sqlite3.connect(home / DB_FILENAME, isolation_level=None)
    (blob,) = conn.execute("SELECT secret FROM credentials WHERE id = ?", [cred.id]).fetchone()
    conn.execute(
        "UPDATE credentials SET secret = ? WHERE id = ?", [blob[:-1] + bytes([blob[-1] ^ 1]), cred.id]
    )
    conn.close()
    return entry, client, cred.id


async def test_board_banner_and_client_screen_list_the_damage(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    entry, client, cred_id = _damage_token(tmp_path, store, "token_and_cert")
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        banner = app.screen.query_one(DamageBanner)
        assert banner.display
        text = screen_text(app)
        assert f"Magazyn: 1 uszkodzona wartość (klienci {entry.short_code})" in text
        board_entry = next(e for e in app.screen.entries if e.client.id == client.id)
        assert (board_entry.health.level.key, board_entry.health.reason) == ("red", DAMAGED_REASON)

        app.screen.select_client(client.id)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientDetailScreen)
        text = screen_text(app)
        assert "Uszkodzone w magazynie (1)" in text
        assert f"tabela credentials, wiersz {cred_id}, kolumna secret" in text
        assert DAMAGED_REASON in text
        secret = next(s.token for s in entry.credentials if s.token).rsplit("|", 1)[1]
        assert secret not in text


async def test_no_banner_without_damage(tmp_path: Path) -> None:
    app = KsefApp(services(tmp_path, make_store(tmp_path)))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert not app.screen.query_one(DamageBanner).display
        assert "Magazyn:" not in screen_text(app)


async def test_reimporting_the_token_repairs_it_and_the_banner_goes(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    entry, client, cred_id = _damage_token(tmp_path, store, "token_sunset")
    token = next(s.token for s in entry.credentials if s.token)
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        assert app.screen.query_one(DamageBanner).display
        app.screen.select_client(client.id)
        await pilot.press("t")
        await settle(pilot)
        app.screen.query_one("#token", Input).value = token
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        assert not app.screen.query_one(DamageBanner).display
        board_entry = next(e for e in app.screen.entries if e.client.id == client.id)
        assert board_entry.health.reason != DAMAGED_REASON
    [cred] = store.credentials.for_client(client.id)
    assert cred.id == cred_id and cred.secret == token and not cred.damaged
    assert store.damaged == []


def test_board_with_damage_banner(snap_compare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = make_store(tmp_path)
    _damage_token(tmp_path, store, "token_and_cert")

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)

    app = KsefApp(services(tmp_path, store))
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)


async def test_the_client_form_will_not_save_a_damaged_name_until_it_is_typed_again(tmp_path: Path) -> None:
    from ksef_tui.screens.client_form import ClientFormScreen

    store = make_store(tmp_path)
    entry = next(e for e in make_roster(NOW, 2026) if e.profile == "healthy")
    client = store.clients.find_by_short_code(entry.short_code)
    conn = sqlite3.connect(tmp_path / DB_FILENAME, isolation_level=None)
    (blob,) = conn.execute("SELECT name FROM clients WHERE id = ?", [client.id]).fetchone()
    conn.execute("UPDATE clients SET name = ? WHERE id = ?", [blob[:-1] + bytes([blob[-1] ^ 1]), client.id])
    conn.close()
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=WIDE) as pilot:
        await settle(pilot)
        app.screen.select_client(client.id)
        await pilot.press("e")
        await settle(pilot)
        assert isinstance(app.screen, ClientFormScreen)
        app.screen.query_one("#notes", Input).value = "inna notatka"
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, ClientFormScreen)  # refused, saying why
        message = str(app.screen.query_one("#message").render())
        assert "Nie zapisano" in message and "uszkodzonej wartości" in message
        app.screen.query_one("#name", Input).value = entry.name
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        assert not app.screen.query_one(DamageBanner).display
    repaired = store.clients.get(client.id)
    assert (repaired.name, repaired.notes, repaired.damaged) == (entry.name, "inna notatka", frozenset())

"""The offboarding screen (issue 15 item 3) on the demo office against its simulator: `d` on the board
opens it with the plan's lists; a wrong code does nothing; the right code runs every step, the token is
revoked in KSeF, the client is gone from the board and the store, and the text for the client is shown
and saved (never over a file). `g` on the client screen lists who holds grants in its context."""

from __future__ import annotations

from pathlib import Path

from ksef_tui.screens.clients import ClientsScreen
from ksef_tui.screens.grant_holders import GrantHoldersScreen
from ksef_tui.screens.offboarding import OffboardingScreen
from ksef_tui.widgets.client_table import ClientTable

from .helpers import screen_text, settle, until
from .readiness_helpers import code_of, demo_app


async def _open_offboarding(pilot, store, code: str) -> OffboardingScreen:  # type: ignore[no-untyped-def]
    await settle(pilot)
    client = store.clients.find_by_short_code(code)
    assert pilot.app.screen.query_one(ClientTable).select_client(client.id)
    await pilot.press("d")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, OffboardingScreen)
    await until(pilot, lambda: screen.plan is not None, "the plan")
    await settle(pilot)
    return screen


async def test_offboarding_from_the_board(tmp_path: Path) -> None:
    app, demo, store = demo_app(tmp_path, export_folder=tmp_path / "eksport")
    code = code_of(demo, "token_and_cert")
    client = store.clients.find_by_short_code(code)
    token = next(c for c in store.credentials.for_client(client.id) if c.kind.value == "ksef_token")
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _open_offboarding(pilot, store, code)
        text = screen_text(app)
        assert "Tokeny KSeF do odwołania: 1" in text and token.reference in text
        await pilot.press(*"ZLY", "enter")
        await settle(pilot)
        assert "Kod się nie zgadza" in screen_text(app) and store.clients.find_by_short_code(code) is not None
        screen.query_one("#confirm").value = ""  # type: ignore[attr-defined]
        await pilot.press(*code.lower(), "enter")
        await settle(pilot)
        await until(pilot, lambda: screen.result is not None, "the offboarding result")
        await settle(pilot)
        assert screen.result is not None and screen.result.exit_code == 0
        assert demo.world.tokens[token.reference].status == "Revoked"
        assert store.clients.find_by_short_code(code) is None
        text = screen_text(app)
        assert "Tekst dla klienta" in text
        await pilot.press("s")
        await settle(pilot)
        await until(pilot, lambda: list((tmp_path / "eksport").glob("zakonczenie-wspolpracy-*")), "the file")
        await pilot.press("s")
        await settle(pilot)
        await until(
            pilot, lambda: len(list((tmp_path / "eksport").glob("zakonczenie-*"))) == 2, "a second file"
        )
        saved = sorted((tmp_path / "eksport").glob("zakonczenie-*"))
        assert saved[0].read_text(encoding="utf-8") == screen.result.client_text
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        assert not app.screen.query_one(ClientTable).select_client(client.id)  # gone from the board
    store.close()


async def test_escape_before_confirming_does_nothing(tmp_path: Path) -> None:
    app, demo, store = demo_app(tmp_path)
    code = code_of(demo, "token_and_cert")
    nip = store.clients.find_by_short_code(code).nip
    before = {t.reference: t.status for t in demo.world.tokens.values() if t.context_nip == nip}
    async with app.run_test(size=(80, 24)) as pilot:
        await _open_offboarding(pilot, store, code)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
    assert store.clients.find_by_short_code(code) is not None
    assert {t.reference: t.status for t in demo.world.tokens.values() if t.context_nip == nip} == before
    assert "Active" in before.values()
    store.close()


async def test_who_holds_grants_from_the_client_screen(tmp_path: Path) -> None:
    app, demo, store = demo_app(tmp_path)
    code = code_of(demo, "token_and_cert")
    client = store.clients.find_by_short_code(code)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        assert app.screen.query_one(ClientTable).select_client(client.id)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("g")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, GrantHoldersScreen)
        await until(pilot, lambda: any("NIP" in line for line in screen.lines), "the holders")
        assert client.nip in screen_text(app)
    store.close()

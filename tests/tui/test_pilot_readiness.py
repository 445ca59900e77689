"""Readiness for 2027 on screen (issue 11): the board's column and filter, the readiness screen (census,
probes, "asked today", adding a NIP that granted the office), the grant request (copy, save, never over
another file) — against the demo office and its in-process simulator, on a fixed clock."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from ksef_tui.core.nip import format_nip
from ksef_tui.core.readiness import Ready
from ksef_tui.screens.client_form import ClientFormScreen
from ksef_tui.screens.clients import ClientsScreen
from ksef_tui.screens.grant_request import GrantRequestScreen
from ksef_tui.screens.readiness import ReadinessScreen
from ksef_tui.simulator.entity_grants import grant_entity, revoke_entity
from ksef_tui.simulator.faults import Faults
from ksef_tui.ui.app import KsefApp
from ksef_tui.widgets.readiness_table import ReadinessTable

from .helpers import make_store, screen_text, services, settle, until
from .readiness_helpers import code_of, demo_app, nip_of


def _board(app: KsefApp) -> ClientsScreen:
    board = next(s for s in app.screen_stack if isinstance(s, ClientsScreen))
    return board


async def _readiness(pilot) -> ReadinessScreen:  # type: ignore[no-untyped-def]
    await settle(pilot)
    await pilot.press("r")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ReadinessScreen)
    await until(pilot, lambda: screen.view is not None, "the readiness view")
    return screen


def _row(screen: ReadinessScreen, code: str):  # type: ignore[no-untyped-def]
    assert screen.view is not None
    return next(r for r in screen.view.rows if r.client.short_code == code)


def _select(screen: ReadinessScreen, code: str) -> None:
    assert screen.query_one(ReadinessTable).select_client(_row(screen, code).client.id)


def _progress(screen) -> str:  # type: ignore[no-untyped-def]
    return str(screen.query_one("#progress").render())


# --- the board -------------------------------------------------------------------------------------------


async def test_the_board_shows_2027_readiness_as_text_and_2_filters_the_not_ready(tmp_path: Path) -> None:
    app, _demo, _store = demo_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        board = _board(app)
        everyone = len(board.entries)
        not_ready = [e for e in board.entries if e.readiness and e.readiness.ready is not Ready.YES]
        assert 0 < len(not_ready) < everyone
        text = screen_text(app)
        assert "2027" in text and "✗" in text and "✓" in text  # a glyph, not colour alone
        await pilot.press("2")
        await settle(pilot)
        assert {e.client.id for e in board.shown} == {e.client.id for e in not_ready}
        assert f"nie gotowi na 2027 → {len(not_ready)}" in screen_text(app)
        await pilot.press("2")
        await settle(pilot)
        assert len(board.shown) == everyone


async def test_the_filter_is_in_the_palette(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "Filtr: nie gotowi na 2027" in titles
        assert any(t.startswith("Gotowość na 1 stycznia 2027") for t in titles)


async def test_a_dependent_client_s_health_follows_the_office_certificate(tmp_path: Path) -> None:
    """The board passes the office certificate: revoked in the store, clients without an own
    certificate that rely on it turn red, naming it."""
    app, demo, store = demo_app(tmp_path)
    from ksef_tui.core.models import CredentialStatus

    store.office_certificate.set_status(CredentialStatus.REVOKED)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        board = _board(app)
        code = code_of(demo, "token_sunset")
        entry = next(e for e in board.entries if e.client.short_code == code)
        assert entry.level.key == "red"
        assert entry.health.reason.startswith("Certyfikat biura")


# --- the readiness screen ---------------------------------------------------------------------------------


async def test_r_shows_progress_counts_rows_and_the_office_certificate(tmp_path: Path) -> None:
    app, demo, _store = demo_app(tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await _readiness(pilot)
        view = screen.view
        assert view is not None
        assert sum(view.counts.values()) == len(view.rows) == len(_board(app).entries)
        text = screen_text(app)
        assert f"gotowi: {view.counts[Ready.YES]}" in text
        assert f"nie gotowi: {view.counts[Ready.NO]}" in text
        assert "Certyfikat biura wygasa" in text and "zależy od niego" in text
        assert "Spis uprawnień: 2026-11-21 08:30." in text
        # the demo asked a token-only client 12 days ago: still no grant
        assert code_of(demo, "token_sunset", 1) in text and "nadal bez uprawnienia" in text
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)


async def test_c_takes_the_census_and_a_revoked_grant_turns_the_client_not_ready(tmp_path: Path) -> None:
    app, demo, _store = demo_app(tmp_path)
    code = code_of(demo, "expiring_10")  # own certificate ends before 2027: the office's grant decides
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await _readiness(pilot)
        assert _row(screen, code).ready is Ready.YES
        assert revoke_entity(demo.world, nip_of(demo, "expiring_10"), demo.world.office_nip) == 2
        await pilot.press("c")
        await settle(pilot)
        assert "Spis wykonany" in _progress(screen), _progress(screen)
        assert _row(screen, code).ready is Ready.NO
        text = screen_text(app)
        assert "1 zmiana od 2026-11-21 08:30" in text
        assert "przeglądanie i wystawianie faktur → —" in text


async def test_p_probes_the_selected_client_and_explains_a_415(tmp_path: Path) -> None:
    app, demo, store = demo_app(tmp_path)
    code = code_of(demo, "no_credential")  # no grant: the office certificate's login earns a 415
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await _readiness(pilot)
        _select(screen, code)
        await pilot.press("p")
        await settle(pilot)
        assert "Brak uprawnienia" in _progress(screen), _progress(screen)
        client = store.clients.find_by_short_code(code)
        probe = store.client_office.get(client.id).probe
        assert probe is not None and probe.status == 415


async def test_m_records_the_request_and_the_row_says_so(tmp_path: Path) -> None:
    app, demo, store = demo_app(tmp_path)
    code = code_of(demo, "no_credential")
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await _readiness(pilot)
        _select(screen, code)
        await pilot.press("m")
        await settle(pilot)
        client = store.clients.find_by_short_code(code)
        assert str(store.client_office.get(client.id).grant_requested) == "2026-11-21"
        _select(screen, code)
        await settle(pilot)
        assert "poproszono dnia 2026-11-21" in screen_text(app)


async def test_a_opens_the_add_form_prefilled_with_a_nip_that_granted_the_office(tmp_path: Path) -> None:
    app, demo, _store = demo_app(tmp_path)
    stranger = "5260250274"  # not a client of the demo office
    grant_entity(demo.world, stranger, demo.world.office_nip, {"InvoiceRead": False, "InvoiceWrite": False})
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await _readiness(pilot)
        await pilot.press("c")
        await settle(pilot)
        assert screen.view is not None and screen.view.not_clients == [stranger]
        assert "526-025-02-74" in screen_text(app)
        await pilot.press("a")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, ClientFormScreen)
        assert form.query_one("#nips", Input).value == stranger


async def test_x_stops_the_probes(tmp_path: Path) -> None:
    # KSeF never finishes an authentication: the probes run until stopped, however fast the machine.
    app, _demo, _store = demo_app(tmp_path, virtual=False, faults=Faults(auth_stuck=True))
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await _readiness(pilot)
        await pilot.press("P")
        await until(pilot, lambda: "(x przerywa)" in _progress(screen), "the probes to start")
        assert screen._work is not None and screen._work.is_running
        await pilot.press("x")
        await until(pilot, lambda: screen._work.is_cancelled, "the probes to stop")
        assert "Przerwano." in _progress(screen)


# --- the grant request -------------------------------------------------------------------------------------


async def test_g_shows_the_request_c_copies_s_saves_never_over_another_file(tmp_path: Path) -> None:
    folder = tmp_path / "eksport"
    app, demo, store = demo_app(tmp_path, export_folder=folder)
    code = code_of(demo, "no_credential")
    async with app.run_test(size=(100, 40)) as pilot:
        screen = await _readiness(pilot)
        _select(screen, code)
        await pilot.press("g")
        await settle(pilot)
        request = app.screen
        assert isinstance(request, GrantRequestScreen)
        await until(pilot, lambda: bool(request.text), "the request text")
        assert f"nasz NIP {format_nip(demo.world.office_nip)}" in request.text  # the office's NIP filled in
        assert "Nadaj uprawnienie" in request.text
        await pilot.press("c")
        await settle(pilot)
        assert app.clipboard == request.text
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        names = sorted(p.name for p in folder.iterdir())
        assert names == [
            f"prosba-o-uprawnienie-{code}-2026-11-21-2.txt",
            f"prosba-o-uprawnienie-{code}-2026-11-21.txt",
        ]
        assert (folder / names[1]).read_text(encoding="utf-8") == request.text
        assert (folder / names[1]).stat().st_mode & 0o777 == 0o600
        client = store.clients.find_by_short_code(code)
        assert str(store.client_office.get(client.id).grant_requested) == "2026-11-21"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ReadinessScreen)


async def test_english_with_lang_en(tmp_path: Path) -> None:
    from ksef_tui.core.i18n import set_language

    set_language("en")  # conftest puts Polish back after the test
    app, _demo, _store = demo_app(tmp_path)
    async with app.run_test(size=(120, 36)) as pilot:
        await _readiness(pilot)
        text = screen_text(app)
        assert "Readiness for 2027-01-01" in text and "Grant census:" in text

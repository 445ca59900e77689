"""Live checks from the board against the in-process simulator: recolouring, progress, cancelling."""

from __future__ import annotations

from pathlib import Path

from ksef_tui.core.health import Level
from ksef_tui.demo import prepare_demo
from ksef_tui.screens.clients import ClientsScreen
from ksef_tui.simulator.faults import Faults
from ksef_tui.ui.app import KsefApp
from ksef_tui.ui.config import AppConfig
from ksef_tui.widgets.client_table import ClientTable

from .helpers import NOW, fast_kdf, settle, until


def _demo_app(tmp_path: Path, **app_kwargs) -> tuple[KsefApp, object]:  # type: ignore[no-untyped-def]
    from ksef_tui.core.clock import fixed_clock
    from ksef_tui.store import Store

    demo = prepare_demo(NOW, kdf=fast_kdf(), home=tmp_path / "demo")
    store = Store.open(demo.home, "demo", clock=fixed_clock(NOW))
    factory = demo.ksef_factory(clock=lambda: NOW, **app_kwargs)
    services = AppConfig(home=demo.home, clock=fixed_clock(NOW), store=store, ksef_factory=factory)
    return KsefApp(services), demo


def _progress(screen: ClientsScreen) -> str:
    return str(screen.query_one("#progress").render())


def _entry(screen: ClientsScreen, profile: str, demo) -> object:  # type: ignore[no-untyped-def]
    code = next(e.short_code for e in demo.roster if e.profile == profile)
    return next(e for e in screen.entries if e.client.short_code == code)


async def test_check_selected_turns_never_checked_green(tmp_path: Path) -> None:
    app, demo = _demo_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ClientsScreen)
        before = _entry(screen, "never_checked", demo)
        assert before.level is Level.YELLOW
        screen.query_one(ClientTable).select_client(before.client.id)
        await pilot.press("c")
        await settle(pilot)
        after = _entry(screen, "never_checked", demo)
        assert after.level is Level.GREEN, after.health.reason
        assert after.last_check_words != "nigdy"


async def test_check_all_recolours_from_ksef_answers(tmp_path: Path) -> None:
    app, demo = _demo_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        await pilot.press("C")
        await settle(pilot)
        revoked = _entry(screen, "revoked", demo)
        assert revoked.level is Level.RED and "Unieważniony" in revoked.health.reason
        failed = _entry(screen, "auth_failed", demo)
        assert failed.level is Level.RED and "450" in failed.health.reason
        assert _entry(screen, "never_checked", demo).level is Level.GREEN
        assert _entry(screen, "missing_write", demo).level is Level.YELLOW
        assert _entry(screen, "no_invoice_read", demo).level is Level.RED
        assert _entry(screen, "cert_600", demo).level is Level.GREEN
        progress = str(screen.query_one("#progress").render())
        assert "45" in progress


async def test_check_all_can_be_cancelled_and_ui_stays_alive(tmp_path: Path) -> None:
    # KSeF never finishes an authentication: the checks run until cancelled, however slow the machine.
    app, _demo = _demo_app(tmp_path, faults=Faults(auth_stuck=True))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        await pilot.press("C")
        await until(pilot, lambda: "(x przerywa)" in _progress(screen), "the checks to start")
        # The UI answers while checks run: the filter opens and filters.
        await pilot.press("slash", "z")
        await until(pilot, lambda: len(screen.shown) < len(screen.entries), "the filter to apply")
        assert screen._check_worker is not None and screen._check_worker.is_running
        await pilot.press("escape", "escape", "x")
        await until(pilot, lambda: screen._check_worker.is_cancelled, "the checks to stop")
        assert "przerwane" in _progress(screen)

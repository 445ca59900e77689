"""The real app (not the demo) on a real store, against `ksef-tui simulator` over real HTTP (issue 10 item 1).

The simulator runs as a separate process on a loopback port and the store is pointed at it with
KSEF_TUI_KSEF_URL, as an office rehearsing would. The app is configured exactly as `ksef-tui` configures
it (`cli/tui.py` `store_config`); before the fix it had no KSeF connection and `c` said "KSeF nie jest
skonfigurowany dla tego magazynu.".
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ksef_tui.cli.tui import store_config
from ksef_tui.core.clock import fixed_clock
from ksef_tui.core.health import Level
from ksef_tui.core.models import Client, Credential, CredentialKind
from ksef_tui.screens.clients import ClientsScreen
from ksef_tui.screens.unlock import UnlockScreen
from ksef_tui.store import KdfLimits, Store
from ksef_tui.sync.connections import KsefConnections
from ksef_tui.ui.app import KsefApp
from ksef_tui.widgets.client_table import ClientTable
from tests import e2e_simulator
from tests.e2e_simulator import Simulator

from .helpers import settle, until

simulator = e2e_simulator.simulator  # the fixture: one simulator process for this module
PASSPHRASE = "rehearsal pass phrase"
# Health is judged on this day (the tokens' sunset, 2026-12-31, is far): the colours do not depend on the
# day the test runs. KSeF's side (the simulator) runs on real time, as it would.
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _taxpayer(sim: Simulator, status: str, permissions: set[str]) -> dict[str, Any]:
    return next(
        t
        for t in sim.world["taxpayers"]
        if t["token"] and t["token_status"] == status and permissions <= set(t["permissions"])
    )


def _entry(screen: ClientsScreen, code: str) -> Any:
    return next(e for e in screen.entries if e.client.short_code == code)


async def test_c_and_shift_c_recolour_a_real_store_from_ksef(
    simulator: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KSEF_TUI_KSEF_URL", simulator.base_url)
    home = tmp_path / "home"
    good = _taxpayer(simulator, "Active", {"InvoiceRead", "InvoiceWrite", "Introspection"})
    revoked = _taxpayer(simulator, "Revoked", {"InvoiceRead"})
    store = Store.create(home, PASSPHRASE, kdf=KdfLimits.FAST_FOR_TESTS)
    for code, entry in (("DOBRY", good), ("ODWOLANY", revoked)):
        client = store.clients.add(Client(entry["name"], code, [entry["nip"]]))
        store.credentials.add(Credential(client.id, CredentialKind.KSEF_TOKEN, secret=entry["token"]))
    store.close()

    config = store_config(home)
    config.clock = fixed_clock(NOW)
    connections = config.ksef_factory
    assert isinstance(connections, KsefConnections)
    app = KsefApp(config)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, UnlockScreen)
        await pilot.press(*PASSPHRASE, "enter")
        await settle(pilot)
        board = app.screen
        assert isinstance(board, ClientsScreen)
        assert {_entry(board, c).last_check_words for c in ("DOBRY", "ODWOLANY")} == {"nigdy"}

        board.query_one(ClientTable).select_client(_entry(board, "DOBRY").client.id)
        await pilot.press("c")
        await until(pilot, lambda: _entry(board, "DOBRY").level is Level.GREEN, "DOBRY green after c")
        await settle(pilot)
        assert _entry(board, "ODWOLANY").last_check_words == "nigdy"  # c checks the selected client only
        assert connections.api_log.recent(good["nip"])  # real calls, in the one shared API log

        await pilot.press("C")
        await until(pilot, lambda: _entry(board, "ODWOLANY").level is Level.RED, "ODWOLANY red after C")
        await settle(pilot)
        assert "Unieważniony" in _entry(board, "ODWOLANY").health.reason
        assert _entry(board, "DOBRY").level is Level.GREEN
    # One connection for the process, closed when the app exits.
    assert connections._clients == {}

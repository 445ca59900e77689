"""Snapshots of the office audit screen at 80×24 and 120×36 (issue 15 item 2; files under snapshots/): a
real store on the tests' fixed clock with client and office entries and a removed client's redacted
trail. (Not after `v`: the chain's digest is keyed by the store's random index key.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from ksef_tui.ui.app import KsefApp

from .helpers import make_store, services, settle


def _app(home: Path) -> KsefApp:
    store = make_store(home, extra_healthy=0)
    clients = store.clients.list()
    store.audit.append(clients[0].id, "sessions.login", "ok", "ksef_token")
    store.audit.append(clients[1].id, "purchases.sync", "ok", "Subject2: 12 new, 0 known, 1 packages")
    store.audit.append(clients[1].id, "booking.approve", "proposed -> approved", '{"booking":"7740001454-…"}')
    store.audit.append(clients[2].id, "sessions.login", "failed", "ksef_token: AuthenticationError")
    store.audit.append(None, "settings.update", "ok", "upo_folder")
    gone = clients[3]
    store.audit.append(gone.id, "credential.live_check", "ok", "ksef_token 200")
    store.audit.redact_client(gone.id, "client offboarded 2026-11-21")
    store.clients.remove(gone.id)
    return KsefApp(services(home, store))


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
def test_audit_screen(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("A")
        await settle(pilot)
        await pilot.press("down", "down")
        await settle(pilot)

    assert snap_compare(_app(tmp_path), terminal_size=size, run_before=run_before)

"""Snapshots of the Client screen at 80×24 and 120×36: a demo client with a token and a certificate."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from ksef_tui.core.demo_roster import make_roster
from ksef_tui.core.models import CheckOutcome, LiveCheck
from ksef_tui.sync import purchase_views
from ksef_tui.ui.app import KsefApp

from .helpers import NOW, make_store, services, settle


@pytest.fixture(autouse=True)
def _never_synced(monkeypatch: pytest.MonkeyPatch) -> None:
    """The "Purchase invoices" section of a client never synced (what a store without purchases reads);
    its other states have their own snapshots (test_purchases_snapshots.py)."""
    monkeypatch.setattr(
        purchase_views, "purchase_summary", lambda _store, cid: purchase_views.PurchaseSummary(cid)
    )


def _app(home: Path) -> tuple[KsefApp, int]:
    store = make_store(home)
    entry = next(e for e in make_roster(NOW, 2026) if e.profile == "token_and_cert")
    client = store.clients.find_by_short_code(entry.short_code)
    token, cert = store.credentials.for_client(client.id)
    # A few older checks, one of them failed, so the history has more than the latest.
    for days, cred, outcome, code, message in (
        (9, token, CheckOutcome.ERROR, None, "KSeF did not answer in time"),
        (12, cert, CheckOutcome.OK, None, ""),
        (20, token, CheckOutcome.AUTH_FAILED, 21301, "Brak uprawnień"),
    ):
        store.checks.record(
            LiveCheck(
                client.id,
                NOW - timedelta(days=days),
                outcome,
                credential_id=cred.id,
                permissions=cert.permissions if outcome is CheckOutcome.OK else frozenset(),
                ksef_code=code,
                message=message,
            )
        )
    store.audit.append(client.id, "client.add", "ok")
    store.audit.append(client.id, "credential.import_token", "ok", token.reference or "")
    store.audit.append(client.id, "credential.live_check", "auth_failed", "ksef_token 21301")
    return KsefApp(services(home, store)), client.id


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
def test_client_detail(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    app, client_id = _app(tmp_path)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        pilot.app.screen.select_client(client_id)
        await pilot.press("enter")
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)


def test_client_detail_scrolled_to_the_audit_trail(snap_compare, tmp_path: Path) -> None:
    app, client_id = _app(tmp_path)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        pilot.app.screen.select_client(client_id)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("end")
        await settle(pilot)

    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)

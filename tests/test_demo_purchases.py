"""`prepare_demo(purchases=True)` (issue 12): the demo store gets its clients' purchase invoices through
the real use case against the demo's simulator (faked here: the lead's end-to-end tests run it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ksef_tui.core.clock import fixed_clock
from ksef_tui.demo import DEMO_PURCHASE_DAYS, prepare_demo, running_clock
from ksef_tui.store import KdfLimits
from ksef_tui.sync import purchases as purchase_sync
from ksef_tui.sync.connections import KsefConnections
from ksef_tui.sync.purchases import SyncReport

NOW = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)


def _recording(calls: list[dict[str, Any]]) -> Any:
    async def sync_purchases(store: Any, factory: Any, client_ids: Any = None, **kwargs: Any) -> SyncReport:
        calls.append({"clients": len(store.clients.list()), "factory": factory, "ids": client_ids, **kwargs})
        return SyncReport()

    return sync_purchases


def test_purchases_are_synced_into_the_fresh_demo_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(purchase_sync, "sync_purchases", _recording(calls))
    demo = prepare_demo(
        NOW, kdf=KdfLimits.FAST_FOR_TESTS, home=tmp_path / "demo", purchases=True, clock=fixed_clock(NOW)
    )
    try:
        (call,) = calls
        assert call["clients"] == len(demo.roster)  # after seeding, with the store open
        assert isinstance(call["factory"], KsefConnections)  # the demo's simulator
        assert call["ids"] is None and call["force"] is True
        assert call["since"] == (NOW - timedelta(days=DEMO_PURCHASE_DAYS)).date()
        assert call["clock"]() == NOW
    finally:
        demo.cleanup()


def test_no_purchases_unless_asked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr(purchase_sync, "sync_purchases", _recording(calls))
    prepare_demo(NOW, kdf=KdfLimits.FAST_FOR_TESTS, home=tmp_path / "demo").cleanup()
    assert calls == []


def test_the_running_clock_starts_at_the_demo_time_and_moves_on() -> None:
    clock = running_clock(NOW)
    first = clock()
    assert NOW <= first < NOW + timedelta(minutes=1)
    assert clock() >= first

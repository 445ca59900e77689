"""Issue 3 reliability: a full check of 100 clients under injected faults gives the fault-free answers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ksef_tui.core.demo_roster import make_roster
from ksef_tui.core.models import CheckOutcome
from ksef_tui.demo import Demo, seed_store
from ksef_tui.simulator.faults import Faults
from ksef_tui.simulator.world import build_world
from ksef_tui.store import KdfLimits, Store
from ksef_tui.sync.live_checks import run_live_checks

NOW = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)


def _setup(tmp_path: Path, name: str) -> tuple[Store, Demo]:
    roster = make_roster(NOW, 2026, extra_healthy=79)
    assert len(roster) == 100
    world = build_world(seed=2026, now=NOW, roster=roster)
    store = Store.create(tmp_path / name, "pass phrase", kdf=KdfLimits.FAST_FOR_TESTS, clock=lambda: NOW)
    seed_store(store, roster, world, NOW)
    return store, Demo(tmp_path / name, roster, world, NOW)


def _results(store: Store) -> dict[str, list[tuple[str, int | None, frozenset[str]]]]:
    out = {}
    latest = store.checks.latest_all()
    for client in store.clients.list():
        checks = sorted(latest.get(client.id, {}).items())
        out[client.short_code] = [(c.outcome.value, c.ksef_code, frozenset(c.permissions)) for _, c in checks]
    return out


async def _check_all(store: Store, demo: Demo, faults: Faults | None) -> str:
    factory = demo.ksef_factory(clock=lambda: NOW, faults=faults)
    ids = [c.id for c in store.clients.list()]
    return await run_live_checks(store, factory, ids, lambda: NOW)


@pytest.mark.slow
def test_hundred_clients_under_faults_match_the_fault_free_run(tmp_path: Path) -> None:
    clean_store, clean_demo = _setup(tmp_path, "clean")
    asyncio.run(_check_all(clean_store, clean_demo, None))
    expected = _results(clean_store)
    assert not any(o == CheckOutcome.ERROR.value for checks in expected.values() for o, _, _ in checks)

    store, demo = _setup(tmp_path, "faulty")
    faults = Faults(
        seed=7,
        error_rate=0.2,
        drop_rate=0.05,
        burst_429_rate=0.02,
        burst_429_length=3,
        burst_retry_after=1,
        latency_spike_ms=1000,
        latency_spike_rate=0.01,
    )
    summary = asyncio.run(_check_all(store, demo, faults))
    assert "100" in summary
    assert _results(store) == expected


def test_token_revoked_mid_run_turns_red_with_reason(tmp_path: Path) -> None:
    store, demo = _setup(tmp_path, "revoke")
    entry = next(e for e in demo.roster if e.profile == "token_and_cert")
    client = store.clients.find_by_nip(entry.nip)
    # KSeF revokes the token after its first successful login: the first check passes, the second fails.
    faults = Faults(revoke_token_after_auths={entry.nip: 1})
    factory = demo.ksef_factory(clock=lambda: NOW, faults=faults)

    async def twice() -> None:
        await run_live_checks(store, factory, [client.id], lambda: NOW)
        await run_live_checks(store, factory, [client.id], lambda: NOW)

    asyncio.run(twice())
    token = next(c for c in store.credentials.for_client(client.id) if c.kind.value == "ksef_token")
    check = store.checks.latest(client.id)[token.id]
    assert check.outcome is CheckOutcome.REVOKED
    from ksef_tui.core.health import Level, credential_health

    health = credential_health(
        store.credentials.get(token.id),
        check,
        NOW,
        __import__("ksef_tui.core.health", fromlist=["HealthSettings"]).HealthSettings(),
    )
    assert health.level is Level.RED and "Unieważniony" in health.reason

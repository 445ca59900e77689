"""Live checks survive a bad KSeF day (issue 8 item 3).

100 clients are checked against the simulator under a fault mix (20 % 5xx, 5 % dropped connections,
2 % bursts of three 429s, 1 % one-second latency spikes), for 20 seeds, on a virtual clock: every
credential must end with exactly the outcome of the fault-free run. Faults are decided per request
identity (simulator/faults.py), so each seed is a fixed bad day; the virtual clock makes its minutes of
backoff, Retry-After and pacing pass at once.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from ksef_tui.core.clock import VirtualTime
from ksef_tui.core.health import Health, HealthSettings, Level, client_health, credential_health
from ksef_tui.core.models import CheckOutcome
from ksef_tui.demo import Demo
from ksef_tui.ksef.apilog import ApiLogEntry
from ksef_tui.ksef.client import KsefClient
from ksef_tui.simulator.faults import Faults
from ksef_tui.store import Store
from ksef_tui.sync.live_checks import run_live_checks
from tests.sync.offices import NOW, Office, seeded_office

BAD_DAY = dict(
    error_rate=0.2,
    drop_rate=0.05,
    burst_429_rate=0.02,
    burst_429_length=3,
    burst_retry_after=1,
    latency_spike_ms=1000,
    latency_spike_rate=0.01,
)
Results = dict[str, list[tuple[str, int | None, frozenset[str]]]]


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Office:
    office = seeded_office(tmp_path_factory, extra_healthy=79)
    assert len(office.roster) == 100
    return office


def _results(store: Store) -> Results:
    """Each client's credentials' newest checks (not the verdicts, which skip inconclusive checks)."""
    out = {}
    for client in store.clients.list():
        newest = [store.checks.history(cred.id, limit=1) for cred in store.credentials.for_client(client.id)]
        out[client.short_code] = [
            (c.outcome.value, c.ksef_code, frozenset(c.permissions)) for (c,) in filter(None, newest)
        ]
    return out


def _check_all(
    store: Store, demo: Demo, faults: Faults | None, seed: int, concurrency: int = 8
) -> tuple[str, list[ApiLogEntry], VirtualTime]:
    clock = VirtualTime(NOW, seed=seed, frozen_wall=True)
    factory = demo.ksef_factory(timing=clock.timing(), clock=lambda: NOW, faults=faults)
    calls: list[ApiLogEntry] = []
    factory.api_log.sink = calls.append  # every call in order (the log itself keeps the recent ones)
    ids = [c.id for c in store.clients.list()]

    async def run() -> str:
        try:
            return await run_live_checks(store, factory, ids, lambda: NOW, concurrency=concurrency)
        finally:
            await factory.aclose()

    return asyncio.run(run()), calls, clock


@pytest.fixture(scope="module")
def fault_free(office: Office, tmp_path_factory: pytest.TempPathFactory) -> Results:
    home = tmp_path_factory.mktemp("clean")
    store = office.fresh_store(home / "store")
    _summary, calls, _clock = _check_all(store, office.demo(home), None, seed=0)
    expected = _results(store)
    # The client paces itself the way the simulator (and KSeF, API-NOTES §16) counts: 100 clients' logins
    # share the office IP's window for the unauthenticated steps, and no request meets a 429.
    assert calls and not [c for c in calls if c.status == 429]
    store.close()
    outcomes = Counter(o for checks in expected.values() for o, _, _ in checks)
    # The roster has every kind of credential: the fault-free run sees good and bad ones, never ERROR.
    assert outcomes[CheckOutcome.OK.value] > 80
    assert outcomes[CheckOutcome.AUTH_FAILED.value] + outcomes[CheckOutcome.REVOKED.value] >= 3
    assert outcomes[CheckOutcome.ERROR.value] == 0
    return expected


@pytest.mark.parametrize("seed", range(20))
def test_hundred_clients_on_a_bad_ksef_day_match_the_fault_free_run(
    office: Office, fault_free: Results, tmp_path: Path, seed: int
) -> None:
    store = office.fresh_store(tmp_path / "store")
    summary, calls, clock = _check_all(store, office.demo(tmp_path), Faults(seed=seed, **BAD_DAY), seed)
    try:
        assert "100" in summary
        assert _results(store) == fault_free
    finally:
        store.close()
    # The day really was bad: the client met every kind of fault and waited them out.
    statuses = Counter(entry.status for entry in calls)
    assert sum(n for status, n in statuses.items() if status and status >= 500) > 50
    assert statuses[None] > 5  # dropped connections
    assert statuses[429] > 0
    assert clock.elapsed > 60  # seconds of backoff and Retry-After, passed on the virtual clock


def _trace(calls: list[ApiLogEntry]) -> list[tuple[str, str, str | None, int | None]]:
    return [(e.method, e.route, e.context_nip, e.status) for e in calls]


def test_a_seed_replays_the_same_bad_day(office: Office, tmp_path: Path) -> None:
    """One client at a time, the same seed gives the same requests and the same answers, to the last."""
    traces = []
    for run, seed in enumerate((5, 5, 6)):
        home = tmp_path / f"run{run}"
        store = office.fresh_store(home / "store")
        _summary, calls, _clock = _check_all(
            store, office.demo(home), Faults(seed=seed, **BAD_DAY), seed, concurrency=1
        )
        store.close()
        traces.append(_trace(calls))
    assert traces[0] == traces[1]
    assert traces[0] != traces[2]
    assert any(status is not None and status >= 500 for *_, status in traces[0])


@pytest.mark.parametrize("profile", ["revoked", "cert_600", "token_and_cert"])
def test_a_credential_that_cannot_be_checked_says_ksef_is_unavailable(
    office: Office, tmp_path: Path, profile: str
) -> None:
    """KSeF down for the whole run: the check gives up within its bounds, says so, and the client keeps
    the colour and reason its last conclusive check gave it (red stays red, green stays green)."""
    store = office.fresh_store(tmp_path / "store")
    entry = next(e for e in office.roster if e.profile == profile)
    client = store.clients.find_by_nip(entry.nip)
    assert client is not None
    before = _client_health(store, client.id)
    clock = VirtualTime(NOW, frozen_wall=True)
    factory = office.demo(tmp_path).ksef_factory(
        timing=clock.timing(), clock=lambda: NOW, faults=Faults(error_rate=1.0)
    )
    asyncio.run(run_live_checks(store, factory, [client.id], lambda: NOW))
    creds = store.credentials.for_client(client.id)
    newest = [store.checks.history(cred.id, limit=1)[0] for cred in creds if cred.id is not None]
    assert newest and all(c.outcome is CheckOutcome.ERROR for c in newest)
    assert all("KSeF niedostępny, spróbuj później" in (c.message or "") for c in newest)
    # Bounded by the policy's waiting budget per credential (virtual seconds: no wall clock involved).
    assert clock.elapsed <= len(creds) * KsefClient("test").core.retry.max_wait + 5
    after = _client_health(store, client.id)
    assert (after.level, after.reason) == (before.level, before.reason)
    store.close()


def _client_health(store: Store, client_id: int) -> Health:
    return client_health(
        store.clients.get(client_id),
        store.credentials.for_client(client_id),
        store.checks.latest(client_id),
        store.sync_state.get(client_id),
        NOW,
    )


def test_token_revoked_mid_run_turns_red_with_reason(office: Office, tmp_path: Path) -> None:
    store = office.fresh_store(tmp_path / "store")
    entry = next(e for e in office.roster if e.profile == "token_and_cert")
    client = store.clients.find_by_nip(entry.nip)
    assert client is not None
    # KSeF revokes the token after its first successful login: the first check passes, the second fails.
    faults = Faults(revoke_token_after_auths={entry.nip: 1})
    # The client runs on the simulator's clock: on the wall clock its tokens would look expired at once
    # and it would log in twice in the first check (which the old version of this test did unnoticed).
    timing = VirtualTime(NOW, frozen_wall=True).timing()
    factory = office.demo(tmp_path).ksef_factory(timing=timing, clock=lambda: NOW, faults=faults)

    async def twice() -> Any:
        first = await run_live_checks(store, factory, [client.id], lambda: NOW)
        token = next(c for c in store.credentials.for_client(client.id) if c.kind.value == "ksef_token")
        assert store.checks.latest(client.id)[token.id].outcome is CheckOutcome.OK
        await run_live_checks(store, factory, [client.id], lambda: NOW)
        return first

    asyncio.run(twice())
    token = next(c for c in store.credentials.for_client(client.id) if c.kind.value == "ksef_token")
    check = store.checks.latest(client.id)[token.id]
    assert check.outcome is CheckOutcome.REVOKED
    health = credential_health(store.credentials.get(token.id), check, NOW, HealthSettings())
    assert health.level is Level.RED and "Unieważniony" in health.reason
    store.close()

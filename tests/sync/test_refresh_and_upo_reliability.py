"""Session refresh and the bulk UPO download survive a bad KSeF day (issue 17 item 5).

Every client of the demo roster is refreshed and every missing UPO downloaded, once with no faults and
then under the fault mix of the live-check test (20 % 5xx, 5 % drops, 429 bursts, latency spikes) on a
virtual clock: the same clients fail for the same reasons (their credentials), the store ends with the
same sessions, and the same UPO files are written. Logins are retried like every other operation.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from ksef_tui.core.clock import VirtualTime
from ksef_tui.core.ksef_sessions import SessionFilter
from ksef_tui.ksef.apilog import ApiLogEntry
from ksef_tui.simulator.faults import Faults
from ksef_tui.sync.sessions import refresh_sessions
from ksef_tui.sync.upo import download_missing_upos
from tests.sync.offices import NOW, Office, seeded_office
from tests.sync.test_live_checks_reliability import BAD_DAY

SINCE = NOW - timedelta(days=61)


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Office:
    return seeded_office(tmp_path_factory)


@dataclass
class Outcome:
    refresh_failures: dict[str, str]  # short code -> error type
    upo_failures: dict[str, int]  # short code -> how many failed
    fetched: int
    sessions: dict[str, list[tuple[Any, ...]]]
    files: list[str]
    calls: list[ApiLogEntry]


def _run(office: Office, home: Path, faults: Faults | None, seed: int) -> Outcome:
    store = office.fresh_store(home / "store")
    clock = VirtualTime(NOW, seed=seed, frozen_wall=True)
    factory = office.demo(home).ksef_factory(timing=clock.timing(), clock=lambda: NOW, faults=faults)
    calls: list[ApiLogEntry] = []
    factory.api_log.sink = calls.append
    clients = {c.id: c.short_code for c in store.clients.list()}
    folder = home / "upo"

    async def run() -> tuple[dict[str, str], Any]:
        failures: dict[str, str] = {}
        try:
            for client_id, code in clients.items():
                try:
                    await refresh_sessions(store, factory, client_id, lambda: NOW, since=SINCE, force=True)
                except Exception as err:
                    failures[code] = type(err).__name__
            result = await download_missing_upos(
                store, factory, list(clients), folder, lambda: NOW, since=SINCE
            )
        finally:
            await factory.aclose()
        return failures, result

    try:
        failures, result = asyncio.run(run())
        sessions = {
            code: sorted(
                (r.reference, r.status_code, r.invoices_total, r.invoices_accepted, r.upo_complete)
                for r in store.ksef_sessions.page(SessionFilter(client_id=client_id), 0, 10_000)
            )
            for client_id, code in clients.items()
        }
    finally:
        store.close()
    return Outcome(
        refresh_failures=failures,
        upo_failures={clients[cid]: len(errors) for cid, errors in result.client_errors.items()},
        fetched=result.fetched,
        sessions=sessions,
        files=sorted(str(p.relative_to(folder)) for p in folder.rglob("*.xml")),
        calls=calls,
    )


@pytest.fixture(scope="module")
def fault_free(office: Office, tmp_path_factory: pytest.TempPathFactory) -> Outcome:
    outcome = _run(office, tmp_path_factory.mktemp("clean"), None, seed=0)
    # The roster's bad credentials fail, the rest refresh and fetch their UPOs; KSeF's limits are kept.
    assert 3 <= len(outcome.refresh_failures) < 15
    assert outcome.fetched > 50 and len(outcome.files) >= outcome.fetched
    assert not [c for c in outcome.calls if c.status == 429]
    return outcome


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_refresh_and_upo_on_a_bad_day_match_the_fault_free_run(
    office: Office, fault_free: Outcome, tmp_path: Path, seed: int
) -> None:
    outcome = _run(office, tmp_path, Faults(seed=seed, **BAD_DAY), seed)
    assert outcome.refresh_failures == fault_free.refresh_failures
    assert outcome.upo_failures == fault_free.upo_failures
    assert outcome.fetched == fault_free.fetched
    assert outcome.sessions == fault_free.sessions
    assert outcome.files == fault_free.files
    statuses = Counter(c.status for c in outcome.calls)
    assert sum(n for s, n in statuses.items() if s and s >= 500) > 20 and statuses[None] > 0
    logins_retried = Counter(c.route for c in outcome.calls if c.route == "/auth/challenge")
    assert logins_retried["/auth/challenge"] > Counter(c.route for c in fault_free.calls)["/auth/challenge"]

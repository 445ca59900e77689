"""Issue 12 end to end over real HTTP: purchase invoices from `ksef-tui simulator` (a separate process)
into a real store, through the CLI (`ksef-tui sync`, `ksef-tui invoices`) and through SIGKILLs.

Ground truth is the simulator's `GET /_sim/purchases?buyer=NIP` (every purchase with its storage date and
whether it lies below KSeF's HWM). The simulator runs on the real clock, so invoices keep arriving while
the test runs; the comparison is therefore made against the cursor each client ended at: everything
KSeF stored from the client's start point up to its cursor must be in the store, exactly once, and
nothing the store holds may lie above the HWM KSeF reports afterwards.
"""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import shutil
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

import ksef_tui.store.store as store_module
from ksef_tui.__main__ import cli
from ksef_tui.core.clock import system_clock
from ksef_tui.core.purchases import SUBJECT_BUYER, PurchaseStatus
from ksef_tui.ksef.client import KsefClient
from ksef_tui.store import Store
from ksef_tui.sync.connections import KsefConnections
from ksef_tui.sync.purchases import sync_purchases
from tests.e2e_simulator import PASSPHRASE, RealOffice, Simulator, real_office, start_simulator

KILL_POINTS = 20


@pytest.fixture(scope="module")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulator]:
    # Rate limits off: twenty interrupted syncs in a row would otherwise wait out KSeF's export budget
    # (the pacing itself is the benchmark's subject). Exports ready at the first poll, packages of 10.
    sim = start_simulator(tmp_path_factory, "--no-rate-limits")
    running = next(sim)
    root = running.base_url.removesuffix("/v2")
    httpx.patch(
        f"{root}/_sim/faults", json={"export_processing_polls": 0, "export_truncate_at": 10}
    ).raise_for_status()
    yield running
    next(sim, None)


def _buyers(sim: Simulator, n: int) -> list[tuple[str, dict[str, Any]]]:
    good = [
        t
        for t in sim.world["taxpayers"]
        if t["token"] and t["token_status"] == "Active" and "InvoiceRead" in t["permissions"]
    ]
    assert len(good) >= n
    return [(f"K{i:02d}", t) for i, t in enumerate(good[:n])]


def _truth(sim: Simulator, nip: str) -> tuple[list[dict[str, Any]], datetime]:
    root = sim.base_url.removesuffix("/v2")
    data = httpx.get(f"{root}/_sim/purchases", params={"buyer": nip}).json()
    return data["purchases"], datetime.fromisoformat(data["hwm"])


def _check(sim: Simulator, home: Path, *, complete: bool) -> dict[str, int]:
    """The store opens cleanly; no invoice twice; nothing KSeF stored between a client's start point and
    its cursor is missing (the cursor is never ahead of stored data); nothing stored lies above KSeF's
    HWM. Returns invoices stored per NIP."""
    counts = {}
    with Store.open(home, PASSPHRASE) as store:
        for client in store.clients.list():
            assert client.id is not None
            records = [
                r for r in store.purchases.list([client.id]) if r.status is not PurchaseStatus.PROVISIONAL
            ]
            numbers = [r.ksef_number for r in records]
            assert len(numbers) == len(set(numbers)), f"{client.short_code}: an invoice stored twice"
            rows, hwm = _truth(sim, client.nip)
            state = store.purchases.state(client.id, SUBJECT_BUYER)
            if state is None or state.cursor is None or state.started_from is None:
                assert not numbers
                continue
            start, cursor = state.started_from, state.cursor
            dated = {r["ksefNumber"]: datetime.fromisoformat(r["permanentStorageDate"]) for r in rows}
            must = {n for n, d in dated.items() if start <= d < cursor}
            assert must <= set(numbers), f"{client.short_code}: the cursor is ahead of stored data"
            assert all(dated[n] <= hwm for n in numbers), f"{client.short_code}: stored above the HWM"
            for record in records:  # the exact bytes KSeF holds, sealed
                xml = store.documents.get(client.id, "invoice", record.ksef_number)
                assert xml is not None
            if complete:
                assert {n for n, d in dated.items() if start <= d <= cursor} <= set(numbers)
                assert not state.pending and not state.last_error
            counts[client.nip] = len(numbers)
    return counts


def test_sync_then_invoices_hold_what_each_client_context_lists_in_ksef(
    simulator: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    office = real_office(simulator, tmp_path, monkeypatch, _buyers(simulator, 3))
    run = CliRunner().invoke(cli, ["sync", "--format", "json", "--passphrase-file", office.passphrase_file])
    assert run.exit_code == 0, run.output
    rows = json.loads(run.stdout)
    assert {r["client"] for r in rows} == set(office.ids) and all(r["packages"] > 1 for r in rows)
    counts = _check(simulator, office.home, complete=True)
    listed = CliRunner().invoke(
        cli, ["invoices", "--format", "json", "--passphrase-file", office.passphrase_file]
    )
    assert listed.exit_code == 0, listed.output
    invoices = json.loads(listed.stdout)
    assert {nip: sum(1 for i in invoices if i["client_nip"] == nip) for nip in counts} == counts
    truth = {r["ksefNumber"]: r for nip in counts for r in _truth(simulator, nip)[0]}
    for row in invoices:  # what `invoices` prints is what KSeF holds
        assert row["seller_nip"] == truth[row["ksef_number"]]["sellerNip"]
        assert row["invoice_number"] == truth[row["ksef_number"]]["invoiceNumber"]
    again = CliRunner().invoke(cli, ["sync", "--format", "json", "--passphrase-file", office.passphrase_file])
    assert again.exit_code == 0 and all(r["skipped"] for r in json.loads(again.stdout))  # 15 minutes


# --- killed mid-sync ----------------------------------------------------------------------------------


def _child(home: str, base_url: str, kill_at: int, out: Any) -> None:
    """Sync every client; SIGKILL ourselves at the `kill_at`-th point (0: never). Points: every HTTP
    request, every store write transaction's start, and every one's end just before its COMMIT."""
    passed = 0

    def point() -> None:
        nonlocal passed
        passed += 1
        if passed == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    send = httpx.AsyncClient.send

    async def counted_send(self: httpx.AsyncClient, *args: Any, **kwargs: Any) -> httpx.Response:
        point()
        return await send(self, *args, **kwargs)

    transaction = store_module.write_transaction

    @contextmanager
    def counted_transaction(db: Any) -> Iterator[Any]:
        point()
        with transaction(db) as conn:
            yield conn
            point()  # everything written, nothing committed

    httpx.AsyncClient.send = counted_send  # type: ignore[method-assign]
    store_module.write_transaction = counted_transaction  # type: ignore[assignment]
    store = Store.open(Path(home), PASSPHRASE)
    factory = KsefConnections(lambda _env, log: KsefClient(base_url, api_log=log, rate_limits_enabled=False))

    async def run() -> Any:
        try:
            return await sync_purchases(store, factory, clock=system_clock, force=True)
        finally:
            await factory.aclose()

    report = asyncio.run(run())
    store.close()
    out.send((passed, [r.error for r in report.failed]))
    os._exit(0)


def _run_child(office: RealOffice, base_url: str, kill_at: int) -> tuple[int, list[str]] | None:
    """(points passed, errors) of a run that finished, None when it was killed."""
    ctx = multiprocessing.get_context("fork")  # the child shares our imports: no second start-up
    receive, send = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_child, args=(str(office.home), base_url, kill_at, send))
    proc.start()
    send.close()
    proc.join(120)
    assert proc.exitcode is not None, "the child hangs"
    if proc.exitcode == -signal.SIGKILL:
        return None
    assert proc.exitcode == 0, proc.exitcode
    result: tuple[int, list[str]] = receive.recv()
    return result


def test_killed_at_twenty_points_during_a_sync_then_run_again(
    simulator: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGKILL at 20 different points of a sync of several clients (requests, write transactions begun
    and about to commit), each time followed by the checks: the store opens, nothing twice, no cursor
    ahead of stored data. The next run goes on from there; a last run finishes. Same final set."""
    office = real_office(simulator, tmp_path, monkeypatch, _buyers(simulator, 4))
    # How many points one whole run passes, on a copy of the office (a dry run that is not killed).
    dry = RealOffice(tmp_path / "dry", office.passphrase_file, office.ids)
    shutil.copytree(office.home, dry.home)
    finished = _run_child(dry, simulator.base_url, 0)
    assert finished is not None and not finished[1], finished
    total = finished[0]
    assert total > 4 * KILL_POINTS  # several packages of several clients: points to spare
    # Twenty points spread over a run; each run starts where the killed one left the store, so later
    # kills land in later phases of the work (resumed exports, the last packages, reconciliation).
    points = [1 + (total * k) // (KILL_POINTS + 1) // 2 for k in range(1, KILL_POINTS + 1)]
    killed = 0
    for at in points:
        if _run_child(office, simulator.base_url, at) is None:
            killed += 1
        _check(simulator, office.home, complete=False)
    assert killed >= KILL_POINTS // 2  # most runs really were cut short
    last = _run_child(office, simulator.base_url, 0)
    assert last is not None and not last[1], last
    _check(simulator, office.home, complete=True)
    # The same final set as the run that was never interrupted (plus what arrived in KSeF meanwhile).
    assert _numbers(office.home) >= _numbers(dry.home)


def _numbers(home: Path) -> set[str]:
    with Store.open(home, PASSPHRASE) as store:
        return {r.ksef_number for r in store.purchases.list() if r.status is not PurchaseStatus.PROVISIONAL}

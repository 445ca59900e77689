"""Issue 3 speed: checking 300 clients against the in-process simulator (rate limits off), against the
same number of bare httpx round trips to the same app, measured in the same run. Target: ratio ≤ 3.

The bare baseline sends as many requests as the checks did (counted from the API log), each a plain
GET of /v2/security/public-key-certificates (no auth, no crypto), with the same concurrency.

Run: .venv/bin/python benchmarks/bench_live_check.py [--clients 300]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from ksef_tui.core.demo_roster import make_roster
from ksef_tui.demo import Demo, seed_store
from ksef_tui.simulator.app import create_app
from ksef_tui.simulator.ratelimit import RateLimitConfig
from ksef_tui.simulator.world import build_world
from ksef_tui.store import KdfLimits, Store
from ksef_tui.sync.live_checks import run_live_checks

CONCURRENCY = 8


async def bare_round_trips(app, n: int) -> float:  # type: ignore[no-untyped-def]
    gate = asyncio.Semaphore(CONCURRENCY)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://sim") as client:
        await client.get("/v2/security/public-key-certificates")  # warm the keys like the checks do

        async def one() -> None:
            async with gate:
                r = await client.get("/v2/security/public-key-certificates")
                r.raise_for_status()

        t0 = time.perf_counter()
        await asyncio.gather(*(one() for _ in range(n)))
        return time.perf_counter() - t0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=300)
    args = parser.parse_args()
    now = datetime.now(UTC)
    roster = make_roster(now, 11, extra_healthy=args.clients - 21)[: args.clients]
    world = build_world(seed=11, now=now, roster=roster)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.create(Path(tmp) / "s", "bench passphrase", kdf=KdfLimits.FAST_FOR_TESTS)
        seed_store(store, roster, world, now)
        demo = Demo(Path(tmp) / "s", roster, world, now)
        factory = demo.ksef_factory(rate_limits=RateLimitConfig(enabled=False))
        ids = [c.id for c in store.clients.list()]
        creds = sum(len(v) for v in store.credentials.all().values())

        async def run_checks() -> float:
            # Warm up outside the timing, as the bare run does: the simulator derives its MF keys once,
            # and the client fetches and caches them once.
            warm = store.clients.list()[0]
            async with factory(warm) as ksef:
                await ksef.public_keys.certificates(ksef.core)
            t0 = time.perf_counter()
            await run_live_checks(store, factory, ids, lambda: datetime.now(UTC), concurrency=CONCURRENCY)
            return time.perf_counter() - t0

        ours = asyncio.run(run_checks())
        requests = len(factory.api_log.recent(None, 10**9))
        app = create_app(world, rate_limits=RateLimitConfig(enabled=False))
        bare = asyncio.run(bare_round_trips(app, requests))
        store.close()
    print(f"clients: {len(ids)}, credentials checked: {creds}, HTTP requests made: {requests}")
    print(f"live checks: {ours:.2f} s ({ours / len(ids) * 1000:.1f} ms per client)")
    print(f"bare httpx round trips ({requests}, same app, same concurrency): {bare:.2f} s")
    print(f"ratio checks/bare: {ours / bare:.2f}  (target ≤ 3)")


if __name__ == "__main__":
    main()

"""Probing 300 clients with the office certificate (issue 11): production limits compressed, in-process
simulator. Each probe is a full XAdES login in the client's context (challenge, signed request, status
poll, redeem). The floor is KSeF's challenge limit, which every client's login shares (60/s per office
IP, API-NOTES §16): 300 challenges take at least 300/60 s, divided by the compression. Printed: calls,
429s (must be 0), time, and the ratio to that floor.

    .venv/bin/python benchmarks/bench_probe.py [--clients 300] [--scale 10] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter
from datetime import UTC, datetime

import httpx

from ksef_tui.core.demo_roster import make_roster
from ksef_tui.core.models import Client, Credential, CredentialKind
from ksef_tui.ksef.apilog import ApiLog
from ksef_tui.ksef.client import KsefClient
from ksef_tui.simulator.app import create_app
from ksef_tui.simulator.entity_grants import grant_entity
from ksef_tui.simulator.ratelimit import RateLimitConfig
from ksef_tui.simulator.world import build_world
from ksef_tui.sync.grants import probe_one


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=300)
    parser.add_argument("--scale", type=float, default=10.0)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    now = datetime.now(UTC)
    roster = make_roster(now, 2026, extra_healthy=max(0, args.clients - 22))
    world = build_world(seed=2026, now=now, roster=roster)
    nips = [e.nip for e in roster][: args.clients]
    for nip in nips:
        grant_entity(world, nip, world.office_nip, {"InvoiceRead": False, "InvoiceWrite": False})
    app = create_app(world, rate_limits=RateLimitConfig(scale=args.scale))
    office = world.office_certificate
    assert office is not None
    cred = Credential(
        0,
        CredentialKind.OFFICE_CERTIFICATE,
        secret=office.private_key_pem,
        certificate_pem=office.certificate_pem,
    )
    log = ApiLog()
    calls: list[int | None] = []
    log.sink = lambda entry: calls.append(entry.status)
    world.keys.mf_keys  # noqa: B018  (derive the MF keys before timing)

    async def run() -> tuple[float, Counter[int | None]]:
        client = KsefClient(
            "http://sim/v2",
            transport=httpx.ASGITransport(app=app),
            rate_limit_scale=args.scale,
            api_log=log,
        )
        gate = asyncio.Semaphore(args.concurrency)
        statuses: Counter[int | None] = Counter()

        async def one(nip: str) -> None:
            async with gate:
                probe = await probe_one(client, Client(nip, "X", [nip]), cred, lambda: now)
                statuses[probe.status] += 1

        started = time.perf_counter()
        await asyncio.gather(*(one(n) for n in nips))
        elapsed = time.perf_counter() - started
        await client.aclose()
        return elapsed, statuses

    elapsed, statuses = asyncio.run(run())
    floor = len(nips) / 60.0 / args.scale
    http = Counter(calls)
    print(f"clients probed: {len(nips)}; outcomes: {dict(statuses)}")
    print(f"calls: {len(calls)} ({len(calls) / len(nips):.1f} per client); 429: {http[429]}")
    print(f"time: {elapsed:.2f} s; challenge floor: {floor:.2f} s; ratio {elapsed / floor:.2f}")


if __name__ == "__main__":
    main()

"""Rate scheduler throughput: a backlog of requests for one context, production limits compressed 100×.

A local httpx.MockTransport handler enforces KSeF's sliding windows exactly (per second, minute, hour,
scaled like the client) and answers 429 on any breach. The client must reach ≥ 90 % of the allowed
rate with no 429. "Allowed" is the ideal schedule: each request sent at the earliest instant all windows
permit (computed in virtual time), so the ratio is ideal duration / achieved duration.

    .venv/bin/python benchmarks/bench_rate_scheduler.py [--requests N] [--group sessionMisc] [--scale 100]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import sys
import time
from collections import deque

import httpx

from ksef_tui.ksef.auth import AuthManager
from ksef_tui.ksef.client import KsefClient
from ksef_tui.ksef.models import AuthTokens, TokenInfo
from ksef_tui.ksef.ratelimit import DEFAULT_LIMITS, ROUTE_GROUPS, Limit
from ksef_tui.ksef.retry import NO_RETRY

ROUTE_BY_GROUP = {
    "sessionMisc": ("GET", "/sessions/{referenceNumber}", "/sessions/20250918-SO-3789A40000-20373E1269-A3"),
    "invoiceStatus": (
        "GET",
        "/sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}",
        "/sessions/20250918-SO-3789A40000-20373E1269-A3/invoices/20250918-EE-2F15D39000-242207E5C4-1B",
    ),
    "invoiceExportStatus": (
        "GET",
        "/invoices/exports/{referenceNumber}",
        "/invoices/exports/20250918-EH-1-1-01",
    ),
}


class WindowServer:
    """Counts arrivals per sliding window exactly as KSeF describes; 429 on breach."""

    def __init__(self, limit: Limit, scale: float) -> None:
        self.windows = [(w / scale, n) for w, n in limit.windows()]
        self.arrivals: deque[float] = deque()
        self.accepted: list[float] = []
        self.rejected = 0

    def handle(self, request: httpx.Request) -> httpx.Response:
        now = time.perf_counter()
        for window, count in self.windows:
            in_window = sum(1 for t in self.arrivals if t > now - window)
            if in_window >= count:
                self.rejected += 1
                return httpx.Response(
                    429,
                    json={"status": {"code": 429, "description": "x", "details": []}},
                    headers={"Retry-After": "1"},
                )
        self.arrivals.append(now)
        longest = max(w for w, _ in self.windows)
        while self.arrivals and self.arrivals[0] <= now - longest:
            self.arrivals.popleft()
        self.accepted.append(now)
        return httpx.Response(200, json={"status": {"code": 200, "description": "ok"}, "dateCreated": None})


def ideal_duration(limit: Limit, scale: float, n: int) -> float:
    """The earliest possible time of the n-th request when each goes as soon as all windows allow."""
    times: list[float] = []
    for i in range(n):
        t = 0.0
        for window, count in limit.windows():
            if i >= count:
                t = max(t, times[i - count] + window / scale)
        times.append(t)
    return times[-1] - times[0]


async def run(n: int, group: str, scale: float) -> tuple[float, float, int, int]:
    limit = DEFAULT_LIMITS[group]
    method, route, path = ROUTE_BY_GROUP[group]
    assert ROUTE_GROUPS[(method, route)] == group
    server = WindowServer(limit, scale)
    client = KsefClient(
        "https://ksef.bench/v2",
        transport=httpx.MockTransport(server.handle),
        rate_limit_scale=scale,
        retry=NO_RETRY,
    )
    far = dt.datetime(2099, 1, 1, tzinfo=dt.UTC)
    client.context_nip = "5265877635"
    client._auth = AuthManager(
        client.core, "5265877635", tokens=AuthTokens(TokenInfo("bench-access-token", far))
    )

    async def one() -> None:
        # A 429 is counted by the server (retries are off, so none is hidden by a retry).
        with contextlib.suppress(Exception):
            await client._authed(method, route, path_params=_params(route, path))

    await asyncio.gather(*(one() for _ in range(n)))
    await client.aclose()
    achieved = server.accepted[-1] - server.accepted[0] if len(server.accepted) > 1 else float("inf")
    return ideal_duration(limit, scale, n), achieved, server.rejected, len(server.accepted)


def _params(route: str, path: str) -> dict[str, str]:
    names = [seg[1:-1] for seg in route.split("/") if seg.startswith("{")]
    values = [
        seg for seg, tmpl in zip(path.split("/"), route.split("/"), strict=True) if tmpl.startswith("{")
    ]
    return dict(zip(names, values, strict=True))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--group", default="sessionMisc", choices=sorted(ROUTE_BY_GROUP))
    parser.add_argument("--scale", type=float, default=100.0)
    args = parser.parse_args(argv)
    limit = DEFAULT_LIMITS[args.group]
    ideal, achieved, rejected, accepted = asyncio.run(run(args.requests, args.group, args.scale))
    ratio = ideal / achieved
    print(
        f"group={args.group} limits={limit.per_second}/s {limit.per_minute}/min {limit.per_hour}/h "
        f"scale={args.scale:g}x requests={args.requests}"
    )
    print(f"ideal (allowed) duration {ideal:.3f} s, achieved {achieved:.3f} s")
    print(f"achieved/allowed rate ratio = {ratio:.3f}   accepted={accepted} 429s={rejected}")
    ok = ratio >= 0.90 and rejected == 0
    print("PASS" if ok else "FAIL (need ratio >= 0.90 and no 429)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Issue 12 speed: a long purchase backlog against KSeF's export limit, production limits compressed 100×.
Targets: ≥ 90 % of each context's export budget used, and no 429.

`--contexts` demo clients each have a backlog of `--invoices` purchases spread over the `--days` before the
clock (3 months by default), and the simulator cuts every export package at `--truncate` invoices, so
draining a backlog takes invoices / truncate + 1 packages, one export each. Both sides run on real time
with the production limits compressed `--scale` times: the client's RateScheduler(scale=...) and the
simulator's RateLimitConfig(scale=...), so an hour window lasts 3600 / scale seconds (36 s at 100×).
`sync_purchases` runs until every backlog is drained (one call: a truncated package is followed by the
next one at once).

The simulator's rate limiter is watched: every export start it accepted, per context, with its time, and
every request it refused. The figures, per context: the export starts in each full hour window from the
first start (KSeF: invoiceExport 8/s, 16/min, 20/h, core/rate_limits.py) against the 20 allowed, i.e. the
share of the budget used, and the achieved duration against the ideal one (each start at the earliest
instant all three windows allow, as bench_rate_scheduler.py computes it); then the 429 answers of the
whole run (target 0).

Exports are ready at their first status poll (`export_processing_polls=0`): the first poll's wait in the
sync (2 s, POLL_FIRST) is real time, not compressed, and at 100× it would stand for 200 s of production
time per package, more than the 180 s between two exports the hourly limit allows; it would measure the
compression, not the sync. `--processing-polls 1` shows that case.

Run: .venv/bin/python benchmarks/bench_purchase_budget.py [--contexts 2] [--invoices 600] [--truncate 10]
     [--days 90] [--scale 100] [--processing-polls 0]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_purchase_sync import HWM_LAG, NOW, build_office

from ksef_tui.core.clock import WARSAW, Timing
from ksef_tui.core.rate_limits import LIMITS
from ksef_tui.ksef.ratelimit import RateScheduler
from ksef_tui.simulator.arrivals import add_purchases
from ksef_tui.simulator.faults import Faults
from ksef_tui.simulator.ratelimit import RateLimitConfig

GROUP = "invoiceExport"


class Watch:
    """Wraps the simulator's RateLimiter.hit: what it accepted and refused, by (context, group)."""

    def __init__(self, limiter: Any) -> None:
        self.limiter = limiter
        self.hit = limiter.hit
        self.accepted: dict[tuple[str, str], list[float]] = defaultdict(list)
        self.refused: dict[tuple[str, str], int] = defaultdict(int)
        limiter.hit = self

    def __call__(self, key: str, group: str) -> Any:
        breach = self.hit(key, group)
        context = key.split("|", 1)[0]  # the simulator counts per "context|IP"
        if breach is None:
            self.accepted[(context, group)].append(self.limiter.config.monotonic())
        else:
            self.refused[(context, group)] += 1
        return breach


def ideal_duration(n: int, scale: float) -> float:
    """From the first to the n-th export start, each at the earliest instant every window allows."""
    times: list[float] = []
    for i in range(n):
        t = 0.0
        for window, count in LIMITS[GROUP].windows():
            if i >= count:
                t = max(t, times[i - count] + window / scale)
        times.append(t)
    return times[-1] - times[0] if times else 0.0


def per_window(starts: list[float], span: float) -> list[int]:
    """Starts in each full window of `span` seconds from the first start, up to the last start."""
    if not starts:
        return []
    first, last = starts[0], starts[-1]
    full = int((last - first) // span)
    counts = [0] * full
    for t in starts:
        k = int((t - first) // span)
        if k < full:
            counts[k] += 1
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contexts", type=int, default=2, help="clients (contexts) with a backlog")
    parser.add_argument("--invoices", type=int, default=600, help="backlog per context")
    parser.add_argument("--truncate", type=int, default=10, help="invoices per export package")
    parser.add_argument("--days", type=int, default=90, help="how far back the backlog reaches")
    parser.add_argument("--scale", type=float, default=100.0, help="time compression of the limits")
    parser.add_argument("--processing-polls", type=int, default=0, help="status polls an export stays 100")
    args = parser.parse_args(argv)
    since = (NOW - timedelta(days=args.days)).astimezone(WARSAW).date()

    def backlog(world: Any, nip: str, start: Any) -> None:
        # Evenly over the period, the last one well below the HWM.
        first = start + timedelta(hours=1)
        span = (NOW - HWM_LAG - timedelta(hours=1)) - first
        spacing = span.total_seconds() / max(1, args.invoices)
        add_purchases(world, nip, args.invoices, now=NOW, storage_from=first, spacing_seconds=spacing)

    timing = Timing()
    faults = Faults(export_truncate_at=args.truncate, export_processing_polls=args.processing_polls)
    with tempfile.TemporaryDirectory() as tmp:
        office = build_office(
            Path(tmp),
            args.contexts,
            invoices=None,
            client_timing=timing,
            scheduler=RateScheduler(scale=args.scale, timing=timing),
            rate_limits=RateLimitConfig(scale=args.scale),
            faults=faults,
            since=since,
            add=backlog,
        )
        try:
            expected = {nip: len(office.truth(nip)) for nip in office.ids}
            watch = Watch(office.app.state.sim.limiter)
            t0 = time.perf_counter()
            report = office.sync(concurrency=max(1, args.contexts))
            elapsed = time.perf_counter() - t0
            stored = {
                nip: sum(1 for r in office.store.purchases.list([cid]) if r.ksef_number)
                for nip, cid in office.ids.items()
            }
            by_client = {r.client_id: r for r in report.results}
        finally:
            office.close()
    limit = LIMITS[GROUP]
    hour = 3600.0 / args.scale
    print(
        f"contexts: {args.contexts}, backlog per context: {args.invoices} invoices over {args.days} days "
        "(plus the world's own purchases in that period), "
        f"package cap: {args.truncate}, scale: {args.scale:g}x (an hour = {hour:.1f} s), "
        f"{GROUP} limits {limit.per_second}/s {limit.per_minute}/min {limit.per_hour}/h"
    )
    print(f"sync: {elapsed:.1f} s, {len(report.failed)} clients failed")
    for r in report.failed:
        print(f"  failed: {r.short_code}: {r.error}")
    shares: list[float] = []
    ok = not report.failed
    for nip, cid in office.ids.items():
        starts = watch.accepted.get((nip, GROUP), [])
        result = by_client[cid]
        windows = per_window(starts, hour)
        used = sum(windows) / (limit.per_hour * len(windows)) if windows and limit.per_hour else None
        achieved = starts[-1] - starts[0] if len(starts) > 1 else 0.0
        ideal = ideal_duration(len(starts), args.scale)
        print(
            f"context {nip}: stored {stored[nip]} of {expected[nip]}, packages {result.packages}, "
            f"export starts {len(starts)}, refused {watch.refused.get((nip, GROUP), 0)}"
        )
        print(f"  starts per full hour window: {windows if windows else 'none (less than an hour)'}")
        budget = f"{used:.1%}" if used is not None else "n/a"
        rate = f"{ideal / achieved:.3f}" if achieved > 0 else "n/a"
        print(
            f"  budget used: {budget}  (target ≥ 90 %); ideal {ideal:.2f} s, achieved {achieved:.2f} s, "
            f"ideal/achieved {rate}"
        )
        if used is not None:
            shares.append(used)
        ok = ok and stored[nip] == expected[nip] and result.packages == len(starts)
    refused = sum(watch.refused.values())
    answered_429 = office.app.statuses.get(429, 0)
    print(
        f"429 answers: {answered_429} (rate limiter refusals: {refused}, export starts among them: "
        f"{sum(v for (_c, g), v in watch.refused.items() if g == GROUP)})  (target 0)"
    )
    if shares:
        print(f"budget used, lowest context: {min(shares):.1%}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

"""Approving 1,000 marked bookings in one step, sealed writes and audit included, and its undo (issue 13).

    .venv/bin/python benchmarks/bench_bookings_store.py [--bookings N] [--clients C] [--open O] [--runs R]

A real store on disk (FAST_FOR_TESTS key derivation only; sealing is the real XChaCha20-Poly1305) with
`--open` open bookings over `--clients` clients; the step is `store.bookings.decide` of one Decision
(N after-states + N audit entries, one transaction, executemany) and `store.bookings.undo` of it, each
timed `--runs` times on fresh bookings (median printed). Target (issue): < 1 s each for 1,000. Also
prints the queue's first page from the store (500 rows of all open bookings, SQL-paged) for reference.
No timing is asserted in tests.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "store"))

from booking_helpers import approval, booking
from store_helpers import client

from ksef_tui.core.bookings import OPEN_STATUSES, Booking
from ksef_tui.core.clock import fixed_clock
from ksef_tui.store import KdfLimits, Store

NOW = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bookings", type=int, default=1_000)
    parser.add_argument("--clients", type=int, default=300)
    parser.add_argument("--open", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        store = Store.create(
            Path(tmp) / "home", "bench pass", kdf=KdfLimits.FAST_FOR_TESTS, clock=fixed_clock(NOW)
        )
        try:
            ids = [store.clients.add(client(n)).id for n in range(args.clients)]
            t0 = time.perf_counter()
            per = max(1, args.open // args.clients)
            made: list[Booking] = []
            for k, cid in enumerate(ids):
                assert cid is not None
                made += [
                    booking(
                        cid,
                        k * per + n,
                        queued_at=NOW - timedelta(minutes=k * per + n),
                        gross=Decimal("123.45"),
                    )
                    for n in range(per)
                ]
            store.bookings.put_many(made)
            seeded = time.perf_counter() - t0
            t0 = time.perf_counter()
            page = store.bookings.list(None, OPEN_STATUSES, 0, 500)
            first_page = time.perf_counter() - t0
            decide_times, undo_times = [], []
            pool = store.bookings.list(None, OPEN_STATUSES)
            for run in range(args.runs):
                chosen = pool[run * args.bookings : (run + 1) * args.bookings]
                decision = approval(chosen, NOW + timedelta(minutes=run))
                t0 = time.perf_counter()
                saved = store.bookings.decide(decision)
                decide_times.append(time.perf_counter() - t0)
                t0 = time.perf_counter()
                store.bookings.undo(saved, "bench", NOW)
                undo_times.append(time.perf_counter() - t0)
                assert store.bookings.get(chosen[0].client_id, chosen[0].ksef_number) == chosen[0]
                pool[run * args.bookings : (run + 1) * args.bookings] = [replace(b) for b in chosen]
        finally:
            store.close()
    print(f"open bookings: {len(made)} over {args.clients} clients (seeded in {seeded:.2f} s)")
    print(f"queue first page from the store ({len(page)} rows): {first_page * 1000:.0f} ms")
    print(
        f"approve {args.bookings} in one step (decide): median {statistics.median(decide_times):.3f} s "
        f"of {[round(t, 3) for t in decide_times]}  (target < 1 s)"
    )
    print(
        f"undo of it: median {statistics.median(undo_times):.3f} s of {[round(t, 3) for t in undo_times]}  "
        "(target < 1 s)"
    )


if __name__ == "__main__":
    main()

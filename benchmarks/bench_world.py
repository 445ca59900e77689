"""The simulator's seeded world for the demo roster: build time, best of N. Target: under 1 s, since the
demo and every simulator test fixture builds one.

This bound used to be an assertion in tests/simulator/test_world.py; the suite keeps what the world holds
and that a seed replays, and the time is measured here.

    .venv/bin/python benchmarks/bench_world.py [--runs 3]
"""

from __future__ import annotations

import argparse
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from ksef_tui.core.demo_roster import make_roster
from ksef_tui.simulator.world import build_world

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)  # as in tests/simulator/conftest.py
TARGET_S = 1.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    roster = make_roster(NOW, 2026)
    times = []
    for _ in range(args.runs):
        started = time.perf_counter()
        build_world(seed=2026, now=NOW, roster=roster)
        times.append(time.perf_counter() - started)
    best = min(times)
    met = best < TARGET_S
    print(f"build_world for {len(roster)} roster entries: best {best:.2f} s of {args.runs}", end="")
    print(f" (target < {TARGET_S:.0f} s)")
    print("met" if met else "NOT met")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())

"""Time and chance, passed in everywhere (issue 8: "one injectable clock/sleep/random").

- `Clock`: the wall clock (timezone-aware UTC); tests and snapshots inject a fixed one.
- `Timing`: everything that waits, paces or jitters in `ksef/` and `sync/` — the wall clock, a monotonic
  clock, an awaitable sleep and a random stream — travels together in one object, so a test swaps all
  four at once and a seed replays.
- `WARSAW`: Polish time (Europe/Warsaw), the one zone object for every date KSeF shows, parses or
  numbers in local time (API-NOTES §2: a date without an offset is Warsaw time); import it from here.
- `VirtualTime`: a fake clock for tests and benchmarks on which sleeping advances time instead of
  waiting. It is deliberately simple: every sleep moves the one shared timeline forward by its length, so
  concurrent sleepers add up rather than overlap. That only ever makes more time pass than asked for,
  which is what a rate window, a Retry-After or a backoff needs; nothing may rely on concurrent tasks
  waking at the same instant.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

Clock = Callable[[], datetime]
Monotonic = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

WARSAW = ZoneInfo("Europe/Warsaw")


def system_clock() -> datetime:
    return datetime.now(UTC)


def fixed_clock(at: datetime) -> Clock:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return lambda: at


async def system_sleep(seconds: float) -> None:
    await asyncio.sleep(seconds)


@dataclass(frozen=True)
class Timing:
    """The wall clock, a monotonic clock, sleep and randomness of one KSeF client or use case."""

    clock: Clock = system_clock
    monotonic: Monotonic = time.monotonic
    sleep: Sleep = system_sleep
    rng: random.Random = field(default_factory=random.Random)

    def with_clock(self, clock: Clock) -> Timing:
        return Timing(clock, self.monotonic, self.sleep, self.rng)


class VirtualTime:
    """A fake timeline: `sleep(s)` advances it by `s` at once (and yields to the event loop)."""

    def __init__(self, start: datetime | None = None, *, seed: int = 0, frozen_wall: bool = False) -> None:
        """`frozen_wall`: the wall clock stays at `start` while the monotonic clock moves (for runs whose
        business time must not drift, e.g. a token's validity during a long simulated retry storm)."""
        self.start = start or datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
        self.elapsed = 0.0
        self.sleeps: list[float] = []
        self.frozen_wall = frozen_wall
        self.seed = seed

    def monotonic(self) -> float:
        return self.elapsed

    def clock(self) -> datetime:
        if self.frozen_wall:
            return self.start
        return self.start + timedelta(seconds=self.elapsed)

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.elapsed += max(0.0, seconds)
        await asyncio.sleep(0)  # a real yield, so a sleeping task still lets the others run

    def advance(self, seconds: float) -> None:
        self.elapsed += seconds

    def timing(self) -> Timing:
        return Timing(self.clock, self.monotonic, self.sleep, random.Random(self.seed))

"""The simulator's clock: a base clock plus an offset that tests move (`POST /_sim/clock`).

The standalone simulator runs on the system clock plus an offset; in-process tests may inject a plain
clock (fixed, not movable: /_sim/clock answers 409 to a move) or a `SimClock` of their own (movable, e.g.
`SimClock(fixed_clock(NOW))`), which they can also move directly with `advance` and `set`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from ksef_tui.core.clock import Clock, system_clock


class SimClock:
    def __init__(self, base: Clock = system_clock) -> None:
        self.base = base
        self.offset = timedelta(0)

    def __call__(self) -> datetime:
        return self.base() + self.offset

    def advance(self, seconds: float) -> datetime:
        self.offset += timedelta(seconds=seconds)
        return self()

    def set(self, now: datetime) -> datetime:
        if now.tzinfo is None:
            raise ValueError("the simulator's clock needs a time with an offset")
        self.offset = now - self.base()
        return self()

"""Client-side rate limiting: one scheduler, one sliding window set per (pacing key, endpoint group).

KSeF counts requests per (context, client IP) in three sliding windows at once — per second, per
minute, per hour — and the first one breached gives 429 with a growing block (API-NOTES §16). Breaches
are logged and analysed by MF, so the client paces itself to stay *under* the limits rather than
bouncing off them.

- `scale` compresses time for tests and benchmarks: with scale=100 the windows are 10 ms / 0.6 s / 36 s,
  so the allowed rate is 100× the production one.
- `enabled=False` turns pacing off (a Retry-After block is still honoured: that is KSeF telling us).
- Every wait is an awaited `timing.sleep` (asyncio.sleep by default), so cancelling the task cancels the
  wait; `timing.monotonic` is the clock (a fake one in tests).
- The limits and the route -> group table are core/rate_limits.py, shared with the simulator.
- Requests that name no context (the challenge, the public keys: `NO_CONTEXT_ROUTES`) are paced under
  one office-wide key (`OFFICE_WIDE`): KSeF has no context to count them under, only the office's IP.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Mapping

from ksef_tui.core.clock import Timing
from ksef_tui.core.rate_limits import LIMITS as DEFAULT_LIMITS

# Re-exported for the tests and benchmarks that name them here; the definitions are in core.
from ksef_tui.core.rate_limits import ROUTE_GROUPS as ROUTE_GROUPS
from ksef_tui.core.rate_limits import Limit
from ksef_tui.core.rate_limits import group_for as group_for

# Pre-signed storage URLs (UPO, export parts, batch parts) are not rate-limited.
UNLIMITED = "unlimited"
# The pacing key of requests that name no context: KSeF counts them per client IP alone (one office =
# one IP), so they share one window across every client context.
OFFICE_WIDE = "office"
NO_CONTEXT_ROUTES = frozenset({"/auth/challenge", "/security/public-key-certificates"})


class _Bucket:
    """The grant history of one (context, group): a deque of monotonic times, newest last."""

    __slots__ = ("blocked_until", "grants", "lock")

    def __init__(self) -> None:
        self.grants: deque[float] = deque()
        self.lock = asyncio.Lock()  # FIFO: waiters are served in arrival order
        self.blocked_until = 0.0


class RateScheduler:
    def __init__(
        self,
        limits: Mapping[str, Limit] | None = None,
        *,
        scale: float = 1.0,
        enabled: bool = True,
        margin: float = 0.03,
        guard: float = 0.005,
        timing: Timing | None = None,
    ) -> None:
        """`margin` (a fraction) and `guard` (seconds of real time, not scaled): each window is treated as
        that much longer than KSeF's. KSeF counts *arrival* times, and jitter between our grant and the
        request's arrival (network, a busy event loop) could otherwise land a request inside the window."""
        if scale <= 0:
            raise ValueError("scale must be positive")
        self.limits: dict[str, Limit] = dict(DEFAULT_LIMITS if limits is None else limits)
        self.scale = scale
        self.enabled = enabled
        self.margin = margin
        self.guard = guard
        timing = timing or Timing()
        self.monotonic = timing.monotonic
        self.sleep = timing.sleep
        self._buckets: dict[tuple[str, str], _Bucket] = {}
        self.waited_seconds = 0.0  # total time spent pacing (for the benchmark and the inspector)

    def _bucket(self, context: str, group: str) -> _Bucket:
        key = (context, group)
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket()
        return bucket

    def update_limits(self, limits: Mapping[str, Limit]) -> None:
        """Adopt the effective limits KSeF reports (GET /rate-limits); unknown groups are kept too."""
        self.limits.update(limits)

    def block(self, context: str, group: str, seconds: float) -> None:
        """KSeF said Retry-After: nobody in this (context, group) sends before then.

        Retry-After is never scaled down: the client must not retry faster than it is told.
        """
        bucket = self._bucket(context, group)
        bucket.blocked_until = max(bucket.blocked_until, self.monotonic() + max(0.0, seconds))

    def delay_needed(self, context: str, group: str) -> float:
        """Seconds until one more request may go (0 = now), without taking a slot."""
        bucket = self._bucket(context, group)
        now = self.monotonic()
        wait = max(0.0, bucket.blocked_until - now)
        if not self.enabled or group == UNLIMITED:
            return wait
        limit = self.limits.get(group) or self.limits.get("other")
        if limit is None:
            return wait
        grants = bucket.grants
        longest = 0.0
        for window, count in limit.windows():
            span = window * (1.0 + self.margin) / self.scale + self.guard
            longest = max(longest, span)
            if len(grants) >= count:
                # The count-th newest grant must have left the window before another may go.
                oldest_relevant = grants[-count]
                wait = max(wait, oldest_relevant + span - now)
        # Forget grants no window can see any more.
        while grants and grants[0] <= now - longest:
            grants.popleft()
        return max(0.0, wait)

    async def acquire(self, context: str, group: str) -> None:
        """Wait (cancellably) until a request in this (context, group) is allowed, and take the slot."""
        bucket = self._bucket(context, group)
        async with bucket.lock:
            while True:
                wait = self.delay_needed(context, group)
                if wait <= 0:
                    break
                self.waited_seconds += wait
                await self.sleep(wait)
            if self.enabled and group != UNLIMITED:
                bucket.grants.append(self.monotonic())

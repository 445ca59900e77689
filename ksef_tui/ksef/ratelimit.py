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
- Requests that name no context (the challenge, the public keys: `NO_CONTEXT_ROUTES`) are paced under
  one office-wide key (`OFFICE_WIDE`): KSeF has no context to count them under, only the office's IP.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ksef_tui.core.clock import Timing


@dataclass(frozen=True)
class Limit:
    per_second: int | None = None
    per_minute: int | None = None
    per_hour: int | None = None

    def windows(self) -> list[tuple[float, int]]:
        """(window length in seconds, max requests) for each set threshold."""
        pairs = [(1.0, self.per_second), (60.0, self.per_minute), (3600.0, self.per_hour)]
        return [(w, n) for w, n in pairs if n]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Limit:
        return cls(data.get("perSecond"), data.get("perMinute"), data.get("perHour"))


# Groups as named by GET /rate-limits; `auth` covers the 60/s endpoints (auth steps, public keys) that the
# spec lists with a per-second limit only. Values: the production table (API-NOTES §16, spec x-rate-limits).
DEFAULT_LIMITS: dict[str, Limit] = {
    "onlineSession": Limit(10, 30, 120),
    "batchSession": Limit(10, 20, 60),
    "invoiceSend": Limit(10, 30, 180),
    "invoiceStatus": Limit(30, 120, 1200),
    "sessionList": Limit(5, 10, 60),
    "sessionInvoiceList": Limit(10, 20, 200),
    "sessionMisc": Limit(10, 120, 1200),
    "invoiceMetadata": Limit(8, 16, 20),
    "invoiceExport": Limit(8, 16, 20),
    "invoiceExportStatus": Limit(10, 60, 600),
    "invoiceDownload": Limit(8, 16, 64),
    "other": Limit(10, 30, 120),
    "auth": Limit(60, None, None),
}

# (METHOD, spec path template) -> group. Anything not listed is `other`.
ROUTE_GROUPS: dict[tuple[str, str], str] = {
    ("POST", "/auth/challenge"): "auth",
    ("POST", "/auth/ksef-token"): "auth",
    ("POST", "/auth/xades-signature"): "auth",
    ("GET", "/auth/{referenceNumber}"): "auth",
    ("POST", "/auth/token/redeem"): "auth",
    ("POST", "/auth/token/refresh"): "auth",
    ("GET", "/security/public-key-certificates"): "auth",
    ("POST", "/sessions/online"): "onlineSession",
    ("POST", "/sessions/online/{referenceNumber}/close"): "onlineSession",
    ("POST", "/sessions/online/{referenceNumber}/invoices"): "invoiceSend",
    ("POST", "/sessions/batch"): "batchSession",
    ("POST", "/sessions/batch/{referenceNumber}/close"): "batchSession",
    ("GET", "/sessions"): "sessionList",
    ("GET", "/sessions/{referenceNumber}"): "sessionMisc",
    ("GET", "/sessions/{referenceNumber}/invoices"): "sessionInvoiceList",
    ("GET", "/sessions/{referenceNumber}/invoices/failed"): "sessionInvoiceList",
    ("GET", "/sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}"): "invoiceStatus",
    ("GET", "/sessions/{referenceNumber}/invoices/ksef/{ksefNumber}/upo"): "sessionMisc",
    ("GET", "/sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}/upo"): "sessionMisc",
    ("GET", "/sessions/{referenceNumber}/upo/{upoReferenceNumber}"): "sessionMisc",
    ("POST", "/invoices/query/metadata"): "invoiceMetadata",
    ("POST", "/invoices/exports"): "invoiceExport",
    ("GET", "/invoices/exports/{referenceNumber}"): "invoiceExportStatus",
    ("GET", "/invoices/ksef/{ksefNumber}"): "invoiceDownload",
}

# Pre-signed storage URLs (UPO, export parts, batch parts) are not rate-limited.
UNLIMITED = "unlimited"
# The pacing key of requests that name no context: KSeF counts them per client IP alone (one office =
# one IP), so they share one window across every client context.
OFFICE_WIDE = "office"
NO_CONTEXT_ROUTES = frozenset({"/auth/challenge", "/security/public-key-certificates"})


def group_for(method: str, route: str) -> str:
    return ROUTE_GROUPS.get((method.upper(), route), "other")


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

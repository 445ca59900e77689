"""Retry policy: which calls may be repeated, and how long to wait (issue item 2).

Retried automatically:
- **429** for every call: KSeF rejected the request before doing anything, so repeating it after the
  `Retry-After` it named is safe even for POSTs (a block we caused is also recorded in the scheduler).
- **5xx, timeouts, dropped connections** only for idempotent calls, because the request may have been
  processed before the failure: GET, plus the POSTs that only read —
  `/invoices/query/metadata`, `/permissions/query/*`, `/certificates/query`, `/certificates/retrieve`,
  `/auth/challenge` (a fresh challenge; the old one simply expires) and `/auth/token/refresh`
  (the refresh token is not rotated, so asking twice is harmless).
  Never retried on 5xx: `/auth/token/redeem` (works once), opening/closing sessions, sending invoices,
  starting exports, generating or revoking tokens.

Waits are capped exponential backoff with jitter (uniform between half and all of the step),
and never shorter than `Retry-After`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

SAFE_POST_ROUTES = frozenset(
    {
        "/invoices/query/metadata",
        "/certificates/query",
        "/certificates/retrieve",
        "/auth/challenge",
        "/auth/token/refresh",
    }
)


def is_idempotent(method: str, route: str) -> bool:
    method = method.upper()
    if method in {"GET", "HEAD", "OPTIONS"}:
        return True
    if method == "POST":
        return route in SAFE_POST_ROUTES or route.startswith("/permissions/query/")
    return False


@dataclass
class RetryPolicy:
    max_attempts: int = 4  # for 5xx / network failures, first try included
    max_rate_limited_attempts: int = 6  # for 429 (each waits at least Retry-After)
    base_delay: float = 0.5
    max_delay: float = 30.0
    # Upper bound on an acceptable Retry-After: beyond it RateLimited is raised so the caller
    # (e.g. a sync run) can reschedule instead of holding a worker for an hour.
    max_retry_after: float = 300.0
    rng: random.Random = field(default_factory=random.Random)

    def backoff(self, attempt: int) -> float:
        """Delay before retry number `attempt` (1 = first retry): jitter over a capped exponential."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return self.rng.uniform(ceiling / 2, ceiling)

    def rate_limited_delay(self, attempt: int, retry_after: float | None) -> float:
        """Never sooner than KSeF said; without a Retry-After, back off as for a 5xx (but at least 1 s)."""
        fallback = max(1.0, self.backoff(attempt))
        return fallback if retry_after is None else max(retry_after, 0.0)


NO_RETRY = RetryPolicy(max_attempts=1, max_rate_limited_attempts=1)

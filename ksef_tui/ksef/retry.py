"""The one retry policy for every KSeF operation (issue 8 item 2, issue 17 item 5).

Two levels use the same `RetryPolicy` and the same injected `Timing` (sleep and random):

1. **One request** (`HttpCore.request`):
   - **429** for every call: KSeF rejected the request before doing anything, so repeating it after the
     `Retry-After` it named is safe even for POSTs (the block is also recorded in the scheduler).
   - **5xx, timeouts, dropped connections** only for idempotent calls, because the request may have been
     processed before the failure: GET, plus the POSTs that only read — `/invoices/query/metadata`,
     `/permissions/query/*`, `/certificates/query`, `/certificates/retrieve`, `/auth/challenge` (a fresh
     challenge; the old one simply expires) and `/auth/token/refresh` (the refresh token is not rotated).
     Never retried on their own: `/auth/token/redeem` (works once), `/auth/ksef-token` and
     `/auth/xades-signature` (bound to one challenge), opening/closing sessions, sending invoices,
     starting exports, generating or revoking tokens.
2. **A whole operation** (`retry_operation`): a login, a live check. A login whose non-idempotent step
   failed is repeated from a fresh challenge, which is always safe: the half-done authentication simply
   expires in KSeF. Only *transient* failures are repeated (`is_transient`): network trouble, 5xx, 429
   beyond the request's own retries, and the two authentication statuses that mean "KSeF had a problem,
   try again" (500, 550). A refusal of the credential is an answer, never retried.

Both levels are bounded twice: by a number of attempts and by the total time they may spend waiting
(`max_wait`), with capped exponential backoff and jitter (uniform between half and all of the step), and
never shorter than a `Retry-After`. The waiting budgets nest: a wait inside a login inside a live check
is charged to all three (`_BUDGETS`, per task), so levels never multiply into hours when KSeF is down —
one live check waits at most `max_wait` in all. Budgets count the waits themselves, not the wall clock,
so they behave the same on a busy machine and on a test's virtual clock.

A Retry-After longer than `max_retry_after` is not waited out: the error goes up so the caller can say
"KSeF unavailable, try later" instead of holding a worker for an hour.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeVar

from ksef_tui.core.clock import Timing
from ksef_tui.ksef.apilog import get_logger
from ksef_tui.ksef.errors import (
    AuthCancelled,
    AuthUnknownError,
    KsefError,
    KsefNetworkError,
    RateLimited,
    ServerError,
)

T = TypeVar("T")
log = get_logger(__name__)

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


def is_transient(err: BaseException) -> bool:
    """KSeF or the network had trouble; the same operation may well succeed if repeated."""
    return isinstance(err, KsefNetworkError | ServerError | RateLimited | AuthCancelled | AuthUnknownError)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 5  # one request, 5xx / network failures, first try included
    max_rate_limited_attempts: int = 6  # one request, 429 (each waits at least Retry-After)
    operation_attempts: int = 10  # a whole login or live check, first try included
    base_delay: float = 0.5
    max_delay: float = 30.0
    # Total seconds one request, or one operation, may spend waiting between its attempts.
    max_wait: float = 180.0
    # Upper bound on an acceptable Retry-After: beyond it RateLimited is raised so the caller
    # (e.g. a sync run) can reschedule instead of holding a worker for an hour.
    max_retry_after: float = 300.0

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Delay before retry number `attempt` (1 = first retry): jitter over a capped exponential."""
        ceiling = min(self.max_delay, self.base_delay * (2 ** (attempt - 1)))
        return rng.uniform(ceiling / 2, ceiling)

    def rate_limited_delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        """Never sooner than KSeF said; without a Retry-After, back off as for a 5xx (but at least 1 s)."""
        fallback = max(1.0, self.backoff(attempt, rng))
        return fallback if retry_after is None else max(retry_after, 0.0)

    def delay_after(self, err: BaseException, attempt: int, rng: random.Random) -> float:
        if isinstance(err, RateLimited):
            return self.rate_limited_delay(attempt, err.retry_after, rng)
        return self.backoff(attempt, rng)


NO_RETRY = RetryPolicy(max_attempts=1, max_rate_limited_attempts=1, operation_attempts=1)


class Budget:
    __slots__ = ("limit", "spent")

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.spent = 0.0


# The waiting budgets of the retrying operations this task is inside, outermost first.
_BUDGETS: ContextVar[tuple[Budget, ...]] = ContextVar("ksef_retry_budgets", default=())


def may_wait(delay: float, own: Budget | None = None) -> bool:
    """Whether waiting `delay` more seconds fits this level's budget and every enclosing one."""
    budgets = _BUDGETS.get() if own is None else (*_BUDGETS.get(), own)
    return all(b.spent + delay <= b.limit for b in budgets)


def charge(delay: float, own: Budget | None = None) -> None:
    for budget in _BUDGETS.get():
        budget.spent += delay
    if own is not None:
        own.spent += delay


async def retry_operation(
    operation: Callable[[], Awaitable[T]],
    policy: RetryPolicy,
    timing: Timing,
    *,
    transient: Callable[[BaseException], bool] = is_transient,
    what: str = "operation",
) -> T:
    """Run `operation`; repeat it after a backoff while it fails transiently, within the policy's bounds.

    The last error is raised unchanged when the attempts or the waiting budget run out."""
    budget = Budget(policy.max_wait)
    token = _BUDGETS.set((*_BUDGETS.get(), budget))
    try:
        attempt = 1
        while True:
            try:
                return await operation()
            except KsefError as err:
                if not transient(err) or attempt >= policy.operation_attempts:
                    raise
                delay = policy.delay_after(err, attempt, timing.rng)
                if isinstance(err, RateLimited) and delay > policy.max_retry_after:
                    raise
                # This level's budget is on the stack already: may_wait checks it with the outer ones.
                if not may_wait(delay):
                    raise
                log.info("%s failed (%s); attempt %d in %.1f s", what, type(err).__name__, attempt + 1, delay)
            charge(delay)
            attempt += 1
            await timing.sleep(delay)  # cancellable, like every wait
    finally:
        _BUDGETS.reset(token)

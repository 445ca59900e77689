"""One retry policy for every KSeF operation: whole logins repeated from a fresh challenge, nested waiting
budgets, and pacing keyed the way KSeF counts (issue 8 items 2-3, issue 17 item 5)."""

from __future__ import annotations

import httpx
import pytest

from ksef_tui.core.clock import VirtualTime
from ksef_tui.ksef import errors
from ksef_tui.ksef.ratelimit import DEFAULT_LIMITS, OFFICE_WIDE, Limit
from ksef_tui.ksef.retry import RetryPolicy, retry_operation
from tests.ksef.conftest import make_client, preauth
from tests.ksef.fakes import KSEF_TOKEN, NIP, FakeKsef, FakeTime


def _failing_first(
    fake: FakeKsef, method: str, route: str, answers: list[httpx.Response | Exception]
) -> None:
    queue = list(answers)

    def answer(request: httpx.Request) -> httpx.Response | None:
        if not queue:
            return None  # the fake's normal answer from now on
        item = queue.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    fake.overrides[(method, route)] = answer


@pytest.mark.parametrize(
    ("route", "failure"),
    [
        ("/auth/ksef-token", httpx.Response(503)),
        ("/auth/token/redeem", httpx.Response(500)),
        ("/auth/ksef-token", httpx.RemoteProtocolError("dropped")),
    ],
)
async def test_a_login_whose_one_shot_step_failed_starts_over(
    client, fake: FakeKsef, ftime: FakeTime, route: str, failure: httpx.Response | Exception
) -> None:
    """A 5xx or a drop on a non-idempotent auth step is not repeated alone; the login is, from scratch."""
    _failing_first(fake, "POST", route, [failure])
    status = await client.authenticate_with_token(NIP, KSEF_TOKEN)
    assert status.status.code == 200 and client.is_authenticated
    assert fake.counts["POST /auth/challenge"] == 2  # a fresh challenge for the second attempt
    assert fake.counts[f"POST {route}"] == 2
    assert [s for s in ftime.sleeps if s >= 0.25]  # it backed off before starting over


async def test_a_refused_credential_is_not_retried(client, fake: FakeKsef) -> None:
    with pytest.raises(errors.AuthInvalidToken):
        await client.authenticate_with_token(NIP, "20251010-EC-0000000000-0000000000-00|nip-1|deadbeef")
    assert fake.counts["POST /auth/challenge"] == 1


async def test_a_login_gives_up_within_its_budget(client, fake: FakeKsef, ftime: FakeTime) -> None:
    fake.overrides[("POST", "/auth/ksef-token")] = lambda r: httpx.Response(503)
    with pytest.raises(errors.ServerError):
        await client.authenticate_with_token(NIP, KSEF_TOKEN)
    policy = RetryPolicy()
    assert 1 < fake.counts["POST /auth/ksef-token"] <= policy.operation_attempts
    assert sum(ftime.sleeps) <= policy.max_wait


async def test_nested_budgets_are_shared_not_multiplied() -> None:
    """A retried operation inside a retried operation waits at most the outer budget in all."""
    clock = VirtualTime()
    timing = clock.timing()
    policy = RetryPolicy(max_wait=20.0, operation_attempts=50)
    inner_calls = 0

    async def inner() -> None:
        nonlocal inner_calls
        inner_calls += 1
        raise errors.ServerError(status=503)

    async def outer() -> None:
        await retry_operation(inner, policy, timing)

    with pytest.raises(errors.ServerError):
        await retry_operation(outer, policy, timing)
    assert sum(clock.sleeps) <= 20.0
    assert inner_calls > 2


async def test_retry_after_is_honoured_by_a_whole_operation() -> None:
    clock = VirtualTime()
    answers = [errors.RateLimited(status=429, retry_after=7.0)]

    async def operation() -> str:
        if answers:
            raise answers.pop()
        return "done"

    assert await retry_operation(operation, RetryPolicy(), clock.timing()) == "done"
    assert clock.sleeps == [7.0]


async def test_logins_of_different_clients_share_the_office_window(fake: FakeKsef, ftime: FakeTime) -> None:
    """KSeF counts the authentication steps per IP (no context exists yet): two clients' challenges are
    paced in one window, while calls made with an access token are paced per context."""
    limits = dict(DEFAULT_LIMITS, auth=Limit(1, None, None), other=Limit(1, None, None))
    client = make_client(fake.transport(), ftime, rate_limits=limits)
    client.scheduler.margin = client.scheduler.guard = 0.0
    a, b = client.for_context("1111111111"), client.for_context("2222222222")
    await a.core.post_json("/auth/challenge", context="1111111111")
    await b.core.post_json("/auth/challenge", context="2222222222")
    assert ftime.t == pytest.approx(1.0)  # the second challenge waited for the office's window
    assert client.scheduler.delay_needed(OFFICE_WIDE, "auth") > 0
    preauth(a, fake, "1111111111")
    preauth(b, fake, "2222222222")
    start = ftime.t
    await a.get_rate_limits()
    await b.get_rate_limits()
    assert ftime.t == start  # different contexts: separate windows, no wait

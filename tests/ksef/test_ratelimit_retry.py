"""Rate-limit scheduler and retry policy: windows, scale, Retry-After, backoff, idempotency, cancellation."""

from __future__ import annotations

import asyncio
import random

import httpx
import pytest

from ksef_tui.core.clock import Timing
from ksef_tui.ksef import errors
from ksef_tui.ksef.ratelimit import DEFAULT_LIMITS, Limit, RateScheduler, group_for
from ksef_tui.ksef.retry import RetryPolicy, is_idempotent
from tests.ksef.conftest import make_client, preauth
from tests.ksef.fakes import FakeKsef, FakeTime, json_response


def sched(ftime: FakeTime, **kw) -> RateScheduler:  # type: ignore[no-untyped-def]
    kw.setdefault("margin", 0.0)
    kw.setdefault("guard", 0.0)
    return RateScheduler(timing=ftime.timing(), **kw)


async def _grant_times(s: RateScheduler, ftime: FakeTime, n: int, group: str, ctx: str = "1") -> list[float]:
    out = []
    for _ in range(n):
        await s.acquire(ctx, group)
        out.append(ftime.t)
    return out


async def test_per_second_minute_and_hour_windows(ftime: FakeTime) -> None:
    s = sched(ftime)
    times = await _grant_times(s, ftime, 21, "invoiceMetadata")  # 8/s, 16/min, 20/h
    assert times[:8] == [0.0] * 8
    assert times[8] == pytest.approx(1.0)  # the per-second window
    assert times[16] == pytest.approx(60.0)  # the per-minute window
    assert times[20] == pytest.approx(3600.0)  # the per-hour window
    # Never more than the limit in any window.
    for window, count in DEFAULT_LIMITS["invoiceMetadata"].windows():
        for i in range(len(times) - count):
            assert times[i + count] - times[i] >= window - 1e-9


async def test_contexts_and_groups_are_independent(ftime: FakeTime) -> None:
    s = sched(ftime)
    await _grant_times(s, ftime, 5, "sessionList", ctx="A")
    t = ftime.t
    await s.acquire("B", "sessionList")
    await s.acquire("A", "sessionMisc")
    assert ftime.t == t  # neither waited


async def test_scale_compresses_time(ftime: FakeTime) -> None:
    s = sched(ftime, scale=100)
    times = await _grant_times(s, ftime, 11, "sessionList")  # 5/s, 10/min
    assert times[5] == pytest.approx(0.01)
    assert times[10] == pytest.approx(0.6)


async def test_limits_can_be_turned_off(ftime: FakeTime) -> None:
    s = sched(ftime, enabled=False)
    await _grant_times(s, ftime, 500, "invoiceMetadata")
    assert ftime.t == 0.0


async def test_margin_keeps_below_the_limit(ftime: FakeTime) -> None:
    s = sched(ftime, margin=0.03, guard=0.01)
    times = await _grant_times(s, ftime, 11, "other")
    assert times[10] == pytest.approx(1.04)


def test_route_groups_follow_the_spec() -> None:
    from tests.ksef.openapi_schema import spec

    names = {"perSecond": "per_second", "perMinute": "per_minute", "perHour": "per_hour"}
    checked = 0
    for path, ops in spec()["paths"].items():
        for method, op in ops.items():
            limits = op.get("x-rate-limits") if isinstance(op, dict) else None
            if not limits or path.startswith("/testdata") or path.startswith("/peppol"):
                continue
            limit = DEFAULT_LIMITS[group_for(method, path)]
            for key, attr in names.items():
                assert getattr(limit, attr) == limits.get(key), (method, path, key)
            checked += 1
    assert checked > 50


def test_idempotency_rules() -> None:
    assert is_idempotent("GET", "/sessions")
    assert is_idempotent("POST", "/invoices/query/metadata")
    assert is_idempotent("POST", "/permissions/query/personal/grants")
    assert is_idempotent("POST", "/auth/token/refresh")
    for route in (
        "/auth/token/redeem",
        "/sessions/online",
        "/invoices/exports",
        "/tokens",
        "/auth/ksef-token",
    ):
        assert not is_idempotent("POST", route)
    assert not is_idempotent("DELETE", "/tokens/{referenceNumber}")


def test_backoff_is_capped_and_jittered() -> None:
    policy = RetryPolicy(base_delay=0.5, max_delay=4.0)
    rng = random.Random(3)
    delays = [policy.backoff(n, rng) for n in range(1, 10)]
    assert all(0 < d <= 4.0 for d in delays)
    assert delays[0] <= 0.5 and max(delays) > 2.0
    assert len(set(delays)) == len(delays)  # jitter


async def test_429_honours_retry_after_and_blocks_the_group(authed, fake: FakeKsef, ftime: FakeTime) -> None:
    answers = iter(
        [
            json_response(
                429, {"status": {"code": 429, "description": "x", "details": []}}, {"Retry-After": "17"}
            ),
            None,
        ]
    )
    fake.overrides[("POST", "/sessions/online")] = lambda r: next(answers)
    session = await authed.open_online_session()  # a POST: 429 is retried because nothing was done
    assert session.reference_number
    assert 17.0 in ftime.sleeps and all(s <= 17.0 for s in ftime.sleeps if s >= 1)
    assert fake.counts["POST /sessions/online"] == 2
    # The block is recorded for the (context, group): nothing else in it goes sooner.
    assert authed.scheduler.delay_needed(authed.context_nip, "onlineSession") == 0.0


async def test_429_never_retries_sooner_than_told(authed, fake: FakeKsef, ftime: FakeTime) -> None:
    fake.overrides[("GET", "/sessions/{referenceNumber}")] = lambda r: json_response(
        429, {"title": "Too Many Requests", "status": 429, "detail": "x"}, {"Retry-After": "42"}
    )
    with pytest.raises(errors.RateLimited) as info:
        await authed.get_session_status("20250918-SO-3789A40000-20373E1269-A3")
    assert info.value.retry_after == 42
    gaps = [s for s in ftime.sleeps if s > 0]
    assert gaps and all(g >= 42 for g in gaps)
    # Bounded by attempts and by the waiting budget, whichever comes first: 180 s fits four 42 s waits.
    policy = RetryPolicy()
    expected = min(policy.max_rate_limited_attempts, 1 + int(policy.max_wait // 42))
    assert expected == 5
    assert fake.counts["GET /sessions/{referenceNumber}"] == expected
    assert sum(gaps) <= policy.max_wait


async def test_long_retry_after_is_raised_not_waited(authed, fake: FakeKsef, ftime: FakeTime) -> None:
    fake.overrides[("GET", "/rate-limits")] = lambda r: json_response(
        429, {"status": {"code": 429, "description": "x", "details": []}}, {"Retry-After": "3600"}
    )
    with pytest.raises(errors.RateLimited):
        await authed.get_rate_limits()
    assert fake.counts["GET /rate-limits"] == 1 and 3600.0 not in ftime.sleeps
    # ... but the group stays blocked for the hour: the next call waits instead of hammering KSeF.
    assert authed.scheduler.delay_needed(authed.context_nip, "other") == pytest.approx(3600.0)


async def test_5xx_retried_for_get(authed, fake: FakeKsef, ftime: FakeTime) -> None:
    answers = iter([httpx.Response(503), httpx.Response(502), None])
    fake.overrides[("GET", "/tokens/{referenceNumber}")] = lambda r: next(answers)
    info = await authed.get_token("20251001-EC-220B0CE000-E228129563-96")
    assert info.reference_number
    assert fake.counts["GET /tokens/{referenceNumber}"] == 3
    assert len([s for s in ftime.sleeps if s > 0]) == 2


async def test_5xx_not_retried_for_unsafe_post(authed, fake: FakeKsef) -> None:
    fake.overrides[("POST", "/tokens")] = lambda r: httpx.Response(500)
    with pytest.raises(errors.ServerError):
        await authed.generate_token(["InvoiceRead"], "opis tokenu")
    assert fake.counts["POST /tokens"] == 1


async def test_5xx_gives_up_after_max_attempts(authed, fake: FakeKsef) -> None:
    fake.overrides[("POST", "/invoices/query/metadata")] = lambda r: httpx.Response(500)
    with pytest.raises(errors.ServerError):
        await authed.query_invoice_metadata(
            {"subjectType": "Subject2", "dateRange": {"dateType": "Issue", "from": "2026-01-01"}}
        )
    assert fake.counts["POST /invoices/query/metadata"] == RetryPolicy().max_attempts


@pytest.mark.parametrize(
    "exc", [httpx.ReadTimeout("slow"), httpx.RemoteProtocolError("dropped"), httpx.ConnectError("refused")]
)
async def test_network_failures_retried_when_idempotent(
    fake: FakeKsef, ftime: FakeTime, exc: Exception
) -> None:
    state = {"n": 0}

    def flaky(request: httpx.Request) -> httpx.Response:
        state["n"] += 1
        if state["n"] == 1:
            raise exc
        return fake.handler(request)

    client = preauth(make_client(httpx.MockTransport(flaky), ftime), fake)
    assert (await client.get_rate_limits())["other"].per_second == 10
    assert state["n"] == 2


async def test_network_failure_not_retried_for_unsafe_post(fake: FakeKsef, ftime: FakeTime) -> None:
    calls = {"n": 0}

    def dropped(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        raise httpx.RemoteProtocolError("dropped", request=request)

    client = preauth(make_client(httpx.MockTransport(dropped), ftime), fake)
    with pytest.raises(errors.KsefNetworkError) as info:
        await client.close_online_session("20250918-SO-3789A40000-20373E1269-A3")
    assert calls["n"] == 1 and info.value.__cause__ is None


# --- cancellation (Textual workers cancel the task) ------------------------------------------------


class Blocked:
    """A sleep that never ends by itself (only cancellation ends it), recording what it was asked."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    async def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        await asyncio.Event().wait()

    def timing(self) -> Timing:
        return Timing(sleep=self.sleep)

    async def until_waiting(self) -> None:
        for _ in range(10_000):  # event-loop turns, not time: the task reaches its wait or the test fails
            if self.waits:
                return
            await asyncio.sleep(0)
        raise AssertionError("the task never started waiting")


async def _cancelled(task: asyncio.Task[object]) -> None:
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_scheduler_wait_is_cancellable() -> None:
    blocked = Blocked()
    s = RateScheduler({"g": Limit(1, None, None)}, timing=blocked.timing())
    await s.acquire("c", "g")
    task = asyncio.create_task(s.acquire("c", "g"))
    await blocked.until_waiting()
    assert not task.done() and blocked.waits[0] > 0.9  # waiting for the 1 s window
    await _cancelled(task)
    # The lock was released: with limits off the same bucket is usable at once.
    s.enabled = False
    await s.acquire("c", "g")


async def test_retry_after_wait_is_cancellable(fake: FakeKsef) -> None:
    from ksef_tui.ksef.client import KsefClient
    from tests.ksef.fakes import BASE

    fake.overrides[("GET", "/rate-limits")] = lambda r: json_response(
        429, {"status": {"code": 429, "description": "x", "details": []}}, {"Retry-After": "120"}
    )
    blocked = Blocked()
    client = preauth(KsefClient(BASE, transport=fake.transport(), timing=blocked.timing()), fake)
    task = asyncio.create_task(client.get_rate_limits())
    await blocked.until_waiting()
    assert blocked.waits == [120.0] and fake.counts["GET /rate-limits"] == 1
    await _cancelled(task)
    await client.aclose()


async def test_auth_polling_is_cancellable(fake: FakeKsef) -> None:
    from ksef_tui.ksef.auth import PollPolicy
    from ksef_tui.ksef.client import KsefClient
    from tests.ksef.fakes import BASE, KSEF_TOKEN, NIP

    fake.auth_polls_in_progress = 10_000
    blocked = Blocked()
    client = KsefClient(
        BASE, transport=fake.transport(), poll=PollPolicy(first_delay=30), timing=blocked.timing()
    )
    task = asyncio.create_task(client.authenticate_with_token(NIP, KSEF_TOKEN))
    await blocked.until_waiting()
    assert blocked.waits == [30]
    await _cancelled(task)
    await client.aclose()

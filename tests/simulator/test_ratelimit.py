"""Rate limits: 429 with Retry-After per (context, group), then recovery; scale compresses time."""

from __future__ import annotations

from ksef_tui.simulator.app import create_app
from ksef_tui.simulator.ratelimit import RateLimitConfig, RateLimiter
from tests.simulator import kit
from tests.simulator.conftest import NOW, office_token


class FakeTime:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_windows_apply_together_and_retry_after_is_exact() -> None:
    clock = FakeTime()
    limiter = RateLimiter(RateLimitConfig(monotonic=clock))
    for _ in range(8):
        assert limiter.hit("ctx", "invoiceMetadata") is None
        clock.t += 0.2
    breach = limiter.hit("ctx", "invoiceMetadata")
    assert breach is None  # 8 in the last second? no: spread over 1.6 s
    for _ in range(7):
        clock.t += 1.0
        assert limiter.hit("ctx", "invoiceMetadata") is None
    # 16 in the last minute: the minute window is full.
    breach = limiter.hit("ctx", "invoiceMetadata")
    assert breach is not None and breach.window == "minutę" and breach.limit == 16
    assert 1 <= breach.retry_after <= 60
    clock.t += breach.retry_after
    assert limiter.hit("ctx", "invoiceMetadata") is None
    # Other contexts and groups are unaffected.
    assert limiter.hit("other", "invoiceMetadata") is None
    assert limiter.hit("ctx", "sessionMisc") is None


def test_hour_window_and_scale() -> None:
    clock = FakeTime()
    limiter = RateLimiter(RateLimitConfig(scale=100, monotonic=clock))
    for _ in range(20):
        assert limiter.hit("c", "invoiceExport") is None
        clock.t += 0.4  # 40 s of compressed time: 4 s real... each step outside the scaled minute
    breach = limiter.hit("c", "invoiceExport")
    assert breach is not None and breach.window == "godzinę"  # 20/h, hour = 36 s at scale 100
    clock.t += 36
    assert limiter.hit("c", "invoiceExport") is None


def test_disabled() -> None:
    limiter = RateLimiter(RateLimitConfig(enabled=False))
    assert all(limiter.hit("c", "sessionList") is None for _ in range(100))


async def test_429_over_http_then_recovery(world, conformance):  # type: ignore[no-untyped-def]
    # Scale 100: the second is 10 ms, the minute 0.6 s (sessionList: 5/s, 10/min, 60/h). The limiter's
    # clock is ours: time stands still during the burst and moves only when the test says, so a slow
    # machine cannot let the window slide by between two requests.
    now = [1000.0]
    limits = RateLimitConfig(scale=100, monotonic=lambda: now[0])
    app = create_app(world, rate_limits=limits, clock=lambda: NOW)
    async with kit.client(app, conformance) as http:
        nip, token = office_token(world, "token_and_cert")
        tokens = await kit.login_token(http, nip, token)
        h = kit.bearer(tokens["accessToken"]["token"])
        params = {"sessionType": "Online"}
        codes = []
        for _ in range(11):
            now[0] += 0.011  # past the scaled second, well inside the scaled minute
            r = await http.get("/sessions", params=params, headers=h)
            codes.append(r.status_code)
            if r.status_code == 429:
                break
        assert codes[-1] == 429 and codes.count(200) >= 5
        assert int(r.headers["Retry-After"]) >= 1
        assert r.json()["status"]["code"] == 429 and r.json()["status"]["details"]
        p = await http.get("/sessions", params=params, headers={**h, "X-Error-Format": "problem-details"})
        assert p.status_code == 429 and p.json()["title"] == "Too Many Requests"
        # Another group of the same context is unaffected.
        assert (await http.get("/rate-limits", headers=h)).status_code == 200
        now[0] += 0.65  # a scaled minute
        assert (await http.get("/sessions", params=params, headers=h)).status_code == 200

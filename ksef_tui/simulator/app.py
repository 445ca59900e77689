"""The simulator as an ASGI app: `create_app(world, ...)` (DESIGN.md "The simulator").

All KSeF endpoints live under `/v2`, so `http://127.0.0.1:PORT/v2` drops in for a KSeF base URL.
Simulator-only endpoints live under `/_sim`: fault control and the pre-signed storage links.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from datetime import datetime

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from ksef_tui.core.clock import system_clock
from ksef_tui.simulator import (  # noqa: F401  (importing the area modules registers their routes)
    auth,
    batch,
    exports,
    invoices,
    online,
    permissions,
    sessions,
    tokens,
)
from ksef_tui.simulator.errors import too_many_requests_response
from ksef_tui.simulator.faults import Faults
from ksef_tui.simulator.ratelimit import RateLimitConfig
from ksef_tui.simulator.routing import ENDPOINTS, make_handler
from ksef_tui.simulator.state import SimState
from ksef_tui.simulator.storage import ROUTES as STORAGE_ROUTES
from ksef_tui.simulator.world import World

API_PREFIX = "/v2"


class DroppedConnection(httpx.RemoteProtocolError):
    """Raised mid-response: uvicorn closes the socket; httpx in-process (ASGITransport) re-raises it."""


class FaultMiddleware:
    """Latency, 5xx, 429 bursts and dropped connections for /v2 requests (faults.py)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith(API_PREFIX):
            await self.app(scope, receive, send)
            return
        starlette_app = scope["app"]
        sim: SimState = starlette_app.state.sim
        state = sim.fault_state
        faults = state.sync(starlette_app.state.faults)
        if not faults.applies_to(path):
            await self.app(scope, receive, send)
            return
        rng = state.rng
        delay = faults.latency_ms
        if faults.latency_spike_rate > 0 and rng.random() < faults.latency_spike_rate:
            delay += faults.latency_spike_ms
        if delay > 0:
            await asyncio.sleep(delay / 1000)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        problem = headers.get("x-error-format", "").lower() == "problem-details"
        if state.burst_left > 0 or (faults.burst_429_rate > 0 and rng.random() < faults.burst_429_rate):
            state.burst_left = (
                state.burst_left - 1 if state.burst_left > 0 else max(0, faults.burst_429_length - 1)
            )
            retry = max(1, faults.burst_retry_after)
            detail = f"Przekroczono limit żądań. Spróbuj ponownie po {retry} sekundach."
            await too_many_requests_response(path, problem, retry, detail)(scope, receive, send)
            return
        if faults.error_rate > 0 and rng.random() < faults.error_rate:
            status = rng.choice((500, 502, 503))
            body = {
                "title": "Service Unavailable" if status == 503 else "Internal Server Error",
                "status": status,
                "detail": "Symulowana awaria serwera.",
                "instance": path,
            }
            await Response(json.dumps(body), status_code=status, media_type="application/problem+json")(
                scope, receive, send
            )
            return
        if faults.drop_rate > 0 and rng.random() < faults.drop_rate:
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", b"4096")],
                }
            )
            await send({"type": "http.response.body", "body": b'{"partial":', "more_body": True})
            raise DroppedConnection("simulated dropped connection")
        await self.app(scope, receive, send)


async def get_faults(request: Request) -> Response:
    return JSONResponse(request.app.state.faults.to_json())


async def set_faults(request: Request) -> Response:
    """POST replaces the faults (missing fields take defaults); PATCH changes only the given fields."""
    try:
        data = json.loads(await request.body() or b"{}")
        base = request.app.state.faults if request.method == "PATCH" else None
        request.app.state.faults = Faults.from_json(data, base)
    except (ValueError, TypeError) as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse(request.app.state.faults.to_json())


async def reset_rate_limits(request: Request) -> Response:
    request.app.state.sim.limiter._hits.clear()
    return Response(status_code=204)


def _api_routes() -> list[Route]:
    # Literal paths before parametrised ones: /sessions/{ref}/invoices/failed must not be read as an
    # invoice reference, nor /auth/sessions as an authentication reference.
    ordered = sorted(ENDPOINTS, key=lambda e: e.path.count("{"))
    return [Route(e.path, make_handler(e), methods=[e.method]) for e in ordered]


def create_app(
    world: World,
    *,
    rate_limits: RateLimitConfig | None = None,
    faults: Faults | None = None,
    clock: Callable[[], datetime] | None = None,
) -> Starlette:
    """A KSeF API 2.0 simulator serving `world` under /v2."""
    rate_limits = rate_limits if rate_limits is not None else RateLimitConfig()
    faults = faults if faults is not None else Faults()
    app = Starlette(
        routes=[
            Mount(API_PREFIX, routes=_api_routes()),
            Route("/_sim/faults", get_faults, methods=["GET"]),
            Route("/_sim/faults", set_faults, methods=["POST", "PATCH"]),
            Route("/_sim/rate-limits/reset", reset_rate_limits, methods=["POST"]),
            *STORAGE_ROUTES,
        ],
        middleware=[Middleware(FaultMiddleware)],
    )
    app.state.world = world
    app.state.faults = faults
    app.state.sim = SimState(world, rate_limits, faults, clock or system_clock)
    # The MF RSA keys take about a second to derive; start now so the first client rarely waits.
    threading.Thread(target=lambda: world.keys.mf_keys, name="ksef-sim-keys", daemon=True).start()
    return app

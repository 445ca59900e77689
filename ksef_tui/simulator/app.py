"""The simulator as an ASGI app: `create_app(world, ...)` (DESIGN.md "The simulator").

All KSeF endpoints live under `/v2`, so `http://127.0.0.1:PORT/v2` drops in for a KSeF base URL.
Simulator-only endpoints live under `/_sim`: fault control, the pre-signed storage links, and for tests
that drive time: `/_sim/clock` (GET the simulator's now; POST {"advance_seconds": N} or {"now": iso} to
move it) and `/_sim/purchases` (POST adds purchase invoices as a client's seller would send them, GET
?buyer=NIP lists every purchase of that NIP with whether it lies below the HWM: the ground truth).
`POST /_sim/qualified` {"nip": NIP} answers a qualified test seal of the simulator's test authority for a
taxpayer of the world (PKCS#12, no password): a test acts with it as that client's owner would with its
qualified signature, e.g. grants or revokes the office's permissions in the client's own context.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ksef_tui.core.clock import WARSAW, system_clock, system_sleep
from ksef_tui.simulator import (  # noqa: F401  (importing the area modules registers their routes)
    auth,
    batch,
    certificates,
    entity_grants,
    exports,
    invoices,
    online,
    permissions,
    sessions,
    tokens,
)
from ksef_tui.simulator.arrivals import add_purchases, purchases_json
from ksef_tui.simulator.clock import SimClock
from ksef_tui.simulator.errors import too_many_requests_response
from ksef_tui.simulator.faults import Faults
from ksef_tui.simulator.ratelimit import RateLimitConfig
from ksef_tui.simulator.refs import iso
from ksef_tui.simulator.routing import (
    ENDPOINTS,
    bearer_context,
    body_context,
    endpoint_template,
    make_handler,
)
from ksef_tui.simulator.state import SimState
from ksef_tui.simulator.storage import ROUTES as STORAGE_ROUTES
from ksef_tui.simulator.world import World

API_PREFIX = "/v2"


class DroppedConnection(httpx.RemoteProtocolError):
    """Raised mid-response: uvicorn closes the socket; httpx in-process (ASGITransport) re-raises it."""


class FaultMiddleware:
    """Latency, 5xx, 429 bursts and dropped connections for /v2 requests (faults.py), decided per
    request identity: (method, path template, context, occurrence)."""

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
        if not state.active or not faults.applies_to(path):
            await self.app(scope, receive, send)
            return
        method = scope.get("method", "GET").upper()
        api_path = path[len(API_PREFIX) :] or "/"
        route = endpoint_template(method, api_path) or api_path
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        authorization = headers.get("authorization", "")
        token = authorization[7:].strip() if authorization[:7].lower() == "bearer " else None
        context = bearer_context(sim, token)
        if context is None and method == "POST":
            body, receive = await _buffered(receive)
            context = body_context(body)
        decision = state.decide(method, route, context or "-")
        if decision.latency_ms > 0:
            await sim.sleep(decision.latency_ms / 1000)
        problem = headers.get("x-error-format", "").lower() == "problem-details"
        if decision.too_many_requests:
            retry = max(1, faults.burst_retry_after)
            detail = f"Przekroczono limit żądań. Spróbuj ponownie po {retry} sekundach."
            await too_many_requests_response(path, problem, retry, detail)(scope, receive, send)
            return
        if decision.error_status is not None:
            status = decision.error_status
            body_json = {
                "title": "Service Unavailable" if status == 503 else "Internal Server Error",
                "status": status,
                "detail": "Symulowana awaria serwera.",
                "instance": path,
            }
            await Response(json.dumps(body_json), status_code=status, media_type="application/problem+json")(
                scope, receive, send
            )
            return
        if decision.drop:
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


async def _buffered(receive: Receive) -> tuple[bytes, Receive]:
    """Read the whole request body, and a `receive` that hands it to the app again."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return body, replay


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


def _error(message: str, status: int = 400) -> Response:
    return JSONResponse({"error": message}, status_code=status)


def _instant(value: object, name: str) -> datetime:
    """An ISO-8601 instant; without an offset it is Warsaw time, as in the API (API-NOTES §2)."""
    if not isinstance(value, str):
        raise ValueError(f"{name} must be an ISO-8601 date-time")
    dt = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return dt if dt.tzinfo else dt.replace(tzinfo=WARSAW)


async def _body(request: Request) -> dict:
    data = json.loads(await request.body() or b"{}")
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    return data


def _hwm(request: Request, now: datetime) -> datetime:
    sim: SimState = request.app.state.sim
    lag = timedelta(seconds=sim.fault_state.sync(request.app.state.faults).hwm_lag_seconds)
    return sim.world.hwm(now, lag)


async def get_clock(request: Request) -> Response:
    sim: SimState = request.app.state.sim
    now = sim.now()
    return JSONResponse(
        {"now": iso(now), "movable": request.app.state.clock is not None, "hwm": iso(_hwm(request, now))}
    )


async def move_clock(request: Request) -> Response:
    """{"advance_seconds": N} or {"now": iso}; 409 when the app runs on an injected clock it cannot move."""
    clock: SimClock | None = request.app.state.clock
    if clock is None:
        return _error("the simulator runs on an injected clock that cannot be moved", 409)
    try:
        data = await _body(request)
        if ("advance_seconds" in data) == ("now" in data):
            raise ValueError('give exactly one of "advance_seconds" and "now"')
        if "now" in data:
            clock.set(_instant(data["now"], "now"))
        else:
            step = data["advance_seconds"]
            if isinstance(step, bool) or not isinstance(step, int | float):
                raise ValueError("advance_seconds must be a number")
            clock.advance(float(step))
    except (ValueError, TypeError, OverflowError) as exc:
        return _error(str(exc))
    return await get_clock(request)


async def post_purchases(request: Request) -> Response:
    """Add purchase invoices (arrivals.add_purchases); 201 with their KSeF numbers."""
    sim: SimState = request.app.state.sim
    allowed = {
        "buyer_nip",
        "count",
        "seller_nip",
        "storage_from",
        "spacing_seconds",
        "visible_after_seconds",
        "acquisition_after_storage",
    }
    try:
        data = await _body(request)
        unknown = set(data) - allowed
        if unknown:
            raise ValueError(f"unknown fields: {sorted(unknown)}")
        count = data.get("count", 1)
        if isinstance(count, bool) or not isinstance(count, int):
            raise ValueError("count must be an integer")
        for name in ("spacing_seconds", "visible_after_seconds"):
            value = data.get(name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
                raise ValueError(f"{name} must be a number")
        now = sim.now()
        created = add_purchases(
            sim.world,
            str(data.get("buyer_nip", "")),
            count,
            now=now,
            seller_nip=str(data["seller_nip"]) if data.get("seller_nip") is not None else None,
            storage_from=_instant(data["storage_from"], "storage_from") if data.get("storage_from") else None,
            spacing_seconds=float(data.get("spacing_seconds", 60)),
            visible_after_seconds=(
                float(data["visible_after_seconds"])
                if data.get("visible_after_seconds") is not None
                else None
            ),
            acquisition_after_storage=bool(data.get("acquisition_after_storage", False)),
        )
    except (ValueError, TypeError, OverflowError) as exc:
        return _error(str(exc))
    return JSONResponse({"ksefNumbers": [i.ksef_number for i in created]}, status_code=201)


async def get_purchases(request: Request) -> Response:
    sim: SimState = request.app.state.sim
    buyer = request.query_params.get("buyer", "")
    now = sim.now()
    mark = _hwm(request, now)
    try:
        rows = purchases_json(sim.world, buyer, now, mark)
    except ValueError as exc:
        return _error(str(exc), 404)
    return JSONResponse({"now": iso(now), "hwm": iso(mark), "purchases": rows})


async def post_qualified(request: Request) -> Response:
    """201 with a fresh qualified test seal (PKCS#12, no password) for the taxpayer {"nip": NIP} (the
    office included), as `ksef-tui simulator --qualified-file` writes one; 404 for a NIP not in the world."""
    world: World = request.app.state.world
    try:
        data = await _body(request)
    except (ValueError, TypeError) as exc:
        return _error(str(exc))
    nip = data.get("nip")
    taxpayer = world.taxpayer(nip) if isinstance(nip, str) else None
    if taxpayer is None:
        return _error(f"no taxpayer with NIP {nip!r} in the simulated world", 404)
    seal = certificates.qualified_pkcs12(world, taxpayer.nip, taxpayer.name)
    return Response(seal, status_code=201, media_type="application/x-pkcs12")


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
    sleep: Callable[[float], Awaitable[None]] | None = None,
) -> Starlette:
    """A KSeF API 2.0 simulator serving `world` under /v2. `clock` and `sleep` (the injected latency
    faults wait through it) let tests run the simulator on a fake timeline. Without `clock` it runs on
    the system clock plus an offset /_sim/clock moves; an injected `SimClock` is movable too, any other
    injected clock is not."""
    rate_limits = rate_limits if rate_limits is not None else RateLimitConfig()
    movable = clock if isinstance(clock, SimClock) else (SimClock(system_clock) if clock is None else None)
    faults = faults if faults is not None else Faults()
    app = Starlette(
        routes=[
            Mount(API_PREFIX, routes=_api_routes()),
            Route("/_sim/faults", get_faults, methods=["GET"]),
            Route("/_sim/faults", set_faults, methods=["POST", "PATCH"]),
            Route("/_sim/rate-limits/reset", reset_rate_limits, methods=["POST"]),
            Route("/_sim/clock", get_clock, methods=["GET"]),
            Route("/_sim/clock", move_clock, methods=["POST"]),
            Route("/_sim/purchases", get_purchases, methods=["GET"]),
            Route("/_sim/purchases", post_purchases, methods=["POST"]),
            Route("/_sim/qualified", post_qualified, methods=["POST"]),
            *STORAGE_ROUTES,
        ],
        middleware=[Middleware(FaultMiddleware)],
    )
    app.state.world = world
    app.state.faults = faults
    app.state.clock = movable
    app.state.sim = SimState(
        world, rate_limits, faults, movable or clock or system_clock, sleep or system_sleep
    )
    # The MF RSA keys take about a second to derive; start now so the first client rarely waits.
    threading.Thread(target=lambda: world.keys.mf_keys, name="ksef-sim-keys", daemon=True).start()
    return app

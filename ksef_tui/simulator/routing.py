"""How every /v2 endpoint is served: rate limit, bearer check, permission check, handler, errors.

Handlers are declared with `@route(...)` in the area modules (auth.py, sessions.py, ...), naming
the bearer token type the endpoint takes (API-NOTES §2) and the permissions of which any one suffices
(`x-required-permissions`); the spec's rate-limit group comes from the table the client paces by
(core/rate_limits.py).
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response

from ksef_tui.core.rate_limits import group_for
from ksef_tui.simulator import bearer
from ksef_tui.simulator.errors import (
    ApiError,
    Forbidden,
    Gone,
    MissingPermissions,
    TooManyRequests,
    Unauthorized,
    api_error_response,
    forbidden_response,
    gone_response,
    too_many_requests_response,
    unauthorized_response,
    validation,
    wants_problem,
)
from ksef_tui.simulator.faults import Faults
from ksef_tui.simulator.state import AuthOp, SimState
from ksef_tui.simulator.world import World

# Bearer kinds an endpoint accepts.
NONE = "none"
ACCESS = "access"
OPERATION = "operation"
REFRESH = "refresh"
REFRESH_OR_ACCESS = "refresh_or_access"

_ACCEPTED_TYPES = {
    ACCESS: {bearer.ACCESS},
    OPERATION: {bearer.OPERATION},
    REFRESH: {bearer.REFRESH},
    REFRESH_OR_ACCESS: {bearer.REFRESH, bearer.ACCESS},
}


@dataclass
class Ctx:
    request: Request
    sim: SimState
    op: AuthOp | None
    payload: dict = field(default_factory=dict)

    @property
    def world(self) -> World:
        return self.sim.world

    @property
    def faults(self) -> Faults:
        return self.sim.fault_state.sync(self.request.app.state.faults)

    def now(self) -> datetime:
        return self.sim.now()

    @property
    def context_nip(self) -> str:
        assert self.op is not None
        return self.op.context_nip

    @property
    def permissions(self) -> frozenset[str]:
        return self.op.permissions if self.op is not None else frozenset()

    def has_any(self, *perms: str) -> bool:
        return any(p in self.permissions for p in perms)

    def require_any(self, *perms: str) -> None:
        if not self.has_any(*perms):
            raise MissingPermissions(list(perms), list(self.permissions))

    async def json(self) -> dict:
        raw = await self.request.body()
        if not raw:
            return {}
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise validation(f"Nieprawidłowy format JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise validation("Oczekiwano obiektu JSON.")
        return data

    def base_url(self) -> str:
        return str(self.request.base_url).rstrip("/")

    def query_int(self, name: str, default: int, lo: int, hi: int | None = None) -> int:
        raw = self.request.query_params.get(name)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError as exc:
            raise validation(f"Parametr {name} musi być liczbą całkowitą.") from exc
        if value < lo or (hi is not None and value > hi):
            raise validation(
                f"Parametr {name} musi mieścić się w zakresie {lo}..{hi if hi is not None else ''}."
            )
        return value


Handler = Callable[[Ctx], Awaitable[Response]]


@dataclass(frozen=True)
class Endpoint:
    method: str
    path: str
    group: str
    auth: str
    permissions: tuple[str, ...]
    handler: Handler


ENDPOINTS: list[Endpoint] = []


def route(
    method: str, path: str, *, auth: str = ACCESS, permissions: tuple[str, ...] = ()
) -> Callable[[Handler], Handler]:
    """Register a handler; its rate-limit group comes from the shared table (core/rate_limits.py)."""

    def register(handler: Handler) -> Handler:
        ENDPOINTS.append(Endpoint(method, path, group_for(method, path), auth, permissions, handler))
        return handler

    return register


def json_response(body: object, status: int = 200, headers: dict | None = None) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False),
        status_code=status,
        media_type="application/json",
        headers=headers,
    )


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip()
    return None


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "127.0.0.1"


def bearer_context(sim: SimState, token: str | None) -> str | None:
    """The context a valid bearer token was issued for; None without one."""
    if token:
        try:
            payload = bearer.decode(sim.secret, token, sim.now())
            return str(payload.get("context-identifier-value", ""))
        except bearer.BadToken:
            pass
    return None


async def _rate_context(sim: SimState, token: str | None, request: Request) -> str:
    """Limits apply per (context, IP) (API-NOTES §16). A request counts under the context it names — the
    one its bearer token was issued for, or the `contextIdentifier` an authentication submits — and per
    IP alone when it names none (the challenge, the public keys)."""
    ip = _client_ip(request)
    context = bearer_context(sim, token)
    if context is None and request.method == "POST":
        context = body_context(await request.body())
    return f"{context}|{ip}" if context is not None else f"|{ip}"


_JSON_CONTEXT = re.compile(rb'"contextIdentifier"\s*:\s*\{[^}]*"value"\s*:\s*"([^"]{1,64})"')
_XML_CONTEXT = re.compile(rb"<(?:\w+:)?ContextIdentifier>\s*<(?:\w+:)?\w+>\s*([^<\s]{1,64})\s*<")


def body_context(body: bytes) -> str | None:
    """The context an unauthenticated POST names in its body (token or XAdES authentication)."""
    found = _JSON_CONTEXT.search(body) or _XML_CONTEXT.search(body)
    return found.group(1).decode("ascii", "replace") if found else None


def endpoint_template(method: str, path: str) -> str | None:
    """The spec's path template of a concrete API path (`/auth/AU-1` -> `/auth/{referenceNumber}`)."""
    for m, pattern, template in _templates():
        if m == method and pattern.fullmatch(path):
            return template
    return None


_TEMPLATES: list[tuple[str, re.Pattern[str], str]] = []


def _templates() -> list[tuple[str, re.Pattern[str], str]]:
    if len(_TEMPLATES) != len(ENDPOINTS):
        ordered = sorted(ENDPOINTS, key=lambda e: e.path.count("{"))  # literal paths first
        _TEMPLATES[:] = [
            (e.method, re.compile(re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(e.path))), e.path)
            for e in ordered
        ]
    return _TEMPLATES


def _authenticate(sim: SimState, kind: str, token: str | None) -> tuple[AuthOp | None, dict]:
    if kind == NONE:
        return None, {}
    if not token:
        raise Unauthorized()
    try:
        payload = bearer.decode(sim.secret, token, sim.now())
    except bearer.BadToken as exc:
        raise Unauthorized("Token jest nieprawidłowy lub wygasł.") from exc
    if payload.get("token-type") not in _ACCEPTED_TYPES[kind]:
        raise Unauthorized("Ten rodzaj tokena nie jest akceptowany przez tę operację.")
    op = sim.auth_ops.get(str(payload.get("operation-reference-number", "")))
    if op is None:
        raise Unauthorized("Nieznana operacja uwierzytelnienia.")
    return op, payload


def make_handler(endpoint: Endpoint) -> Callable[[Request], Awaitable[Response]]:
    async def handle(request: Request) -> Response:
        sim: SimState = request.app.state.sim
        try:
            token = _bearer(request)
            breach = sim.limiter.hit(await _rate_context(sim, token, request), endpoint.group)
            if breach is not None:
                raise TooManyRequests(breach.retry_after, breach.detail)
            op, payload = _authenticate(sim, endpoint.auth, token)
            ctx = Ctx(request, sim, op, payload)
            if endpoint.permissions:
                ctx.require_any(*endpoint.permissions)
            return await endpoint.handler(ctx)
        except ApiError as exc:
            return api_error_response(request, exc)
        except Unauthorized as exc:
            return unauthorized_response(request, exc)
        except Forbidden as exc:
            return forbidden_response(request, exc)
        except Gone as exc:
            return gone_response(request, exc)
        except TooManyRequests as exc:
            return too_many_requests_response(
                request.url.path, wants_problem(request), exc.retry_after, exc.detail
            )

    return handle


# ---- pagination ----------------------------------------------------------------------------------


def continuation_offset(ctx: Ctx, scope: str) -> int:
    """Offset from the `x-continuation-token` header; 21418 when it is not one of ours for this list."""
    raw = ctx.request.headers.get("x-continuation-token")
    if not raw:
        return 0
    try:
        data = json.loads(base64.b64decode(raw, validate=True))
        if data.get("s") != scope:
            raise ValueError("scope")
        offset = int(data["o"])
        if offset < 0:
            raise ValueError("negative")
        return offset
    except Exception as exc:
        raise ApiError(21418) from exc


def continuation_token(scope: str, offset: int) -> str:
    return base64.b64encode(json.dumps({"s": scope, "o": offset}, separators=(",", ":")).encode()).decode()


def page_by_continuation(ctx: Ctx, scope: str, items: list, page_size: int) -> tuple[list, str | None]:
    offset = continuation_offset(ctx, scope)
    page = items[offset : offset + page_size]
    more = offset + page_size < len(items)
    return page, continuation_token(scope, offset + page_size) if more else None

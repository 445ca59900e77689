"""The one place HTTP happens: pacing, retries, error mapping and the API log around httpx.

Endpoint modules call `HttpCore.request()` with the spec's path *template* (`route`) and its parameters,
so the rate-limit group, the retry rule and the log entry are all decided from the template, not from
a concrete URL.
"""

from __future__ import annotations

import json as jsonlib
import random
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote, urlsplit

import httpx

from ksef_tui.core.clock import Clock, Monotonic, Sleep, Timing
from ksef_tui.core.rate_limits import group_for
from ksef_tui.ksef.apilog import ApiLog, ApiLogEntry, get_logger, redact, redact_text, register_secret
from ksef_tui.ksef.errors import (
    KsefHttpError,
    KsefNetworkError,
    RateLimited,
    error_from_response,
    parse_error_payload,
)
from ksef_tui.ksef.ratelimit import NO_CONTEXT_ROUTES, OFFICE_WIDE, UNLIMITED, RateScheduler
from ksef_tui.ksef.retry import Budget, RetryPolicy, charge, is_idempotent, may_wait

log = get_logger(__name__)

_MAX_LOGGED_JSON = 16_384  # bytes; larger successful answers are summarised, not copied into the log
_MAX_STREAMED_ERROR_BODY = 65_536  # bytes of an error answer read from a streamed download


class HttpCore:
    def __init__(
        self,
        base_url: str,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
        scheduler: RateScheduler | None = None,
        retry: RetryPolicy | None = None,
        api_log: ApiLog | None = None,
        timing: Timing | None = None,
        timeout: float = 30.0,
        problem_details: bool = True,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timing = timing or Timing()
        self.scheduler = scheduler or RateScheduler(timing=self.timing)
        self.retry = retry or RetryPolicy()
        self.api_log = api_log if api_log is not None else ApiLog()
        self.problem_details = problem_details
        self._owns_client = http_client is None
        self.http = http_client or httpx.AsyncClient(
            transport=transport,
            timeout=httpx.Timeout(timeout),
            headers={"Accept": "application/json", "User-Agent": "ksef-tui"},
            follow_redirects=False,
        )

    # The parts of `timing` the endpoint modules use directly.
    @property
    def clock(self) -> Clock:
        return self.timing.clock

    @property
    def sleep(self) -> Sleep:
        return self.timing.sleep

    @property
    def monotonic(self) -> Monotonic:
        return self.timing.monotonic

    @property
    def rng(self) -> random.Random:
        return self.timing.rng

    async def aclose(self) -> None:
        if self._owns_client:
            await self.http.aclose()

    def url_for(self, route: str, path_params: Mapping[str, str] | None = None) -> str:
        params = {k: quote(str(v), safe="") for k, v in (path_params or {}).items()}
        return self.base_url + route.format(**params)

    async def request(
        self,
        method: str,
        route: str,
        *,
        path_params: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | list[tuple[str, Any]] | None = None,
        json: Any = None,
        content: bytes | None = None,
        content_type: str | None = None,
        bearer: str | None = None,
        context: str | None = None,
        headers: Mapping[str, str] | None = None,
        idempotent: bool | None = None,
        absolute_url: str | None = None,
    ) -> httpx.Response:
        """Send one logical request; return the response (status < 400) or raise a KsefError.

        `absolute_url`: a pre-signed storage URL (UPO, export part). It gets no Authorization header and
        is not rate-limited, but is still logged (with its signature masked) and retried if safe.
        """
        method = method.upper()
        url = absolute_url or self.url_for(route, path_params)
        group = UNLIMITED if absolute_url else group_for(method, route)
        safe = is_idempotent(method, route) if idempotent is None else idempotent
        hdrs: dict[str, str] = dict(headers or {})
        if bearer and not absolute_url:
            register_secret(bearer)
            hdrs["Authorization"] = f"Bearer {bearer}"
        if self.problem_details and not absolute_url:
            hdrs.setdefault("X-Error-Format", "problem-details")
        body: bytes | None = None
        if json is not None:
            body = jsonlib.dumps(json, ensure_ascii=False).encode("utf-8")
            hdrs["Content-Type"] = "application/json"
        elif content is not None:
            body = content
            hdrs["Content-Type"] = content_type or "application/octet-stream"
        logged_request = (
            redact(json)
            if json is not None
            else (f"<{len(content)} bytes {content_type or ''}>".strip() if content is not None else None)
        )
        # KSeF counts per (context, client IP) (API-NOTES §16): a request counts under the context it
        # names (its bearer token's, or the contextIdentifier of a token/XAdES authentication), and under
        # the office's IP alone when it names none — the challenge and the public keys, whose window every
        # client's login shares.
        pace_key = OFFICE_WIDE if route in NO_CONTEXT_ROUTES or not context else context
        policy = self.retry
        failures = 0  # 5xx / network attempts
        limited = 0  # 429 attempts
        budget = Budget(policy.max_wait)  # this request's waits, charged to enclosing operations too
        attempt = 0
        while True:
            attempt += 1
            await self.scheduler.acquire(pace_key, group)
            started = self.monotonic()
            try:
                response = await self.http.request(method, url, params=params, content=body, headers=hdrs)
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                # The message of an httpx error may hold the URL (a pre-signed signature): redact it,
                # and do not chain it (`from None`) so tracebacks do not carry it either.
                reason = redact_text(f"{type(exc).__name__}: {exc}")[:300]
                self._log(
                    method, url, route, None, started, context, (), reason, attempt, logged_request, None
                )
                failures += 1
                if (
                    safe
                    and failures < policy.max_attempts
                    and await self._wait(policy.backoff(failures, self.rng), budget)
                ):
                    continue
                raise KsefNetworkError(details=[reason]) from None
            if response.status_code < 400:
                self._log(
                    method,
                    url,
                    route,
                    response.status_code,
                    started,
                    context,
                    (),
                    "",
                    attempt,
                    logged_request,
                    _loggable_json(response),
                )
                return response
            err = error_from_response(
                response.status_code, response.content, response.headers, now_epoch=self.clock().timestamp()
            )
            payload = _json_or_none(response.content)
            self._log(
                method,
                url,
                route,
                response.status_code,
                started,
                context,
                err.codes,
                str(err)[:300],
                attempt,
                logged_request,
                redact(payload) if payload is not None else None,
            )
            if isinstance(err, RateLimited):
                limited += 1
                delay = policy.rate_limited_delay(limited, err.retry_after, self.rng)
                self.scheduler.block(pace_key, group, delay)
                too_long = err.retry_after is not None and err.retry_after > policy.max_retry_after
                if (
                    limited < policy.max_rate_limited_attempts
                    and not too_long
                    and await self._wait(delay, budget)
                ):
                    log.info("429 on %s %s; waited %.1f s as KSeF asked", method, route, delay)
                    continue
                raise err
            if response.status_code >= 500 and safe:
                failures += 1
                if failures < policy.max_attempts and await self._wait(
                    policy.backoff(failures, self.rng), budget
                ):
                    continue
            raise err

    async def _wait(self, delay: float, budget: Budget) -> bool:
        """Wait `delay` before the next attempt if this request's budget (and every enclosing
        operation's) allows it; False, without waiting, when it does not."""
        if not may_wait(delay, budget):
            return False
        charge(delay, budget)
        await self.sleep(delay)
        return True

    @asynccontextmanager
    async def stream(
        self, method: str, route: str, *, absolute_url: str, context: str | None = None
    ) -> AsyncIterator[httpx.Response]:
        """One attempt at a pre-signed storage URL (an export part) whose body the caller reads in
        chunks inside the block (`response.aiter_bytes(n)`), so it is never held whole in memory.

        No Authorization header, not rate-limited, logged like `request()` (signature masked). An error
        status, or a network failure before or while the body is read, raises the same KsefError
        types as `request()`; there is no retry here: the caller repeats the whole download
        (`retry_operation`), since a half-read body cannot be resumed.
        """
        method = method.upper()
        await self.scheduler.acquire(context or OFFICE_WIDE, UNLIMITED)
        started = self.monotonic()
        # identity: a compressed transfer encoding would let a small answer expand without bound.
        request = self.http.build_request(method, absolute_url, headers={"Accept-Encoding": "identity"})
        try:
            response = await self.http.send(request, stream=True)
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            reason = redact_text(f"{type(exc).__name__}: {exc}")[:300]
            self._log(method, absolute_url, route, None, started, context, (), reason, 1, None, None)
            raise KsefNetworkError(details=[reason]) from None
        try:
            if response.status_code >= 400:
                body = bytearray()
                try:
                    async for chunk in response.aiter_bytes(16_384):
                        body += chunk
                        if len(body) >= _MAX_STREAMED_ERROR_BODY:
                            break
                except (httpx.TimeoutException, httpx.TransportError):
                    pass  # the status says enough
                err = error_from_response(
                    response.status_code, bytes(body), response.headers, now_epoch=self.clock().timestamp()
                )
                self._log(
                    method, absolute_url, route, response.status_code, started, context, err.codes,
                    str(err)[:300], 1, None, None,
                )  # fmt: skip
                raise err
            ctype = response.headers.get("content-type", "").split(";")[0]
            self._log(
                method, absolute_url, route, response.status_code, started, context, (), "", 1, None,
                f"<streamed {response.headers.get('content-length', '?')} bytes {ctype}>".replace(" >", ">"),
            )  # fmt: skip
            try:
                yield response
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                reason = redact_text(f"{type(exc).__name__}: {exc}")[:300]
                raise KsefNetworkError(details=[reason]) from None
        finally:
            await response.aclose()

    async def get_json(self, route: str, **kw: Any) -> Any:
        return (await self.request("GET", route, **kw)).json()

    async def post_json(self, route: str, **kw: Any) -> Any:
        response = await self.request("POST", route, **kw)
        return response.json() if response.content else None

    def _log(
        self,
        method: str,
        url: str,
        route: str,
        status: int | None,
        started: float,
        context: str | None,
        codes: Sequence[int],
        error: str,
        attempt: int,
        request_body: Any,
        response_body: Any,
    ) -> None:
        path = urlsplit(url).path
        base_path = urlsplit(self.base_url).path
        if path.startswith(base_path) and url.startswith(self.base_url):
            path = path[len(base_path) :] or "/"
        entry = ApiLogEntry(
            timestamp=self.clock(),
            method=method,
            path=path,
            route=route,
            status=status,
            duration_ms=round((self.monotonic() - started) * 1000.0, 2),
            context_nip=context,
            ksef_codes=tuple(codes),
            error=redact_text(error),
            attempt=attempt,
            request_body=request_body,
            response_body=response_body,
        )
        self.api_log.record(entry)
        log.debug("%s %s -> %s (%.0f ms) %s", method, path, status, entry.duration_ms, error)


def _json_or_none(content: bytes) -> Any:
    if not content:
        return None
    try:
        return jsonlib.loads(content)
    except (ValueError, UnicodeDecodeError):
        return None


def _loggable_json(response: httpx.Response) -> Any:
    ctype = response.headers.get("content-type", "")
    if not response.content:
        return None
    if "json" not in ctype:
        return f"<{len(response.content)} bytes {ctype.split(';')[0]}>"
    if len(response.content) > _MAX_LOGGED_JSON:
        return f"<{len(response.content)} bytes json>"
    payload = _json_or_none(response.content)
    return redact(payload) if payload is not None else None


__all__ = ["HttpCore", "KsefHttpError", "parse_error_payload"]

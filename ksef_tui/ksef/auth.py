"""Authentication (API-NOTES §4, §5) and the access-token life cycle.

Flow: challenge → (token: RSA-OAEP of `token|timestampMs` → POST /auth/ksef-token)
                  (certificate: signed AuthTokenRequest XML → POST /auth/xades-signature)
      → poll GET /auth/{ref} with backoff → redeem → refresh the access token before `validUntil`
      → full re-authentication when the refresh token has expired or was revoked.

`AuthManager` owns the tokens of one context. It is given a `reauthenticate` coroutine (built by the
client from the credential) so it can start over on its own when refreshing is no longer possible.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric import rsa

from ksef_tui.ksef.apilog import get_logger, register_secret
from ksef_tui.ksef.crypto import b64, rsa_oaep_encrypt
from ksef_tui.ksef.errors import (
    AuthTimeout,
    KsefError,
    KsefHttpError,
    NotAuthenticated,
    auth_status_error,
)
from ksef_tui.ksef.http import HttpCore
from ksef_tui.ksef.keys import PublicKeyCache
from ksef_tui.ksef.models import (
    AuthInitResponse,
    AuthStatus,
    AuthTokens,
    Challenge,
    PublicKeyUsage,
    TokenInfo,
    from_json,
)
from ksef_tui.ksef.retry import retry_operation

log = get_logger(__name__)

PUBLIC_KEY_REJECTED = 21470


@dataclass
class PollPolicy:
    """How GET /auth/{ref} is polled: DEMO/PRD OCSP checks may keep status 100 for a while (§5)."""

    first_delay: float = 0.5
    factor: float = 1.6
    max_delay: float = 5.0
    timeout: float = 120.0  # total waiting before AuthTimeout


async def get_challenge(core: HttpCore, context: str | None) -> Challenge:
    return from_json(Challenge, await core.post_json("/auth/challenge", context=context))


def encrypt_ksef_token(token: str, timestamp_ms: int, public_key: rsa.RSAPublicKey) -> str:
    """RSA-OAEP-SHA256 (MGF1-SHA256) of UTF-8 `token|timestampMs`, Base64."""
    return b64(rsa_oaep_encrypt(public_key, f"{token}|{timestamp_ms}".encode()))


async def init_token_auth(
    core: HttpCore,
    keys: PublicKeyCache,
    *,
    context_value: str,
    token: str,
    now: datetime,
    context_type: str = "Nip",
    allowed_ips: dict[str, list[str]] | None = None,
) -> AuthInitResponse:
    """Steps 1-3 of §4. A 21470 (retired key) refetches the key list and retries once."""
    register_secret(token)
    for attempt in range(2):
        challenge = await get_challenge(core, context_value)
        cert, key = await keys.pick(core, PublicKeyUsage.KSEF_TOKEN_ENCRYPTION, now, context_value)
        if challenge.timestamp_ms is None:
            raise KsefError(details=["challenge without timestampMs"])
        body: dict[str, object] = {
            "challenge": challenge.challenge,
            "contextIdentifier": {"type": context_type, "value": context_value},
            "encryptedToken": encrypt_ksef_token(token, challenge.timestamp_ms, key),
        }
        if cert.public_key_id:
            body["publicKeyId"] = cert.public_key_id
        if allowed_ips:
            body["authorizationPolicy"] = {"allowedIps": allowed_ips}
        try:
            data = await core.post_json("/auth/ksef-token", json=body, context=context_value)
        except KsefHttpError as err:
            if PUBLIC_KEY_REJECTED in err.codes and attempt == 0:
                log.info("public key rejected (21470); refetching the key list")
                keys.invalidate()
                continue
            raise
        return _init_response(data)
    raise AssertionError("unreachable")


def _init_response(data: object) -> AuthInitResponse:
    init = from_json(AuthInitResponse, data)
    register_secret(init.authentication_token.token)
    return init


async def wait_for_auth(
    core: HttpCore, init: AuthInitResponse, *, context: str | None, poll: PollPolicy | None = None
) -> AuthStatus:
    """Poll GET /auth/{ref} until success (200); failure statuses raise typed AuthenticationErrors."""
    poll = poll or PollPolicy()
    delay = poll.first_delay
    waited = 0.0
    while True:
        data = await core.get_json(
            "/auth/{referenceNumber}",
            path_params={"referenceNumber": init.reference_number},
            bearer=init.authentication_token.token,
            context=context,
        )
        status = from_json(AuthStatus, data)
        code = status.status.code
        if code == 200:
            return status
        if code is not None and code != 100 and code >= 300:
            raise auth_status_error(code, status.status.description, status.status.details)
        if waited >= poll.timeout:
            raise AuthTimeout(codes=[code] if code else ())
        await core.sleep(delay)  # cancellable
        waited += delay
        delay = min(poll.max_delay, delay * poll.factor)


async def redeem(core: HttpCore, init: AuthInitResponse, *, context: str | None) -> AuthTokens:
    data = await core.post_json("/auth/token/redeem", bearer=init.authentication_token.token, context=context)
    tokens = from_json(AuthTokens, data)
    register_secret(tokens.access_token.token)
    if tokens.refresh_token:
        register_secret(tokens.refresh_token.token)
    return tokens


async def refresh(core: HttpCore, refresh_token: str, *, context: str | None) -> TokenInfo:
    data = await core.post_json("/auth/token/refresh", bearer=refresh_token, context=context)
    access = from_json(AuthTokens, data).access_token
    register_secret(access.token)
    return access


async def complete_auth(
    core: HttpCore, init: AuthInitResponse, *, context: str | None, poll: PollPolicy | None = None
) -> tuple[AuthStatus, AuthTokens]:
    status = await wait_for_auth(core, init, context=context, poll=poll)
    return status, await redeem(core, init, context=context)


Reauthenticate = Callable[[], Awaitable[tuple[AuthStatus, AuthTokens]]]


@dataclass
class AuthManager:
    """The tokens of one context, kept fresh.

    `refresh_margin`: refresh this long before `validUntil` (clock skew, request latency).
    """

    core: HttpCore
    context: str
    reauthenticate: Reauthenticate | None = None
    refresh_margin: timedelta = timedelta(seconds=60)
    tokens: AuthTokens | None = None
    status: AuthStatus | None = None
    full_authentications: int = 0
    refreshes: int = 0
    _lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    def _fresh(self, token: TokenInfo | None, now: datetime) -> bool:
        if token is None or not token.token:
            return False
        return token.valid_until is None or token.valid_until - self.refresh_margin > now

    async def login(self) -> AuthTokens:
        """A full authentication, repeated from a fresh challenge while KSeF fails transiently
        (retry.py: a half-done authentication simply expires, so starting over is always safe)."""
        if self.reauthenticate is None:
            raise NotAuthenticated()
        status, tokens = await retry_operation(
            self.reauthenticate, self.core.retry, self.core.timing, what="login"
        )
        self.status, self.tokens = status, tokens
        self.full_authentications += 1
        return tokens

    async def access_token(self, *, force_refresh: bool = False) -> str:
        """A valid access token: cached, refreshed, or from a full re-authentication."""
        async with self._lock:
            now = self.core.clock()
            tokens = self.tokens
            if tokens is None:
                return (await self.login()).access_token.token
            if not force_refresh and self._fresh(tokens.access_token, now):
                return tokens.access_token.token
            if tokens.refresh_token is not None and self._fresh(tokens.refresh_token, now):
                try:
                    tokens.access_token = await refresh(
                        self.core, tokens.refresh_token.token, context=self.context
                    )
                    self.refreshes += 1
                    return tokens.access_token.token
                except KsefHttpError as err:
                    # 401, 21301 (revoked), 21304 (auth gone), 410...: the refresh token is useless, start
                    # over. Server trouble (5xx, 429 after retries) says nothing about it: let it through.
                    if err.status is not None and (err.status >= 500 or err.status == 429):
                        raise
                    log.info("refresh refused (%s); full re-authentication", err.codes or err.status)
            return (await self.login()).access_token.token

    def forget(self) -> None:
        self.tokens = None
        self.status = None

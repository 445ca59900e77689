"""`KsefClient`: the KSeF API 2.0 client the rest of the app uses.

One client object = one environment + (after authentication) one context (NIP). `for_context(nip)`
gives a sibling for another context that shares the HTTP connection pool, the rate-limit scheduler, the
public-key cache and the API log — so 300 clients' checks share one pool and each context is paced by
its own windows.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from ksef_tui.core.clock import Timing
from ksef_tui.core.models import Environment
from ksef_tui.core.rate_limits import Limit
from ksef_tui.ksef.apilog import ApiLog, install_log_redaction, register_secret
from ksef_tui.ksef.auth import AuthManager, PollPolicy, complete_auth, init_token_auth
from ksef_tui.ksef.certificates import CertificatesApi
from ksef_tui.ksef.environments import KsefEnvironment, resolve_environment
from ksef_tui.ksef.errors import NotAuthenticated
from ksef_tui.ksef.exports import ExportsApi
from ksef_tui.ksef.http import HttpCore
from ksef_tui.ksef.invoices import InvoicesApi
from ksef_tui.ksef.keys import PublicKeyCache
from ksef_tui.ksef.models import AuthStatus, AuthTokens
from ksef_tui.ksef.permissions import PermissionsApi
from ksef_tui.ksef.ratelimit import RateScheduler
from ksef_tui.ksef.retry import RetryPolicy
from ksef_tui.ksef.sessions import SessionsApi
from ksef_tui.ksef.tokens import TokensApi
from ksef_tui.ksef.xades import init_xades_auth


class KsefClient(SessionsApi, InvoicesApi, ExportsApi, TokensApi, PermissionsApi, CertificatesApi):
    def __init__(
        self,
        environment: Environment | str | KsefEnvironment = Environment.PROD,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        http_client: httpx.AsyncClient | None = None,
        timing: Timing | None = None,
        scheduler: RateScheduler | None = None,
        rate_limit_scale: float = 1.0,
        rate_limits_enabled: bool = True,
        rate_limits: dict[str, Limit] | None = None,
        retry: RetryPolicy | None = None,
        api_log: ApiLog | None = None,
        public_keys: PublicKeyCache | None = None,
        poll: PollPolicy | None = None,
        timeout: float = 30.0,
        problem_details: bool = True,
        refresh_margin: timedelta = timedelta(seconds=60),
        _core: HttpCore | None = None,
    ) -> None:
        """`environment`: Environment.TEST/DEMO/PROD, "test"/"demo"/"prod", or any base URL such as
        "http://127.0.0.1:8765/v2". `transport`: e.g. httpx.ASGITransport(app=simulator) in-process.
        `timing`: the wall clock, monotonic clock, sleep and random stream (a fake one for fast tests);
        every wait, pace and jitter goes through it."""
        install_log_redaction()  # idempotent: httpx/httpcore records are scrubbed like ours
        self.environment = resolve_environment(environment)
        timing = timing or Timing()
        self.core = _core or HttpCore(
            self.environment.base_url,
            transport=transport,
            http_client=http_client,
            scheduler=scheduler
            or RateScheduler(
                rate_limits,
                scale=rate_limit_scale,
                enabled=rate_limits_enabled,
                timing=timing,
            ),
            retry=retry,
            api_log=api_log,
            timing=timing,
            timeout=timeout,
            problem_details=problem_details,
        )
        self._keys = public_keys or PublicKeyCache()
        self._poll = poll
        self._refresh_margin = refresh_margin
        self._auth: AuthManager | None = None
        self.context_nip: str | None = None
        self._owner = _core is None

    # --- plumbing -------------------------------------------------------------------------------------

    @property
    def api_log(self) -> ApiLog:
        return self.core.api_log

    @property
    def scheduler(self) -> RateScheduler:
        return self.core.scheduler

    @property
    def public_keys(self) -> PublicKeyCache:
        return self._keys

    def for_context(self, nip: str) -> KsefClient:
        """A client for another context sharing pool, scheduler, key cache and log (not the tokens)."""
        child = KsefClient(
            self.environment,
            public_keys=self._keys,
            poll=self._poll,
            refresh_margin=self._refresh_margin,
            _core=self.core,
        )
        child.context_nip = nip
        return child

    async def aclose(self) -> None:
        if self._owner:
            await self.core.aclose()

    async def __aenter__(self) -> KsefClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        state = "authenticated" if self.is_authenticated else "anonymous"
        return f"KsefClient({self.environment.base_url!r}, context={self.context_nip!r}, {state})"

    # --- authentication ------------------------------------------------------------------------------

    @property
    def is_authenticated(self) -> bool:
        return self._auth is not None and self._auth.tokens is not None

    @property
    def auth(self) -> AuthManager | None:
        return self._auth

    async def authenticate_with_token(
        self,
        nip: str,
        token: str,
        *,
        context_type: str = "Nip",
        allowed_ips: dict[str, list[str]] | None = None,
    ) -> AuthStatus:
        """§4: KSeF token → access and refresh tokens for context `nip`. Raises typed AuthenticationErrors."""

        async def full() -> tuple[AuthStatus, AuthTokens]:
            init = await init_token_auth(
                self.core,
                self._keys,
                context_value=nip,
                token=token,
                now=self.core.clock(),
                context_type=context_type,
                allowed_ips=allowed_ips,
            )
            return await complete_auth(self.core, init, context=nip, poll=self._poll)

        return await self._start(nip, full)

    async def authenticate_with_certificate(
        self,
        nip: str,
        certificate_pem: str | bytes,
        private_key_pem: str | bytes,
        *,
        context_type: str = "Nip",
        subject_identifier_type: str = "certificateSubject",
        verify_certificate_chain: bool | None = None,
    ) -> AuthStatus:
        """§5: signed AuthTokenRequest (XAdES-BES) with a KSeF certificate → tokens for context `nip`.

        Also the office-certificate path: the office's certificate, the client's NIP as context."""
        register_secret(private_key_pem)  # its body and every line of it, wherever they are echoed

        async def full() -> tuple[AuthStatus, AuthTokens]:
            init = await init_xades_auth(
                self.core,
                context_value=nip,
                certificate_pem=certificate_pem,
                private_key_pem=private_key_pem,
                context_type=context_type,
                subject_identifier_type=subject_identifier_type,
                verify_certificate_chain=verify_certificate_chain,
            )
            return await complete_auth(self.core, init, context=nip, poll=self._poll)

        return await self._start(nip, full)

    async def _start(self, nip: str, full: Any) -> AuthStatus:
        self.context_nip = nip
        self._auth = AuthManager(self.core, nip, reauthenticate=full, refresh_margin=self._refresh_margin)
        await self._auth.login()
        assert self._auth.status is not None
        return self._auth.status

    async def access_token(self) -> str:
        """A currently valid access token (refreshed or re-obtained as needed)."""
        if self._auth is None:
            raise NotAuthenticated()
        return await self._auth.access_token()

    async def logout(self) -> None:
        """Revoke the current authentication's refresh token (DELETE /auth/sessions/current) and forget it."""
        if self._auth is None or self._auth.tokens is None:
            return
        token = self._auth.tokens.refresh_token or self._auth.tokens.access_token
        try:
            await self.core.request(
                "DELETE", "/auth/sessions/current", bearer=token.token, context=self.context_nip
            )
        finally:
            self._auth.forget()

"""What every endpoint mixin relies on: an authenticated request in the client's context."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import httpx

from ksef_tui.ksef.errors import NotAuthenticated, Unauthorized

if TYPE_CHECKING:
    from ksef_tui.ksef.auth import AuthManager
    from ksef_tui.ksef.http import HttpCore
    from ksef_tui.ksef.keys import PublicKeyCache


class ApiBase:
    core: HttpCore
    _auth: AuthManager | None
    _keys: PublicKeyCache
    context_nip: str | None

    async def _authed(self, method: str, route: str, **kw: Any) -> httpx.Response:
        """A request with the access token; on 401 refresh (or re-authenticate) once and repeat."""
        if self._auth is None:
            raise NotAuthenticated()
        token = await self._auth.access_token()
        try:
            return await self.core.request(method, route, bearer=token, context=self.context_nip, **kw)
        except Unauthorized:
            token = await self._auth.access_token(force_refresh=True)
            return await self.core.request(method, route, bearer=token, context=self.context_nip, **kw)

    async def _authed_json(self, method: str, route: str, **kw: Any) -> Any:
        response = await self._authed(method, route, **kw)
        return response.json() if response.content else None


def drop_none(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if v is not None and v != []}


def iso(value: Any) -> Any:
    """Datetimes in query strings and bodies as ISO-8601 (aware ones keep their offset)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value

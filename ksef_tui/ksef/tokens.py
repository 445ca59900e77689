"""KSeF tokens (API-NOTES §13): generate, list, get, revoke."""

from __future__ import annotations

from collections.abc import Sequence

from ksef_tui.ksef.apilog import register_secret
from ksef_tui.ksef.base import ApiBase, drop_none
from ksef_tui.ksef.models import KsefTokenInfo, TokenGenerated, TokensPage, from_json


class TokensApi(ApiBase):
    async def generate_token(self, permissions: Sequence[str], description: str) -> TokenGenerated:
        """POST /tokens. The secret in the answer is shown once: the caller must seal it at once."""
        body = {"permissions": [str(p) for p in permissions], "description": description}
        result = from_json(TokenGenerated, await self._authed_json("POST", "/tokens", json=body))
        register_secret(result.token)
        return result

    async def list_tokens(
        self,
        *,
        statuses: Sequence[str] = (),
        description: str | None = None,
        author_identifier: str | None = None,
        author_identifier_type: str | None = None,
        page_size: int = 100,
        continuation_token: str | None = None,
    ) -> TokensPage:
        params: list[tuple[str, str | int]] = list(
            drop_none(
                {
                    "description": description,
                    "authorIdentifier": author_identifier,
                    "authorIdentifierType": author_identifier_type,
                    "pageSize": page_size,
                }
            ).items()
        )
        params += [("status", s) for s in statuses]
        headers = {"x-continuation-token": continuation_token} if continuation_token else None
        return from_json(
            TokensPage, await self._authed_json("GET", "/tokens", params=params, headers=headers)
        )

    async def get_token(self, reference_number: str) -> KsefTokenInfo:
        data = await self._authed_json(
            "GET", "/tokens/{referenceNumber}", path_params={"referenceNumber": reference_number}
        )
        return from_json(KsefTokenInfo, data)

    async def revoke_token(self, reference_number: str) -> None:
        await self._authed(
            "DELETE", "/tokens/{referenceNumber}", path_params={"referenceNumber": reference_number}
        )

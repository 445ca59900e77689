"""Permissions the credential holds in its context (API-NOTES §14), and the effective rate limits (§16)."""

from __future__ import annotations

from typing import Any

from ksef_tui.core.rate_limits import Limit
from ksef_tui.ksef.base import ApiBase
from ksef_tui.ksef.models import (
    GroupLimit,
    PersonalPermission,
    PersonalPermissionsPage,
    from_json,
    parse_rate_limits,
)


class PermissionsApi(ApiBase):
    async def query_personal_permissions(
        self, filters: dict[str, Any] | None = None, *, page_offset: int = 0, page_size: int = 100
    ) -> PersonalPermissionsPage:
        """POST /permissions/query/personal/grants: what *I* hold in the current context."""
        data = await self._authed_json(
            "POST",
            "/permissions/query/personal/grants",
            params={"pageOffset": page_offset, "pageSize": page_size},
            json=filters or {},
        )
        return from_json(PersonalPermissionsPage, data)

    async def all_personal_permissions(
        self, filters: dict[str, Any] | None = None
    ) -> list[PersonalPermission]:
        out: list[PersonalPermission] = []
        offset = 0
        while True:
            page = await self.query_personal_permissions(filters, page_offset=offset)
            out += page.permissions
            if not page.has_more or offset > 1000:
                return out
            offset += 1

    async def get_rate_limits(self) -> dict[str, GroupLimit]:
        return parse_rate_limits(await self._authed_json("GET", "/rate-limits"))

    async def apply_rate_limits(self) -> dict[str, GroupLimit]:
        """Read the effective limits and let the scheduler follow them (TE may differ from PRD)."""
        limits = await self.get_rate_limits()
        self.core.scheduler.update_limits(
            {k: Limit(v.per_second, v.per_minute, v.per_hour) for k, v in limits.items()}
        )
        return limits

"""Permissions the credential holds in its context (API-NOTES §14), and the effective rate limits (§16)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ksef_tui.core.rate_limits import Limit
from ksef_tui.ksef.base import ApiBase
from ksef_tui.ksef.models import (
    GroupLimit,
    Identifier,
    PersonalPermission,
    PersonalPermissionsPage,
    from_json,
    parse_rate_limits,
)

# queryType of POST /permissions/query/persons/grants: every permission in force in the current context
# (persons and entities who can work in it), or only those the authenticated caller granted in it.
IN_CURRENT_CONTEXT = "PermissionsInCurrentContext"
GRANTED_IN_CURRENT_CONTEXT = "PermissionsGrantedInCurrentContext"
PAGE_LIMIT = 1000  # pages read at most by the all_* helpers (a runaway hasMore must end)


@dataclass
class PersonGrant:
    """POST /permissions/query/persons/grants: one permission someone holds in the current context."""

    id: str = ""
    author_identifier: Identifier | None = None
    authorized_identifier: Identifier | None = None
    context_identifier: Identifier | None = None
    target_identifier: Identifier | None = None
    permission_scope: str = ""
    description: str | None = None
    permission_state: str | None = None
    start_date: datetime | None = None
    can_delegate: bool | None = None


@dataclass
class PersonGrantPage:
    permissions: list[PersonGrant] = field(default_factory=list)
    has_more: bool = False


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

    async def query_person_grants(
        self,
        query_type: str = IN_CURRENT_CONTEXT,
        filters: dict[str, Any] | None = None,
        *,
        page_offset: int = 0,
        page_size: int = 100,
    ) -> PersonGrantPage:
        """POST /permissions/query/persons/grants (CredentialsManage or CredentialsRead in the current
        context): who holds which permission in it."""
        data = await self._authed_json(
            "POST",
            "/permissions/query/persons/grants",
            params={"pageOffset": page_offset, "pageSize": page_size},
            json={**(filters or {}), "queryType": query_type},
        )
        return from_json(PersonGrantPage, data)

    async def all_person_grants(
        self, query_type: str = IN_CURRENT_CONTEXT, filters: dict[str, Any] | None = None
    ) -> list[PersonGrant]:
        out: list[PersonGrant] = []
        offset = 0
        while True:
            page = await self.query_person_grants(query_type, filters, page_offset=offset)
            out += page.permissions
            if not page.has_more or offset >= PAGE_LIMIT:
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

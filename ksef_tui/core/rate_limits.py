"""KSeF's rate-limit table: the one source for the client's pacing and the simulator's enforcement.

Every operation of the official spec carries `x-rate-limits` ({perSecond, perMinute, perHour}); KSeF
counts requests per (context, client IP) in the three sliding windows at once, and the first one
breached answers 429 with `Retry-After` (docs/KSEF-API-NOTES.md §16). `GET /rate-limits` names the
groups (`EffectiveApiRateLimits`); `ROUTE_GROUPS` places every spec operation in one of them.

`AUTH` is not a group KSeF names: the spec gives the authentication steps, the public keys (and the
test-data and Peppol endpoints, which the app never calls) a per-second limit only, 60/s. Both the client
and the simulator count them as this one extra group; `GET /rate-limits` does not report it.

tests/core/test_rate_limits.py checks the table against the spec's `x-rate-limits`, operation by
operation, and the group names against `EffectiveApiRateLimits`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Limit:
    per_second: int | None = None
    per_minute: int | None = None
    per_hour: int | None = None

    def windows(self) -> list[tuple[float, int]]:
        """(window length in seconds, max requests) for each set threshold."""
        pairs = [(1.0, self.per_second), (60.0, self.per_minute), (3600.0, self.per_hour)]
        return [(w, n) for w, n in pairs if n]

    def counts(self) -> tuple[int | None, int | None, int | None]:
        """(per second, per minute, per hour); None = no limit in that window."""
        return (self.per_second, self.per_minute, self.per_hour)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Limit:
        return cls(data.get("perSecond"), data.get("perMinute"), data.get("perHour"))


OTHER = "other"
AUTH = "auth"

# The production table (TE has equalled it since 2.5.0). The first twelve are the groups GET /rate-limits
# reports, in its order.
LIMITS: Mapping[str, Limit] = {
    "onlineSession": Limit(10, 30, 120),
    "batchSession": Limit(10, 20, 60),
    "invoiceSend": Limit(10, 30, 180),
    "invoiceStatus": Limit(30, 120, 1200),
    "sessionList": Limit(5, 10, 60),
    "sessionInvoiceList": Limit(10, 20, 200),
    "sessionMisc": Limit(10, 120, 1200),
    "invoiceMetadata": Limit(8, 16, 20),
    "invoiceExport": Limit(8, 16, 20),
    "invoiceExportStatus": Limit(10, 60, 600),
    "invoiceDownload": Limit(8, 16, 64),
    OTHER: Limit(10, 30, 120),
    AUTH: Limit(60, None, None),
}

# The groups GET /rate-limits reports (EffectiveApiRateLimits): every group but AUTH.
REPORTED_GROUPS: tuple[str, ...] = tuple(g for g in LIMITS if g != AUTH)

# (METHOD, spec path template) -> group. Anything not listed is OTHER.
ROUTE_GROUPS: Mapping[tuple[str, str], str] = {
    ("POST", "/auth/challenge"): AUTH,
    ("POST", "/auth/ksef-token"): AUTH,
    ("POST", "/auth/xades-signature"): AUTH,
    ("GET", "/auth/{referenceNumber}"): AUTH,
    ("POST", "/auth/token/redeem"): AUTH,
    ("POST", "/auth/token/refresh"): AUTH,
    ("GET", "/security/public-key-certificates"): AUTH,
    ("GET", "/peppol/query"): AUTH,
    ("POST", "/testdata/subject"): AUTH,
    ("POST", "/testdata/subject/remove"): AUTH,
    ("POST", "/testdata/person"): AUTH,
    ("POST", "/testdata/person/remove"): AUTH,
    ("POST", "/testdata/permissions"): AUTH,
    ("POST", "/testdata/permissions/revoke"): AUTH,
    ("POST", "/testdata/attachment"): AUTH,
    ("POST", "/testdata/attachment/revoke"): AUTH,
    ("POST", "/sessions/online"): "onlineSession",
    ("POST", "/sessions/online/{referenceNumber}/close"): "onlineSession",
    ("POST", "/sessions/online/{referenceNumber}/invoices"): "invoiceSend",
    ("POST", "/sessions/batch"): "batchSession",
    ("POST", "/sessions/batch/{referenceNumber}/close"): "batchSession",
    ("GET", "/sessions"): "sessionList",
    ("GET", "/sessions/{referenceNumber}"): "sessionMisc",
    ("GET", "/sessions/{referenceNumber}/invoices"): "sessionInvoiceList",
    ("GET", "/sessions/{referenceNumber}/invoices/failed"): "sessionInvoiceList",
    ("GET", "/sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}"): "invoiceStatus",
    ("GET", "/sessions/{referenceNumber}/invoices/ksef/{ksefNumber}/upo"): "sessionMisc",
    ("GET", "/sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}/upo"): "sessionMisc",
    ("GET", "/sessions/{referenceNumber}/upo/{upoReferenceNumber}"): "sessionMisc",
    ("POST", "/invoices/query/metadata"): "invoiceMetadata",
    ("POST", "/invoices/exports"): "invoiceExport",
    ("GET", "/invoices/exports/{referenceNumber}"): "invoiceExportStatus",
    ("GET", "/invoices/ksef/{ksefNumber}"): "invoiceDownload",
}


def group_for(method: str, route: str) -> str:
    """The rate-limit group of an operation, by its method and spec path template."""
    return ROUTE_GROUPS.get((method.upper(), route), OTHER)

"""Invoice metadata query (API-NOTES §10) and single-invoice download (§11)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ksef_tui.ksef.base import ApiBase, iso
from ksef_tui.ksef.models import (
    DateType,
    InvoiceDocument,
    InvoiceMetadata,
    InvoiceQueryPage,
    SubjectType,
    from_json,
)
from ksef_tui.ksef.sessions import HASH_HEADER, verify_hash


@dataclass
class InvoiceQueryFilters:
    """`InvoiceQueryFilters` of the spec; `extra` carries other filters verbatim (amount, formType, ...)."""

    subject_type: SubjectType | str = SubjectType.BUYER
    date_type: DateType | str = DateType.PERMANENT_STORAGE
    date_from: datetime | None = None
    date_to: datetime | None = None
    restrict_to_hwm: bool | None = None
    ksef_number: str | None = None
    invoice_number: str | None = None
    seller_nip: str | None = None
    currency_codes: Sequence[str] = ()
    invoice_types: Sequence[str] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        if self.date_from is None:
            raise ValueError("date_from is required (KSeF: dateRange.from)")
        date_range: dict[str, Any] = {"dateType": str(self.date_type), "from": iso(self.date_from)}
        if self.date_to is not None:
            date_range["to"] = iso(self.date_to)
        if self.restrict_to_hwm is not None:
            date_range["restrictToPermanentStorageHwmDate"] = self.restrict_to_hwm
        out: dict[str, Any] = {"subjectType": str(self.subject_type), "dateRange": date_range}
        for key, value in (
            ("ksefNumber", self.ksef_number),
            ("invoiceNumber", self.invoice_number),
            ("sellerNip", self.seller_nip),
        ):
            if value:
                out[key] = value
        if self.currency_codes:
            out["currencyCodes"] = list(self.currency_codes)
        if self.invoice_types:
            out["invoiceTypes"] = list(self.invoice_types)
        out.update(self.extra)
        return out


def _record_date(meta: InvoiceMetadata, date_type: str) -> datetime | None:
    """The date the listing is sorted by (it follows `dateType`)."""
    if date_type == DateType.ISSUE:
        if meta.issue_date is None:
            return None
        return datetime(meta.issue_date.year, meta.issue_date.month, meta.issue_date.day)
    if date_type == DateType.INVOICING:
        return meta.invoicing_date
    return meta.permanent_storage_date


class InvoicesApi(ApiBase):
    async def query_invoice_metadata(
        self,
        filters: InvoiceQueryFilters | dict[str, Any],
        *,
        page_offset: int = 0,
        page_size: int = 250,
        sort_order: str = "Asc",
    ) -> InvoiceQueryPage:
        body = filters.to_json() if isinstance(filters, InvoiceQueryFilters) else filters
        params = {"pageOffset": page_offset, "pageSize": page_size, "sortOrder": sort_order}
        data = await self._authed_json("POST", "/invoices/query/metadata", params=params, json=body)
        return from_json(InvoiceQueryPage, data)

    async def iter_invoice_metadata(
        self, filters: InvoiceQueryFilters, *, page_size: int = 250, max_pages: int = 10_000
    ) -> AsyncIterator[InvoiceQueryPage]:
        """Every page in ascending order.

        `hasMore=false` ends the listing. `isTruncated=true` (10,000 records per filter set) moves
        `dateRange.from` to the last record's date and restarts at offset 0; records seen before the move
        are not yielded twice (records sharing the boundary date come back in the next set).
        """
        current = InvoiceQueryFilters(**{**filters.__dict__, "extra": dict(filters.extra)})
        offset = 0
        seen: set[str] = set()
        for _ in range(max_pages):
            page = await self.query_invoice_metadata(current, page_offset=offset, page_size=page_size)
            original = page.invoices
            page.invoices = [m for m in original if m.ksef_number not in seen]
            seen.update(m.ksef_number for m in original)
            yield page
            if page.is_truncated and original:
                dates = [d for d in (_record_date(m, str(current.date_type)) for m in original) if d]
                last = dates[-1] if dates else None
                if last is not None and last.tzinfo is None and current.date_from is not None:
                    last = last.replace(tzinfo=current.date_from.tzinfo)
                if last is None or (current.date_from is not None and last <= current.date_from):
                    return  # no progress possible: stop rather than loop forever
                current.date_from = last
                offset = 0
                continue
            if not page.has_more:
                return
            offset += 1

    async def download_invoice(self, ksef_number: str) -> InvoiceDocument:
        """GET /invoices/ksef/{ksefNumber}: the exact stored XML, checked against `x-ms-meta-hash`."""
        response = await self._authed(
            "GET",
            "/invoices/ksef/{ksefNumber}",
            path_params={"ksefNumber": ksef_number},
            headers={"Accept": "application/xml"},
        )
        digest = verify_hash(response.content, response.headers.get(HASH_HEADER), "invoice")
        return InvoiceDocument(ksef_number, response.content, digest)

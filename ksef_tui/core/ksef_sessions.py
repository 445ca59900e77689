"""The app's view of KSeF sessions and their invoices (what the store keeps, what screens show)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ksef_tui.core.i18n import _
from ksef_tui.core.session_status import StatusGroup, has_upo, is_closed


def kind_word(kind: str) -> str:
    """A session's kind as people say it (KSeF's "Online" / "Batch" stays in JSON)."""
    return _("interactive") if kind == "Online" else _("batch")


@dataclass
class SessionRecord:
    client_id: int
    reference: str
    kind: str  # Online | Batch
    status_code: int
    opened: datetime
    updated: datetime | None = None
    status_description: str = ""  # KSeF's own words
    status_details: list[str] = field(default_factory=list)
    valid_until: datetime | None = None
    invoices_total: int = 0
    invoices_accepted: int = 0
    invoices_rejected: int = 0
    upo_pages: int | None = None
    upo_saved: int = 0
    invoices_fetched: datetime | None = None
    id: int | None = None
    damaged: bool = False

    @property
    def closed(self) -> bool:
        return is_closed(self.status_code)

    @property
    def expects_upo(self) -> bool:
        return has_upo(self.status_code, self.invoices_accepted)

    @property
    def upo_complete(self) -> bool:
        return self.upo_saved > 0 and (self.upo_pages is None or self.upo_saved >= self.upo_pages)


@dataclass
class SessionInvoiceRecord:
    session_id: int
    client_id: int
    reference: str
    status_code: int
    ordinal: int | None = None
    invoice_number: str | None = None
    ksef_number: str | None = None
    status_description: str = ""
    status_details: list[str] = field(default_factory=list)
    extensions: dict[str, Any] = field(default_factory=dict)
    acquired: datetime | None = None
    stored: datetime | None = None
    invoicing_date: datetime | None = None
    invoice_hash: str | None = None
    file_name: str | None = None
    mode: str | None = None
    upo_saved: bool = False
    id: int | None = None
    damaged: bool = False

    @property
    def rejected(self) -> bool:
        return self.status_code >= 400

    @property
    def original_ksef_number(self) -> str | None:
        value = self.extensions.get("originalKsefNumber")
        return str(value) if value else None

    @property
    def original_session(self) -> str | None:
        value = self.extensions.get("originalSessionReferenceNumber")
        return str(value) if value else None


@dataclass(frozen=True)
class SessionFilter:
    """What the sessions list shows. Dates bound `opened` (inclusive); None = open-ended."""

    client_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    group: StatusGroup | None = None
    kind: str | None = None
    rejected_only: bool = False


def short_reference(reference: str, width: int = 14) -> str:
    """`20251121-SO-2F0A1B2C3D-4E5F6A7B8C-9D` → `…4E5F6A7B8C-9D`-like tail: the end differs most."""
    if len(reference) <= width:
        return reference
    return "…" + reference[-(width - 1) :]

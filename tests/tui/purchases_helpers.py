"""Realistic purchase invoices and fakes of the purchase sync use cases, for the pilot and snapshot tests
of the board, the client screen and the purchase list (the lead's end-to-end tests run the real ones
against the simulator).

The fakes replace module attributes (`ksef_tui.sync.purchases.sync_purchases`, ...): the screens and
`purchase_views` look them up at call time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from ksef_tui.core.clock import WARSAW
from ksef_tui.core.ksef_number import make_ksef_number
from ksef_tui.core.purchases import PurchaseRecord, PurchaseStatus
from ksef_tui.sync import purchase_views
from ksef_tui.sync import purchases as purchase_sync
from ksef_tui.sync.purchases import ClientSyncResult, SyncProgress, SyncReport

from .helpers import NOW

# Recurring suppliers of a small firm: (name, NIP, invoice number pattern, net amount, currency).
SUPPLIERS: tuple[tuple[str, str, str, str, str], ...] = (
    ("Energa Obrót SA", "9570957722", "E/{n:06d}/11/2026", "412.35", "PLN"),
    ("Orange Polska SA", "5260250995", "F{n:08d}", "149.59", "PLN"),
    ("ORLEN SA", "7740001454", "FV/{n}/2026/ST12", "1873.17", "PLN"),
    ("Biurowiec Zielna Sp. z o.o.", "5252812119", "NAJEM/{n}/2026", "6500.00", "PLN"),
    ("Castorama Polska Sp. z o.o.", "5220102010", "CS/{n:05d}/2026", "2311.80", "PLN"),
    ("Google Cloud Poland Sp. z o.o.", "5252822767", "GCP-{n:07d}", "420.00", "EUR"),
)


def purchase_record(
    client_id: int,
    index: int,
    *,
    days_ago: float | None = None,
    status: PurchaseStatus = PurchaseStatus.STORED,
    problems: int = 0,
) -> PurchaseRecord:
    name, nip, pattern, net_text, currency = SUPPLIERS[index % len(SUPPLIERS)]
    received = NOW - timedelta(days=index * 0.7 + 0.1 if days_ago is None else days_ago)
    local = received.astimezone(WARSAW)
    net = Decimal(net_text) + index
    vat = (net * Decimal("0.23")).quantize(Decimal("0.01"))
    number = make_ksef_number(nip, local.strftime("%Y%m%d"), f"{0xA1B2C3000000 + index * 7919:012X}")
    return PurchaseRecord(
        client_id=client_id,
        ksef_number=number,
        seller_nip=nip,
        seller_name=name,
        invoice_number=pattern.format(n=1000 + index),
        issue_date=(local - timedelta(days=1)).date(),
        acquisition_date=received,
        permanent_storage_date=received + timedelta(seconds=40),
        currency=currency,
        net=net,
        vat=vat,
        gross=net + vat,
        invoice_type="Vat",
        status=status,
        problems=problems,
    )


def purchase_records(client_id: int, count: int = 12) -> list[PurchaseRecord]:
    """`count` invoices, newest first; the fourth has remarks from the FA checks."""
    return [
        purchase_record(
            client_id,
            i,
            status=PurchaseStatus.WARNINGS if i == 3 else PurchaseStatus.STORED,
            problems=2 if i == 3 else 0,
        )
        for i in range(count)
    ]


def provisional_records(client_id: int) -> list[PurchaseRecord]:
    """Two invoices KSeF lists right now that are not below its high-water mark yet."""
    return [
        purchase_record(client_id, 40 + i, days_ago=0.01 * (i + 1), status=PurchaseStatus.PROVISIONAL)
        for i in range(2)
    ]


@dataclass
class FakePurchases:
    """The purchase use cases faked: what they were asked, what they answer."""

    stored: dict[int, list[PurchaseRecord]] = field(default_factory=dict)
    preview: dict[int, list[PurchaseRecord]] = field(default_factory=dict)
    summary: dict[int, purchase_views.PurchaseSummary] = field(default_factory=dict)
    results: dict[int, ClientSyncResult] = field(default_factory=dict)
    sync_calls: list[dict[str, Any]] = field(default_factory=list)
    progress_steps: int = 1  # progress reports per client
    hold: asyncio.Event | None = None  # when set: the sync waits on it (until cancelled)
    cancelled: bool = False
    started: bool = False

    def install(self, monkeypatch: pytest.MonkeyPatch) -> FakePurchases:
        monkeypatch.setattr(purchase_sync, "sync_purchases", self.sync_purchases)
        monkeypatch.setattr(purchase_sync, "preview_new", self.preview_new)
        monkeypatch.setattr(purchase_sync, "list_purchases", self.list_purchases)
        monkeypatch.setattr(purchase_views, "purchase_summary", self.purchase_summary)
        return self

    async def sync_purchases(
        self,
        store: Any,
        factory: Any,
        client_ids: Sequence[int] | None = None,
        *,
        clock: Callable[[], datetime],
        since: date | None = None,
        force: bool = False,
        on_progress: Callable[[SyncProgress], object] | None = None,
        **kwargs: Any,
    ) -> SyncReport:
        ids = list(client_ids) if client_ids is not None else [c.id for c in store.clients.list()]
        self.sync_calls.append(
            {"ids": ids, "asked": client_ids, "force": force, "since": since, "now": clock()}
        )
        self.started = True
        fetched = 0
        report = SyncReport()
        try:
            for done, client_id in enumerate(ids, start=1):
                client = store.clients.get(client_id)
                result = self.results.get(
                    client_id,
                    ClientSyncResult(client_id, client.short_code, client.nip, True, added=3, known=1),
                )
                fetched += result.added
                if on_progress is not None:
                    on_progress(SyncProgress(len(ids), done, fetched, client.short_code))
                if self.hold is not None:
                    await self.hold.wait()
                report.results.append(result)
        except asyncio.CancelledError:
            self.cancelled = True
            raise
        return report

    async def preview_new(
        self, store: Any, factory: Any, client_id: int, *, clock: Any
    ) -> list[PurchaseRecord]:
        return list(self.preview.get(client_id, []))

    def list_purchases(
        self, store: Any, client_ids: Sequence[int] | None = None, since: date | None = None
    ) -> list[PurchaseRecord]:
        ids = set(client_ids) if client_ids is not None else set(self.stored)
        found = [r for cid in ids for r in self.stored.get(cid, [])]
        if since is not None:
            found = [
                r for r in found if purchase_views.received_day(r) and purchase_views.received_day(r) >= since
            ]
        return purchase_views.newest_first(found)

    def purchase_summary(self, store: Any, client_id: int) -> purchase_views.PurchaseSummary:
        if client_id in self.summary:
            return self.summary[client_id]
        return purchase_views.PurchaseSummary(client_id)


def synced_summary(client_id: int, **changes: Any) -> purchase_views.PurchaseSummary:
    """A client synced an hour ago, its cursor 40 minutes behind that, 58 invoices stored."""
    values: dict[str, Any] = {
        "cursor": NOW - timedelta(hours=1, minutes=40),
        "last_attempt": NOW - timedelta(hours=1),
        "last_success": NOW - timedelta(hours=1),
        "stored": 58,
        "provisional": 2,
        "with_warnings": 3,
    }
    values.update(changes)
    return purchase_views.PurchaseSummary(client_id, **values)

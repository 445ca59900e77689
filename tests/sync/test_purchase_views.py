"""`sync/purchase_views.py`: the client screen's purchase summary read from the store's purchase
repository, the list's ordering, merging and filter, and the words shared by the TUI and the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest

from ksef_tui.core.purchases import (
    SUBJECT_BUYER,
    PendingExport,
    PurchaseRecord,
    PurchaseStatus,
    PurchaseSyncState,
)
from ksef_tui.sync import purchase_views as views
from ksef_tui.sync.purchases import ClientSyncResult, SyncProgress, SyncReport

NOW = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)


def _record(number: str, hours_ago: float, **changes: Any) -> PurchaseRecord:
    values: dict[str, Any] = {
        "seller_nip": "9570957722",
        "seller_name": "Energa Obrót SA",
        "invoice_number": "E/1/11/2026",
        "acquisition_date": NOW - timedelta(hours=hours_ago),
        "gross": Decimal("507.19"),
    }
    values.update(changes)
    return PurchaseRecord(7, number, **values)


@dataclass
class FakePurchaseRepository:
    """What `store.purchases` answers (the store helper's repository: state, counts, list)."""

    states: dict[tuple[int, str], PurchaseSyncState] = field(default_factory=dict)
    records: list[PurchaseRecord] = field(default_factory=list)
    asked: list[str] = field(default_factory=list)

    def state(self, client_id: int, subject: str) -> PurchaseSyncState | None:
        self.asked.append(f"state({client_id}, {subject})")
        return self.states.get((client_id, subject))

    def counts(self) -> dict[int, int]:
        counted: dict[int, int] = {}
        for r in self.records:
            if r.status is not PurchaseStatus.PROVISIONAL:
                counted[r.client_id] = counted.get(r.client_id, 0) + 1
        return counted

    def list(self, client_ids: Any = None, since: date | None = None) -> list[PurchaseRecord]:
        self.asked.append(f"list({client_ids})")
        return [r for r in self.records if client_ids is None or r.client_id in client_ids]


def test_summary_of_a_client_never_synced() -> None:
    store: Any = SimpleNamespace(purchases=FakePurchaseRepository())
    summary = views.purchase_summary(store, 7)
    assert summary == views.PurchaseSummary(7)
    assert store.purchases.asked == [f"state(7, {SUBJECT_BUYER})", "list([7])"]


def test_summary_reads_the_subject2_state_and_counts() -> None:
    pending = PendingExport("20261121-EX-1", b"k" * 32, b"i" * 16, NOW - timedelta(hours=3), None, NOW)
    state = PurchaseSyncState(
        7,
        cursor=NOW - timedelta(hours=2),
        pending=pending,
        parked=(pending,),
        last_attempt=NOW - timedelta(minutes=10),
        last_success=NOW - timedelta(hours=1),
        last_error="KSeF nie odpowiedział na czas",
        blocked_until=NOW + timedelta(minutes=5),
        stalled=True,
    )
    repository = FakePurchaseRepository(
        states={(7, SUBJECT_BUYER): state, (7, "Subject3"): PurchaseSyncState(7, "Subject3", last_error="x")},
        records=[
            _record("A", 1),
            _record("B", 2, status=PurchaseStatus.WARNINGS, problems=3),
            _record("C", 0.1, status=PurchaseStatus.PROVISIONAL),
            PurchaseRecord(8, "D"),  # another client's
        ],
    )
    summary = views.purchase_summary(SimpleNamespace(purchases=repository), 7)  # type: ignore[arg-type]
    assert summary == views.PurchaseSummary(
        7,
        cursor=state.cursor,
        last_attempt=state.last_attempt,
        last_success=state.last_success,
        last_error="KSeF nie odpowiedział na czas",
        pending_export=True,
        parked=1,
        blocked_until=state.blocked_until,
        stalled=True,
        stored=2,
        provisional=1,
        with_warnings=1,
    )


def test_newest_first_and_provisional_rows_merged_without_replacing_stored_ones() -> None:
    stored = [_record("OLD", 30), _record("NEW", 1), _record("NODATE", 0, acquisition_date=None)]
    preview = [
        _record("LIVE", 0.2),  # not stored yet: shown provisional
        _record("new", 1, seller_name="a different name"),  # stored already (any case): the stored row stays
    ]
    merged = views.merge_provisional(stored, preview)
    assert [r.ksef_number for r in merged] == ["LIVE", "NEW", "OLD", "NODATE"]
    assert merged[0].status is PurchaseStatus.PROVISIONAL
    assert merged[1].seller_name == "Energa Obrót SA"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("", ["A", "B", "C"]),
        ("orange", ["B"]),
        ("ORANGE polska", ["B"]),
        ("526-025-09-95", ["B"]),  # a NIP with dashes
        ("5260250995", ["B"]),
        ("FV/9", ["C"]),
        ("1 234,56", ["C"]),  # the gross as shown
        ("uwagi", ["C"]),  # the status words
        ("energa orange", []),  # every word must match
        ("A1B2", ["A"]),  # part of the KSeF number
    ],
)
def test_filter(query: str, expected: list[str]) -> None:
    records = [
        _record("9570957722-20261121-A1B2C3000000-FC", 1),
        _record("B", 2, seller_name="Orange Polska SA", seller_nip="5260250995"),
        _record(
            "C",
            3,
            invoice_number="FV/9/2026",
            gross=Decimal("1234.56"),
            status=PurchaseStatus.WARNINGS,
            problems=1,
        ),
    ]
    names = {"9570957722-20261121-A1B2C3000000-FC": "A", "B": "B", "C": "C"}
    assert [names[r.ksef_number] for r in views.filter_purchases(records, query)] == expected


def test_status_words_money_and_iso_dates() -> None:
    assert views.status_words(_record("A", 1)) == "pobrana"
    assert views.status_words(_record("A", 1, status=PurchaseStatus.WARNINGS, problems=4)) == "uwagi (4)"
    assert views.status_words(_record("A", 1, status=PurchaseStatus.PROVISIONAL)) == "wstępna"
    assert views.money(Decimal("10")) == "10.00"
    assert views.money(Decimal("0.005")) == "0.01"
    assert views.money(Decimal("-12.345")) == "-12.35"
    assert views.money(None) is None
    assert (
        views.warsaw_iso(datetime(2026, 7, 1, 10, 0, tzinfo=UTC)) == "2026-07-01T12:00:00+02:00"
    )  # summer time


def test_progress_and_report_words() -> None:
    progress = SyncProgress(clients_total=40, clients_done=12, invoices_fetched=315)
    assert (
        views.progress_words(progress) == "Pobieranie faktur zakupu: 12/40 klientów, 315 faktur (x przerywa)"
    )
    assert (
        views.progress_words(progress, hint=False) == "Pobieranie faktur zakupu: 12/40 klientów, 315 faktur"
    )
    report = SyncReport(
        [
            ClientSyncResult(1, "PIEKARNIA", "5260250274", True, added=10),
            ClientSyncResult(2, "WARSZTAT", "1234563218", False, error="KSeF odmówił (21301)"),
            ClientSyncResult(3, "SKLEP", "7740001454", True, skipped="KSeF prosi o czekanie do 10:45"),
            ClientSyncResult(4, "APTEKA", "5252812119", False),
        ]
    )
    assert views.failure_lines(report) == ["WARSZTAT: KSeF odmówił (21301)", "APTEKA: bez podanej przyczyny"]
    assert views.report_words(report) == (
        "Pobrano faktury zakupu: 2/4 klientów, nowych: 10. Pominięci: 1."
        " Nieudane: 2 — WARSZTAT: KSeF odmówił (21301); APTEKA: bez podanej przyczyny"
    )

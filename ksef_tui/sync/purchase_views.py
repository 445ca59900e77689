"""What the screens and the headless commands show of purchase invoices (issue 12 item 7), read from the
sealed store in a thread, as typed results; and the words for them, shared by the TUI and the CLI.

The sync itself is in `sync/purchases.py`; nothing here talks to KSeF.

No textual here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

from ksef_tui.core.clock import WARSAW
from ksef_tui.core.i18n import _
from ksef_tui.core.models import Client
from ksef_tui.core.money_format import format_amount
from ksef_tui.core.purchases import SUBJECT_BUYER, PurchaseRecord, PurchaseStatus
from ksef_tui.core.search_text import fold, nip_digits
from ksef_tui.store import Store
from ksef_tui.sync import purchases as purchase_sync


@dataclass(frozen=True)
class PurchaseSummary:
    """The client screen's "Purchase invoices" section: where the Subject2 sync stands."""

    client_id: int
    cursor: datetime | None = None  # start of the next window; None: never synced
    last_attempt: datetime | None = None
    last_success: datetime | None = None
    last_error: str = ""
    pending_export: bool = False  # an export asked for and not yet committed (resumed on the next sync)
    parked: int = 0  # exports stuck at KSeF, polled again later
    blocked_until: datetime | None = None  # KSeF asked to wait (Retry-After)
    stalled: bool = False
    stored: int = 0  # purchase invoices in the store (provisional ones not counted)
    provisional: int = 0  # seen by "what's new", not below KSeF's high-water mark yet
    with_warnings: int = 0  # stored ones whose checks found problems


def purchase_summary(store: Store, client_id: int) -> PurchaseSummary:
    """The client's purchase sync state and counts (blocking: call it in a thread, or use
    `load_purchase_summary`)."""
    state = store.purchases.state(client_id, SUBJECT_BUYER)
    stored = store.purchases.counts().get(client_id, 0)
    records = store.purchases.list([client_id])
    provisional = sum(1 for r in records if r.status is PurchaseStatus.PROVISIONAL)
    warnings = sum(1 for r in records if r.status is PurchaseStatus.WARNINGS)
    if state is None:
        return PurchaseSummary(client_id, stored=stored, provisional=provisional, with_warnings=warnings)
    return PurchaseSummary(
        client_id,
        cursor=state.cursor,
        last_attempt=state.last_attempt,
        last_success=state.last_success,
        last_error=state.last_error,
        pending_export=state.pending is not None,
        parked=len(state.parked),
        blocked_until=state.blocked_until,
        stalled=state.stalled,
        stored=stored,
        provisional=provisional,
        with_warnings=warnings,
    )


async def load_purchase_summary(store: Store, client_id: int) -> PurchaseSummary:
    return await asyncio.to_thread(purchase_summary, store, client_id)


@dataclass(frozen=True)
class PurchaseList:
    """One client's purchase invoices for the list screen, newest receipt first."""

    client: Client
    records: list[PurchaseRecord]


def read_purchase_list(store: Store, client_id: int) -> PurchaseList:
    client = store.clients.get(client_id)
    return PurchaseList(client, newest_first(purchase_sync.list_purchases(store, [client_id])))


async def load_purchase_list(store: Store, client_id: int) -> PurchaseList:
    return await asyncio.to_thread(read_purchase_list, store, client_id)


# --- pure helpers: ordering, merging, filtering, words ---------------------------------------------


_NO_DATE = datetime(1970, 1, 1, tzinfo=UTC)


def _received_key(record: PurchaseRecord) -> tuple[datetime, str]:
    moment = record.acquisition_date or record.permanent_storage_date or _NO_DATE
    return moment, record.ksef_number


def newest_first(records: Sequence[PurchaseRecord]) -> list[PurchaseRecord]:
    """Newest receipt (acquisition date) first; records without one last."""
    return sorted(records, key=_received_key, reverse=True)


def merge_provisional(
    stored: Sequence[PurchaseRecord], preview: Sequence[PurchaseRecord]
) -> list[PurchaseRecord]:
    """The stored records plus the preview's rows the store does not hold yet (marked provisional),
    newest first. A number the store holds keeps the stored record: the preview never replaces it."""
    known = {r.ksef_number.upper() for r in stored}
    extra = [
        r if r.status is PurchaseStatus.PROVISIONAL else _provisional(r)
        for r in preview
        if r.ksef_number.upper() not in known
    ]
    return newest_first([*stored, *extra])


def _provisional(record: PurchaseRecord) -> PurchaseRecord:
    return replace(record, status=PurchaseStatus.PROVISIONAL)


def matches(record: PurchaseRecord, query: str) -> bool:
    """Whether every word of `query` is in the record's KSeF number, seller, NIP, invoice number or
    gross amount (case, Polish diacritics and spaces in numbers ignored; a NIP may carry `PL`)."""
    haystack = " ".join(
        (
            record.ksef_number,
            record.seller_name,
            record.seller_nip,
            record.invoice_number,
            format_amount(record.gross, record.currency, missing=""),
            status_words(record),
        )
    )
    haystack = fold(haystack)  # case and Polish diacritics ignored: "wrobel" finds "Wróbel"
    squeezed = haystack.replace(" ", "").replace("-", "")
    for word in fold(query).split():
        if word not in haystack and word.replace("-", "") not in squeezed:
            nip = nip_digits(word)  # "PL7639017757"
            if nip is None or nip not in record.seller_nip:
                return False
    return True


def filter_purchases(records: Sequence[PurchaseRecord], query: str) -> list[PurchaseRecord]:
    query = query.strip()
    if not query:
        return list(records)
    return [r for r in records if matches(r, query)]


def status_words(record: PurchaseRecord) -> str:
    """ "pobrana", "uwagi (N)" or "wstępna"."""
    if record.status is PurchaseStatus.PROVISIONAL:
        return _("provisional")
    if record.status is PurchaseStatus.WARNINGS:
        return _("remarks ({n})").format(n=record.problems)
    return _("fetched")


def money(value: Decimal | None) -> str | None:
    """An amount as a string with exactly two decimals (JSON: never a float); None stays None."""
    if value is None:
        return None
    return str(value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def warsaw_iso(moment: datetime | None) -> str | None:
    """ISO 8601 with the Polish offset (`2026-11-20T14:03:11+01:00`)."""
    return moment.astimezone(WARSAW).isoformat() if moment is not None else None


def purchase_row(record: PurchaseRecord, client: Client | None) -> dict[str, object]:
    """One invoice as `ksef-tui invoices --format json` prints it."""
    return {
        "ksef_number": record.ksef_number,
        "client": client.short_code if client is not None else None,
        "client_nip": client.nip if client is not None else None,
        "seller_nip": record.seller_nip,
        "seller_name": record.seller_name,
        "invoice_number": record.invoice_number,
        "invoice_type": record.invoice_type,
        "issue_date": record.issue_date.isoformat() if record.issue_date else None,
        "acquisition_date": warsaw_iso(record.acquisition_date),
        "permanent_storage_date": warsaw_iso(record.permanent_storage_date),
        "currency": record.currency,
        "net": money(record.net),
        "vat": money(record.vat),
        "gross": money(record.gross),
        "status": record.status.value,
        "status_text": status_words(record),
        "problems": record.problems,
    }


def received_day(record: PurchaseRecord) -> date | None:
    moment = record.acquisition_date
    return moment.astimezone(WARSAW).date() if moment is not None else None


# --- the sync's progress and result in words (board, client screen, list screen) --------------------


def progress_words(progress: purchase_sync.SyncProgress, *, hint: bool = True) -> str:
    """ "Pobieranie faktur zakupu: 12/40 klientów, 315 faktur (x przerywa)"; without the key hint for
    the command line."""
    words = _("Fetching purchase invoices: {done}/{total} clients, {n} invoices").format(
        done=progress.clients_done, total=progress.clients_total, n=progress.invoices_fetched
    )
    return words + " " + _("(x stops)") if hint else words


def failure_lines(report: purchase_sync.SyncReport) -> list[str]:
    """One line per client that failed: its short code and why."""
    return [f"{r.short_code}: {r.error or _('no reason given')}" for r in report.failed]


def report_headline(report: purchase_sync.SyncReport) -> str:
    """How many clients synced, how many invoices are new, how many were skipped."""
    total = len(report.results)
    skipped = [r for r in report.results if r.ok and r.skipped]
    line = _("Purchase invoices fetched: {ok}/{total} clients, {added} new.").format(
        ok=total - len(report.failed), total=total, added=report.added
    )
    if skipped:
        line += " " + _("Skipped: {n}.").format(n=len(skipped))
    return line


def report_words(report: purchase_sync.SyncReport) -> str:
    """One line: the headline and the first failures."""
    failed = report.failed
    line = report_headline(report)
    if failed:
        line += " " + _("Failed: {n} — {first}").format(
            n=len(failed), first="; ".join(failure_lines(report)[:3])
        )
        if len(failed) > 3:
            line += " …"
    return line

"""Purchase invoices (the client as buyer, KSeF "Subject2"): the records kept and the sync cursor's rules.

The rules follow the official export-based incremental sync (PURCHASES.md §Sync A1 and A5) and the
peers' mistakes it lists:

- windows on `PermanentStorage`, restricted to the high-water mark (HWM), `to` omitted unless catching up
  past three months;
- the next window starts at `lastPermanentStorageDate` when the package was truncated, else at
  `permanentStorageHwmDate` (never the other way round, which skips invoices), capped at `to` when `to`
  was sent; neither present, or not later than the cursor: the cursor stays ("stalled");
- instants are compared parsed, never as strings.

Pure functions and plain dataclasses; no I/O. `sync/purchases.py` runs the algorithm, the store keeps
the records and the state sealed.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import StrEnum

from ksef_tui.core.clock import WARSAW

SUBJECT_BUYER = "Subject2"  # the client is the buyer: its purchase invoices
SUBJECT_THIRD = "Subject3"  # the client is a third party on the invoice (optional, nightly)
SUBJECTS = (SUBJECT_BUYER, SUBJECT_THIRD)

# KSeF 2.0 went live on 1 February 2026: nothing to fetch before it (ksefctl uses the same floor).
KSEF_START = datetime(2026, 2, 1, tzinfo=WARSAW)
MIN_INTERVAL = timedelta(minutes=15)  # per subject type ("interval ≥ 15 min", A1)
THIRD_PARTY_INTERVAL = timedelta(hours=24)  # Subject3: "raz na dobę"
MIN_WINDOW = timedelta(minutes=5)  # a shorter open window is not worth an export (ksefctl)
EXPORT_RETENTION = timedelta(days=7)  # an export's status is kept 7 days, then 410
STUCK_AFTER = timedelta(minutes=30)  # an export still at 100 after this is parked
MAX_IN_FLIGHT = 2  # exports of one context running at once (KSeF refuses at 10: 21182)
RECONCILE_DAYS = 60
RECONCILE_EVERY = timedelta(days=7)
WINDOW_MONTHS = 3  # KSeF's longest date range ...
WINDOW_DAYS = 90  # ... and never longer than this: 3 calendar months can be 92 days and an hour (DST)


class PurchaseStatus(StrEnum):
    STORED = "stored"  # XML in the store, the FA checks found nothing
    WARNINGS = "warnings"  # XML in the store, the FA checks found problems (`problems` of them)
    PROVISIONAL = "provisional"  # seen by "what's new" (metadata only), not below the HWM yet: no XML


class ExportPurpose(StrEnum):
    CURSOR = "cursor"  # the incremental sync: its package moves the cursor
    RECONCILE = "reconcile"  # fetching gaps found by reconciliation: never moves the cursor
    REDOWNLOAD = "redownload"  # an explicit period asked for by the user: never moves the cursor


@dataclass(frozen=True)
class PurchaseRecord:
    """One purchase invoice as kept in the store (its XML is kept beside it, sealed)."""

    client_id: int
    ksef_number: str  # upper-case
    subject: str = SUBJECT_BUYER
    seller_nip: str = ""
    seller_name: str = ""
    buyer_nip: str = ""
    invoice_number: str = ""
    issue_date: date | None = None
    acquisition_date: datetime | None = None  # the legal receipt date (the KSeF number's date)
    permanent_storage_date: datetime | None = None
    currency: str = "PLN"
    net: Decimal | None = None
    vat: Decimal | None = None
    gross: Decimal | None = None
    invoice_type: str = ""  # KSeF's invoiceType: Vat, Kor, Zal, ...
    invoice_hash: str = ""  # base64 SHA-256 of the XML as KSeF computed it
    status: PurchaseStatus = PurchaseStatus.STORED
    problems: int = 0  # findings of the FA checks
    fetched_at: datetime | None = None


@dataclass(frozen=True)
class PendingExport:
    """An export asked for and not yet committed. Persisted (sealed) before the first poll, so a restart
    polls it again instead of asking KSeF for another (which ends in 21182 when exports hang)."""

    reference: str
    key: bytes = field(repr=False)  # the AES-256 key the parts are encrypted with
    iv: bytes = field(repr=False)
    window_from: datetime
    window_to: datetime | None
    created: datetime
    purpose: ExportPurpose = ExportPurpose.CURSOR


@dataclass(frozen=True)
class PurchaseSyncState:
    """Sync state of one client and subject type."""

    client_id: int
    subject: str = SUBJECT_BUYER
    cursor: datetime | None = None  # start of the next window; None: never synced
    pending: PendingExport | None = None
    parked: tuple[PendingExport, ...] = ()  # stuck at 100: polled again, never more than MAX_IN_FLIGHT
    blocked_until: datetime | None = None  # from Retry-After
    last_attempt: datetime | None = None
    last_success: datetime | None = None
    last_error: str = ""
    stalled: bool = False  # the last package did not move the cursor forward
    last_reconciled: datetime | None = None
    damaged: frozenset[str] = frozenset()  # sealed columns the store could not authenticate
    started_from: datetime | None = None  # the first window's start: nothing before it is looked for

    def with_error(self, message: str, now: datetime) -> PurchaseSyncState:
        return replace(self, last_error=message, last_attempt=now)


def start_point(onboarding: date | None, since: date | None = None) -> datetime:
    """Where a client never synced starts: `since` if given, else the office's onboarding date, never
    before KSeF 2.0 went live (midnight, Polish time)."""
    chosen = since or onboarding
    if chosen is None:
        return KSEF_START
    return max(KSEF_START, datetime.combine(chosen, time.min, WARSAW))


def add_months(moment: datetime, months: int) -> datetime:
    """The same wall-clock time `months` later (the day clipped to the month's end)."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def window_end(cursor: datetime, now: datetime) -> datetime | None:
    """`dateRange.to` for a window starting at `cursor`: None (omitted, so KSeF builds the largest
    consistent package) unless the cursor is more than three months behind. The window is the shorter of
    three calendar months (Polish time) and 90 days: KSeF reads "3 months" in UTC or Polish time, and
    three calendar months across the end of summer time last 92 days and an hour, which a check of "at
    most 92 days" refuses (found by the budget benchmark)."""
    local = cursor.astimezone(WARSAW)
    # Elapsed days in UTC: aware arithmetic in Polish time would add wall-clock days (and the DST hour).
    limit = min(add_months(local, WINDOW_MONTHS), cursor.astimezone(UTC) + timedelta(days=WINDOW_DAYS))
    if now < limit:
        return None
    return (limit - timedelta(seconds=1)).astimezone(UTC)


@dataclass(frozen=True)
class CursorMove:
    cursor: datetime
    moved: bool
    stalled: bool
    reason: str  # "truncated" | "hwm" | "hwm-capped" | "no-date" | "not-later"


def next_cursor(
    cursor: datetime,
    *,
    truncated: bool,
    last_storage_date: datetime | None,
    hwm: datetime | None,
    window_to: datetime | None,
) -> CursorMove:
    """Where the next window starts after a committed package (A5 step 7)."""
    if truncated:
        candidate, reason = last_storage_date, "truncated"
    else:
        candidate, reason = hwm, "hwm"
        if candidate is not None and window_to is not None and candidate > window_to:
            candidate, reason = window_to, "hwm-capped"
    if candidate is None:
        return CursorMove(cursor, moved=False, stalled=True, reason="no-date")
    if candidate <= cursor:
        return CursorMove(cursor, moved=False, stalled=True, reason="not-later")
    return CursorMove(candidate, moved=True, stalled=False, reason=reason)


def interval_for(subject: str) -> timedelta:
    return MIN_INTERVAL if subject == SUBJECT_BUYER else THIRD_PARTY_INTERVAL


def next_due(state: PurchaseSyncState | None) -> datetime | None:
    """When this subject may be synced again: the subject's interval after the last successful sync, or
    the end of KSeF's Retry-After, whichever is later. None: at once. A failed attempt does not count
    towards the interval (its pending export is resumed, not asked for again)."""
    if state is None:
        return None
    moments = [state.blocked_until] if state.blocked_until is not None else []
    if state.last_success is not None:
        moments.append(state.last_success + interval_for(state.subject))
    return max(moments) if moments else None


def due(state: PurchaseSyncState | None, now: datetime, *, force: bool = False) -> bool:
    """Whether a sync of this subject may run now: never inside Retry-After, never sooner than the
    subject's interval after the last success (KSeF: "≥ 15 min per subject type") unless forced."""
    if state is None:
        return True
    if state.blocked_until is not None and now < state.blocked_until:
        return False
    if force or state.last_success is None:
        return True
    return now - state.last_success >= interval_for(state.subject)


def window_too_short(cursor: datetime, now: datetime) -> bool:
    return now - cursor < MIN_WINDOW


def export_expired(pending: PendingExport, now: datetime) -> bool:
    return now - pending.created >= EXPORT_RETENTION


def export_stuck(pending: PendingExport, now: datetime) -> bool:
    return now - pending.created >= STUCK_AFTER


def reconcile_due(state: PurchaseSyncState | None, now: datetime) -> bool:
    if state is None or state.cursor is None:
        return False
    return state.last_reconciled is None or now - state.last_reconciled >= RECONCILE_EVERY


def normalise_number(ksef_number: str) -> str:
    return ksef_number.strip().upper()

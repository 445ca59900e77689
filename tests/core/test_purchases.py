"""The purchase sync's cursor rules (PURCHASES.md §Sync A5), including the peers' mistakes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from ksef_tui.core.clock import WARSAW
from ksef_tui.core.purchases import (
    KSEF_START,
    MIN_INTERVAL,
    SUBJECT_BUYER,
    SUBJECT_THIRD,
    PendingExport,
    PurchaseSyncState,
    add_months,
    due,
    export_expired,
    export_stuck,
    next_cursor,
    next_due,
    reconcile_due,
    start_point,
    window_end,
    window_too_short,
)

T = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)


def at(day: int, hour: int = 0) -> datetime:
    return datetime(2026, 3, day, hour, tzinfo=UTC)


def test_truncated_continues_from_the_last_stored_invoice_not_the_hwm() -> None:
    # smekcio's helper prefers the HWM here and skips everything between 03-05 and 03-09.
    move = next_cursor(at(1), truncated=True, last_storage_date=at(5), hwm=at(9), window_to=None)
    assert (move.cursor, move.moved, move.reason) == (at(5), True, "truncated")


def test_complete_package_continues_from_the_hwm() -> None:
    move = next_cursor(at(1), truncated=False, last_storage_date=None, hwm=at(9), window_to=None)
    assert (move.cursor, move.reason) == (at(9), "hwm")


def test_hwm_is_capped_at_the_window_end_when_to_was_sent() -> None:
    move = next_cursor(at(1), truncated=False, last_storage_date=None, hwm=at(20), window_to=at(10))
    assert (move.cursor, move.reason) == (at(10), "hwm-capped")


def test_empty_package_without_hwm_keeps_the_cursor() -> None:
    # ksefctl: an empty export advanced to `to` and skipped the invoices committed in that gap.
    move = next_cursor(at(3), truncated=False, last_storage_date=None, hwm=None, window_to=at(10))
    assert (move.cursor, move.moved, move.stalled, move.reason) == (at(3), False, True, "no-date")


def test_a_hwm_not_later_than_the_cursor_never_moves_it_back() -> None:
    move = next_cursor(at(5), truncated=False, last_storage_date=None, hwm=at(4), window_to=None)
    assert (move.cursor, move.moved, move.stalled) == (at(5), False, True)


def test_instants_are_compared_not_strings() -> None:
    # 10:00+01:00 is 09:00Z: later than 09:30Z as a string, earlier as an instant.
    cursor = datetime(2026, 3, 5, 9, 30, tzinfo=UTC)
    hwm = datetime(2026, 3, 5, 10, 0, tzinfo=WARSAW)  # 09:00Z
    move = next_cursor(cursor, truncated=False, last_storage_date=None, hwm=hwm, window_to=None)
    assert not move.moved


def test_to_is_omitted_inside_three_months_and_sent_beyond() -> None:
    cursor = datetime(2026, 2, 1, tzinfo=WARSAW)
    assert window_end(cursor, datetime(2026, 4, 30, tzinfo=WARSAW)) is None
    end = window_end(cursor, datetime(2026, 6, 1, tzinfo=WARSAW))
    assert end == datetime(2026, 4, 30, 23, 59, 59, tzinfo=WARSAW)  # 3 months (89 days) < 90 days
    assert end is not None and end - cursor <= timedelta(days=92)  # KSeF's 3-month cap


def test_a_window_across_the_end_of_summer_time_stays_within_90_days() -> None:
    # 21 August → 20 November is 3 calendar months but 92 days and an hour: KSeF-style checks refuse it.
    cursor = datetime(2026, 8, 21, tzinfo=WARSAW)
    end = window_end(cursor, datetime(2026, 12, 1, tzinfo=WARSAW))
    assert end is not None and end - cursor < timedelta(days=90)
    assert end == cursor.astimezone(UTC) + timedelta(days=90) - timedelta(seconds=1)


def test_add_months_clips_to_the_months_end() -> None:
    assert add_months(datetime(2026, 11, 30, 12, tzinfo=UTC), 3) == datetime(2027, 2, 28, 12, tzinfo=UTC)
    assert add_months(datetime(2026, 1, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)


def test_start_point_is_floored_at_ksef_start() -> None:
    assert start_point(None) == KSEF_START
    assert start_point(date(2025, 12, 1)) == KSEF_START
    assert start_point(date(2026, 5, 1)) == datetime(2026, 5, 1, tzinfo=WARSAW)
    assert start_point(date(2026, 5, 1), since=date(2026, 6, 2)) == datetime(2026, 6, 2, tzinfo=WARSAW)


def test_due_honours_retry_after_even_when_forced_and_the_interval_otherwise() -> None:
    state = PurchaseSyncState(client_id=1, last_attempt=T, last_success=T)
    assert not due(state, T + MIN_INTERVAL - timedelta(seconds=1))
    assert due(state, T + MIN_INTERVAL)
    assert due(state, T + timedelta(seconds=1), force=True)
    blocked = PurchaseSyncState(client_id=1, last_success=T, blocked_until=T + timedelta(minutes=40))
    assert not due(blocked, T + timedelta(minutes=39), force=True)
    assert due(blocked, T + timedelta(minutes=40))
    third = PurchaseSyncState(client_id=1, subject=SUBJECT_THIRD, last_success=T)
    assert not due(third, T + timedelta(hours=23))
    assert due(None, T)
    failed = PurchaseSyncState(client_id=1, last_attempt=T + timedelta(minutes=1), last_success=T)
    assert due(failed, T + MIN_INTERVAL)  # a failed attempt does not restart the interval
    assert due(PurchaseSyncState(client_id=1, last_attempt=T), T + timedelta(seconds=1))  # never succeeded
    assert next_due(state) == T + MIN_INTERVAL
    assert next_due(blocked) == T + timedelta(minutes=40)
    assert next_due(None) is None


@pytest.mark.parametrize(
    ("age", "expired", "stuck"),
    [
        (timedelta(minutes=29), False, False),
        (timedelta(minutes=30), False, True),
        (timedelta(days=7), True, True),
    ],
)
def test_pending_export_age(age: timedelta, expired: bool, stuck: bool) -> None:
    pending = PendingExport("ref", b"k" * 32, b"i" * 16, at(1), None, T)
    assert export_expired(pending, T + age) is expired
    assert export_stuck(pending, T + age) is stuck


def test_short_windows_and_reconcile_schedule() -> None:
    assert window_too_short(T, T + timedelta(minutes=4))
    assert not window_too_short(T, T + timedelta(minutes=5))
    assert not reconcile_due(PurchaseSyncState(client_id=1), T)  # never synced: nothing to reconcile
    synced = PurchaseSyncState(client_id=1, subject=SUBJECT_BUYER, cursor=T)
    assert reconcile_due(synced, T)
    done = PurchaseSyncState(client_id=1, cursor=T, last_reconciled=T)
    assert not reconcile_due(done, T + timedelta(days=6))
    assert reconcile_due(done, T + timedelta(days=7))

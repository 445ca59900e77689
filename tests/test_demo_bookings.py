"""The demo as an office mid-month (issue 13 item 7): `prepare_demo(purchases=True)` syncs the demo's
purchases from the simulator (the real use case), decides the earlier weeks through the real
save_booking/approve (so the rules are learned), and leaves the last days in the queue; `ksef-tui queue
--demo --format json` shows it. One fresh demo for the module (it takes a while to build)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from ksef_tui import demo as demo_module
from ksef_tui.__main__ import cli
from ksef_tui.core.bookings import OPEN_STATUSES, BookingStatus, ReviewReason, Strength
from ksef_tui.demo import DEMO_PASSPHRASE
from ksef_tui.demo.bookings import cut_off
from ksef_tui.store import Store

NOW = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
# Every never-auto reason occurs in the demo's queue (issue 13 item 7: "some needing review for each").
PRESENT = set(ReviewReason)


pytestmark = pytest.mark.xdist_group("purchases_demo")  # shares `purchases_demo_home` (conftest)


@pytest.fixture
def demo_home(purchases_demo_home: Path) -> Path:
    return purchases_demo_home


def test_last_weeks_decided_and_the_rest_in_the_queue(demo_home: Path) -> None:
    store = Store.open(demo_home, DEMO_PASSPHRASE)
    try:
        counts = store.bookings.counts()
        assert counts.get(BookingStatus.NEW, 0) == 0
        assert counts[BookingStatus.APPROVED] > 0 and counts[BookingStatus.PROPOSED] > 0
        assert len(store.purchases.list()) == sum(counts.values())  # every invoice has its booking
        end = cut_off(NOW)
        queue = store.bookings.list(None, OPEN_STATUSES)
        assert all(b.queued_at is not None and b.queued_at >= end for b in queue)
        assert store.bookings.rules()  # learned from the decided weeks
        reasons = Counter(r for b in queue for r in b.review_reasons)
        assert set(reasons) >= PRESENT, reasons
        for b in queue:
            if b.review_reasons:
                assert b.status is BookingStatus.NEEDS_REVIEW
        strong = [b for b in queue if b.status is BookingStatus.PROPOSED and b.confidence >= 90]
        assert strong and all(b.strength in (Strength.SELLER, Strength.SELLER_ITEMS) for b in strong)
        # Most of the queue is proposed strongly by the learned rules (at NOW: 606 of 931, 278 to review).
        assert len(strong) > len(queue) / 2, (len(strong), len(queue))
        assert sum(b.status is BookingStatus.NEEDS_REVIEW for b in queue) < len(queue) / 2
        third = [b for b in queue if ReviewReason.THIRD_PARTY in b.review_reasons]
        assert all(b.third_party for b in third)
        assert {p.subject for p in store.purchases.list()} == {"Subject2", "Subject3"}
        approvals = [e for e in store.audit.list(limit=100) if e.action.startswith("booking.")]
        assert approvals and "Anna Nowak" in json.loads(approvals[0].detail)["by"]
    finally:
        store.close()


def test_queue_demo_json_shows_reasons_and_strengths(
    demo_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Ready:
        home = demo_home

        def cleanup(self) -> None:
            pass

    monkeypatch.setattr(demo_module, "prepare_demo", lambda *a, **k: Ready())
    result = CliRunner().invoke(cli, ["queue", "--demo", "--format", "json"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    rows = json.loads(result.stdout)
    assert rows and all(r["reason"] and r["lines"] for r in rows if r["review_reasons"] != ["no_rule"])
    assert {r["strength"] for r in rows} >= {"seller", "none"}
    for r in rows:
        if r["review_reasons"]:
            assert r["status"] == "needs_review"

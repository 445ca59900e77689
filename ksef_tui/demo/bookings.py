"""The demo's approval queue (issue 13 item 7): an office mid-month.

After the demo's purchase sync (every invoice drafted and proposed), the bookings that entered the queue
before the cut-off are decided as an accountant would have: the first invoice of each supplier classified
in the booking form by the supplier's kind (fuel at 50 % VAT, energy to 401-02, ...) through the real
`save_booking` (which learns the client's rule), the rest approved with `approve` (each a confirmation).
What arrived after the cut-off stays in the queue, proposed by those rules: most strongly, some needing
review (corrections, advances, EUR, reverse charge, a new supplier, amounts or lines that stand out).

Each booking's queue time is its invoice's receipt time plus a few minutes (as if the office synced every
15 minutes), so the queue shows realistic SLA ages.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from ksef_tui.core.bookings import (
    OPEN_STATUSES,
    Booking,
    Deduction,
    KpirColumn,
)
from ksef_tui.core.clock import WARSAW, Clock, fixed_clock
from ksef_tui.simulator.suppliers import BY_NIP
from ksef_tui.store import Store
from ksef_tui.sync import bookings as queue_uc

SYNC_DELAY = timedelta(minutes=7)  # receipt → the office's next 15-minute sync, on average
QUEUE_MIN = timedelta(days=7)  # at least this much stays in the queue ...
QUEUE_MAX = timedelta(days=12)  # ... and at most this much: the rest is "last month", decided
ACCOUNTANT = "Anna Nowak (biuro)"

# What an accountant chooses for a supplier's first invoice, by the supplier's kind:
# (register, deduction, account, KPiR column, tax-cost share %)
TREATMENT: dict[str, tuple[str, Deduction, str, KpirColumn, int]] = {
    "energy": ("ZAKUP", Deduction.FULL, "401-02", KpirColumn.OTHER, 100),
    "telecom": ("ZAKUP", Deduction.FULL, "402-02", KpirColumn.OTHER, 100),
    "fuel": ("ZAKUP-50", Deduction.HALF, "401-01", KpirColumn.OTHER, 75),
    "rent": ("ZAKUP", Deduction.FULL, "402-01", KpirColumn.OTHER, 100),
    "building": ("ZAKUP", Deduction.FULL, "401-01", KpirColumn.GOODS, 100),
    "office": ("ZAKUP", Deduction.FULL, "409-01", KpirColumn.OTHER, 100),
    "it": ("ZAKUP", Deduction.FULL, "402-01", KpirColumn.OTHER, 100),
    "legal": ("ZAKUP", Deduction.FULL, "402-01", KpirColumn.OTHER, 100),
    "transport": ("ZAKUP", Deduction.FULL, "402-01", KpirColumn.INCIDENTAL, 100),
}
DEFAULT_TREATMENT = ("ZAKUP", Deduction.FULL, "409-01", KpirColumn.OTHER, 100)


def cut_off(now: datetime) -> datetime:
    """Where "last month" ends: the first of this month (Polish time), kept between 7 and 12 days back
    so the queue holds about a week and a half whatever the day of the month."""
    local = now.astimezone(WARSAW)
    first = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return min(max(first, now - QUEUE_MAX), now - QUEUE_MIN)


def classified(booking: Booking) -> Booking:
    """The booking as the accountant fills in the form for a supplier seen for the first time."""
    supplier = BY_NIP.get(booking.seller_nip)
    register, deduction, account, column, share = (
        TREATMENT.get(supplier.category, DEFAULT_TREATMENT) if supplier is not None else DEFAULT_TREATMENT
    )
    lines = tuple(
        replace(
            line,
            deduction=deduction,
            kpir_column=column,
            cost_share_pct=share,
            gl_account=account,
            gl_contra=line.gl_contra or f"202-{booking.seller_nip}",
        )
        for line in booking.lines
    )
    return replace(booking, lines=lines, vat_register=register)


def _queue_times(store: Store) -> None:
    """Every open booking's queue time = its invoice's receipt + the sync's delay."""
    received = {
        (r.client_id, r.ksef_number): r.acquisition_date for r in store.purchases.list() if r.acquisition_date
    }
    moved = [
        replace(b, queued_at=received[(b.client_id, b.ksef_number)] + SYNC_DELAY)
        for b in store.bookings.list(None, OPEN_STATUSES)
        if (b.client_id, b.ksef_number) in received
    ]
    store.bookings.put_many(moved)


def seed_bookings(store: Store, now: datetime) -> dict[str, int]:
    """Decide last month's bookings through the real use cases (module doc). Returns counts by what
    was done (for the demo's tests)."""
    with store.transaction():  # one commit for hundreds of decisions: a demo, not an office's audit step
        return _seed(store, now)


def _seed(store: Store, now: datetime) -> dict[str, int]:
    queue_uc.propose_new(store, fixed_clock(now))  # anything the sync left NEW
    _queue_times(store)
    end = cut_off(now)
    done = {"classified": 0, "approved": 0}
    for client in store.clients.list():
        assert client.id is not None
        earlier = [
            b
            for b in store.bookings.list([client.id], OPEN_STATUSES)
            if b.queued_at is not None and b.queued_at < end
        ]
        seen: set[str] = set()
        rest: list[tuple[int, str]] = []
        for booking in earlier:
            queued = booking.queued_at or end
            at: Clock = fixed_clock(queued + timedelta(hours=3))  # decided the same morning
            if booking.seller_nip not in seen:
                seen.add(booking.seller_nip)
                current = store.bookings.get(client.id, booking.ksef_number) or booking
                queue_uc.save_booking(store, classified(current), ACCOUNTANT, at)
                done["classified"] += 1
            else:
                rest.append((client.id, booking.ksef_number))
        if rest:
            queue_uc.approve(store, rest, ACCOUNTANT, fixed_clock(end))
            done["approved"] += len(rest)
    return done


def add_standout_invoices(world: Any, now: datetime, clients: int = 6) -> int:
    """Invoices that must catch the accountant's eye, added to the demo world's purchases before the sync
    (the world's month already holds corrections, advances, EUR and reverse charge): for a few clients a
    supplier never seen before, a far larger order than usual from a regular supplier, and a computer
    order whose lines look like fixed assets. Returns how many were added."""
    from ksef_tui.simulator.arrivals import purchase
    from ksef_tui.simulator.suppliers import BY_KEY, CATALOGUE

    added = 0
    buyers = [tp for tp in world.taxpayers.values() if len(tp.purchases) >= 10][:clients]
    for k, buyer in enumerate(buyers):
        rng = world.runtime_rng
        used = {p.seller_nip for p in buyer.purchases}
        when = now - timedelta(hours=5 + k)
        if k % 3 == 0:  # a new supplier: first from the seller
            fresh = next((s for s in CATALOGUE if s.nip not in used and not s.monthly), None)
            if fresh is not None:
                purchase(
                    world, rng, buyer, when, seller_nip=fresh.nip, seller_name=fresh.name, supplier=fresh
                )
                added += 1
        elif k % 3 == 1:  # a regular supplier, many times the usual order: an unusual amount
            counts: dict[str, int] = {}
            for p in buyer.purchases:
                if p.supplier and not BY_KEY[p.supplier].monthly and p.kind == "VAT":
                    counts[p.supplier] = counts.get(p.supplier, 0) + 1
            if counts:
                regular = BY_KEY[max(counts, key=lambda key: (counts[key], key))]
                purchase(
                    world,
                    rng,
                    buyer,
                    when,
                    seller_nip=regular.nip,
                    seller_name=regular.name,
                    supplier=regular,
                    lines=12,
                )
                added += 1
        else:  # computers: lines that look like fixed assets
            shop = BY_KEY["komputery-sikora"]
            purchase(
                world, rng, buyer, when, seller_nip=shop.nip, seller_name=shop.name, supplier=shop, lines=12
            )
            added += 1
    return added

"""The approval queue's use cases (issue 13). Screens and the CLI call only these.

Signatures first (the lead); bodies by the bookings helper. Blocking functions: call them in a thread.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ksef_tui.core.bookings import (
    OPEN_STATUSES,
    Booking,
    BookingStatus,
    Decision,
    Dictionaries,
    QueueSettings,
    Rule,
    Strength,
)
from ksef_tui.core.clock import Clock
from ksef_tui.store import Store

BookingKey = tuple[int, str]  # (client id, KSeF number)


@dataclass(frozen=True)
class QueueFilter:
    client_ids: Sequence[int] | None = None  # None: every client
    statuses: frozenset[BookingStatus] = OPEN_STATUSES
    text: str = ""  # seller name, NIP (any spelling), invoice or KSeF number, amount
    min_confidence: int = 0
    strength: Strength | None = None
    vat_period: str = ""  # "YYYY-MM"


@dataclass(frozen=True)
class QueueRow:
    booking: Booking
    client_code: str
    client_nip: str
    age_hours: float  # since it entered the queue
    past_sla: bool


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    total: int  # rows matching the filter (the page is a slice of them)
    counts: dict[BookingStatus, int] = field(default_factory=dict)  # per status, over the filter's clients
    past_sla: int = 0


def load_queue(
    store: Store, flt: QueueFilter, clock: Clock, *, offset: int = 0, limit: int = 500
) -> QueuePage:
    """Open bookings oldest first (SLA age), filtered, one page."""
    raise NotImplementedError


def propose_new(store: Store, clock: Clock, client_ids: Sequence[int] | None = None) -> int:
    """Run the rules over bookings still NEW (drafted at sync time); returns how many were proposed."""
    raise NotImplementedError


def approve(store: Store, keys: Sequence[BookingKey], by: str, clock: Clock) -> Decision:
    """Approve these bookings as proposed, in one transaction (each a confirmation of its rule)."""
    raise NotImplementedError


def save_booking(store: Store, booking: Booking, by: str, clock: Clock, *, approve: bool = True) -> Decision:
    """The booking as edited in the form; approved unless `approve=False`. Learns: creates or updates
    the client's rule for the seller and counts the override."""
    raise NotImplementedError


def exclude(store: Store, keys: Sequence[BookingKey], reason: str, by: str, clock: Clock) -> Decision:
    raise NotImplementedError


def reject(store: Store, keys: Sequence[BookingKey], by: str, clock: Clock) -> Decision:
    """Back to NEEDS_REVIEW (an approval taken back before export)."""
    raise NotImplementedError


def undo(store: Store, decision: Decision, by: str, clock: Clock) -> None:
    """Restore exactly the state before `decision` (bookings and rules); audited."""
    raise NotImplementedError


def list_rules(store: Store, client_id: int | None = None) -> list[Rule]:
    raise NotImplementedError


def save_rule(store: Store, rule: Rule, by: str, clock: Clock) -> Rule:
    raise NotImplementedError


def delete_rule(store: Store, rule_id: int, by: str, clock: Clock) -> None:
    raise NotImplementedError


def dictionaries(store: Store, client_id: int) -> Dictionaries:
    raise NotImplementedError


def queue_settings(store: Store) -> QueueSettings:
    raise NotImplementedError

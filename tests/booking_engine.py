"""The booking engine for the store helper's tests (issue 13).

The engine lives in core (`core/booking_draft.py`, `core/booking_rules.py`, `core/booking_queue.py`),
written in parallel on another branch. `engine` (a fixture) uses it when it is installed; until then it
installs these minimal private stand-ins with the same names and signatures, so the persistence and
orchestration tests run on either. Assertions in tests that use it hold for both: statuses, counts,
transactions, undo, what learning persists; never the wording of a reason.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from ksef_tui.core.bookings import (
    Booking,
    BookingLine,
    BookingStatus,
    Decision,
    ReviewReason,
    Rule,
    RuleTemplate,
    Strength,
)
from ksef_tui.core.purchases import PurchaseRecord

DECIDED = {BookingStatus.APPROVED, BookingStatus.EXPORTED, BookingStatus.EXCLUDED}


@dataclass(frozen=True)
class SellerHistory:
    count: int = 0
    median_gross: Decimal | None = None


def draft_booking(
    client_id: int, record: PurchaseRecord, invoice: Any, *, settings: Any, queued_at: datetime
) -> Booking:
    rates: dict[str, list[Decimal]] = {}
    for line in invoice.lines:
        if line.net is not None:
            rates.setdefault(line.rate or "23", []).append(line.net)
    lines = tuple(
        BookingLine(n, rate, sum(nets, Decimal("0.00")), Decimal("0.00"))
        for n, (rate, nets) in enumerate(rates.items(), 1)
    )
    return Booking(
        client_id,
        record.ksef_number,
        BookingStatus.NEW,
        lines,
        doc_kind=str(getattr(invoice.kind, "value", invoice.kind) or "VAT"),
        seller_nip=record.seller_nip,
        seller_name=record.seller_name,
        invoice_number=record.invoice_number,
        currency=record.currency,
        gross=record.gross or Decimal("0.00"),
        queued_at=queued_at,
        vat_register=settings.default_register,
    )


def _apply(booking: Booking, template: RuleTemplate) -> Booking:
    lines = tuple(replace(line, gl_account=template.gl_account or line.gl_account) for line in booking.lines)
    return replace(booking, lines=lines, vat_register=template.vat_register or booking.vat_register)


def propose(
    booking: Booking,
    rules: Iterable[Rule],
    history: SellerHistory,
    settings: Any,
    now: datetime,
    *,
    dictionaries: Any = None,
) -> Booking:
    if booking.status in DECIDED:
        return booking
    ordered = sorted(rules, key=lambda r: r.client_id is None)
    rule = ordered[0] if ordered else None
    reasons: list[ReviewReason] = []
    if booking.doc_kind.startswith("KOR"):
        reasons.append(ReviewReason.CORRECTION)
    if booking.currency != "PLN":
        reasons.append(ReviewReason.FOREIGN_CURRENCY)
    if history.count == 0:
        reasons.append(ReviewReason.FIRST_FROM_SELLER)
    if rule is None:
        reasons.insert(0, ReviewReason.NO_RULE)
        return replace(
            booking,
            status=BookingStatus.NEEDS_REVIEW,
            strength=Strength.NONE,
            confidence=0,
            review_reasons=tuple(reasons),
            reason="no rule",
            rule_id=None,
        )
    strong = rule.confirmations >= settings.min_confirmations and rule.overrides == 0
    return replace(
        _apply(booking, rule.template),
        status=BookingStatus.NEEDS_REVIEW if reasons else BookingStatus.PROPOSED,
        strength=Strength.SELLER if rule.client_id is not None else Strength.PATTERN,
        confidence=95 if strong else 70,
        review_reasons=tuple(reasons),
        reason="rule",
        rule_id=rule.id,
    )


def _template(booking: Booking) -> RuleTemplate:
    first = booking.lines[0] if booking.lines else None
    return RuleTemplate(
        vat_register=booking.vat_register, gl_account=first.gl_account if first is not None else None
    )


def learn(
    rules: Sequence[Rule], proposed: Booking, approved: Booking, now: datetime
) -> tuple[Rule | None, Rule]:
    rule = next((r for r in rules if r.id is not None and r.id == proposed.rule_id and r.client_id), None)
    if rule is not None and _template(proposed) == _template(approved):
        return rule, replace(rule, confirmations=rule.confirmations + 1, last_confirmed=now)
    if rule is not None:
        return rule, replace(rule, template=_template(approved), overrides=rule.overrides + 1)
    return None, Rule(approved.client_id, approved.seller_nip, _template(approved), created=now)


def _decision(
    action: str, before: Sequence[Booking], after: Sequence[Booking], by: str, now: datetime
) -> Decision:
    return Decision(action, tuple(before), tuple(after), by, now)


def approve(bookings: Sequence[Booking], by: str, now: datetime) -> Decision:
    after = [replace(b, status=BookingStatus.APPROVED, decided_by=by, decided_at=now) for b in bookings]
    return _decision("approve", bookings, after, by, now)


def exclude(bookings: Sequence[Booking], reason: str, by: str, now: datetime) -> Decision:
    after = [
        replace(b, status=BookingStatus.EXCLUDED, excluded_reason=reason, decided_by=by, decided_at=now)
        for b in bookings
    ]
    return _decision("exclude", bookings, after, by, now)


def reject(bookings: Sequence[Booking], by: str, now: datetime) -> Decision:
    after = [replace(b, status=BookingStatus.NEEDS_REVIEW, decided_by="", decided_at=None) for b in bookings]
    return _decision("reject", bookings, after, by, now)


def edit(before: Booking, after: Booking, by: str, now: datetime) -> Decision:
    return _decision("edit", [before], [after], by, now)


def matches_text(booking: Booking, text: str) -> bool:
    needle = text.casefold().replace(" ", "").replace("-", "")
    haystack = f"{booking.seller_name}|{booking.seller_nip}|{booking.invoice_number}|{booking.ksef_number}"
    return needle in haystack.casefold().replace(" ", "").replace("-", "") or needle == str(booking.gross)


_MODULES: dict[str, tuple[Callable[..., Any] | type, ...]] = {
    "booking_draft": (draft_booking,),
    "booking_rules": (SellerHistory, propose, learn),
    "booking_queue": (approve, exclude, reject, edit, matches_text),
}


def real_engine() -> bool:
    try:
        for name in _MODULES:
            importlib.import_module(f"ksef_tui.core.{name}")
    except ModuleNotFoundError:
        return False
    return True


@pytest.fixture
def engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[bool]:
    """The real engine when installed (True), else the stand-ins above for this test (False)."""
    if real_engine():
        yield True
        return
    for name, members in _MODULES.items():
        module = types.ModuleType(f"ksef_tui.core.{name}")
        for member in members:
            setattr(module, member.__name__, member)
        monkeypatch.setitem(sys.modules, f"ksef_tui.core.{name}", module)
    yield False

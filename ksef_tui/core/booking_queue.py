"""The approval queue's steps on values (issue 13 item 4): approve, exclude, reject, edit, undo; the SLA
age, the sort order, the text filter and the booking form's validation.

Pure: no I/O, the clock passed in. Every step returns a `Decision` (before → after) that the store
persists, the audit log records and `undo` reverses. A step over many bookings is all or nothing: one
booking that may not take the step refuses the whole step, with a message naming it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal, InvalidOperation

from ksef_tui.core.booking_draft import BookingError, needs_fx_rate
from ksef_tui.core.bookings import (
    OPEN_STATUSES,
    Booking,
    BookingStatus,
    Decision,
    Deduction,
    QueueSettings,
    Strength,
)
from ksef_tui.core.i18n import N_, _
from ksef_tui.core.search_text import fold, nip_digits

# Statuses each step starts from.
APPROVABLE = OPEN_STATUSES
EXCLUDABLE = OPEN_STATUSES | {BookingStatus.APPROVED}
REJECTABLE = frozenset({BookingStatus.PROPOSED, BookingStatus.APPROVED, BookingStatus.EXCLUDED})
EDITABLE = OPEN_STATUSES | {BookingStatus.APPROVED, BookingStatus.EXCLUDED}
DECIDED = frozenset({BookingStatus.APPROVED, BookingStatus.EXCLUDED})


def _key(b: Booking) -> tuple[int, str]:
    return (b.client_id, b.ksef_number)


def _refuse(b: Booking, allowed: frozenset[BookingStatus], message: str) -> None:
    """`message` (translated) has {number} and {status}."""
    if b.status not in allowed:
        raise BookingError(
            message.format(number=b.invoice_number or b.ksef_number, status=status_label(b.status))
        )


def _unique(bookings: Sequence[Booking]) -> None:
    seen: set[tuple[int, str]] = set()
    for b in bookings:
        if _key(b) in seen:
            raise BookingError(_("Invoice {number} is listed twice.").format(number=b.ksef_number))
        seen.add(_key(b))


# The one place the statuses have words (the queue, its table, the CLI); a row of the queue is an invoice.
STATUS_WORDS: dict[BookingStatus, str] = {
    BookingStatus.NEW: N_("new"),
    BookingStatus.PROPOSED: N_("proposed"),
    BookingStatus.NEEDS_REVIEW: N_("to review"),
    BookingStatus.APPROVED: N_("approved"),
    BookingStatus.EXPORTED: N_("exported"),
    BookingStatus.EXCLUDED: N_("excluded"),
}


def status_label(status: BookingStatus) -> str:
    """The status in the user's language."""
    return _(STATUS_WORDS[status])


def age_words(hours: float) -> str:
    """How long a booking has waited: "12 min", "3 h", "2 dni" (short enough for a table's first column)."""
    if hours < 1:
        return _("{n} min").format(n=max(0, int(hours * 60)))
    if hours < 48:
        return _("{n} h").format(n=int(hours))
    return _("{n} d").format(n=int(hours // 24))


# ------------------------------------------------------------------------------------------------
# steps


def approve(bookings: Sequence[Booking], by: str, now: datetime) -> Decision:
    """Approve as proposed. A proposal to exclude (a rule that excludes) becomes EXCLUDED; a foreign
    booking still without an exchange rate is refused."""
    _unique(bookings)
    after = []
    for b in bookings:
        _refuse(b, APPROVABLE, _("Invoice {number}: a booking that is “{status}” cannot be approved."))
        if needs_fx_rate(b):
            raise BookingError(
                _("Invoice {number} is in {currency} without an exchange rate: enter the rate first.").format(
                    number=b.invoice_number or b.ksef_number, currency=b.currency
                )
            )
        status = BookingStatus.EXCLUDED if b.excluded_reason else BookingStatus.APPROVED
        after.append(replace(b, status=status, decided_by=by, decided_at=now))
    return Decision("approve", tuple(bookings), tuple(after), by, now)


def exclude(bookings: Sequence[Booking], reason: str, by: str, now: datetime) -> Decision:
    """Not the client's cost: EXCLUDED with the reason (a private purchase, a duplicate, ...)."""
    _unique(bookings)
    reason = " ".join(reason.split())
    if not reason:
        raise BookingError(_("Say why the invoice is excluded (e.g. a private purchase)."))
    after = []
    for b in bookings:
        _refuse(b, EXCLUDABLE, _("Invoice {number}: a booking that is “{status}” cannot be excluded."))
        after.append(
            replace(b, status=BookingStatus.EXCLUDED, excluded_reason=reason, decided_by=by, decided_at=now)
        )
    return Decision("exclude", tuple(bookings), tuple(after), by, now)


def reject(bookings: Sequence[Booking], by: str, now: datetime) -> Decision:
    """Back to NEEDS_REVIEW: a proposal turned down, or an approval or exclusion taken back before export."""
    _unique(bookings)
    after = []
    for b in bookings:
        _refuse(
            b, REJECTABLE, _("Invoice {number}: a booking that is “{status}” cannot be sent back for review.")
        )
        after.append(
            replace(b, status=BookingStatus.NEEDS_REVIEW, excluded_reason="", decided_by="", decided_at=None)
        )
    return Decision("reject", tuple(bookings), tuple(after), by, now)


def validate_booking(booking: Booking) -> list[str]:
    """What is wrong with a booking as edited, in the user's language (empty: fine). The form calls it as
    the user types."""
    problems: list[str] = []
    if not booking.lines:
        problems.append(_("A booking needs at least one line."))
    for period, label in ((booking.vat_period, _("VAT period")), (booking.cost_period, _("cost period"))):
        if period and not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", period):
            problems.append(_("{field}: expected YYYY-MM, e.g. 2026-03.").format(field=label))
    if not booking.vat_register.strip():
        problems.append(_("Choose a VAT register."))
    for line in booking.lines:
        if line.deduction is Deduction.PROPORTION:
            pct = line.deduction_pct
            if pct is None or not Decimal(0) <= pct <= Decimal(100):
                problems.append(
                    _("Line {n}: the proportion must be a percentage from 0 to 100.").format(n=line.line_no)
                )
        if not 0 <= line.cost_share_pct <= 100:
            problems.append(_("Line {n}: the tax-cost share must be from 0 to 100 %.").format(n=line.line_no))
    return problems


def edit(before: Booking, after: Booking, by: str, now: datetime) -> Decision:
    """The booking as edited in the form. The same invoice, a valid booking, and the same net and VAT in
    total (lines may be split and treated differently, the invoice's amounts stay); a foreign booking
    without a rate is the exception: its PLN amounts are what the accountant enters. An edit that
    approves or excludes is stamped with who and when."""
    if _key(before) != _key(after):
        raise BookingError(_("An edit cannot move a booking to another invoice."))
    _refuse(before, EDITABLE, _("Invoice {number}: a booking that is “{status}” cannot be edited."))
    problems = validate_booking(after)
    if problems:
        raise BookingError(problems[0])
    if not needs_fx_rate(before):
        for label, old, new in (
            (
                _("net"),
                sum((x.net for x in before.lines), Decimal(0)),
                sum((x.net for x in after.lines), Decimal(0)),
            ),
            (
                _("VAT"),
                sum((x.vat for x in before.lines), Decimal(0)),
                sum((x.vat for x in after.lines), Decimal(0)),
            ),
        ):
            if old != new:
                raise BookingError(
                    _("The lines' {what} must add up to {total} as on the invoice (now {now}).").format(
                        what=label, total=old, now=new
                    )
                )
    if after.status in DECIDED:
        after = replace(after, decided_by=by, decided_at=now)
    else:
        after = replace(after, decided_by="", decided_at=None)
    return Decision("edit", (before,), (after,), by, now)


def undo(decision: Decision, current: Sequence[Booking] | None = None) -> tuple[Booking, ...]:
    """The bookings exactly as they were before `decision`. With `current` (the bookings as stored now),
    refuse when any of them changed since the decision: undo never overwrites a later step."""
    if current is not None:
        now = {_key(b): b for b in current}
        for b in decision.after:
            if now.get(_key(b)) != b:
                raise BookingError(
                    _("Invoice {number} changed after this step; undo the later step first.").format(
                        number=b.invoice_number or b.ksef_number
                    )
                )
    return decision.before


# ------------------------------------------------------------------------------------------------
# the queue's order, age and filter


def age_hours(booking: Booking, now: datetime) -> float:
    """Hours since the booking entered the queue (0 when it has no queue time)."""
    if booking.queued_at is None:
        return 0.0
    return max(0.0, (now - booking.queued_at).total_seconds() / 3600)


def past_sla(booking: Booking, now: datetime, settings: QueueSettings) -> bool:
    """Still open and waiting longer than the office's SLA."""
    return booking.status in OPEN_STATUSES and age_hours(booking, now) > settings.sla_hours


def queue_sort_key(booking: Booking) -> tuple[bool, float, int, str]:
    """Oldest first; bookings without a queue time last; then by client and KSeF number (stable)."""
    queued = booking.queued_at
    return (
        queued is None,
        queued.timestamp() if queued is not None else 0.0,
        booking.client_id,
        booking.ksef_number,
    )


_SPACED_AMOUNT = re.compile(r"(?<![\w.,])-?\d{1,3}(?: \d{3})+(?:[.,]\d{1,2})?(?!\w)")
_AMOUNT = re.compile(r"[-−]?\d[\d \u00a0.,]*")


def parse_amount(text: str) -> Decimal | None:
    """An amount as typed: "1 234,56", "1234.56", "1.234,56", "1 234" → Decimal; None if it is not one."""
    raw = text.strip().replace("\u00a0", " ").replace("−", "-")
    if not raw or not _AMOUNT.fullmatch(raw):
        return None
    raw = raw.replace(" ", "")
    if "," in raw and "." in raw:
        decimal_sep = "," if raw.rfind(",") > raw.rfind(".") else "."
        raw = raw.replace("." if decimal_sep == "," else ",", "")
    raw = raw.replace(",", ".")
    if raw.count(".") > 1:
        return None
    frac = raw.partition(".")[2]
    if len(frac) > 2:
        return None  # "1.234" reads as a thousand, not a grosz amount: only as digits
    try:
        return Decimal(raw)
    except InvalidOperation:
        return None


@dataclass(frozen=True, slots=True)
class QueueFacts:
    """What the queue's filters read of a booking: the text, strength, confidence and VAT period. The
    store builds these straight from a sealed booking's JSON, so filtering 20,000 bookings does not
    decode 20,000 whole Bookings (only the page shown is; issue 13 Speed)."""

    seller_name: str
    seller_nip: str
    invoice_number: str
    ksef_number: str
    gross: Decimal
    net: Decimal  # the lines' net total
    confidence: int
    strength: Strength
    vat_period: str
    # The seller's name, the invoice and KSeF numbers folded once (case, Polish diacritics; search_text),
    # joined by NUL: folding is per character in Python, too slow to repeat for 20,000 rows per keystroke.
    folded: str = ""


def folded_text(seller_name: str, invoice_number: str, ksef_number: str) -> str:
    return "\x00".join((fold(seller_name), fold(invoice_number), fold(ksef_number)))


def facts_of(booking: Booking) -> QueueFacts:
    return QueueFacts(
        booking.seller_name,
        booking.seller_nip,
        booking.invoice_number,
        booking.ksef_number,
        booking.gross,
        sum((x.net for x in booking.lines), Decimal(0)),
        booking.confidence,
        booking.strength,
        booking.vat_period,
        folded_text(booking.seller_name, booking.invoice_number, booking.ksef_number),
    )


def text_matcher(text: str) -> Callable[[QueueFacts], bool]:
    """The queue's filter as you type: seller name, NIP in any spelling (PL prefix, dashes, spaces; a
    part of it), invoice or KSeF number, amount (gross or net total, as typed). The whole text is tried
    first; then every word must match something."""
    query = " ".join(text.split())
    if not query:
        return lambda b: True
    whole = _term(query)
    # "stacja 1 234,56": the amount's thousands stay together as one word.
    words = _SPACED_AMOUNT.sub(lambda m: m.group(0).replace(" ", ""), query).split(" ")
    if len(words) == 1:
        return whole
    parts = [_term(w) for w in words]
    return lambda b: whole(b) or all(p(b) for p in parts)


def _term(term: str) -> Callable[[QueueFacts], bool]:
    needle = fold(term)  # case and Polish diacritics ignored: "wrobel" finds "Wróbel"
    nip_part = nip_digits(term) or ""
    amount = parse_amount(term)

    def match(b: QueueFacts) -> bool:
        if needle in b.folded:
            return True
        if nip_part and nip_part in b.seller_nip:
            return True
        return amount is not None and abs(amount) in (abs(b.gross), abs(b.net))

    return match


def matches_text(booking: Booking, text: str) -> bool:
    return text_matcher(text)(facts_of(booking))

"""Which bookings an export takes, in which order, and the preview's summary (issue 14). Pure.

A run is one client and one period of one kind (the VAT period or the cost period). It takes the
period's APPROVED bookings (and its EXPORTED ones too when asked `again`), never EXCLUDED ones. Bookings
of the period still open (new, proposed, needing review) are not exported; each is a "not approved yet"
warning, so the user knows the period is incomplete. Order: receipt date (the KSeF number's date), then
KSeF number — the same bookings give the same files.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from ksef_tui.core.booking_draft import vat_deductible
from ksef_tui.core.bookings import OPEN_STATUSES, Booking, BookingLine, BookingStatus
from ksef_tui.core.exports import ExportWarning, PeriodKind
from ksef_tui.core.i18n import _

ZERO = Decimal("0.00")
_PERIOD = re.compile(r"(\d{4})-(\d{2})")


class PeriodError(ValueError):
    """A period that is not YYYY-MM (the message is the user's language)."""


def parse_period(text: str) -> str:
    """`YYYY-MM` with a real month (2000-2099), returned as written; PeriodError otherwise."""
    value = text.strip()
    found = _PERIOD.fullmatch(value)
    if found is None or not 1 <= int(found.group(2)) <= 12 or not 2000 <= int(found.group(1)) <= 2099:
        raise PeriodError(_("The period must be a month written as YYYY-MM, e.g. 2026-03."))
    return value


def period_of(booking: Booking, kind: PeriodKind) -> str:
    return booking.vat_period if kind is PeriodKind.VAT else booking.cost_period


def export_order(booking: Booking) -> tuple[date, str]:
    return (booking.receipt_date or date.max, booking.ksef_number.upper())


@dataclass(frozen=True)
class Sums:
    key: str  # a VAT rate code ("23", "zw", ...) or a JPK group's value ("other", ...)
    lines: int
    net: Decimal
    vat: Decimal
    deductible: Decimal


@dataclass(frozen=True)
class ExportSummary:
    """What the preview shows before anything is written."""

    count: int  # bookings exported
    net: Decimal
    vat: Decimal
    deductible: Decimal  # VAT the client deducts (50 %, proportion, none applied)
    by_rate: tuple[Sums, ...]
    by_group: tuple[Sums, ...]
    not_approved: int = 0  # open bookings of the period (left out: the period is incomplete)
    exported_before: int = 0  # EXPORTED bookings of the period left out (no `again`)
    excluded: int = 0  # EXCLUDED bookings of the period (never exported)


@dataclass(frozen=True)
class ExportSelection:
    bookings: tuple[Booking, ...]  # what the run exports, in export order
    summary: ExportSummary
    warnings: tuple[ExportWarning, ...]

    @property
    def nothing_to_export(self) -> bool:
        """No booking to export while the period has some: all exported before, or none approved yet.
        Nothing is written then (a period with no bookings at all does give its empty files)."""
        return not self.bookings and (self.summary.exported_before > 0 or self.summary.not_approved > 0)


def _rate_key(rate: str) -> tuple[int, Decimal, str]:
    try:
        return (0, -Decimal(rate), rate)
    except ArithmeticError:
        return (1, ZERO, rate)


def _sums(pairs: Iterable[tuple[str, BookingLine]]) -> list[Sums]:
    acc: dict[str, tuple[int, Decimal, Decimal, Decimal]] = {}
    for key, line in pairs:
        n, net, vat, ded = acc.get(key, (0, ZERO, ZERO, ZERO))
        acc[key] = (n + 1, net + line.net, vat + line.vat, ded + vat_deductible(line))
    return [Sums(key, *values) for key, values in acc.items()]


def summarize(bookings: Sequence[Booking], **counts: int) -> ExportSummary:
    lines = [line for b in bookings for line in b.lines]
    by_rate = sorted(_sums((line.vat_rate, line) for line in lines), key=lambda s: _rate_key(s.key))
    by_group = sorted(_sums((line.jpk_group.value, line) for line in lines), key=lambda s: s.key)
    return ExportSummary(
        count=len(bookings),
        net=sum((line.net for line in lines), ZERO),
        vat=sum((line.vat for line in lines), ZERO),
        deductible=sum((vat_deductible(line) for line in lines), ZERO),
        by_rate=tuple(by_rate),
        by_group=tuple(by_group),
        **counts,
    )


def select(
    bookings: Iterable[Booking], period: str, kind: PeriodKind, *, again: bool = False
) -> ExportSelection:
    """The run's bookings out of a client's bookings (any statuses, any periods), module doc."""
    wanted = {BookingStatus.APPROVED, BookingStatus.EXPORTED} if again else {BookingStatus.APPROVED}
    chosen: list[Booking] = []
    open_ones: list[Booking] = []
    exported_before = excluded = 0
    for booking in bookings:
        if period_of(booking, kind) != period:
            continue
        if booking.status in wanted:
            chosen.append(booking)
        elif booking.status in OPEN_STATUSES:
            open_ones.append(booking)
        elif booking.status is BookingStatus.EXPORTED:
            exported_before += 1
        elif booking.status is BookingStatus.EXCLUDED:
            excluded += 1
    chosen.sort(key=export_order)
    open_ones.sort(key=export_order)
    warnings = [
        ExportWarning(
            "export.not_approved",
            _("Invoice {invoice} from {seller} is not approved yet: the period is incomplete.").format(
                invoice=b.invoice_number or b.ksef_number, seller=b.seller_name or b.seller_nip
            ),
            b.ksef_number,
        )
        for b in open_ones
    ]
    if exported_before and chosen:
        warnings.append(
            ExportWarning(
                "export.exported_before",
                _(
                    "{n} bookings of this period were exported before and are left out (--again exports "
                    "them again)."
                ).format(n=exported_before),
            )
        )
    summary = summarize(
        chosen, not_approved=len(open_ones), exported_before=exported_before, excluded=excluded
    )
    return ExportSelection(tuple(chosen), summary, tuple(warnings))

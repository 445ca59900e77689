"""Which bookings an export takes, in which order, and the preview's sums (issue 14, core/export_plan)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from ksef_tui.core.bookings import BookingLine, BookingStatus, Deduction, JpkGroup
from ksef_tui.core.export_plan import PeriodError, parse_period, select, summarize
from ksef_tui.core.exports import PeriodKind
from tests.export_helpers import booking


def _one_line(n: int, rate: str, net: str, vat: str, **changes: object) -> object:
    line = BookingLine(1, rate, Decimal(net), Decimal(vat), **changes)  # type: ignore[arg-type]
    return booking(1, n, lines=(line,))


@pytest.mark.parametrize("text", ["2026-03", " 2026-12 "])
def test_parse_period_accepts_a_month(text: str) -> None:
    assert parse_period(text) == text.strip()


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026-3", "03-2026", "2026/03", "", "1999-01"])
def test_parse_period_refuses_anything_else_in_polish(text: str) -> None:
    with pytest.raises(PeriodError, match="RRRR-MM"):
        parse_period(text)


def test_takes_approved_of_the_period_in_receipt_then_number_order() -> None:
    late = booking(1, 5, receipt_date=date(2026, 3, 28))
    early = booking(1, 9, receipt_date=date(2026, 3, 2))
    same_day = booking(1, 7, receipt_date=date(2026, 3, 2))
    other_month = booking(1, 3, vat_period="2026-02")
    chosen = select([late, other_month, early, same_day], "2026-03", PeriodKind.VAT)
    first_two = sorted([early.ksef_number, same_day.ksef_number])
    assert [b.ksef_number for b in chosen.bookings] == [*first_two, late.ksef_number]
    assert chosen.warnings == () and not chosen.nothing_to_export


def test_the_cost_period_is_its_own() -> None:
    b = booking(1, 1, vat_period="2026-04", cost_period="2026-03")
    assert select([b], "2026-03", PeriodKind.COST).bookings == (b,)
    assert select([b], "2026-03", PeriodKind.VAT).bookings == ()


def test_excluded_never_exported_again_only_when_asked_open_ones_warned() -> None:
    approved = booking(1, 1)
    exported = booking(1, 2, status=BookingStatus.EXPORTED, export_batch="4")
    excluded = booking(1, 3, status=BookingStatus.EXCLUDED, excluded_reason="prywatny zakup")
    open_one = booking(1, 4, status=BookingStatus.NEEDS_REVIEW, invoice_number="FV/44")
    everything = [approved, exported, excluded, open_one]

    plain = select(everything, "2026-03", PeriodKind.VAT)
    assert plain.bookings == (approved,)
    assert plain.summary.not_approved == 1 and plain.summary.exported_before == 1
    assert plain.summary.excluded == 1
    codes = [w.code for w in plain.warnings]
    assert codes == ["export.not_approved", "export.exported_before"]
    message = plain.warnings[0].message
    assert "FV/44" in message and "nie jest jeszcze zatwierdzona" in message
    assert plain.warnings[0].ksef_number == open_one.ksef_number

    again = select(everything, "2026-03", PeriodKind.VAT, again=True)
    assert set(again.bookings) == {approved, exported}
    assert [w.code for w in again.warnings] == ["export.not_approved"]


def test_nothing_to_export_when_everything_was_exported_or_nothing_approved() -> None:
    exported = booking(1, 2, status=BookingStatus.EXPORTED, export_batch="4")
    assert select([exported], "2026-03", PeriodKind.VAT).nothing_to_export
    open_one = booking(1, 4, status=BookingStatus.PROPOSED)
    assert select([open_one], "2026-03", PeriodKind.VAT).nothing_to_export
    empty = select([], "2026-03", PeriodKind.VAT)  # a period with no bookings: its empty files are due
    assert not empty.nothing_to_export and empty.bookings == ()


def test_summary_sums_per_rate_and_group_with_deduction_applied() -> None:
    bookings = [
        _one_line(1, "23", "100.00", "23.00"),
        _one_line(2, "23", "200.00", "46.00", deduction=Deduction.HALF),
        _one_line(3, "8", "50.00", "4.00", deduction=Deduction.NONE),
        _one_line(4, "zw", "30.00", "0.00"),
        _one_line(5, "23", "-10.00", "-2.30", jpk_group=JpkGroup.CORRECTION_OTHER),
        _one_line(6, "5", "10.00", "0.50", deduction=Deduction.PROPORTION, deduction_pct=Decimal("76")),
    ]
    summary = summarize(bookings)  # type: ignore[arg-type]
    assert summary.count == 6
    assert summary.net == Decimal("380.00") and summary.vat == Decimal("71.20")
    assert summary.deductible == Decimal("23.00") + Decimal("23.00") + Decimal("-2.30") + Decimal("0.38")
    assert [s.key for s in summary.by_rate] == ["23", "8", "5", "zw"]
    rate23 = summary.by_rate[0]
    assert (rate23.lines, rate23.net, rate23.vat, rate23.deductible) == (
        3,
        Decimal("290.00"),
        Decimal("66.70"),
        Decimal("43.70"),
    )
    groups = {s.key: s for s in summary.by_group}
    assert set(groups) == {"other", "correction_other"}
    assert groups["correction_other"].net == Decimal("-10.00")

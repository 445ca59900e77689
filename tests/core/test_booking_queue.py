"""Queue steps on values: approve, exclude, reject, edit, undo; SLA age, order, the text filter and the
booking form's validation (issue 13 item 4)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from ksef_tui.core.booking_draft import BookingError
from ksef_tui.core.booking_queue import (
    age_hours,
    approve,
    edit,
    exclude,
    facts_of,
    parse_amount,
    past_sla,
    queue_sort_key,
    reject,
    text_matcher,
    undo,
    validate_booking,
)
from ksef_tui.core.bookings import BookingStatus, Deduction, QueueSettings
from tests.core.booking_helpers import SETTINGS, T0, booking, with_lines

D = Decimal
LATER = T0 + timedelta(hours=30)


def test_approve_stamps_who_and_when_and_keeps_before() -> None:
    a, b = booking(number="FV/1", status=BookingStatus.PROPOSED), booking(number="FV/2")
    d = approve([a, b], "anna", LATER)
    assert (d.action, d.by, d.at, d.before) == ("approve", "anna", LATER, (a, b))
    assert [(x.status, x.decided_by, x.decided_at) for x in d.after] == [
        (BookingStatus.APPROVED, "anna", LATER),
        (BookingStatus.APPROVED, "anna", LATER),
    ]
    assert [
        replace(x, status=y.status, decided_by="", decided_at=None)
        for x, y in zip(d.after, d.before, strict=True)
    ] == [a, b]


@pytest.mark.parametrize("status", [BookingStatus.APPROVED, BookingStatus.EXPORTED, BookingStatus.EXCLUDED])
def test_approve_refuses_decided_bookings_all_or_nothing(status: BookingStatus) -> None:
    with pytest.raises(BookingError, match="nie można zatwierdzić"):
        approve([booking(number="ok"), booking(number="FV/9", status=status)], "anna", T0)


def test_approve_refuses_a_foreign_booking_without_a_rate_and_duplicates() -> None:
    with pytest.raises(BookingError, match="bez kursu waluty"):
        approve([booking(currency="EUR")], "anna", T0)
    assert (
        approve([booking(currency="EUR", fx_rate=D("4.3"))], "anna", T0).after[0].status
        is BookingStatus.APPROVED
    )
    with pytest.raises(BookingError, match="dwa razy"):
        approve([booking(), booking()], "anna", T0)


def test_exclude_needs_a_reason_and_never_an_exported_booking() -> None:
    d = exclude([booking()], "  zakup   prywatny ", "anna", T0)
    assert (d.after[0].status, d.after[0].excluded_reason) == (BookingStatus.EXCLUDED, "zakup prywatny")
    with pytest.raises(BookingError, match="dlaczego"):
        exclude([booking()], " ", "anna", T0)
    with pytest.raises(BookingError, match="nie można wyłączyć"):
        exclude([booking(status=BookingStatus.EXPORTED)], "x", "anna", T0)


def test_reject_sends_back_for_review_and_clears_the_decision() -> None:
    approved = approve([booking()], "anna", T0).after[0]
    d = reject([approved], "ewa", LATER)
    after = d.after[0]
    assert (after.status, after.decided_by, after.decided_at, after.excluded_reason) == (
        BookingStatus.NEEDS_REVIEW,
        "",
        None,
        "",
    )
    with pytest.raises(BookingError, match="odesłać do przejrzenia"):
        reject([booking(status=BookingStatus.EXPORTED)], "ewa", T0)


def test_undo_restores_exactly_the_state_before() -> None:
    before = (booking(number="A"), booking(number="B", status=BookingStatus.PROPOSED))
    for d in (
        approve(before, "anna", T0),
        exclude(before, "prywatne", "anna", T0),
        reject(before[1:], "anna", T0),
    ):
        assert undo(d) == d.before
        assert undo(d, current=d.after) == d.before


def test_undo_refuses_when_a_booking_changed_since() -> None:
    d = approve([booking()], "anna", T0)
    later = reject(d.after, "ewa", LATER).after
    with pytest.raises(BookingError, match="zmieniła się po tym kroku"):
        undo(d, current=later)


def test_edit_keeps_the_invoice_amounts_and_validates() -> None:
    b = booking(nets=("100.00", "50.00"))
    moved = replace(b, lines=(replace(b.lines[0], net=D("90.00")), replace(b.lines[1], net=D("60.00"))))
    d = edit(
        b, replace(with_lines(moved, deduction=Deduction.HALF), status=BookingStatus.APPROVED), "anna", T0
    )
    assert (d.action, d.after[0].decided_by, d.after[0].decided_at) == ("edit", "anna", T0)
    with pytest.raises(BookingError, match=r"Suma netto pozycji musi wynosić 150\.00"):
        edit(b, replace(b, lines=(replace(b.lines[0], net=D("99.00")), b.lines[1])), "anna", T0)
    with pytest.raises(BookingError, match="proporcja"):
        edit(b, with_lines(b, deduction=Deduction.PROPORTION, deduction_pct=None), "anna", T0)
    with pytest.raises(BookingError, match="inną fakturę"):
        edit(b, replace(b, ksef_number="OTHER"), "anna", T0)
    with pytest.raises(BookingError, match="nie można edytować"):
        exported = replace(b, status=BookingStatus.EXPORTED)
        edit(exported, exported, "anna", T0)


def test_a_foreign_booking_without_a_rate_takes_the_pln_amounts_typed() -> None:
    b = booking(currency="EUR")
    typed = replace(b, fx_rate=D("4.2811"), lines=(replace(b.lines[0], net=D("428.11"), vat=D("98.47")),))
    assert edit(b, typed, "anna", T0).after[0].lines[0].net == D("428.11")


def test_validation_messages_as_you_type() -> None:
    b = booking()
    assert validate_booking(b) == []
    bad = replace(
        with_lines(b, cost_share_pct=120),
        vat_period="2026-13",
        vat_register=" ",
    )
    assert validate_booking(bad) == [
        "Okres VAT: oczekiwano RRRR-MM, np. 2026-03.",
        "Wybierz rejestr VAT.",
        "Pozycja 1: udział w kosztach podatkowych musi wynosić od 0 do 100 %.",
    ]
    assert validate_booking(replace(b, lines=())) == ["Dekret musi mieć co najmniej jedną pozycję."]


# ------------------------------------------------------------------------------------------------
# age, SLA, order


def test_age_and_sla() -> None:
    b = booking()
    assert age_hours(b, LATER) == 30.0
    assert past_sla(b, LATER, SETTINGS)  # 30 h > 24 h
    assert not past_sla(b, T0 + timedelta(hours=24), SETTINGS)
    assert not past_sla(b, LATER, QueueSettings(sla_hours=48))
    assert not past_sla(replace(b, status=BookingStatus.APPROVED), LATER, SETTINGS)
    assert age_hours(replace(b, queued_at=None), LATER) == 0.0
    assert age_hours(b, T0 - timedelta(hours=1)) == 0.0


def test_oldest_first_then_client_then_number_unqueued_last() -> None:
    old = booking(number="Z", client_id=2, queued_at=T0 - timedelta(days=2))
    new_a = booking(number="A", client_id=2)
    new_b = booking(number="B", client_id=1)
    unqueued = booking(number="0", queued_at=None)
    assert sorted([unqueued, new_a, old, new_b], key=queue_sort_key) == [old, new_b, new_a, unqueued]


# ------------------------------------------------------------------------------------------------
# the text filter


@pytest.mark.parametrize(
    "text",
    [
        "stacja",
        "AUTOSTRADA",
        "7934628101",
        "793-462-81-01",
        "PL 793 462 81 01",
        "PL7934628101",
        "46281",
        "FV/77",
        "7934628101-20260310",
        "1 234,56",
        "1234.56",
        "1.234,56",
        "1234,56",
        "1 003,71",  # the net total
        "stacja 1 234,56",
    ],
)
def test_the_filter_finds_by_seller_nip_number_and_amount(text: str) -> None:
    b = replace(booking(number="FV/77", nets=("1003.71",)), gross=D("1234.56"))
    assert text_matcher(text)(facts_of(b))


@pytest.mark.parametrize("text", ["orlen", "1234", "1 234,57", "5260250274", "stacja 999,00", "FV/78"])
def test_the_filter_leaves_out_what_does_not_match(text: str) -> None:
    b = replace(booking(number="FV/77", nets=("1003.71",)), gross=D("1234.56"))
    assert not text_matcher(text)(facts_of(b))


def test_empty_filter_matches_everything() -> None:
    assert text_matcher("  ")(facts_of(booking()))


@pytest.mark.parametrize(
    ("typed", "value"),
    [
        ("1 234,56", D("1234.56")),
        ("1234.56", D("1234.56")),
        ("1.234,56", D("1234.56")),
        ("1,234.56", D("1234.56")),
        ("1\u00a0234", D("1234")),
        ("-500,00", D("-500.00")),
        ("12,5", D("12.5")),
        ("1.234", None),
        ("abc", None),
        ("", None),
        ("1.2.3", None),
    ],
)
def test_amounts_as_typed(typed: str, value: Decimal | None) -> None:
    assert parse_amount(typed) == value

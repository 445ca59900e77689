"""The queue's words and the booking form's derived amounts (widgets/queue_table.py): ages, the proposal
in a few cells, the deductible VAT and the tax cost."""

from __future__ import annotations

from decimal import Decimal

from ksef_tui.core.bookings import BookingLine, BookingStatus, Deduction, KpirColumn, RuleTemplate
from ksef_tui.core.i18n import set_language
from ksef_tui.widgets.queue_table import age_words, deductible_vat, proposal_words, tax_cost, template_words

from .queue_helpers import morning, proposed


def test_ages_in_minutes_hours_then_days() -> None:
    assert [age_words(h) for h in (0.2, 1, 23.9, 47.9, 48, 24 * 9 + 5)] == [
        "12 min",
        "1 h",
        "23 h",
        "47 h",
        "2 dni",
        "9 dni",
    ]
    set_language("en")
    assert age_words(50) == "2 d"


def test_deductible_vat_and_tax_cost_per_deduction() -> None:
    line = BookingLine(1, "23", Decimal("393.17"), Decimal("90.43"))
    half = BookingLine(
        1, "23", Decimal("393.17"), Decimal("90.43"), deduction=Deduction.HALF, cost_share_pct=75
    )
    share = BookingLine(
        1,
        "23",
        Decimal("2480.00"),
        Decimal("570.40"),
        deduction=Deduction.PROPORTION,
        deduction_pct=Decimal(76),
    )
    none = BookingLine(1, "23", Decimal("100.00"), Decimal("23.00"), deduction=Deduction.NONE)
    correction = BookingLine(1, "23", Decimal("-444.35"), Decimal("-102.20"), deduction=Deduction.HALF)
    assert [deductible_vat(x) for x in (line, half, share, none, correction)] == [
        Decimal("90.43"),
        Decimal("45.22"),  # 45.215 rounded half up
        Decimal("433.50"),
        Decimal("0.00"),
        Decimal("-51.10"),
    ]
    assert tax_cost(line) == Decimal("393.17")
    assert tax_cost(half) == Decimal("328.79")  # (393.17 + 45.21) × 75 %
    assert tax_cost(none) == Decimal("123.00")


def test_the_proposal_in_a_few_cells() -> None:
    fuel = proposed(1, 2, hours=3, known=2)
    assert proposal_words(fuel, wide=False) == "ZAKUP-50·50%·poz.·409-01"
    assert proposal_words(fuel) == "ZAKUP-50 · 50% · poz. · 409-01"
    excluded = fuel.__class__(
        **{**fuel.__dict__, "status": BookingStatus.EXCLUDED, "excluded_reason": "prywatne"}
    )
    assert proposal_words(excluded) == "wykluczona: prywatne"
    review = morning([1])[-4]
    assert proposal_words(review, wide=False).endswith("·—")  # no account yet
    template = RuleTemplate(
        vat_register="ZAKUP",
        deduction=Deduction.PROPORTION,
        deduction_pct=Decimal("76.5"),
        kpir_column=KpirColumn.GOODS,
    )
    assert template_words(template) == "ZAKUP · VAT 76,5% · KPiR tow."

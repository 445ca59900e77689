"""Polish number formatting used by the invoice screen."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ksef_tui.core.money_format import (
    format_amount,
    format_bank_account,
    format_decimal,
    format_quantity,
)


@pytest.mark.parametrize(
    ("value", "currency", "expected"),
    [
        ("1234.56", "EUR", "1 234,56 EUR"),
        ("13560", "EUR", "13 560,00 EUR"),
        ("-500", "PLN", "-500,00 PLN"),
        ("-406.50", None, "-406,50"),
        ("0", "PLN", "0,00 PLN"),
        ("-0.00", "PLN", "0,00 PLN"),
        ("1000000", None, "1 000 000,00"),
        ("999.9", None, "999,90"),
        ("1829.2683", None, "1 829,2683"),  # more decimals than two are never rounded away
        ("0.5", None, "0,50"),
    ],
)
def test_format_amount(value: str, currency: str | None, expected: str) -> None:
    assert format_amount(Decimal(value), currency) == expected


def test_missing_amount() -> None:
    assert format_amount(None, "PLN") == "—"
    assert format_amount(None, missing="") == ""


@pytest.mark.parametrize(
    ("value", "expected"),
    [("2", "2"), ("1.5", "1,5"), ("4.4080", "4,4080"), ("12000", "12 000"), ("-3", "-3"), ("1E+3", "1 000")],
)
def test_format_quantity(value: str, expected: str) -> None:
    assert format_quantity(Decimal(value)) == expected


def test_format_quantity_missing() -> None:
    assert format_quantity(None) == ""


def test_format_decimal_min_places() -> None:
    assert format_decimal(Decimal("7"), min_places=3) == "7,000"
    assert format_decimal(Decimal("NaN")) == "NaN"


@pytest.mark.parametrize(
    ("number", "expected"),
    [
        ("73111111111111111111111111", "73 1111 1111 1111 1111 1111 1111"),
        ("PL73111111111111111111111111", "PL73 1111 1111 1111 1111 1111 1111"),
        ("DE89370400440532013000", "DE89 3704 0044 0532 0130 00"),
        ("12345", "1234 5"),
        ("", ""),
        (None, ""),
    ],
)
def test_format_bank_account(number: str | None, expected: str) -> None:
    assert format_bank_account(number) == expected

"""Polish-style number formatting for the screens: `1 234,56 EUR`, `4,4080`, `12 3456 ...` accounts.

Pure and without textual, so it is tested on its own. Amounts keep every digit the invoice gives (a unit
price of 1829.2683 stays 1 829,2683); only missing decimals are filled up to two, so nothing an
accountant might need to compare is rounded away.
"""

from __future__ import annotations

from decimal import Decimal

THOUSANDS = " "  # a plain space: it survives copy-paste from a terminal into a spreadsheet
DECIMAL = ","


def _group(digits: str) -> str:
    head = len(digits) % 3 or 3
    parts = [digits[:head]] + [digits[i : i + 3] for i in range(head, len(digits), 3)]
    return THOUSANDS.join(parts)


def format_decimal(value: Decimal, min_places: int = 0) -> str:
    """`Decimal("1234.5")` -> `1 234,5`; at least `min_places` decimals, never fewer than given."""
    if not value.is_finite():
        return str(value)
    sign, digits_tuple, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    places = max(-exponent, min_places, 0)
    text = f"{abs(value):.{places}f}"
    whole, _dot, frac = text.partition(".")
    out = _group(whole) + (DECIMAL + frac if frac else "")
    # "-0,00" would read as a debt of nothing; a negative zero prints as zero.
    if sign and any(d != 0 for d in digits_tuple):
        out = "-" + out
    return out


def format_amount(value: Decimal | None, currency: str | None = None, *, missing: str = "—") -> str:
    """An amount with two decimals (more when the invoice has them) and the currency after it."""
    if value is None:
        return missing
    text = format_decimal(value, min_places=2)
    return f"{text} {currency}" if currency else text


def format_quantity(value: Decimal | None, *, missing: str = "") -> str:
    """A quantity or a rate as written, trailing zeros kept (`4,4080`), Polish separators."""
    if value is None:
        return missing
    return format_decimal(value)


def format_bank_account(number: str | None) -> str:
    """A Polish NRB (26 digits) as `CC BBBB BBBB ...`; an IBAN or any other number in groups of four."""
    if not number:
        return ""
    raw = "".join(number.split()).upper()
    if len(raw) == 26 and raw.isdigit():
        return raw[:2] + " " + " ".join(raw[i : i + 4] for i in range(2, 26, 4))
    # An IBAN (country prefix included) is written in fours from the start.
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))

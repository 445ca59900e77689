"""Polish tax identification number (NIP): parsing, checksum, formatting."""

from __future__ import annotations

import random
import re

from ksef_tui.core.i18n import _

WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)
_SEPARATORS = re.compile(r"[\s\-]")


class InvalidNip(ValueError):
    """Raised with a plain-language (translated) explanation of what is wrong."""


def checksum_digit(first_nine: str) -> int | None:
    """The tenth digit for these nine digits, or None when no valid NIP starts with them."""
    total = sum(int(d) * w for d, w in zip(first_nine, WEIGHTS, strict=True)) % 11
    return None if total == 10 else total


def normalize_nip(raw: str) -> str:
    """Return the 10-digit NIP from `123-456-32-18`, `PL1234563218`, `123 456 32 18`, ...

    Raises InvalidNip with a reason an accountant understands.
    """
    text = _SEPARATORS.sub("", raw or "").upper()
    if text.startswith("PL"):
        text = text[2:]
    if not text:
        raise InvalidNip(_("NIP is empty."))
    if not text.isdigit() or not text.isascii():
        raise InvalidNip(_("NIP may contain only digits (and optionally the PL prefix, dashes, spaces)."))
    if len(text) != 10:
        raise InvalidNip(_("NIP must have 10 digits, this one has {n}.").format(n=len(text)))
    if text[0] == "0":
        raise InvalidNip(_("NIP cannot start with 0."))
    if text[1:3] == "00":
        # The API's NIP pattern (^[1-9]((\d[1-9])|([1-9]\d))\d{7}$): no tax office code ends in 00.
        raise InvalidNip(_("NIP does not begin with a valid tax office code."))
    expected = checksum_digit(text[:9])
    if expected is None or expected != int(text[9]):
        raise InvalidNip(_("NIP checksum does not match: check the digits for a typo."))
    return text


def is_valid_nip(raw: str) -> bool:
    try:
        normalize_nip(raw)
    except InvalidNip:
        return False
    return True


def format_nip(nip: str) -> str:
    """`1234563218` -> `123-456-32-18` (the usual Polish grouping)."""
    if len(nip) != 10:
        return nip
    return f"{nip[:3]}-{nip[3:6]}-{nip[6:8]}-{nip[8:]}"


def random_nip(rng: random.Random, used: set[str]) -> str:
    """A valid NIP not in `used` (and added to it), drawn from `rng`: for the demo cast and the
    simulator's world. It fits the API's pattern too: no tax-office code ends in 00."""
    while True:
        office = rng.randint(101, 999)
        if office % 100 == 0:
            continue
        head = f"{office}{rng.randint(0, 999999):06d}"
        digit = checksum_digit(head)
        if digit is None:
            continue
        nip = head + str(digit)
        if nip not in used:
            used.add(nip)
            return nip

"""KSeF invoice number: `NNNNNNNNNN-YYYYMMDD-HHHHHHHHHHHH-CC` with a CRC-8 check (API-NOTES §18)."""

from __future__ import annotations

import re

from ksef_tui.core.i18n import _

# The API's KsefNumber pattern; it also admits the 36-character KSeF 1.0 form (no CRC check for those).
PATTERN = re.compile(
    r"^([1-9](\d[1-9]|[1-9]\d)\d{7})-(20[2-9][0-9]|2[1-9]\d{2}|[3-9]\d{3})(0[1-9]|1[0-2])"
    r"(0[1-9]|[12]\d|3[01])-([0-9A-F]{6})-?([0-9A-F]{6})-([0-9A-F]{2})$"
)


class InvalidKsefNumber(ValueError):
    pass


def _crc8_of_byte(value: int) -> int:
    """CRC-8 (polynomial 0x07) of one byte, bit by bit: the table's entries."""
    crc = value
    for _bit in range(8):
        crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


# Table-driven: a package of 10,000 purchases checks 30,000 numbers (benchmarks/bench_purchase_sync.py).
_CRC8_TABLE = bytes(_crc8_of_byte(i) for i in range(256))


def crc8(data: bytes) -> int:
    """CRC-8, polynomial 0x07, init 0x00, no reflection, no xorout."""
    crc = 0
    table = _CRC8_TABLE
    for byte in data:
        crc = table[crc ^ byte]
    return crc


def checksum(first_32: str) -> str:
    return f"{crc8(first_32.encode('utf-8')):02X}"


def normalize_ksef_number(raw: str) -> str:
    """Validate a KSeF number; return it stripped and upper-cased.

    35-character (KSeF 2.0) numbers must carry a correct CRC-8; 36-character KSeF 1.0 numbers are
    accepted on the pattern alone, as the API does.
    """
    text = (raw or "").strip().upper()
    if not PATTERN.match(text):
        raise InvalidKsefNumber(_("Not a KSeF number (expected NIP-YYYYMMDD-XXXXXXXXXXXX-CC)."))
    if len(text) == 35 and checksum(text[:32]) != text[33:]:
        raise InvalidKsefNumber(_("KSeF number checksum does not match: check for a typo."))
    return text


def is_valid_ksef_number(raw: str) -> bool:
    try:
        normalize_ksef_number(raw)
    except InvalidKsefNumber:
        return False
    return True


def make_ksef_number(nip: str, yyyymmdd: str, hex12: str) -> str:
    """Build a valid 35-character KSeF number (used by the simulator and tests)."""
    head = f"{nip}-{yyyymmdd}-{hex12.upper()}"
    return f"{head}-{checksum(head)}"

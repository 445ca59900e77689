"""KSeF reference numbers and other identifiers the simulator mints.

Reference numbers look like `20250625-SO-2C3E6C8000-B675CF5D68-07` (API-NOTES §2). The last two hex
digits match CRC-8 of the first 33 characters in the spec's examples, so we mint them that way: a
client that (wrongly) checks it will not trip on ours.
"""

from __future__ import annotations

import base64
import hashlib
import random
from datetime import datetime

from ksef_tui.core.ksef_number import crc8

HEX = "0123456789ABCDEF"
# core.ksef_number.crc8 (poly 0x07, init 0, unreflected) a byte at a time: the world mints thousands.
_CRC8 = [crc8(bytes([i])) for i in range(256)]


def checksum(text: str) -> str:
    """core.ksef_number.checksum, table-driven."""
    crc = 0
    for byte in text.encode("utf-8"):
        crc = _CRC8[crc ^ byte]
    return f"{crc:02X}"


def make_ksef_number(nip: str, yyyymmdd: str, hex12: str) -> str:
    head = f"{nip}-{yyyymmdd}-{hex12.upper()}"
    return f"{head}-{checksum(head)}"


def hex_digits(rng: random.Random, n: int) -> str:
    return "".join(rng.choice(HEX) for _ in range(n))


def reference(rng: random.Random, when: datetime, infix: str) -> str:
    head = f"{when:%Y%m%d}-{infix}-{hex_digits(rng, 10)}-{hex_digits(rng, 10)}"
    return f"{head}-{checksum(head)}"


def ksef_number(rng: random.Random, seller_nip: str, when: datetime) -> str:
    # Real numbers start with an instance prefix ("01"/"02"); keep that look.
    return make_ksef_number(seller_nip, f"{when:%Y%m%d}", rng.choice(("01", "02")) + hex_digits(rng, 10))


def purchase_ksef_number(rng: random.Random, seller_nip: str, when: datetime) -> str:
    """Like `ksef_number`, with the random part drawn in one call (arrivals.py mints thousands)."""
    return make_ksef_number(seller_nip, f"{when:%Y%m%d}", f"0{rng.randint(1, 2)}{rng.getrandbits(40):010X}")


def sha256_b64(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def iso(dt: datetime) -> str:
    """ISO-8601 with offset and milliseconds, the way KSeF writes timestamps."""
    return dt.isoformat(timespec="milliseconds")

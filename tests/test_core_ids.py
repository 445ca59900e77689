"""NIP and KSeF number: examples and Hypothesis properties."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from ksef_tui.core.ksef_number import (
    InvalidKsefNumber,
    crc8,
    is_valid_ksef_number,
    make_ksef_number,
    normalize_ksef_number,
)
from ksef_tui.core.nip import InvalidNip, checksum_digit, format_nip, is_valid_nip, normalize_nip

nine_digits = st.text(alphabet="0123456789", min_size=9, max_size=9).filter(
    lambda s: s[0] != "0" and s[1:3] != "00"
)


@st.composite
def valid_nips(draw) -> str:
    head = draw(nine_digits.filter(lambda s: checksum_digit(s) is not None))
    return head + str(checksum_digit(head))


@pytest.mark.parametrize("raw", ["123-456-32-18", "PL1234563218", "123 456 32 18", " pl 1234563218 "])
def test_nip_accepts_usual_spellings(raw: str) -> None:
    assert normalize_nip(raw) == "1234563218"


@pytest.mark.parametrize(
    "raw", ["", "123456321", "12345632189", "1234563219", "12345a3218", "0234563218", "1004563218"]
)
def test_nip_rejects_with_a_message(raw: str) -> None:
    with pytest.raises(InvalidNip) as err:
        normalize_nip(raw)
    assert "NIP" in str(err.value)  # a reason, not an empty error


@given(valid_nips())
def test_valid_nip_roundtrips_through_format(nip: str) -> None:
    assert normalize_nip(format_nip(nip)) == nip
    assert normalize_nip("PL" + nip) == nip


@given(valid_nips(), st.integers(min_value=0, max_value=9), st.integers(min_value=1, max_value=9))
def test_single_digit_change_breaks_nip_checksum(nip: str, pos: int, bump: int) -> None:
    digits = list(nip)
    digits[pos] = str((int(digits[pos]) + bump) % 10)
    changed = "".join(digits)
    assume(changed[0] != "0" and changed[1:3] != "00")
    # The weights (6,5,7,2,3,4,5,6,7,1) are all non-zero and coprime to 11, so any single-digit change
    # alters the sum mod 11: it can never still be valid.
    assert not is_valid_nip(changed)


def test_ksef_numbers_from_official_material() -> None:
    for n in ("5265877635-20250826-0100001AF629-AF", "5265877635-20250916-0200A0D6723E-C2"):
        assert normalize_ksef_number(n.lower()) == n


def test_ksef_number_bad_crc_rejected() -> None:
    with pytest.raises(InvalidKsefNumber):
        normalize_ksef_number("5265877635-20250826-0100001AF629-AE")


def test_ksef_1_0_number_accepted_without_crc() -> None:
    assert is_valid_ksef_number("5265877635-20211206-A1B2C3-D4E5F6-00")


def test_crc8_known_vector() -> None:
    # CRC-8/SMBUS (poly 0x07, init 0) check value for "123456789".
    assert crc8(b"123456789") == 0xF4


def _crc8_bitwise(data: bytes) -> int:
    crc = 0
    for byte in data:
        crc ^= byte
        for _bit in range(8):
            crc = ((crc << 1) ^ 0x07) & 0xFF if crc & 0x80 else (crc << 1) & 0xFF
    return crc


@given(st.binary(max_size=64))
def test_crc8_table_equals_the_bitwise_definition(data: bytes) -> None:
    assert crc8(data) == _crc8_bitwise(data)
    assert all(crc8(bytes([i])) == _crc8_bitwise(bytes([i])) for i in range(256))


@given(
    valid_nips(),
    st.dates(min_value=__import__("datetime").date(2026, 1, 1)),
    st.text(alphabet="0123456789ABCDEF", min_size=12, max_size=12),
)
def test_generated_ksef_numbers_validate_and_any_flip_fails(nip, day, hex12) -> None:
    number = make_ksef_number(nip, day.strftime("%Y%m%d"), hex12)
    assert len(number) == 35 and is_valid_ksef_number(number)
    # Changing one hex character of the random part must break the CRC (CRC-8 detects all single-byte errors).
    i = 20
    flipped = number[:i] + ("0" if number[i] != "0" else "1") + number[i + 1 :]
    assert not is_valid_ksef_number(flipped)

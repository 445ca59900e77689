"""The sealing and blind-index primitives on their own."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from nacl.bindings import crypto_aead_xchacha20poly1305_ietf_decrypt

from ksef_tui.store import sealing
from ksef_tui.store.blind_index import blind_index, normalise_nip
from ksef_tui.store.sealing import SealBroken, SecretKey, associated_data, seal, unseal

KEY = SecretKey(bytes(range(1, 33)))


@settings(max_examples=200, deadline=None)
@given(
    plain=st.binary(max_size=300),
    table=st.sampled_from(["clients", "credentials"]),
    row=st.integers(1, 10**6),
)
def test_round_trip_and_binding(plain: bytes, table: str, row: int) -> None:
    ad = associated_data(table, row, "name")
    blob = seal(KEY, plain, ad)
    assert blob[:1] == sealing.FORMAT_V1 and len(blob) == 1 + 24 + len(plain) + 16
    assert unseal(KEY, blob, ad) == plain
    # The fast path agrees with pynacl's public binding.
    assert crypto_aead_xchacha20poly1305_ietf_decrypt(blob[25:], ad, blob[1:25], KEY.material()) == plain
    for wrong_ad in (associated_data(table, row + 1, "name"), associated_data(table, row, "notes")):
        with pytest.raises(SealBroken):
            unseal(KEY, blob, wrong_ad)
    with pytest.raises(SealBroken):
        unseal(SecretKey.random(), blob, ad)
    flipped = bytearray(blob)
    flipped[len(blob) // 2] ^= 0x40
    with pytest.raises(SealBroken):
        unseal(KEY, bytes(flipped), ad)


def test_fresh_nonce_every_time() -> None:
    assert seal(KEY, b"x", b"a") != seal(KEY, b"x", b"a")


# Fixed bytes, not random ones: a parameter is part of the test's id, which must be the same in every
# run (and in every pytest-xdist worker, which each collect the tests).
UNKNOWN_VERSION_BLOB = b"\x02" + bytes((n * 37 + 11) % 256 for n in range(60))


@pytest.mark.parametrize(
    "blob",
    [None, b"", b"\x01" + b"\x00" * 39, UNKNOWN_VERSION_BLOB],
    ids=["none", "empty", "zeros", "version-2"],
)
def test_malformed_blobs_are_damage_not_crashes(blob: bytes | None) -> None:
    with pytest.raises(SealBroken):
        unseal(KEY, blob, b"a")


def test_wiped_key_cannot_be_used_and_hides_in_repr() -> None:
    key = SecretKey.random()
    assert repr(key) == "SecretKey(••••)"
    key.wipe()
    with pytest.raises(RuntimeError):
        key.material()


def test_blind_index_is_keyed_domain_separated_and_normalised() -> None:
    other = SecretKey.random()
    nip = normalise_nip("PL 526-025-02-74")
    assert nip == "5260250274"
    digest = blind_index(KEY, "nip", nip)
    assert len(digest) == 16
    assert digest == blind_index(KEY, "nip", normalise_nip("5260250274"))
    assert digest != blind_index(other, "nip", nip)
    assert digest != blind_index(KEY, "short_code", nip)

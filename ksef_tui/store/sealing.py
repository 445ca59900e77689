"""XChaCha20-Poly1305 (IETF AEAD) sealing, bound to where the value lives.

A sealed value is `version(1) | nonce(24) | ciphertext+tag`. The associated data names the table, the
row and the column (`b"clients|17|name"`), so a sealed value copied to another row or column no longer
authenticates: the store reports it as damaged instead of showing the wrong data.
"""

from __future__ import annotations

import nacl.exceptions
import nacl.utils
from nacl.bindings import (
    crypto_aead_xchacha20poly1305_ietf_decrypt,
    crypto_aead_xchacha20poly1305_ietf_encrypt,
    crypto_aead_xchacha20poly1305_ietf_KEYBYTES,
    crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
)

try:
    # The same libsodium function, called without pynacl's Python-level argument checks, which cost
    # twice the decryption itself; the board opens ~15 000 values for 500 clients. Our arguments
    # are checked once here instead. Falls back to the public binding if pynacl changes its layout.
    from nacl._sodium import ffi as _ffi  # type: ignore[import-not-found]  # cffi extension, no stub in pynacl
    from nacl._sodium import lib as _lib
except ImportError:  # pragma: no cover
    _ffi = _lib = None

FORMAT_V1 = b"\x01"  # a leading version byte lets a later release change the algorithm row by row
KEY_BYTES = crypto_aead_xchacha20poly1305_ietf_KEYBYTES
NONCE_BYTES = crypto_aead_xchacha20poly1305_ietf_NPUBBYTES


class SealBroken(Exception):
    """Internal: the value did not authenticate (wrong key, moved, or tampered). Callers translate it
    into WrongPassphrase or a DamagedValue; it never leaves the store package."""


class SecretKey:
    """A key held in a bytearray so it can be zeroed when the store locks (best effort: libsodium's
    Python binding takes `bytes`, so short-lived copies exist while a value is being sealed)."""

    __slots__ = ("_buf",)

    def __init__(self, material: bytes | bytearray) -> None:
        if len(material) != KEY_BYTES:
            raise ValueError("a key must be 32 bytes")
        self._buf = bytearray(material)

    @classmethod
    def random(cls) -> SecretKey:
        return cls(nacl.utils.random(KEY_BYTES))

    def material(self) -> bytes:
        if not any(self._buf):
            # A wiped key must never be used: it would seal with an all-zero key.
            raise RuntimeError("key used after wipe")
        return bytes(self._buf)

    def wipe(self) -> None:
        for i in range(len(self._buf)):
            self._buf[i] = 0

    def __repr__(self) -> str:
        return "SecretKey(••••)"


def associated_data(table: str, row_id: int | str, column: str) -> bytes:
    return f"{table}|{row_id}|{column}".encode()


def seal(key: SecretKey, plaintext: bytes, ad: bytes) -> bytes:
    nonce = nacl.utils.random(NONCE_BYTES)
    return (
        FORMAT_V1 + nonce + crypto_aead_xchacha20poly1305_ietf_encrypt(plaintext, ad, nonce, key.material())
    )


TAG_BYTES = 16


def unseal(key: SecretKey, blob: bytes | None, ad: bytes) -> bytes:
    if not isinstance(blob, bytes) or len(blob) < 1 + NONCE_BYTES + TAG_BYTES or blob[:1] != FORMAT_V1:
        raise SealBroken
    if _lib is not None:
        return _fast_decrypt(blob[1 + NONCE_BYTES :], ad, blob[1 : 1 + NONCE_BYTES], key.material())
    try:
        return crypto_aead_xchacha20poly1305_ietf_decrypt(
            blob[1 + NONCE_BYTES :], ad, blob[1 : 1 + NONCE_BYTES], key.material()
        )
    except nacl.exceptions.CryptoError:
        raise SealBroken from None


def verify(key: SecretKey, blob: bytes | None, ad: bytes) -> bool:
    """Whether the value authenticates, without handing its plaintext to Python: the board checks
    that a credential's secret is intact without holding the secret. With libsodium's own function
    the plaintext lands in a C buffer that is zeroed at once; the fallback decrypts and drops it."""
    if not isinstance(blob, bytes) or len(blob) < 1 + NONCE_BYTES + TAG_BYTES or blob[:1] != FORMAT_V1:
        return False
    ciphertext, nonce = blob[1 + NONCE_BYTES :], blob[1 : 1 + NONCE_BYTES]
    if _lib is None:
        try:
            crypto_aead_xchacha20poly1305_ietf_decrypt(ciphertext, ad, nonce, key.material())
        except nacl.exceptions.CryptoError:
            return False
        return True
    assert _ffi is not None
    length = max(len(ciphertext) - TAG_BYTES, 1)
    message = _ffi.new("unsigned char[]", length)
    message_len = _ffi.new("unsigned long long *")
    try:
        rc = _lib.crypto_aead_xchacha20poly1305_ietf_decrypt(
            message, message_len, _ffi.NULL, ciphertext, len(ciphertext), ad, len(ad), nonce, key.material()
        )
    finally:
        _lib.sodium_memzero(message, length)
    return bool(rc == 0)


def _fast_decrypt(ciphertext: bytes, ad: bytes, nonce: bytes, key: bytes) -> bytes:
    assert _ffi is not None and _lib is not None
    length = len(ciphertext) - TAG_BYTES
    message = _ffi.new("unsigned char[]", max(length, 1))
    message_len = _ffi.new("unsigned long long *")
    rc = _lib.crypto_aead_xchacha20poly1305_ietf_decrypt(
        message, message_len, _ffi.NULL, ciphertext, len(ciphertext), ad, len(ad), nonce, key
    )
    if rc != 0:
        raise SealBroken
    return bytes(_ffi.buffer(message, message_len[0]))

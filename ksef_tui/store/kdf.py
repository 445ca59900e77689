"""Passphrase -> key-encryption key, with Argon2id (libsodium `crypto_pwhash`)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import ClassVar

from nacl.pwhash import argon2id

KEY_BYTES = 32
SALT_BYTES = argon2id.SALTBYTES


@dataclass(frozen=True)
class KdfLimits:
    """Argon2id cost. Production uses MODERATE; only tests pass FAST_FOR_TESTS, and they must say so."""

    opslimit: int
    memlimit: int

    MODERATE: ClassVar[KdfLimits]
    INTERACTIVE: ClassVar[KdfLimits]
    SENSITIVE: ClassVar[KdfLimits]
    FAST_FOR_TESTS: ClassVar[KdfLimits]

    def is_sane(self) -> bool:
        """Limits read back from a key slot must be ones libsodium accepts and we could afford; a
        tampered slot asking for 1 TiB of memory should fail cleanly, not exhaust the machine."""
        return (
            argon2id.OPSLIMIT_MIN <= self.opslimit <= argon2id.OPSLIMIT_SENSITIVE * 4
            and argon2id.MEMLIMIT_MIN <= self.memlimit <= argon2id.MEMLIMIT_SENSITIVE * 4
        )


KdfLimits.MODERATE = KdfLimits(argon2id.OPSLIMIT_MODERATE, argon2id.MEMLIMIT_MODERATE)
KdfLimits.INTERACTIVE = KdfLimits(argon2id.OPSLIMIT_INTERACTIVE, argon2id.MEMLIMIT_INTERACTIVE)
KdfLimits.SENSITIVE = KdfLimits(argon2id.OPSLIMIT_SENSITIVE, argon2id.MEMLIMIT_SENSITIVE)
KdfLimits.FAST_FOR_TESTS = KdfLimits(argon2id.OPSLIMIT_MIN, argon2id.MEMLIMIT_MIN)


def passphrase_bytes(passphrase: str) -> bytes:
    """NFC first: "ó" typed as one code point or as "o" + combining accent must be the same passphrase."""
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


def derive_kek(passphrase: str, salt: bytes, limits: KdfLimits) -> bytes:
    return argon2id.kdf(KEY_BYTES, passphrase_bytes(passphrase), salt, limits.opslimit, limits.memlimit)

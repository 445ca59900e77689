"""Passphrase -> key-encryption key, with Argon2id (libsodium `crypto_pwhash`)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import ClassVar

from nacl.pwhash import argon2id

KEY_BYTES = 32
SALT_BYTES = argon2id.SALTBYTES
# The most a slot may ask for: what Store.create uses (DESIGN.md, "libsodium's MODERATE limits").
MAX_OPSLIMIT = argon2id.OPSLIMIT_MODERATE
MAX_MEMLIMIT = argon2id.MEMLIMIT_MODERATE


@dataclass(frozen=True)
class KdfLimits:
    """Argon2id cost. Production uses MODERATE; only tests pass FAST_FOR_TESTS, and they must say so."""

    opslimit: int
    memlimit: int

    MODERATE: ClassVar[KdfLimits]
    INTERACTIVE: ClassVar[KdfLimits]
    FAST_FOR_TESTS: ClassVar[KdfLimits]

    def is_sane(self) -> bool:
        """Limits read back from a key slot must be ones we could have written: libsodium's minimum up
        to MODERATE, the most `Store.create` ever uses. A tampered slot asking for SENSITIVE x 4 would
        cost ~1 minute and 4 GiB per unlock attempt; it is refused as damage instead, before any
        derivation runs. Plain ints only (SQLite would hand back whatever type a tamperer stored)."""
        ops, mem = self.opslimit, self.memlimit
        return (
            type(ops) is int
            and type(mem) is int
            and argon2id.OPSLIMIT_MIN <= ops <= MAX_OPSLIMIT
            and argon2id.MEMLIMIT_MIN <= mem <= MAX_MEMLIMIT
        )


KdfLimits.MODERATE = KdfLimits(argon2id.OPSLIMIT_MODERATE, argon2id.MEMLIMIT_MODERATE)
KdfLimits.INTERACTIVE = KdfLimits(argon2id.OPSLIMIT_INTERACTIVE, argon2id.MEMLIMIT_INTERACTIVE)
KdfLimits.FAST_FOR_TESTS = KdfLimits(argon2id.OPSLIMIT_MIN, argon2id.MEMLIMIT_MIN)


def passphrase_bytes(passphrase: str) -> bytes:
    """NFC first: "ó" typed as one code point or as "o" + combining accent must be the same passphrase."""
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


def derive_kek(passphrase: str, salt: bytes, limits: KdfLimits) -> bytes:
    return argon2id.kdf(KEY_BYTES, passphrase_bytes(passphrase), salt, limits.opslimit, limits.memlimit)

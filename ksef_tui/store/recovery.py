"""The recovery key: 256 random bits shown once as 24 words, never stored (issue 15 item 4).

The words come from a list of 2048 made here, deterministically, rather than BIP-39's English list:
Polish offices write them down by hand and read them back over the phone, so each word is a five-letter
consonant-vowel-consonant-vowel-consonant syllable pair spelled exactly as it sounds in Polish, from
plain ASCII letters only (no ą/ę/ł, no q/v/x/y), and the first four letters alone identify a word (typing
"kadu" is enough for "kadum"). Encoding is BIP-39's: 256 bits of entropy + the first 8 bits of their
SHA-256 as a checksum = 264 bits = 24 words of 11 bits, so a mistyped word is caught before any key
derivation runs. The list must never change (a recovery key written down today must open the store in
ten years): tests/store/test_recovery.py pins its digest.
"""

from __future__ import annotations

import hashlib
import secrets
from functools import cache

from ksef_tui.core.i18n import _
from ksef_tui.store.errors import StoreError

WORD_COUNT = 24
ENTROPY_BYTES = 32
_CONSONANTS = "bdfgklmnprstwz"  # 14: read the same way in Polish and in English spelling alphabets
_VOWELS = "aeiou"
# Prefixes left out of the list: a handful of Polish vulgarisms a pseudo-word could spell.
_AVOID = frozenset({"dupa", "kuta", "suka", "pizd", "jeba", "kurw", "pede", "zasr", "sram", "gowa"})


class WrongRecoveryWords(StoreError):
    """The words are not a recovery key: an unknown word (its position said), the wrong number of
    words, or a checksum that does not match (a word swapped or mistyped into another list word)."""


@cache
def word_list() -> tuple[str, ...]:
    """2048 words, one per four-letter prefix, in a fixed pseudo-random order (BLAKE2b of the prefix)."""
    prefixes = [
        c1 + v1 + c2 + v2
        for c1 in _CONSONANTS
        for v1 in _VOWELS
        for c2 in _CONSONANTS
        for v2 in _VOWELS
        if c1 + v1 + c2 + v2 not in _AVOID
    ]
    prefixes.sort(key=lambda p: hashlib.blake2b(p.encode(), digest_size=8, person=b"ksef-tui-words").digest())
    words = []
    for prefix in prefixes[:2048]:
        tail = hashlib.blake2b(prefix.encode(), digest_size=1, person=b"ksef-tui-tail").digest()[0]
        words.append(prefix + _CONSONANTS[tail % len(_CONSONANTS)])
    return tuple(words)


@cache
def _by_prefix() -> dict[str, int]:
    return {word[:4]: number for number, word in enumerate(word_list())}


def new_entropy() -> bytes:
    return secrets.token_bytes(ENTROPY_BYTES)


def to_words(entropy: bytes) -> list[str]:
    if len(entropy) != ENTROPY_BYTES:
        raise ValueError("recovery entropy must be 32 bytes")
    bits = int.from_bytes(entropy + hashlib.sha256(entropy).digest()[:1], "big")
    words = word_list()
    return [words[(bits >> (11 * (WORD_COUNT - 1 - i))) & 0x7FF] for i in range(WORD_COUNT)]


def from_words(text: str) -> bytes:
    """The entropy the words encode. Case, spacing, numbering ("1. kadum") and anything past a word's
    fourth letter are forgiven; WrongRecoveryWords (in Polish, naming the word) for anything else."""
    tokens = [t for t in text.replace(",", " ").split() if not t.rstrip(".)").isdigit()]
    if len(tokens) != WORD_COUNT:
        raise WrongRecoveryWords(
            _("A recovery key has {expected} words; {found} were given.").format(
                expected=WORD_COUNT, found=len(tokens)
            )
        )
    index = _by_prefix()
    bits = 0
    for position, token in enumerate(tokens, start=1):
        number = index.get(token.lower()[:4])
        if number is None or len(token) < 4:
            raise WrongRecoveryWords(
                _("Word {position} ({word}) is not on the recovery word list.").format(
                    position=position, word=token
                )
            )
        bits = (bits << 11) | number
    raw = bits.to_bytes(ENTROPY_BYTES + 1, "big")
    entropy, checksum = raw[:ENTROPY_BYTES], raw[ENTROPY_BYTES:]
    if hashlib.sha256(entropy).digest()[:1] != checksum:
        raise WrongRecoveryWords(
            _("These words are not a valid recovery key: check them against the printout, word by word.")
        )
    return entropy


def kdf_input(entropy: bytes) -> str:
    """What the recovery slot's Argon2id gets in place of a passphrase (the slot code is shared)."""
    return "recovery:" + entropy.hex()

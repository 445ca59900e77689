"""A passphrase strength hint: rough, honest, and in words."""

from __future__ import annotations

import math
import string
from dataclasses import dataclass

from ksef_tui.core.i18n import _

MIN_LENGTH = 8


@dataclass(frozen=True)
class Strength:
    bits: float
    words: str


def strength(passphrase: str) -> Strength:
    """Estimate entropy from length and character classes; penalise repeats. A hint, not a guarantee."""
    pool = 0
    if any(c in string.ascii_lowercase for c in passphrase):
        pool += 26
    if any(c in string.ascii_uppercase for c in passphrase):
        pool += 26
    if any(c in string.digits for c in passphrase):
        pool += 10
    if any(not c.isascii() or c in string.punctuation or c == " " for c in passphrase):
        pool += 33
    distinct = len(set(passphrase))
    bits = distinct * math.log2(pool) if pool else 0.0
    bits += (len(passphrase) - distinct) * 1.0  # repeats add little
    if len(passphrase) < MIN_LENGTH:
        words = _("Too short: at least {n} characters.").format(n=MIN_LENGTH)
    elif bits < 40:
        words = _("Weak: add more words or characters.")
    elif bits < 60:
        words = _("Fair: a few more words would make it strong.")
    else:
        words = _("Strong.")
    return Strength(bits, words)

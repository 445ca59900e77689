"""Blind indexes: keyed BLAKE2b of a normalised value, for equality look-ups on sealed columns.

The key is the office's random index key, so someone holding only the file cannot test guesses
("is NIP 526-025-02-74 a client here?"). Each index has its own domain, so the same text in two
places (a NIP and a document key) gives unrelated digests, and documents are scoped per client and
kind so equal invoice numbers at two clients are not linkable.
"""

from __future__ import annotations

import unicodedata

from nacl.encoding import RawEncoder
from nacl.hash import blake2b

from ksef_tui.store.sealing import SecretKey

DIGEST_BYTES = 16
# Not part of a NIP however it was typed or pasted: spaces of every kind, dashes and minus signs,
# and invisible format characters (zero-width joiner/space, BOM, bidi marks: Unicode category Cf).
_NIP_NOISE_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Pd", "Cf"})


def normalise_nip(raw: str) -> str:
    """`PL 526-025-02-74`, fullwidth `５２６０２５０２７４`, Arabic-Indic `٥٢٦٠٢٥٠٢٧٤` or a zero-width joiner
    inside -> `5260250274`: every way of writing one NIP gives one index, so it cannot be two clients.
    Lenient (no checksum): the clients repository validates with core.nip before storing."""
    text = unicodedata.normalize("NFKC", raw or "")  # fullwidth letters and digits -> ASCII
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if category == "Nd":
            kept.append(str(unicodedata.decimal(ch)))  # any script's decimal digit -> 0-9
        elif category not in _NIP_NOISE_CATEGORIES and not ch.isspace() and ch != "\u2212":
            kept.append(ch)
    folded = "".join(kept).upper()
    return folded[2:] if folded.startswith("PL") else folded


def normalise_short_code(raw: str) -> str:
    return (raw or "").strip().upper()


def normalise_key(raw: str) -> str:
    """Document and setting keys: exact text, but one Unicode form."""
    return unicodedata.normalize("NFC", raw)


def blind_index(index_key: SecretKey, domain: str, normalised: str) -> bytes:
    # Domain and value are separated by NUL, which neither contains, so ("a", "b|c") != ("a|b", "c").
    message = domain.encode() + b"\x00" + normalised.encode()
    return blake2b(message, digest_size=DIGEST_BYTES, key=index_key.material(), encoder=RawEncoder)

"""Blind indexes: keyed BLAKE2b of a normalised value, for equality look-ups on sealed columns.

The key is the office's random index key, so someone holding only the file cannot test guesses
("is NIP 526-025-02-74 a client here?"). Each index has its own domain, so the same text in two
places (a NIP and a document key) gives unrelated digests, and documents are scoped per client and
kind so equal invoice numbers at two clients are not linkable.
"""

from __future__ import annotations

import re
import unicodedata

from nacl.encoding import RawEncoder
from nacl.hash import blake2b

from ksef_tui.store.sealing import SecretKey

DIGEST_BYTES = 16
_NIP_NOISE = re.compile(r"[\s\-]")


def normalise_nip(raw: str) -> str:
    """`PL 526-025-02-74` -> `5260250274`. Lenient (no checksum): validation belongs to core."""
    text = _NIP_NOISE.sub("", raw or "").upper()
    return text[2:] if text.startswith("PL") else text


def normalise_short_code(raw: str) -> str:
    return (raw or "").strip().upper()


def normalise_key(raw: str) -> str:
    """Document and setting keys: exact text, but one Unicode form."""
    return unicodedata.normalize("NFC", raw)


def blind_index(index_key: SecretKey, domain: str, normalised: str) -> bytes:
    # Domain and value are separated by NUL, which neither contains, so ("a", "b|c") != ("a|b", "c").
    message = domain.encode() + b"\x00" + normalised.encode()
    return blake2b(message, digest_size=DIGEST_BYTES, key=index_key.material(), encoder=RawEncoder)

"""Search that forgives what people type (issue 16, item 5): one folding for every filter and the palette.

- `fold`: lower case without Polish diacritics, so `wrobel` finds `Wróbel` and `lodz` finds `Łódź`. NFKD
  splits ó, ś, ż, ą, ę, ć, ń, ź into a letter and a combining mark (dropped); ł/Ł have no decomposition
  and are mapped by hand. The result has exactly as many characters as the text, position for position,
  so a match found in the folded text can be highlighted in the original.
- `nip_digits`: a NIP as people write it — `PL7639017757`, `PL 763-901-77-57`, `763 901 77 57` — as the
  digits the store keeps; None when the text is not a NIP (or a part of one, three digits at least).

Pure: no I/O, no textual. Used by the client board (core/board.py), the approval queue's filter
(core/booking_queue.py), the purchase list (sync/purchase_views.py) and the command palette (ui/palette.py).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

_BY_HAND = {"ł": "l", "Ł": "l", "đ": "d", "Đ": "d", "ø": "o", "Ø": "o"}  # no NFKD decomposition
_NIP_TEXT = re.compile(r"^(?:PL)?[\s-]*\d[\d\s-]*$", re.IGNORECASE)


@lru_cache(maxsize=4096)
def _fold_char(char: str) -> str:
    if char in _BY_HAND:
        return _BY_HAND[char]
    base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
    if len(base) != 1:  # a ligature or a character NFKD expands: keep it, one for one
        base = char
    lowered = base.lower()
    return lowered if len(lowered) == 1 else base


# Every character up to the end of Latin Extended-B folded ahead: `str.translate` then folds the text in
# C. The queue folds ~20,000 sellers' names and numbers when it opens; per character in Python that was
# most of a second.
_LATIN = "\u0250"
_TABLE = {cp: _fold_char(chr(cp)) for cp in range(ord(_LATIN))}


def fold(text: str) -> str:
    """`text` in lower case without diacritics, one character for each character of `text`."""
    if not text or max(text) < _LATIN:
        return text.translate(_TABLE)
    return "".join(_fold_char(c) for c in text)


def contains_all(haystack_folded: str, query: str) -> bool:
    """Whether every word of `query` (folded) is in the already folded `haystack_folded`."""
    return all(word in haystack_folded for word in fold(query).split())


def nip_digits(text: str) -> str | None:
    """The digits of a NIP typed with or without `PL`, dashes or spaces; None for anything else or for
    fewer than three digits (too short to mean a NIP)."""
    text = text.strip()
    if not _NIP_TEXT.match(text):
        return None
    digits = "".join(c for c in text if c.isdigit())
    return digits if len(digits) >= 3 else None

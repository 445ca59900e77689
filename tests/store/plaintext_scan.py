"""Byte-scan a store's home folder for plaintext: the proof that nothing sensitive is written in clear.

Reusable: `find_plaintext(home, needles)` looks in every file in `home` (the database, its -wal and
-shm, and anything else that appears) for each needle encoded as UTF-8 and as UTF-16-LE (SQLite can
store text as UTF-16), and returns (file name, needle) for each hit.

Thousands of needles over megabytes: one pass per file with a regular expression shaped like a trie of
all the encoded needles (a needle-by-needle search took seconds); only a file with a hit is searched
needle by needle, to name every hit exactly.
"""

from __future__ import annotations

import re
from pathlib import Path


def _encodings(needle: str) -> set[bytes]:
    return {enc for enc in (needle.encode("utf-8"), needle.encode("utf-16-le")) if enc}


def _trie_pattern(words: set[bytes]) -> bytes:
    trie: dict[int, dict] = {}  # type: ignore[type-arg]
    for word in words:
        node = trie
        for byte in word:
            node = node.setdefault(byte, {})
        node[-1] = {}  # end of a word

    def build(node: dict) -> bytes:  # type: ignore[type-arg]
        if -1 in node:
            return b""  # any needle ending here is a hit; longer ones need not be tried
        branches = [re.escape(bytes([byte])) + build(child) for byte, child in sorted(node.items())]
        return branches[0] if len(branches) == 1 else b"(?:" + b"|".join(branches) + b")"

    return build(trie)


def find_plaintext(home: Path, needles: list[str]) -> list[tuple[str, str]]:
    encoded = {needle: _encodings(needle) for needle in needles}
    every = set().union(*encoded.values()) if encoded else set()
    anything = re.compile(_trie_pattern(every), re.DOTALL) if every else None
    hits: list[tuple[str, str]] = []
    for path in sorted(p for p in Path(home).rglob("*") if p.is_file()):
        data = path.read_bytes()
        if anything is None or anything.search(data) is None:
            continue
        for needle, encodings in encoded.items():
            if any(enc in data for enc in encodings):
                hits.append((str(path.relative_to(home)), needle))
    return hits

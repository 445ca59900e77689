"""Byte-scan a store's home folder for plaintext: the proof that nothing sensitive is written in clear.

Reusable: `find_plaintext(home, needles)` looks in every file in `home` (the database, its -wal and
-shm, and anything else that appears) for each needle encoded as UTF-8 and as UTF-16-LE (SQLite can
store text as UTF-16), and returns (file name, needle) for each hit.
"""

from __future__ import annotations

from pathlib import Path


def find_plaintext(home: Path, needles: list[str]) -> list[tuple[str, str]]:
    hits: list[tuple[str, str]] = []
    for path in sorted(p for p in Path(home).rglob("*") if p.is_file()):
        data = path.read_bytes()
        for needle in needles:
            encodings = {needle.encode("utf-8"), needle.encode("utf-16-le")}
            if any(enc and enc in data for enc in encodings):
                hits.append((str(path.relative_to(home)), needle))
    return hits

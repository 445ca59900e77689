"""Safe file names for files the app writes (UPO copies): nothing from KSeF or the user may climb
out of the folder, hide itself, or be a name Windows refuses."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from pathlib import Path

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_WINDOWS_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}
MAX_COMPONENT = 120
_NO_DECOMPOSITION = str.maketrans({"Ł": "L", "ł": "l"})  # NFKD leaves these whole


def safe_component(text: str, fallback: str = "_") -> str:
    """One path component: ASCII letters, digits, `.`, `_` and `-` only; no leading dot; never empty,
    `.` or `..`; not a reserved Windows device name; at most 120 characters."""
    ascii_text = (
        unicodedata.normalize("NFKD", (text or "").translate(_NO_DECOMPOSITION))
        .encode("ascii", "ignore")
        .decode("ascii")
    )
    cleaned = _UNSAFE.sub("_", ascii_text).strip("._ ")
    cleaned = cleaned[:MAX_COMPONENT].rstrip("._ ")
    if not cleaned:
        cleaned = fallback
    if cleaned.split(".")[0].upper() in _WINDOWS_RESERVED:
        cleaned = "_" + cleaned
    return cleaned


def upo_path(root: Path, short_code: str, when: datetime | None, reference: str, page: int = 1) -> Path:
    """`<root>/<short code>/<YYYY-MM>/<reference>.xml` (a later page: `<reference>-p2.xml`)."""
    month = f"{when:%Y-%m}" if when is not None else "unknown-date"
    name = safe_component(reference, "upo")
    if page > 1:
        name = f"{name}-p{page}"
    return Path(root) / safe_component(short_code, "client") / month / f"{name}.xml"


def default_upo_folder() -> Path:
    return Path.home() / "KSeF" / "UPO"

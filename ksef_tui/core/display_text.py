"""Text from outside (invoices, UPOs, client names, KSeF messages) made safe to show in a terminal.

A terminal obeys control characters wherever they come from: ESC and U+009B (CSI) start escape
sequences that move the cursor, recolour, retitle the window or worse; BEL rings; CR overwrites the
line; bidi overrides (U+202E) and isolates make "faktura_gpj.exe" read as "faktura_exe.jpg" and reorder
amounts. Every output path that shows data passes it through `safe_display` (TUI widgets, text and
table output) or `json_dumps` (JSON output), at a few choke points: the line table's cells, the
inspector's sections, the report formatters.

`safe_display` replaces each such character with U+FFFD "�" (one cell wide, so column layouts hold,
and plainly visible: the reader sees that something was there). Ordinary text — Polish letters, any
printable Unicode, zero-width joiners inside emoji — is left alone. A tab becomes a space. Newlines
are kept only where the caller says the text may span lines; otherwise CR/LF/U+2028/U+2029 become a
space, so a value can never forge a line of its own (a fake "OK" row in a table).

`json_dumps` keeps JSON output byte-exact for machines: the same characters come out as `\\uXXXX`
escapes (json.dumps with ensure_ascii=False would leave U+009B and U+202E raw).
"""

from __future__ import annotations

import json
from typing import Any

PLACEHOLDER = "\ufffd"

# Bidirectional formatting characters: embeddings and overrides (U+202A–U+202E), isolates
# (U+2066–U+2069), and the implicit marks (LRM, RLM, ALM), which can also reorder what follows.
BIDI_CONTROLS = frozenset(
    [chr(c) for c in range(0x202A, 0x202F)]
    + [chr(c) for c in range(0x2066, 0x206A)]
    + ["\u200e", "\u200f", "\u061c"]
)
# C0 (without TAB/LF/CR, handled apart), DEL and C1 controls, U+009B (CSI) among them.
CONTROLS = frozenset(
    [chr(c) for c in range(0x00, 0x20) if c not in (0x09, 0x0A, 0x0D)] + [chr(c) for c in range(0x7F, 0xA0)]
)
LINE_BREAKS = frozenset(["\n", "\r", "\u2028", "\u2029", "\x85"])  # U+0085 (NEL) is also a C1 control
# Lone surrogates cannot be written as UTF-8 at all: printing one would raise instead of showing text.
SURROGATES = frozenset(chr(c) for c in range(0xD800, 0xE000))

_ONE_LINE: dict[int, str] = {ord(c): PLACEHOLDER for c in CONTROLS | BIDI_CONTROLS | SURROGATES}
_ONE_LINE.update({ord("\t"): " ", ord("\n"): " ", ord("\r"): " ", 0x2028: " ", 0x2029: " ", 0x85: " "})
_MULTI_LINE: dict[int, str] = dict(_ONE_LINE)
_MULTI_LINE.update({ord("\n"): "\n", ord("\r"): "\n", 0x2028: "\n", 0x2029: "\n", 0x85: "\n"})
_JSON: dict[int, str] = {
    ord(c): f"\\u{ord(c):04x}" for c in CONTROLS | BIDI_CONTROLS | LINE_BREAKS | SURROGATES
}


def safe_display(text: object, *, newlines: bool = False) -> str:
    """`text` (str() of it) with control and bidi characters replaced by U+FFFD; see the module doc.

    `newlines=True` keeps line breaks (CRLF and CR become LF); otherwise they become spaces.
    """
    value = text if isinstance(text, str) else str(text)
    if value.isprintable():  # the fast path: ordinary text, one C call
        return value
    if newlines:
        return same_length_safe(value.replace("\r\n", "\n"), newlines=True)
    return value.translate(_ONE_LINE)


def same_length_safe(text: str, *, newlines: bool = False) -> str:
    """Like `safe_display`, but one character for one (a lone CR becomes LF or a space), so offsets
    and style spans computed on `text` still hold."""
    if text.isprintable():
        return text
    if newlines:
        return text.translate(_MULTI_LINE)
    return text.translate(_ONE_LINE)


def json_escape(text: str) -> str:
    """Escape control, bidi and line-break characters in already serialised JSON as `\\uXXXX`.

    Safe on a whole document: outside strings JSON is ASCII punctuation and whitespace, and the only
    whitespace json.dumps emits (newline and space with `indent`) is left alone.
    """
    return text.translate(_JSON) if not text.isprintable() else text


def json_dumps(value: Any, *, indent: int | None = None) -> str:
    """json.dumps that keeps Polish letters readable but never emits a raw control or bidi character."""
    dumped = json.dumps(value, ensure_ascii=False, indent=indent)
    if indent is None:
        return json_escape(dumped)
    # With indent the document itself has newlines; no raw newline can occur inside a JSON string.
    return "\n".join(json_escape(line) for line in dumped.split("\n"))

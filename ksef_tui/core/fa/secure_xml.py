"""Reading untrusted invoice XML safely.

Invoices come from other companies' software, from KSeF and from whatever a user points us at, so the
reader assumes hostile input: the size is capped before anything is read into memory, and the bytes go
through the project's one hardened XML reader (`ksef_tui.core.xml_safety`): UTF-8 only (decided before
any parsing), any DTD refused outright (that removes entity expansion, "billion laughs" and external
entities in one stroke, and a valid FA document never has one), and a parser that can never open a
file, a device or a URL.
"""

from __future__ import annotations

import stat
from pathlib import Path

from lxml import etree

from ksef_tui.core import xml_safety
from ksef_tui.core.fa.findings import FaParseError
from ksef_tui.core.i18n import _

DEFAULT_MAX_BYTES = 3_000_000


def too_large(size: int | None, max_bytes: int) -> FaParseError:
    if size is None:
        text = _("The file is larger than the limit of {limit} bytes.").format(limit=max_bytes)
    else:
        text = _("The file has {size} bytes, more than the limit of {limit} bytes.").format(
            size=size, limit=max_bytes
        )
    return FaParseError("too-large", text)


def read_capped(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """Read at most `max_bytes` from `path`; refuse larger files before reading them."""
    try:
        st = path.stat()
        if stat.S_ISDIR(st.st_mode):
            raise FaParseError("unreadable", _("This is a folder, not a file: {path}").format(path=path))
        if stat.S_ISREG(st.st_mode) and st.st_size > max_bytes:
            raise too_large(st.st_size, max_bytes)
        with path.open("rb") as fh:
            # One byte more than allowed tells a file that grew (or a pipe) apart from one at the limit.
            data = fh.read(max_bytes + 1)
    except FaParseError:
        raise
    except OSError as exc:
        reason = exc.strerror or exc.__class__.__name__
        raise FaParseError(
            "unreadable", _("Cannot read the file {path}: {reason}").format(path=path, reason=reason)
        ) from None
    if len(data) > max_bytes:
        raise too_large(None, max_bytes)
    return data


def _syntax_error(exc: etree.XMLSyntaxError, data: bytes) -> FaParseError:
    detail = str(exc.msg or exc).strip()
    line = exc.lineno or None
    # libxml2 has no single "truncated" error: it says "Premature end of data" when the cut falls
    # between tags, and something else when it falls inside one. An error on the last line of a
    # document that starts like XML but does not end with ">" is a truncation in practice.
    stripped = data.strip()
    truncated = "premature end" in detail.lower() or (
        line is not None
        and line >= data.count(b"\n") + 1
        and stripped.lstrip(b"\xef\xbb\xbf").startswith(b"<")
        and not stripped.endswith(b">")
    )
    if truncated:
        text = _("The XML ends too early (the file looks truncated): {detail}").format(detail=detail)
        return FaParseError("xml-truncated", text, line)
    return FaParseError("xml-syntax", _("This is not well-formed XML: {detail}").format(detail=detail), line)


def parse_xml(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> etree._Element:
    """Parse untrusted bytes into an element tree, or raise FaParseError with a plain reason."""
    if len(data) > max_bytes:
        raise too_large(len(data), max_bytes)
    if not data.strip():
        raise FaParseError("empty", _("The file is empty."))
    try:
        root = xml_safety.parse_untrusted(data)
    except xml_safety.UnsafeXml as exc:
        if exc.code == "dtd-forbidden":
            raise FaParseError(exc.code, _dtd_message()) from None
        raise FaParseError(exc.code, exc.message) from None
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc, data) from None
    except (ValueError, etree.LxmlError) as exc:  # anything else libxml2 rejects
        raise FaParseError(
            "xml-syntax", _("This is not well-formed XML: {detail}").format(detail=exc)
        ) from None
    return root


def _dtd_message() -> str:
    return _("The XML contains a DTD (<!DOCTYPE> or <!ENTITY>); invoices must not have one.")

"""Reading untrusted invoice XML safely.

Invoices come from other companies' software, from KSeF and from whatever a user points us at, so the
reader assumes hostile input: the size is capped before anything is read into memory, the bytes must be
UTF-8 (KSeF accepts nothing else), any DTD is refused outright (that removes entity expansion, "billion
laughs" and external entities in one stroke, and a valid FA document never has one), and libxml2 is told
never to touch the network, never to load a DTD and to keep its default limits (no huge_tree).
"""

from __future__ import annotations

import stat
import threading
from pathlib import Path

from lxml import etree

from ksef_tui.core.fa.findings import FaParseError
from ksef_tui.i18n import _

DEFAULT_MAX_BYTES = 3_000_000

_local = threading.local()


def _parser() -> etree.XMLParser:
    # An lxml parser must not be shared between threads; one per thread is cheap to keep.
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            huge_tree=False,
            remove_comments=False,
            collect_ids=False,
        )
        _local.parser = parser
    return parser


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
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise FaParseError(
            "not-utf8",
            _("The file is not UTF-8 text (invalid byte at position {pos}); KSeF accepts only UTF-8.").format(
                pos=exc.start
            ),
        ) from None
    # A DOCTYPE can only precede the root element, and a valid invoice never has one. Refusing it
    # before libxml2 sees it keeps entity tricks from ever being parsed. (The bytes are UTF-8, so the
    # ASCII search cannot be dodged by another encoding.)
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise FaParseError(
            "dtd-forbidden",
            _("The XML contains a DTD (<!DOCTYPE> or <!ENTITY>); invoices must not have one."),
        )
    try:
        root = etree.fromstring(data, _parser())
    except etree.XMLSyntaxError as exc:
        raise _syntax_error(exc, data) from None
    except (ValueError, etree.LxmlError) as exc:  # e.g. an encoding declaration libxml2 rejects
        raise FaParseError(
            "xml-syntax", _("This is not well-formed XML: {detail}").format(detail=exc)
        ) from None
    docinfo = root.getroottree().docinfo
    declared = (docinfo.encoding or "UTF-8").upper().replace("_", "-")
    if declared not in ("UTF-8", "UTF8"):
        raise FaParseError(
            "not-utf8",
            _("The XML declares the encoding {encoding}; KSeF accepts only UTF-8.").format(
                encoding=docinfo.encoding
            ),
        )
    if docinfo.internalDTD is not None or docinfo.doctype:
        raise FaParseError(
            "dtd-forbidden",
            _("The XML contains a DTD (<!DOCTYPE> or <!ENTITY>); invoices must not have one."),
        )
    return root

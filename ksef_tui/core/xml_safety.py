"""The one place lxml parsers are made: untrusted XML never opens a file, a URL or a device.

Every XML document this project reads (invoices, UPOs, the simulator's requests, our own XSDs) goes
through a parser made here. Two layers, each enough on its own:

1. **Bytes are checked before libxml2 sees them** (`check_document`): KSeF documents are UTF-8 (a UTF-8
   byte order mark is tolerated), so UTF-16/32 (with or without a BOM), NUL bytes, invalid UTF-8 and
   an XML declaration naming another encoding are refused up front. Only then is the ASCII search for
   `<!DOCTYPE`/`<!ENTITY` meaningful (in UTF-16 the NUL bytes between letters hide it — issue 17 item
   3), and a DTD is refused: no KSeF document has one.
2. **The parser itself cannot reach anything**: entities are not resolved, no DTD is loaded or
   validated, the network is off, huge_tree stays off (libxml2's size limits), the input is decoded as
   UTF-8 whatever the document declares, and a resolver that refuses every request is attached — lxml
   asks it before libxml2's own loader opens any external DTD, parameter entity or XSD import.

`collect_ids` is deliberately left on (lxml's default): with libxml2 older than 2.15, lxml implements
`collect_ids=False` by setting a flag in libxml2's `loadsubset` field, and any non-zero value there
makes libxml2 load external parameter entities even with `load_dtd=False` (that is how a 6.9 KB invoice
made `inspect` read /dev/zero forever).

Schemas: `load_schema` compiles only XSDs under `ksef_tui/resources/schemas`, with a resolver that lets
their `xs:import`/`xs:include` open files in that folder and nothing else. lxml's `xinclude()` uses its
own loader that no resolver sees, so nothing in this project may call it (tests/test_xml_safety.py
checks the source).
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from lxml import etree

from ksef_tui.core.i18n import _

SCHEMA_ROOT = Path(__file__).resolve().parents[1] / "resources" / "schemas"

_BOMS: tuple[tuple[bytes, str], ...] = (
    # Longest first: the UTF-32LE mark starts with the UTF-16LE one.
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\xfe\xff", "UTF-16"),
    (b"\xff\xfe", "UTF-16"),
)
_UTF8_BOM = b"\xef\xbb\xbf"
_DECLARATION = re.compile(rb"<\?xml(?=[\s?])(.*?)\?>", re.DOTALL)
_ENCODING = re.compile(rb"""\sencoding\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_UTF8_NAMES = frozenset({"UTF-8", "UTF8"})
_MAX_URL_SHOWN = 120


class UnsafeXml(ValueError):
    """The document is refused before (or instead of) parsing; `code` is stable, `message` translated."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class ExternalAccessRefused(UnsafeXml):
    """The document asked the parser to open a file or URL (an external DTD, entity or import)."""

    def __init__(self, url: str | None) -> None:
        shown = (url or "?")[:_MAX_URL_SHOWN]
        super().__init__(
            "external-reference",
            _("The XML refers to an external file or address ({url}); it is never opened.").format(url=shown),
        )
        self.url = url


class _RefuseEverything(etree.Resolver):
    """Every request to load something external is an error, never a fallback to libxml2's loader."""

    def resolve(self, system_url: str | None, public_id: str | None, context: object) -> Any:
        raise ExternalAccessRefused(system_url or public_id)


class _PackagedSchemasOnly(etree.Resolver):
    """XSD loading: a file under SCHEMA_ROOT may be opened; anything else is refused."""

    def resolve(self, system_url: str | None, public_id: str | None, context: object) -> Any:
        path = _local_path(system_url)
        if path is None or not path.is_relative_to(SCHEMA_ROOT) or not path.is_file():
            raise ExternalAccessRefused(system_url or public_id)
        return self.resolve_filename(str(path), context)


def _local_path(url: str | None) -> Path | None:
    if not url:
        return None
    parsed = urlparse(url)
    if parsed.scheme == "file":
        if parsed.netloc not in ("", "localhost"):
            return None
        url = unquote(parsed.path)
    elif parsed.scheme and len(parsed.scheme) > 1:  # http:, ftp:, ... (a one-letter "scheme" is not one)
        return None
    return Path(url).resolve()


_OPTIONS: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "attribute_defaults": False,
    "huge_tree": False,
    "recover": False,
    "collect_ids": True,  # see the module docstring: False would make libxml2 load external entities
}


def new_parser(*, remove_comments: bool = False, remove_blank_text: bool = False) -> etree.XMLParser:
    """A fresh hardened parser (not thread-safe: one per thread, or one per call)."""
    parser = etree.XMLParser(
        **_OPTIONS,
        remove_comments=remove_comments,
        remove_blank_text=remove_blank_text,
        encoding="utf-8",
    )
    parser.resolvers.add(_RefuseEverything())
    return parser


_local = threading.local()


def _thread_parser(remove_comments: bool) -> etree.XMLParser:
    key = "comments_removed" if remove_comments else "comments_kept"
    parser: etree.XMLParser | None = getattr(_local, key, None)
    if parser is None:
        parser = new_parser(remove_comments=remove_comments)
        setattr(_local, key, parser)
    return parser


def check_encoding(data: bytes) -> None:
    """Refuse anything but UTF-8 (a UTF-8 BOM is fine) before any parser sees the bytes."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            raise UnsafeXml(
                "not-utf8",
                _("The file is {encoding} text (byte order mark); KSeF accepts only UTF-8.").format(
                    encoding=name
                ),
            )
    nul = data.find(b"\x00")
    if nul >= 0:
        raise UnsafeXml(
            "not-utf8",
            _("The file has a NUL byte at position {pos} (UTF-16 text?); KSeF accepts only UTF-8.").format(
                pos=nul
            ),
        )
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise UnsafeXml(
            "not-utf8",
            _("The file is not UTF-8 text (invalid byte at position {pos}); KSeF accepts only UTF-8.").format(
                pos=exc.start
            ),
        ) from None
    body = data[len(_UTF8_BOM) :] if data.startswith(_UTF8_BOM) else data
    declaration = _DECLARATION.match(body)
    if declaration is not None:
        found = _ENCODING.search(declaration.group(1))
        if found is not None:
            name = (found.group(1) if found.group(1) is not None else found.group(2)).decode()
            if name.strip().upper().replace("_", "-") not in _UTF8_NAMES:
                raise UnsafeXml(
                    "not-utf8",
                    _("The XML declares the encoding {encoding}; KSeF accepts only UTF-8.").format(
                        encoding=name[:40]
                    ),
                )


def check_document(data: bytes) -> None:
    """`check_encoding`, then refuse a DTD (a KSeF document never has one)."""
    check_encoding(data)
    # The bytes are UTF-8 without NULs now, so this ASCII search cannot be dodged by another encoding.
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        raise UnsafeXml(
            "dtd-forbidden",
            _("The XML contains a DTD (<!DOCTYPE> or <!ENTITY>); KSeF documents never have one."),
        )


def parse_untrusted(data: bytes, *, remove_comments: bool = False) -> etree._Element:
    """Check the bytes, then parse them with a hardened parser (one per thread).

    Raises UnsafeXml (refused before or during parsing, including ExternalAccessRefused) or
    etree.XMLSyntaxError (not well-formed; callers word that themselves).
    """
    check_document(data)
    root = etree.fromstring(data, _thread_parser(remove_comments))
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.externalDTD is not None or docinfo.doctype:
        raise UnsafeXml(
            "dtd-forbidden",
            _("The XML contains a DTD (<!DOCTYPE> or <!ENTITY>); KSeF documents never have one."),
        )
    return root


def load_schema(path: Path) -> etree.XMLSchema:
    """Compile one of our packaged XSDs; its imports may open files under SCHEMA_ROOT and nothing else."""
    resolved = Path(path).resolve()
    if not resolved.is_relative_to(SCHEMA_ROOT):
        raise ValueError(f"not a packaged schema: {path}")
    parser = etree.XMLParser(**_OPTIONS, remove_comments=True)
    parser.resolvers.add(_PackagedSchemasOnly())
    doc = etree.parse(str(resolved), parser)
    return etree.XMLSchema(doc)

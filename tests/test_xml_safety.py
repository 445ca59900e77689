"""Hostile XML encodings and external references (issue 17 item 3): refused fast, nothing is opened.

A regression here used to hang (`/dev/zero` read forever, a FIFO blocking on open), so every hostile
parse runs in a daemon thread or a subprocess with a generous bound: a regression fails the test
instead of hanging the suite. Whether a file was opened is seen two ways: a Python audit hook (every
`open()` made from Python, e.g. by a resolver) and, on Linux, inotify IN_OPEN watches on the target
files (libxml2 opens files with C `open()`, which no audit hook sees — that is how the original bug
escaped; inotify also sees opens from a subprocess).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import re
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from ksef_tui.core import xml_safety
from ksef_tui.core.fa import FaParseError, exit_code, inspect_bytes, inspect_file, parse_invoice
from ksef_tui.core.fa.parse import NS_FA3
from ksef_tui.core.upo import UpoError, parse_upo
from ksef_tui.core.xml_safety import ExternalAccessRefused, UnsafeXml
from tests.fa.helpers import FA3_SAMPLES

SAMPLE = (FA3_SAMPLES / "mf-official" / "FA_3_Przykład_1.xml").read_bytes()
UPO_NS = "http://upo.schematy.mf.gov.pl/KSeF/v4-3"
XI_NS = "http://www.w3.org/2001/XInclude"
BOUND = 30.0  # seconds; only ever reached by a regression (a hang)

# ---------------------------------------------------------------------------------------------- watchers

_recording: list[str] | None = None


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _recording is not None and event == "open" and args:
        _recording.append(os.fsdecode(args[0]) if isinstance(args[0], str | bytes | os.PathLike) else "")


sys.addaudithook(_audit)  # audit hooks cannot be removed; this one records only inside `watch_opens`

_IN_OPEN = 0x20
_libc: Any = None
if sys.platform.startswith("linux"):
    try:
        _libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        _ = _libc.inotify_init1  # AttributeError where the C library has no inotify
    except (OSError, AttributeError):
        _libc = None


class Opens:
    def __init__(self) -> None:
        self.python: list[str] = []
        self.kernel: list[str] = []  # paths inotify saw opened (by this process or any other)

    def of(self, *paths: Path) -> list[str]:
        names = {str(p) for p in paths}
        return [p for p in self.python if p in names] + [p for p in self.kernel if p in names]


@contextmanager
def watch_opens(*paths: Path) -> Iterator[Opens]:
    global _recording
    opens = Opens()
    fd = -1
    watches: dict[int, str] = {}
    if _libc is not None:
        fd = _libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        for path in paths:
            wd = _libc.inotify_add_watch(fd, os.fsencode(path), _IN_OPEN)
            if wd >= 0:
                watches[wd] = str(path)
    _recording = opens.python
    try:
        yield opens
    finally:
        _recording = None
        if fd >= 0:
            try:
                buf = os.read(fd, 65536)
            except BlockingIOError:
                buf = b""
            offset = 0
            while offset + 16 <= len(buf):
                wd, mask, _cookie, length = struct.unpack_from("iIII", buf, offset)
                if mask & _IN_OPEN and wd in watches:
                    opens.kernel.append(watches[wd])
                offset += 16 + length
            os.close(fd)


def bounded(fn: Callable[[], Any]) -> Any:
    """Run `fn` in a daemon thread; fail (not hang) if it does not return within BOUND seconds."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = fn()
        except BaseException as exc:  # handed back to the test
            outcome["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(BOUND)
    if thread.is_alive():
        pytest.fail(f"the parse did not finish within {BOUND} s: it is blocked or reading forever")
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


@pytest.fixture
def targets(tmp_path: Path) -> dict[str, Path]:
    """A regular file, a FIFO with no writer (opening it blocks) and /dev/zero (reading never ends)."""
    regular = tmp_path / "secret.txt"
    regular.write_text('<!ENTITY leak "root:x:0:0">\n')
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    return {"regular": regular, "fifo": fifo, "zero": Path("/dev/zero")}


# ------------------------------------------------------------------------------------------- documents

# The sample without its XML declaration, in pure ASCII (Polish letters as character references): in
# UTF-16 every ASCII character becomes the character and a NUL, which is also valid UTF-8 — the audit's
# invoice was like that, and so passed a "decodes as UTF-8" check.
_BODY = SAMPLE.decode("utf-8").split("?>", 1)[1].encode("ascii", "xmlcharrefreplace").decode("ascii")


def _with_doctype(doctype: str, *, declaration: str = '<?xml version="1.0" encoding="UTF-8"?>') -> str:
    return declaration + "\n" + doctype + _BODY


def hostile_documents(target: Path) -> dict[str, bytes]:
    t = str(target)
    pe = f'<!DOCTYPE Faktura [<!ENTITY % p SYSTEM "{t}"> %p;]>'
    ext = f'<!DOCTYPE Faktura SYSTEM "{t}">'
    ge = f'<!DOCTYPE Faktura [<!ENTITY e SYSTEM "{t}">]>'
    utf16 = '<?xml version="1.0" encoding="UTF-16"?>'
    plain = '<?xml version="1.0"?>'
    return {
        # The audit's invoice: UTF-16LE without a BOM dodges a byte search for "<!DOCTYPE".
        "utf16le-nobom-parameter-entity": _with_doctype(pe, declaration=plain).encode("utf-16-le"),
        "utf16le-nobom-declared-external-subset": _with_doctype(ext, declaration=utf16).encode("utf-16-le"),
        "utf16be-nobom-parameter-entity": _with_doctype(pe, declaration=plain).encode("utf-16-be"),
        "utf16-bom-parameter-entity": _with_doctype(pe, declaration=utf16).encode("utf-16"),
        "utf32-parameter-entity": _with_doctype(pe, declaration=plain).encode("utf-32"),
        "utf8-parameter-entity": _with_doctype(pe).encode(),
        "utf8-external-subset": _with_doctype(ext).encode(),
        "utf8-general-entity": _with_doctype(ge).encode().replace(b"<P_2>", b"<P_2>&e;", 1),
    }


def harmless_references(target: Path) -> dict[str, bytes]:
    """Well-formed invoices that *name* the target; a parser that follows them would open it."""
    t = str(target)
    xinclude = SAMPLE.replace(
        b"<Naglowek>",
        f'<xi:include xmlns:xi="{XI_NS}" href="{t}" parse="text"/><Naglowek>'.encode(),
        1,
    )
    schema_location = SAMPLE.replace(
        f'xmlns="{NS_FA3}"'.encode(),
        f'xmlns="{NS_FA3}" xsi:schemaLocation="{NS_FA3} {t}"'.encode(),  # the sample declares xsi:
        1,
    )
    return {"xinclude": xinclude, "schema-location": schema_location}


# ---------------------------------------------------------------------------------------------- the API


def test_the_watchers_can_fail(targets: dict[str, Path]) -> None:
    """Sanity: each watcher sees what it should, so an empty list below means something."""
    regular = targets["regular"]
    doc = f'<!DOCTYPE a SYSTEM "{regular}"><a/>'.encode()
    with watch_opens(regular) as by_libxml2:  # an ordinary lxml parser told to load a DTD opens the file
        root = etree.fromstring(doc, etree.XMLParser(load_dtd=True, no_network=True))
    assert root.getroottree().docinfo.externalDTD is not None  # libxml2 really read it
    assert by_libxml2.python == []  # the audit hook is blind to libxml2's C open() ...
    if _libc is not None:
        assert by_libxml2.of(regular) == [str(regular)]  # ... inotify is not
    with watch_opens(regular) as by_python, open(regular, "rb"):
        pass
    assert str(regular) in by_python.python


@pytest.mark.parametrize("kind", ["regular", "fifo", "zero"])
def test_hostile_invoices_are_refused_without_opening_anything(
    tmp_path: Path, targets: dict[str, Path], kind: str
) -> None:
    target = targets[kind]
    watched = [targets["regular"], targets["fifo"]]
    for name, data in hostile_documents(target).items():
        path = tmp_path / f"{name}.xml"
        path.write_bytes(data)
        with watch_opens(*watched) as opens:
            report = bounded(lambda p=path: inspect_file(p))  # type: ignore[misc]
            with pytest.raises(FaParseError) as info:
                bounded(lambda d=data: parse_invoice(d))  # type: ignore[misc]
        assert opens.of(*watched, target) == [], name
        assert exit_code(report) == 2 and report.invoice is None, name
        if name.startswith("utf16le-nobom"):
            data.decode("utf-8")  # the point of the case: it passes a plain UTF-8 check
        (problem,) = report.problems
        expected = "dtd-forbidden" if name.startswith("utf8") else "not-utf8"
        assert problem.code == info.value.code == expected, (name, problem)


@pytest.mark.parametrize("kind", ["regular", "fifo", "zero"])
def test_references_in_well_formed_invoices_are_never_followed(targets: dict[str, Path], kind: str) -> None:
    target = targets[kind]
    watched = [targets["regular"], targets["fifo"]]
    for name, data in harmless_references(target).items():
        with watch_opens(*watched) as opens:
            report = bounded(lambda d=data: inspect_bytes(d))  # type: ignore[misc]
        assert opens.of(*watched, target) == [], name
        assert report.invoice is not None, name  # read, and the reference left alone
        assert "root:x" not in repr(report.invoice)


def test_the_parser_itself_never_follows_a_reference(targets: dict[str, Path]) -> None:
    """Defence in depth: past the byte checks, the factory's parser still opens nothing."""
    watched = [targets["regular"], targets["fifo"]]
    for target in targets.values():
        for name, data in hostile_documents(target).items():
            if not name.startswith("utf8"):
                continue
            with watch_opens(*watched) as opens:
                try:
                    root = bounded(lambda d=data: etree.fromstring(d, xml_safety.new_parser()))  # type: ignore[misc]
                except (UnsafeXml, etree.XMLSyntaxError):
                    root = None
            assert opens.of(*watched, target) == [], name
            assert root is None or b"root:x" not in etree.tostring(root)


def test_every_parser_carries_a_resolver_that_refuses_everything() -> None:
    parser = xml_safety.new_parser()
    for url in ("/etc/passwd", "file:///dev/zero", "http://127.0.0.1:9/x.dtd", "bazowe/x.xsd"):
        with pytest.raises(ExternalAccessRefused) as info:
            parser.resolvers.resolve(url, None, None)
        assert info.value.code == "external-reference"


def test_collect_ids_stays_on() -> None:
    """lxml's collect_ids=False makes libxml2 < 2.15 load external parameter entities (the hang)."""
    assert xml_safety._OPTIONS["collect_ids"] is True
    assert xml_safety._OPTIONS["load_dtd"] is False and xml_safety._OPTIONS["resolve_entities"] is False
    assert xml_safety._OPTIONS["no_network"] is True and xml_safety._OPTIONS["huge_tree"] is False


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ("<a/>".encode("utf-16-le"), "NUL"),
        ("<a/>".encode("utf-16-be"), "NUL"),
        ("<a/>".encode("utf-16"), "UTF-16"),
        ("<a/>".encode("utf-32"), "UTF-32"),
        ("<a/>".encode("utf-32-be"), "NUL"),
        (b"\xfe\xff\x00<\x00a\x00/\x00>", "UTF-16"),
        (b"<a>x\x00y</a>", "NUL"),
        (b"<a>\xff</a>", "UTF-8"),
        (b'<?xml version="1.0" encoding="ISO-8859-2"?><a/>', "ISO-8859-2"),
        (b"<?xml version='1.0' encoding='utf-16'?><a/>", "utf-16"),
        (b'<?xml version="1.0"  encoding = "windows-1250" ?><a/>', "windows-1250"),
        (b'\xef\xbb\xbf<?xml version="1.0" encoding="latin1"?><a/>', "latin1"),
    ],
)
def test_only_utf8_passes(data: bytes, fragment: str) -> None:
    with pytest.raises(UnsafeXml) as info:
        xml_safety.parse_untrusted(data)
    assert info.value.code == "not-utf8"
    assert fragment in info.value.message


@pytest.mark.parametrize(
    "data",
    [
        b"<a/>",
        b'<?xml version="1.0"?><a/>',
        b'<?xml version="1.0" encoding="UTF-8"?><a/>',
        b"<?xml version='1.0' encoding='utf-8'?><a/>",
        b'\xef\xbb\xbf<?xml version="1.0" encoding="UTF-8"?><a>za\xc5\xbc\xc3\xb3\xc5\x82\xc4\x87</a>',
        b"<a note=\"encoding='latin1'\"/>",
    ],
)
def test_utf8_documents_are_read(data: bytes) -> None:
    assert etree.QName(xml_safety.parse_untrusted(data)).localname == "a"


def test_the_factory_parser_reads_utf8_whatever_the_document_declares() -> None:
    """Even handed UTF-16 bytes directly, the parser does not switch encoding (it sees NULs)."""
    data = '<?xml version="1.0" encoding="UTF-16"?><a>x</a>'.encode("utf-16-le")
    with pytest.raises(etree.XMLSyntaxError):
        etree.fromstring(data, xml_safety.new_parser())


@pytest.fixture
def polish() -> Iterator[None]:
    from ksef_tui.core import i18n

    before = i18n.current_language()
    i18n.set_language("pl")
    try:
        yield
    finally:
        i18n.set_language(before)


def test_upo_with_a_hostile_encoding_is_refused(targets: dict[str, Path], polish: None) -> None:
    watched = [targets["regular"], targets["fifo"]]
    for target in targets.values():
        doc = (
            f'<?xml version="1.0"?><!DOCTYPE Potwierdzenie [<!ENTITY % p SYSTEM "{target}"> %p;]>'
            f'<Potwierdzenie xmlns="{UPO_NS}"/>'
        )
        for data in (doc.encode("utf-16-le"), doc.encode()):
            with watch_opens(*watched) as opens, pytest.raises(UpoError) as info:
                bounded(lambda d=data: parse_upo(d))  # type: ignore[misc]
            assert opens.of(*watched, target) == []
            assert "UTF-8" in str(info.value) or "DTD" in str(info.value)
            assert "KSeF" in str(info.value)
    with pytest.raises(UpoError) as info:
        parse_upo(f'<Potwierdzenie xmlns="{UPO_NS}"/>'.encode("utf-16-le"))
    assert "bajt NUL" in str(info.value)


# ---------------------------------------------------------------------------------------------- schemas


def test_packaged_schemas_still_load() -> None:
    from ksef_tui.core.fa.model import FormCode
    from ksef_tui.core.fa.xsd import schema_path
    from ksef_tui.simulator.xsd import auth_schema, upo_schema

    for form in (FormCode.FA3, FormCode.FA2):
        schema = xml_safety.load_schema(schema_path(form))
        assert schema.validate(xml_safety.parse_untrusted(SAMPLE)) is (form is FormCode.FA3)
    assert auth_schema("http://ksef.mf.gov.pl/auth/token/2.1") is not None
    assert upo_schema() is not None


def test_schema_loading_opens_nothing_outside_the_schema_folder(tmp_path: Path) -> None:
    outside = tmp_path / "x.xsd"
    outside.write_text('<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"/>')
    with pytest.raises(ValueError):
        xml_safety.load_schema(outside)
    resolver = xml_safety._PackagedSchemasOnly()
    root = xml_safety.SCHEMA_ROOT
    for url in (
        "/etc/passwd",
        "/dev/zero",
        f"{root}/FA/../../../../../etc/passwd",
        f"file://evil.example{root}/FA/bazowe/KodyKrajow_v10-0E.xsd",
        "http://crd.gov.pl/xml/schematy/dziedzinowe/mf/2022/01/05/eD/DefinicjeTypy/StrukturyDanych_v10-0E.xsd",
        f"{root}/FA/bazowe/missing.xsd",
    ):
        with pytest.raises(ExternalAccessRefused):
            resolver.resolve(url, None, None)


# ---------------------------------------------------------------------------------------------- the CLI


@pytest.mark.parametrize("fmt", ["text", "json"])
def test_cli_inspect_refuses_the_audit_invoice(tmp_path: Path, targets: dict[str, Path], fmt: str) -> None:
    watched = [targets["regular"], targets["fifo"]]
    for kind in ("zero", "fifo", "regular"):
        data = hostile_documents(targets[kind])["utf16le-nobom-parameter-entity"]
        path = tmp_path / f"audit-{kind}.xml"
        path.write_bytes(data)
        env = {**os.environ, "KSEF_TUI_LANG": "pl"}
        with watch_opens(*watched) as opens:
            try:
                done = subprocess.run(
                    [sys.executable, "-m", "ksef_tui", "inspect", str(path), "--format", fmt],
                    capture_output=True,
                    text=True,
                    timeout=BOUND * 4,  # interpreter start-up on a loaded machine, plus the parse
                    env=env,
                )
            except subprocess.TimeoutExpired:
                pytest.fail("ksef-tui inspect hung on a hostile invoice")
        assert opens.of(*watched) == [], kind  # inotify sees the subprocess's opens too
        assert done.returncode == 2, done.stdout + done.stderr
        assert "Traceback" not in done.stderr
        assert "zawiera bajt NUL" in done.stdout and "KSeF przyjmuje tylko UTF-8" in done.stdout


# ------------------------------------------------------------------------------------ one parser factory

_FORBIDDEN = re.compile(
    r"\betree\.(XMLParser|fromstring|parse|XML|iterparse|XMLSchema|XInclude|HTMLParser|HTML|XMLPullParser)\s*\("
    r"|\.xinclude\s*\(|lxml\s+import\s+objectify|lxml\.objectify|\bxml\.(etree|dom|sax)\b(?!\.saxutils)"
)


def test_every_parser_in_the_project_comes_from_the_factory() -> None:
    package = Path(xml_safety.__file__).resolve().parents[1]
    offenders = []
    for path in sorted(package.rglob("*.py")):
        if path == Path(xml_safety.__file__).resolve():
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _FORBIDDEN.search(line):
                offenders.append(f"{path.relative_to(package)}:{number}: {line.strip()}")
    assert offenders == []


def test_the_source_check_can_fail() -> None:
    assert _FORBIDDEN.search("root = etree.fromstring(body)")
    assert _FORBIDDEN.search("tree.xinclude()")
    assert not _FORBIDDEN.search("from xml.sax.saxutils import escape")

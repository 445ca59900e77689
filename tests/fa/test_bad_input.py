"""Hostile and broken input: a clear (Polish) reason, exit code 2, no crash, no network, bounded memory."""

from __future__ import annotations

import json
import socket
import tracemalloc
from pathlib import Path

import pytest

from ksef_tui.core.fa import FaParseError, exit_code, inspect_bytes, inspect_file, parse_invoice, render_json
from ksef_tui.core.fa.parse import NS_FA1, NS_FA2, NS_FA3
from tests.fa.helpers import FA3_SAMPLES, TODAY

SAMPLE = (FA3_SAMPLES / "mf-official" / "FA_3_Przykład_1.xml").read_bytes()

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Faktura xmlns="http://crd.gov.pl/wzor/2025/06/25/13775/"><Fa><P_2>&lol9;</P_2></Fa></Faktura>
"""


def _xxe(target: str) -> bytes:
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE Faktura [<!ENTITY xxe SYSTEM "{target}">]>\n'
        f'<Faktura xmlns="{NS_FA3}"><Fa><P_2>&xxe;</P_2></Fa></Faktura>\n'
    ).encode()


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """Fail loudly if anything opens a socket."""
    attempts: list[object] = []

    def guard(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise AssertionError("network access attempted")

    monkeypatch.setattr(socket.socket, "connect", guard)
    monkeypatch.setattr(socket, "create_connection", guard)
    return attempts


def _assert_unreadable(path: Path, code: str, *fragments: str) -> dict:
    report = inspect_file(path)
    assert exit_code(report) == 2
    assert report.invoice is None and not report.valid
    doc = json.loads(render_json(report))
    assert doc["valid"] is False
    assert all(doc[k] is None for k in doc if k not in ("valid", "problems"))
    (problem,) = doc["problems"]
    assert problem["severity"] == "error"
    assert problem["code"] == code, problem
    for fragment in fragments:
        assert fragment in problem["message"]
    return problem


def test_not_xml(tmp_path: Path) -> None:
    path = tmp_path / "a.xml"
    path.write_bytes(b"%PDF-1.7 this is a PDF, not an invoice\n")
    _assert_unreadable(path, "xml-syntax", "XML")


def test_empty(tmp_path: Path) -> None:
    path = tmp_path / "a.xml"
    path.write_bytes(b"  \n")
    _assert_unreadable(path, "empty")


def test_missing_file_and_folder(tmp_path: Path) -> None:
    _assert_unreadable(tmp_path / "nope.xml", "unreadable")
    _assert_unreadable(tmp_path, "unreadable")


def test_wrong_namespace(tmp_path: Path) -> None:
    path = tmp_path / "a.xml"
    path.write_bytes(SAMPLE.replace(NS_FA3.encode(), b"http://example.com/faktura/"))
    _assert_unreadable(path, "unknown-namespace", "http://example.com/faktura/")


def test_fa1_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "a.xml"
    path.write_bytes(SAMPLE.replace(NS_FA3.encode(), NS_FA1.encode()))
    _assert_unreadable(path, "fa1-unsupported", "FA(1)")


def test_other_document(tmp_path: Path) -> None:
    path = tmp_path / "upo.xml"
    path.write_bytes(b'<?xml version="1.0"?><Potwierdzenie xmlns="http://upo.schematy.mf.gov.pl/KSeF/v4-3"/>')
    _assert_unreadable(path, "not-an-invoice", "Potwierdzenie")


@pytest.mark.parametrize("cut", [0.1, 0.5, 0.9, 0.999])
def test_truncated(tmp_path: Path, cut: float) -> None:
    path = tmp_path / "a.xml"
    path.write_bytes(SAMPLE[: int(len(SAMPLE) * cut)])
    problem = _assert_unreadable(path, "xml-truncated")
    assert problem["line"]


def test_billion_laughs(tmp_path: Path, no_network: list[object]) -> None:
    path = tmp_path / "a.xml"
    path.write_bytes(BILLION_LAUGHS)
    tracemalloc.start()
    try:
        _assert_unreadable(path, "dtd-forbidden", "DTD")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 5_000_000
    assert not no_network


@pytest.mark.parametrize(
    "target", ["file:///etc/passwd", "http://127.0.0.1:9/x", "https://example.com/x.dtd"]
)
def test_external_entity(tmp_path: Path, no_network: list[object], target: str) -> None:
    path = tmp_path / "a.xml"
    path.write_bytes(_xxe(target))
    _assert_unreadable(path, "dtd-forbidden")
    assert not no_network


def test_external_dtd_without_entities(tmp_path: Path, no_network: list[object]) -> None:
    path = tmp_path / "a.xml"
    body = SAMPLE.replace(b"<Faktura", b'<!DOCTYPE Faktura SYSTEM "http://127.0.0.1:9/fa.dtd">\n<Faktura', 1)
    path.write_bytes(body)
    _assert_unreadable(path, "dtd-forbidden")
    assert not no_network


def test_dtd_is_refused_even_past_the_prefilter() -> None:
    """Defence in depth: the post-parse check catches a DTD the byte search would miss."""
    from ksef_tui.core.fa import secure_xml

    with pytest.raises(FaParseError) as info:
        secure_xml.parse_xml(b"<!DOCTYPE\tx>".replace(b"\t", b" ") + b"<x/>")
    assert info.value.code == "dtd-forbidden"


def test_fifty_megabytes_is_refused_before_reading(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "big.xml"
    with path.open("wb") as fh:  # sparse: 50 MB on paper, nothing on disk
        fh.truncate(50 * 1024 * 1024)
    opened: list[Path] = []
    real_open = Path.open

    def spy(self: Path, *args: object, **kwargs: object):  # type: ignore[no-untyped-def]
        opened.append(self)
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", spy)
    tracemalloc.start()
    try:
        problem = _assert_unreadable(path, "too-large", "52428800", "3000000")
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert path not in opened, "the file must not even be opened"
    assert peak < 1_000_000
    assert problem["line"] is None


def test_size_cap_is_configurable(tmp_path: Path) -> None:
    path = tmp_path / "a.xml"
    path.write_bytes(SAMPLE)
    assert exit_code(inspect_file(path, max_bytes=len(SAMPLE))) in (0, 1)
    report = inspect_file(path, max_bytes=len(SAMPLE) - 1)
    assert report.problems[0].code == "too-large"
    with pytest.raises(FaParseError):
        parse_invoice(SAMPLE, max_bytes=100)
    assert inspect_bytes(SAMPLE, max_bytes=100).problems[0].code == "too-large"


def test_a_pipe_is_read_only_up_to_the_cap(tmp_path: Path) -> None:
    """A FIFO reports size 0; reading stops one byte past the cap."""
    import os
    import threading

    fifo = tmp_path / "pipe.xml"
    os.mkfifo(fifo)
    written: list[int] = []

    def writer() -> None:
        try:
            with open(fifo, "wb") as fh:
                for _i in range(1000):
                    fh.write(b"x" * 1024)
                    written.append(1024)
        except BrokenPipeError:
            pass

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    report = inspect_file(fifo, max_bytes=10_000)
    thread.join(timeout=5)
    assert report.problems[0].code == "too-large"
    assert sum(written) < 1000 * 1024


def test_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "a.xml"
    path.write_bytes(SAMPLE.decode("utf-8").encode("cp1250", errors="replace"))
    _assert_unreadable(path, "not-utf8", "UTF-8")


def test_utf16_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.xml"
    path.write_bytes(SAMPLE.decode("utf-8").replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16"))
    _assert_unreadable(path, "not-utf8")


def test_declared_foreign_encoding_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.xml"
    path.write_bytes(SAMPLE.replace(b'encoding="UTF-8"', b'encoding="ISO-8859-2"', 1))
    _assert_unreadable(path, "not-utf8", "ISO-8859-2")


def test_utf8_bom_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "a.xml"
    path.write_bytes(b"\xef\xbb\xbf" + SAMPLE)
    report = inspect_file(path, today=TODAY)
    assert report.invoice is not None and report.valid


def test_messages_are_polish_when_the_catalogue_is_active(tmp_path: Path, polish: None) -> None:
    path = tmp_path / "a.xml"
    path.write_bytes(b"<a>\xfe\xff garbage</a>")
    problem = _assert_unreadable(path, "not-utf8")
    assert "Plik nie jest tekstem UTF-8" in problem["message"]
    path.write_bytes(BILLION_LAUGHS)
    assert "faktura nie może go zawierać" in _assert_unreadable(path, "dtd-forbidden")["message"]
    path.write_bytes(SAMPLE.replace(NS_FA3.encode(), NS_FA1.encode()))
    assert "obsługiwane są tylko FA(2) i FA(3)" in _assert_unreadable(path, "fa1-unsupported")["message"]


def test_fa2_namespace_is_accepted() -> None:
    data = SAMPLE.replace(NS_FA3.encode(), NS_FA2.encode())
    assert parse_invoice(data).invoice.form.value == "FA (2)"

"""Terminal control and bidi characters never reach the terminal raw (issue 17 item 8).

Client names (the store takes any text) can carry ESC and BEL; invoices can carry what XML 1.0 allows:
C1 controls such as U+009B (CSI, an escape sequence's start on many terminals), DEL and the bidi
overrides/isolates. Text and table output replace them with U+FFFD; JSON output escapes them as
\\uXXXX, so a machine still reads the exact value.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ksef_tui.__main__ import cli
from ksef_tui.core.display_text import PLACEHOLDER, json_dumps, safe_display, same_length_safe
from ksef_tui.widgets.line_table import fit
from tests.fa.helpers import FA3_SAMPLES

SAMPLE = (FA3_SAMPLES / "mf-official" / "FA_3_Przykład_1.xml").read_bytes()

# Everything that must never be printed raw.
RAW = [
    "\x1b",
    "\x9b",
    "\u202e",
    "\x07",
    "\x00",
    "\x08",
    "\x7f",
    "\x85",
    "\u202a",
    "\u202c",
    "\u2066",
    "\u2069",
]
RAW += ["\u200e", "\u200f", "\u061c", "\r"]
HOSTILE_NAME = "Firma \x1b[31mCZERWONA\x1b[0m \x9b2J \u202eexe.gpj\u202c \x07 Sp.\u2066 z o.o.\u2069"
# XML 1.0 cannot carry ESC or BEL (not even as &#x1b;), but C1 controls, DEL and bidi controls it can.
HOSTILE_SELLER = "ABC \x9b2J \u202eDGA\u202c \u2067x\u2069 \x7f\x85 sp. z o. o."
HOSTILE_LINE = "lodówka \u202egnp.exe\u202c \x9b31m"


def _clean(text: str) -> None:
    found = sorted({f"U+{ord(c):04X}" for c in RAW if c in text})
    assert found == [], f"raw control/bidi characters in the output: {found}"


# --- the function --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "char", [*RAW, "\x01", "\x1f", "\x80", "\x9f", "\u202b", "\u202d", "\u2067", "\u2068"]
)
def test_each_control_and_bidi_character_is_replaced(char: str) -> None:
    shown = safe_display(f"a{char}b")
    assert char not in shown
    assert shown in ("a" + PLACEHOLDER + "b", "a b")  # CR/NEL on one line: a space


def test_ordinary_text_is_left_alone() -> None:
    for text in (
        "Zażółć gęślą jaźń — ZAŻÓŁĆ GĘŚLĄ JAŹŃ",
        "1\u00a0234,56\u00a0zł",  # no-break spaces in amounts
        'Biuro [/x] "Ś" [bold]b[/bold] <Nazwa>&amp;',
        "👩\u200d💻 i 🇵🇱",  # a zero-width joiner inside an emoji is not a control
        "",
    ):
        assert safe_display(text) == text
        assert json.loads(json_dumps(text)) == text


def test_tabs_and_line_breaks() -> None:
    assert safe_display("a\tb") == "a b"
    assert safe_display("a\nb\r\nc\rd\u2028e") == "a b  c d e"
    assert safe_display("a\nb\r\nc\rd\u2028e", newlines=True) == "a\nb\nc\nd\ne"
    assert safe_display("\x1b[2J\nx", newlines=True) == PLACEHOLDER + "[2J\nx"
    assert safe_display(12) == "12"


def test_same_length_variant_keeps_offsets() -> None:
    text = "ab\r\n\x1b\u202e\tc"
    assert len(same_length_safe(text, newlines=True)) == len(text)
    assert len(same_length_safe(text)) == len(text)
    _clean(same_length_safe(text, newlines=True))


def test_json_escapes_what_plain_json_would_leave_raw() -> None:
    value = {"name": HOSTILE_NAME, "seller": HOSTILE_SELLER, "note": "łódź\u2028"}
    assert any(c in json.dumps(value, ensure_ascii=False) for c in ("\x9b", "\u202e"))  # the bug
    for indent in (None, 2):
        dumped = json_dumps(value, indent=indent)
        _clean(dumped)
        assert "\\u009b" in dumped and "\\u202e" in dumped and "łódź" in dumped
        assert json.loads(dumped) == value  # the exact value survives for machines


def test_line_table_cells_are_cleaned() -> None:
    cell = fit(HOSTILE_NAME, 80)
    _clean(cell)
    assert cell.startswith("Firma " + PLACEHOLDER + "[31mCZERWONA")


# --- the command line ----------------------------------------------------------------------------


@pytest.fixture
def hostile_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A store with one client named with terminal controls; returns its passphrase file."""
    from datetime import UTC, datetime, timedelta

    from ksef_tui.core.models import Client, Credential, CredentialKind
    from ksef_tui.store import KdfLimits, Store

    monkeypatch.setenv("KSEF_TUI_HOME", str(tmp_path / "home"))
    store = Store.create(tmp_path / "home", "pass phrase 1", kdf=KdfLimits.FAST_FOR_TESTS)
    client = store.clients.add(Client(HOSTILE_NAME, "ZLY_218", ["1234563218"], notes="\x1b]0;tytuł\x07"))
    store.credentials.add(
        Credential(
            client.id,
            CredentialKind.KSEF_CERTIFICATE,
            valid_until=datetime.now(UTC) + timedelta(days=3),
            label="\u202eetikiet",
        )
    )
    store.close()
    pass_file = tmp_path / "pass"
    pass_file.write_text("pass phrase 1\n", encoding="utf-8")
    pass_file.chmod(0o600)
    return pass_file


def test_status_table_and_json(hostile_store: Path) -> None:
    runner = CliRunner()
    table = runner.invoke(cli, ["status", "--passphrase-file", str(hostile_store)])
    assert table.exit_code in (1, 2), table.output
    _clean(table.output)
    assert "Firma " + PLACEHOLDER + "[31mCZERWONA" in table.output
    as_json = runner.invoke(cli, ["status", "--format", "json", "--passphrase-file", str(hostile_store)])
    _clean(as_json.output)
    (row,) = json.loads(as_json.output)
    assert row["name"] == HOSTILE_NAME  # escaped in the JSON text, exact once parsed


def _hostile_invoice(tmp_path: Path) -> Path:
    body = SAMPLE.decode("utf-8")
    body = body.replace("<Nazwa>ABC AGD sp. z o. o.</Nazwa>", f"<Nazwa>{HOSTILE_SELLER}</Nazwa>", 1)
    body = body.replace("<P_7>lodówka Zimnotech mk1</P_7>", f"<P_7>{HOSTILE_LINE}</P_7>", 1)
    body = body.replace("<P_2>", "<P_2>FV\u202e", 1)
    assert HOSTILE_SELLER in body and HOSTILE_LINE in body
    path = tmp_path / "hostile.xml"
    path.write_bytes(body.encode("utf-8"))
    return path


def test_inspect_text_and_json(tmp_path: Path) -> None:
    path = _hostile_invoice(tmp_path)
    runner = CliRunner()
    text = runner.invoke(cli, ["--lang", "pl", "inspect", str(path), "--format", "text"])
    assert text.exit_code in (0, 1), text.output  # a valid invoice: the characters are legal XML
    _clean(text.output)
    assert "ABC " + PLACEHOLDER + "2J " + PLACEHOLDER + "DGA" in text.output
    as_json = runner.invoke(cli, ["--lang", "pl", "inspect", str(path), "--format", "json"])
    _clean(as_json.output)
    report = json.loads(as_json.output)
    assert report["seller"]["name"] == HOSTILE_SELLER
    assert report["number"].startswith("FV\u202e")


def test_a_problem_message_cannot_forge_lines(tmp_path: Path) -> None:
    """A finding's message quoting the file (libxml2's words) stays on its own line."""
    from ksef_tui.core.fa.findings import error
    from ksef_tui.core.fa.report import InspectReport, render_text

    report = InspectReport(
        source=str(tmp_path / "a\x1b[2J.xml"),
        invoice=None,
        valid=False,
        problems=(error("xml-syntax", "bad\nERROR [fake]: \u202eforged"),),
    )
    out = render_text(report)
    _clean(out)
    assert len(out.splitlines()) == 4  # file, verdict, "Problems (1):", the one problem

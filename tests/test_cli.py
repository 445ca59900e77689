"""The headless commands: `status` (cron/monitoring contract) and `inspect` (invoice report)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from ksef_tui.__main__ import cli

DATA = Path(__file__).resolve().parent / "data"
KOR = DATA / "samples/fa3/ksef2-test-suite/KSEF_02_KOR.xml"


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_status_demo_json_lists_all_colours_and_exits_2(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["status", "--demo", "--format", "json"])
    assert result.exit_code == 2, result.output
    rows = json.loads(result.output)
    assert len(rows) >= 40
    for row in rows:
        assert {"short_code", "name", "nip", "level", "reason", "expires"} <= set(row)
        assert row["level"] in {"red", "yellow", "green"}
        assert row["expires"] is None or len(row["expires"]) == 10
    levels = [r["level"] for r in rows]
    assert {"red", "yellow", "green"} == set(levels)
    # Urgency order: every red before every yellow before every green.
    assert levels == sorted(levels, key=["red", "yellow", "green"].index)
    assert any(r["expires"] is None for r in rows if r["level"] == "red")  # "no credential at all"


def test_status_exit_codes_follow_the_worst_colour(runner: CliRunner, tmp_path: Path, monkeypatch) -> None:
    from datetime import UTC, datetime, timedelta

    import ksef_tui.cli.status as status_module
    from ksef_tui.core.clock import fixed_clock
    from ksef_tui.core.models import CheckOutcome, Client, Credential, CredentialKind, LiveCheck
    from ksef_tui.store import KdfLimits, Store

    now = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)

    class FixedDatetime(datetime):
        """The command's `datetime.now`, at `now`: the colours are decided on a fixed date."""

        @classmethod
        def now(cls, tz=None):  # type: ignore[no-untyped-def, override]
            return now.astimezone(tz) if tz is not None else now.replace(tzinfo=None)

    monkeypatch.setattr(status_module, "datetime", FixedDatetime)
    monkeypatch.setenv("KSEF_TUI_HOME", str(tmp_path / "home"))
    store = Store.create(
        tmp_path / "home", "pass phrase 1", kdf=KdfLimits.FAST_FOR_TESTS, clock=fixed_clock(now)
    )
    client = store.clients.add(Client("Zielona", "ZIELONA_218", ["1234563218"]))
    cred = store.credentials.add(
        Credential(client.id, CredentialKind.KSEF_CERTIFICATE, valid_until=now + timedelta(days=400))
    )
    perms = frozenset({"InvoiceRead", "InvoiceWrite", "Introspection"})
    store.checks.record(LiveCheck(client.id, now, CheckOutcome.OK, credential_id=cred.id, permissions=perms))
    store.close()
    pass_file = tmp_path / "pass"
    pass_file.write_text("pass phrase 1\n", encoding="utf-8")
    pass_file.chmod(0o600)

    def status() -> tuple[int, list[dict]]:
        result = runner.invoke(cli, ["status", "--format", "json", "--passphrase-file", str(pass_file)])
        return result.exit_code, json.loads(result.output) if result.output.startswith("[") else []

    code, rows = status()
    assert code == 0 and rows[0]["level"] == "green", rows
    store = Store.open(tmp_path / "home", "pass phrase 1")
    cred = store.credentials.for_client(client.id)[0]
    cred.valid_until = now + timedelta(days=20)
    store.credentials.update(cred)
    store.close()
    code, rows = status()
    assert code == 1 and rows[0]["level"] == "yellow"
    store = Store.open(tmp_path / "home", "pass phrase 1")
    cred.valid_until = now - timedelta(days=1)
    store.credentials.update(cred)
    store.close()
    code, rows = status()
    assert code == 2 and rows[0]["level"] == "red"


def test_status_wrong_passphrase_is_a_clear_error(runner: CliRunner, tmp_path: Path, monkeypatch) -> None:
    from ksef_tui.store import KdfLimits, Store

    monkeypatch.setenv("KSEF_TUI_HOME", str(tmp_path / "home"))
    Store.create(tmp_path / "home", "pass phrase 1", kdf=KdfLimits.FAST_FOR_TESTS).close()
    pass_file = tmp_path / "pass"
    pass_file.write_text("wrong one", encoding="utf-8")
    pass_file.chmod(0o600)
    result = runner.invoke(cli, ["status", "--passphrase-file", str(pass_file)])
    assert result.exit_code == 3  # not a colour: the check could not run
    assert "hasło" in result.output.lower() and "Traceback" not in result.output


def test_status_table_in_english(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["--lang", "en", "status", "--demo"])
    assert result.exit_code == 2
    assert "Expires" in result.output.splitlines()[0]
    assert "Expired" in result.output
    assert result.output.splitlines()[-1].startswith("Clients: ")


def test_inspect_json_has_exactly_the_documented_keys(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["inspect", str(KOR), "--format", "json"])
    data = json.loads(result.output)
    assert set(data) == {
        "form",
        "kind",
        "number",
        "issue_date",
        "currency",
        "seller",
        "buyer",
        "lines",
        "totals",
        "corrected",
        "valid",
        "problems",
    }
    assert data["kind"] == "KOR" and data["form"] == "FA (3)" and data["valid"] is True
    assert data["totals"] == {"net": "-406.50", "vat": "-93.50", "gross": "-500.00"}
    assert data["corrected"] == ["9999999999-20251215-A1B2C3-D4E5F6-AB"]
    assert result.exit_code == 0


@pytest.mark.parametrize(
    ("content", "needle"),
    [
        (b"this is not xml", None),
        (b'<?xml version="1.0"?><Faktura xmlns="http://crd.gov.pl/wzor/2021/11/29/11089/"/>', "FA(1)"),
        (b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>', None),
        (b"\xff\xfe<\x00a\x00>\x00", None),
    ],
)
def test_inspect_bad_input_exits_2_with_a_message(runner: CliRunner, tmp_path: Path, content, needle) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_bytes(content)
    for fmt in ("json", "text"):
        result = runner.invoke(cli, ["inspect", str(bad), "--format", fmt])
        assert result.exit_code == 2, result.output
        assert "Traceback" not in result.output
        assert "root:" not in result.output  # /etc/passwd was never read
        if fmt == "json":
            data = json.loads(result.output)
            assert data["valid"] is False and data["problems"]
            if needle:
                assert needle in json.dumps(data, ensure_ascii=False)


def test_inspect_missing_file(runner: CliRunner, tmp_path: Path) -> None:
    result = runner.invoke(cli, ["inspect", str(tmp_path / "nope.xml"), "--format", "json"])
    assert result.exit_code == 2
    assert json.loads(result.output)["valid"] is False


def test_installed_command_uses_exit_3_for_usage_errors(tmp_path: Path) -> None:
    import subprocess
    import sys

    bad_format = subprocess.run(
        [sys.executable, "-m", "ksef_tui", "status", "--format", "yaml"], capture_output=True, text=True
    )
    assert bad_format.returncode == 3, bad_format.stderr
    helped = subprocess.run([sys.executable, "-m", "ksef_tui", "--help"], capture_output=True, text=True)
    assert helped.returncode == 0 and "status" in helped.stdout


def test_status_refuses_a_passphrase_file_others_can_read(
    runner: CliRunner, tmp_path: Path, monkeypatch
) -> None:
    from ksef_tui.store import KdfLimits, Store

    monkeypatch.setenv("KSEF_TUI_HOME", str(tmp_path / "home"))
    Store.create(tmp_path / "home", "pass phrase 1", kdf=KdfLimits.FAST_FOR_TESTS).close()
    pass_file = tmp_path / "pass"
    pass_file.write_text("pass phrase 1", encoding="utf-8")
    pass_file.chmod(0o644)
    result = runner.invoke(cli, ["status", "--passphrase-file", str(pass_file)])
    assert result.exit_code == 3
    assert "chmod 600" in result.output


def test_passphrase_change_keeps_everything_readable(runner: CliRunner, tmp_path: Path, monkeypatch) -> None:
    from ksef_tui.core.models import Client, Credential, CredentialKind
    from ksef_tui.store import KdfLimits, Store, WrongPassphrase

    monkeypatch.setenv("KSEF_TUI_HOME", str(tmp_path / "home"))
    store = Store.create(tmp_path / "home", "old pass phrase", kdf=KdfLimits.FAST_FOR_TESTS)
    client = store.clients.add(Client("Firma", "FIRMA_218", ["1234563218"]))
    store.credentials.add(Credential(client.id, CredentialKind.KSEF_TOKEN, secret="t" * 40))
    store.close()
    mismatch = runner.invoke(cli, ["passphrase"], input="old pass phrase\nnew pass phrase\nnew pass phrasX\n")
    assert mismatch.exit_code == 3 and "różnią" in mismatch.output
    wrong = runner.invoke(cli, ["passphrase"], input="not it\n")
    assert wrong.exit_code == 3
    done = runner.invoke(cli, ["passphrase"], input="old pass phrase\nnew pass phrase\nnew pass phrase\n")
    assert done.exit_code == 0, done.output
    with pytest.raises(WrongPassphrase):
        Store.open(tmp_path / "home", "old pass phrase")
    reopened = Store.open(tmp_path / "home", "new pass phrase")
    assert reopened.credentials.for_client(client.id)[0].secret == "t" * 40
    reopened.close()


UPO = DATA / "samples/upo/ksef-docs__kontekst-nip__upo-sesja-kontekst-id-nip.xml"


def test_inspect_of_a_upo_prints_the_receipt_not_invoice_errors(runner: CliRunner) -> None:
    result = runner.invoke(cli, ["inspect", str(UPO), "--format", "text"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("UPO — urzędowe poświadczenie odbioru\n")
    assert "Sesja: 36950822-93-9D5A28BFDA-47C899773E-5C" in result.output
    assert "Numer KSeF: 5265877635-20250916-010040741B3E-46" in result.output
    as_json = runner.invoke(cli, ["inspect", str(UPO), "--format", "json"])
    assert as_json.exit_code == 0
    data = json.loads(as_json.output)
    assert data["kind"] == "upo" and len(data["documents"]) == 2
    assert data["documents"][0]["sent_at"] == "2025-09-16T11:02:41.584000+02:00"  # as KSeF wrote it


def test_inspect_of_a_upo_opens_the_upo_viewer(runner: CliRunner, monkeypatch: pytest.MonkeyPatch) -> None:
    from ksef_tui.screens.upo_viewer import UpoViewerScreen
    from ksef_tui.ui.app import KsefApp

    opened: list[object] = []
    monkeypatch.setattr(KsefApp, "run", lambda app: opened.append(app._initial_screen()))
    result = runner.invoke(cli, ["inspect", str(UPO)])
    assert result.exit_code == 0, result.output
    (screen,) = opened
    assert isinstance(screen, UpoViewerScreen)
    assert screen.receipts[0].session_reference == "36950822-93-9D5A28BFDA-47C899773E-5C"


def test_inspect_of_a_broken_upo_says_why(runner: CliRunner, tmp_path: Path) -> None:
    broken = tmp_path / "upo.xml"
    broken.write_bytes(UPO.read_bytes().replace(b"NumerReferencyjnySesji", b"Inny"))
    result = runner.invoke(cli, ["inspect", str(broken), "--format", "text"])
    assert result.exit_code == 2
    assert "NumerReferencyjnySesji" in result.output

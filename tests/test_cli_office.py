"""`ksef-tui office show|set` (issue 10 item 2): the profile without the TUI; exit 3 on bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ksef_tui.__main__ import cli
from ksef_tui.store import KdfLimits, Store
from ksef_tui.sync.office import KEYS, read_profile

PASSPHRASE = "office cli pass phrase"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    Store.create(home, PASSPHRASE, kdf=KdfLimits.FAST_FOR_TESTS).close()
    monkeypatch.setenv("KSEF_TUI_HOME", str(home))
    monkeypatch.setenv("KSEF_TUI_PASSPHRASE", PASSPHRASE)
    return home


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _profile(home: Path):  # type: ignore[no-untyped-def]
    store = Store.open(home, PASSPHRASE)
    try:
        return read_profile(store)
    finally:
        store.close()


def test_show_json_lists_every_key_with_the_defaults(home: Path) -> None:
    result = _run("office", "show", "--format", "json")
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    assert list(shown) == list(KEYS)
    assert shown["environment"] == "prod"
    assert (shown["red_days"], shown["yellow_days"], shown["check_stale_days"]) == (7, 30, 7)
    assert shown["idle_minutes"] == 15
    assert shown["upo_folder"] == str(Path.home() / "KSeF" / "UPO")  # the folder the app uses


def test_set_then_show(home: Path, tmp_path: Path) -> None:
    for key, value in (
        ("nip", "526-025-02-74"),
        ("name", "Biuro Rachunkowe Zielonka"),
        ("environment", "test"),
        ("upo_folder", str(tmp_path / "upo")),
        ("yellow_days", "45"),
        ("red_days", "10"),
        ("check_stale_days", "3"),
        ("idle_minutes", "5"),
    ):
        result = _run("office", "set", key, value)
        assert result.exit_code == 0, result.output
        assert result.stdout.startswith(f"Zapisano: {key} = ")
    shown = json.loads(_run("office", "show", "--format", "json").stdout)
    assert shown["nip"] == "5260250274"
    assert shown["environment"] == "test"
    assert shown["upo_folder"] == str(tmp_path / "upo")
    assert (shown["red_days"], shown["yellow_days"], shown["idle_minutes"]) == (10, 45, 5)
    table = _run("office", "show").stdout
    assert "NIP biura" in table and "526-025-02-74" in table
    assert "Biuro Rachunkowe Zielonka" in table


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("nip", "5260250275"), "Suma kontrolna"),
        (("environment", "prd"), "prod, test, demo"),
        (("red_days", "31"), "co najmniej 31"),  # after yellow (30)
        (("idle_minutes", "zero"), "od 1 do 480"),
        (("colour", "red"), "Nieznane ustawienie colour"),
    ],
)
def test_bad_input_exits_3_and_saves_nothing(home: Path, args: tuple[str, str], words: str) -> None:
    before = _profile(home)
    result = CliRunner().invoke(cli, ["office", "set", *args])
    assert result.exit_code == 3, result.output
    assert words in result.output
    assert _profile(home) == before


def test_no_store_exits_3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KSEF_TUI_HOME", str(tmp_path / "none"))
    result = CliRunner().invoke(cli, ["office", "show"])
    assert result.exit_code == 3, result.output


def test_wrong_passphrase_exits_3(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KSEF_TUI_PASSPHRASE", "not the passphrase at all")
    result = CliRunner().invoke(cli, ["office", "set", "name", "X"])
    assert result.exit_code == 3, result.output


def test_status_colours_by_the_office_thresholds(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """`status` (cron) colours as the board does: by the profile's days, not the built-in ones."""
    from datetime import UTC, datetime, timedelta

    import ksef_tui.cli.status as status_module
    from ksef_tui.core.models import CheckOutcome, Client, Credential, CredentialKind, LiveCheck

    now = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)

    class FixedDatetime(datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[no-untyped-def, override]
            return now.astimezone(tz) if tz is not None else now.replace(tzinfo=None)

    monkeypatch.setattr(status_module, "datetime", FixedDatetime)
    store = Store.open(home, PASSPHRASE)
    client = store.clients.add(Client("Zielona", "ZIELONA_218", ["1234563218"]))
    cred = store.credentials.add(
        Credential(client.id, CredentialKind.KSEF_CERTIFICATE, valid_until=now + timedelta(days=20))
    )
    perms = frozenset({"InvoiceRead", "InvoiceWrite", "Introspection"})
    store.checks.record(LiveCheck(client.id, now, CheckOutcome.OK, credential_id=cred.id, permissions=perms))
    store.close()

    def level() -> tuple[int, str]:
        result = _run("status", "--format", "json")
        return result.exit_code, json.loads(result.stdout)[0]["level"]

    assert level() == (1, "yellow")  # 20 days: inside the built-in 30
    assert _run("office", "set", "yellow_days", "10").exit_code == 0
    assert level() == (0, "green")
    assert _run("office", "set", "red_days", "25").exit_code == 3  # after yellow: refused
    assert _run("office", "set", "yellow_days", "40").exit_code == 0
    assert _run("office", "set", "red_days", "25").exit_code == 0
    assert level() == (2, "red")

"""Issue 17 item 1, headless: `status`, `sessions` and `upo` print the store's damage list on stderr (one
line per damaged value: table, row, column, client; never a value) and then exit 2, never 0."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ksef_tui import demo as demo_module
from ksef_tui.__main__ import cli
from ksef_tui.core.demo_roster import make_roster
from ksef_tui.core.models import CheckOutcome, Client, Credential, CredentialKind, LiveCheck
from ksef_tui.store import KdfLimits, Store
from ksef_tui.store.paths import DB_FILENAME

DEMO_SEED = demo_module.DEMO_SEED

DAMAGED_REASON = "dane uszkodzone w magazynie — przywróć z kopii lub wczytaj ponownie"


def flip(home: Path, table: str, column: str, row_id: int) -> None:
    conn = sqlite3.connect(home / DB_FILENAME, isolation_level=None)
    (blob,) = conn.execute(f"SELECT {column} FROM {table} WHERE id = ?", [row_id]).fetchone()
    conn.execute(f"UPDATE {table} SET {column} = ? WHERE id = ?", [blob[:-1] + bytes([blob[-1] ^ 1]), row_id])
    conn.close()


@pytest.fixture
def damaged_demo(monkeypatch: pytest.MonkeyPatch) -> Callable[[str, CredentialKind, str], list[Any]]:
    """Make `--demo` build its store (fast KDF) with one value of one profile's credential damaged."""
    made: list[Any] = []

    def arrange(profile: str, kind: CredentialKind, column: str) -> list[Any]:
        original = demo_module.prepare_demo

        def prepare(now: datetime, **kwargs: Any) -> Any:
            demo = original(now, kdf=KdfLimits.FAST_FOR_TESTS)
            entry = next(e for e in demo.roster if e.profile == profile)
            store = Store.open(demo.home, demo_module.DEMO_PASSPHRASE)
            client = store.clients.find_by_short_code(entry.short_code)
            cred = next(c for c in store.credentials.for_client(client.id) if c.kind is kind)
            store.close()
            flip(demo.home, "credentials", column, cred.id)
            made.append((demo, entry, cred.id))
            return demo

        monkeypatch.setattr(demo_module, "prepare_demo", prepare)
        return made

    return arrange


def test_status_names_the_damaged_expiry_on_stderr_and_the_client_is_red(damaged_demo: Any) -> None:
    made = damaged_demo("expired", CredentialKind.KSEF_CERTIFICATE, "valid_until")
    result = CliRunner().invoke(cli, ["status", "--demo", "--format", "json"])
    [(_demo, entry, cred_id)] = made
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        f"Uszkodzone w magazynie: tabela credentials, wiersz {cred_id}, kolumna valid_until,"
        f" klient {entry.short_code}."
    ]
    row = next(r for r in json.loads(result.stdout) if r["short_code"] == entry.short_code)
    assert (row["level"], row["reason"]) == ("red", DAMAGED_REASON)  # not green "Ważny."


def test_sessions_exits_2_on_a_damaged_token(damaged_demo: Any) -> None:
    made = damaged_demo("token_sunset", CredentialKind.KSEF_TOKEN, "secret")
    result = CliRunner().invoke(cli, ["sessions", "--demo", "--format", "json"])
    [(_demo, entry, cred_id)] = made
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [
        f"Uszkodzone w magazynie: tabela credentials, wiersz {cred_id}, kolumna secret,"
        f" klient {entry.short_code}."
    ]
    json.loads(result.stdout)  # the listing itself is still printed


def test_upo_exits_2_and_never_logs_in_with_a_damaged_token(damaged_demo: Any, tmp_path: Path) -> None:
    made = damaged_demo("token_sunset", CredentialKind.KSEF_TOKEN, "secret")
    # The roster's NIPs depend on its seed only: the damaged client's NIP is known before the run.
    nip = next(e.nip for e in make_roster(datetime.now(UTC), DEMO_SEED) if e.profile == "token_sunset")
    result = CliRunner().invoke(cli, ["upo", "--demo", "--client", nip, "--out", str(tmp_path / "UPO")])
    [(_demo, entry, cred_id)] = made
    assert entry.nip == nip
    assert result.exit_code == 2, result.output
    assert result.stderr.splitlines() == [
        f"Uszkodzone w magazynie: tabela credentials, wiersz {cred_id}, kolumna secret,"
        f" klient {entry.short_code}."
    ]
    # The one failure line says why, and the placeholder never went to KSeF as a token.
    assert f"{entry.short_code}: {DAMAGED_REASON}" in result.stdout.splitlines()
    assert "sekret" not in result.output and "|nip-" not in result.output


def test_status_of_an_otherwise_green_store_exits_2_on_a_damaged_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KSEF_TUI_HOME", str(tmp_path / "home"))
    now = datetime.now(UTC)
    store = Store.create(tmp_path / "home", "pass phrase 1", kdf=KdfLimits.FAST_FOR_TESTS)
    client = store.clients.add(Client("Zielona", "ZIELONA_218", ["1234563218"]))
    assert client.id is not None
    cred = store.credentials.add(
        Credential(client.id, CredentialKind.KSEF_CERTIFICATE, valid_until=now + timedelta(days=400))
    )
    perms = frozenset({"InvoiceRead", "InvoiceWrite", "Introspection"})
    store.checks.record(LiveCheck(client.id, now, CheckOutcome.OK, credential_id=cred.id, permissions=perms))
    store.close()
    pass_file = tmp_path / "pass"
    pass_file.write_text("pass phrase 1\n", encoding="utf-8")
    pass_file.chmod(0o600)
    args = ["status", "--format", "json", "--passphrase-file", str(pass_file)]
    assert CliRunner().invoke(cli, args).exit_code == 0

    flip(tmp_path / "home", "clients", "name", client.id)
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2
    assert result.stderr == (
        f"Uszkodzone w magazynie: tabela clients, wiersz {client.id}, kolumna name, klient ZIELONA_218.\n"
    )
    [row] = json.loads(result.stdout)
    assert (row["level"], row["reason"]) == ("red", DAMAGED_REASON)


@pytest.mark.parametrize("command", [["office", "show"], ["office", "set", "name", "Biuro"], ["backup"]])
def test_the_other_store_commands_list_damage_and_never_exit_0(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    """Every headless command that opens the store lists its damage on stderr and exits 2 — also the ones
    whose own work succeeded (the backup is written: it holds what the store holds, damage included)."""
    home = tmp_path / "home"
    monkeypatch.setenv("KSEF_TUI_HOME", str(home))
    store = Store.create(home, "pass phrase 1", kdf=KdfLimits.FAST_FOR_TESTS)
    client = store.clients.add(Client("Zielona", "ZIELONA_218", ["1234563218"]))
    assert client.id is not None
    store.close()
    pass_file = tmp_path / "pass"
    pass_file.write_text("pass phrase 1\n", encoding="utf-8")
    pass_file.chmod(0o600)
    args = [*command, *([str(tmp_path / "copy.db")] if command == ["backup"] else [])]
    args += ["--passphrase-file", str(pass_file)]
    assert CliRunner().invoke(cli, args).exit_code == 0, "a sound store: exit 0"
    (tmp_path / "copy.db").unlink(missing_ok=True)

    flip(home, "clients", "name", client.id)
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 2, result.output
    assert result.stderr == (
        f"Uszkodzone w magazynie: tabela clients, wiersz {client.id}, kolumna name, klient ZIELONA_218.\n"
    )
    if command == ["backup"]:
        assert (tmp_path / "copy.db").exists()

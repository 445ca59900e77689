"""`ksef-tui operators ...`, `--operator` on every command, `init`'s recovery key and `ksef-tui recover`
(issue 15 items 1 and 4), on a real store made by `ksef-tui init`."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest
from click.testing import CliRunner, Result

import ksef_tui.cli.init as init_module
from ksef_tui.__main__ import cli
from ksef_tui.core.models import Client, Environment
from ksef_tui.store import KdfLimits, Store

ADMIN = "hasło administratora biura"
NIPS = ["5260250274", "1234563218", "7010002139", "9542583988"]


def _secret_file(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text + "\n", encoding="utf-8")
    path.chmod(0o600)
    return path


@pytest.fixture
def office(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    monkeypatch.setattr(init_module, "KDF", KdfLimits.FAST_FOR_TESTS)
    home = tmp_path / "home"
    monkeypatch.setenv("KSEF_TUI_HOME", str(home))
    monkeypatch.delenv("KSEF_TUI_PASSPHRASE", raising=False)
    monkeypatch.delenv("KSEF_TUI_OPERATOR", raising=False)
    admin = _secret_file(tmp_path, "admin", ADMIN)
    result = CliRunner().invoke(cli, ["init", "--passphrase-file", str(admin)])
    assert result.exit_code == 0, result.output
    words = re.findall(r"\d+\. ([a-z]{5})", result.output)
    (tmp_path / "words.txt").write_text(" ".join(words), encoding="utf-8")
    with Store.open(home, ADMIN) as store:
        for i, nip in enumerate(NIPS, 1):
            store.clients.add(Client(f"Klient {i}", f"K{i}", [nip], Environment.TEST))
    return {"home": home, "admin": admin, "dir": tmp_path}


def run(office: dict[str, Path], *args: str, secret: Path | None = None, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, [*args, "--passphrase-file", str(secret or office["admin"])], input=input)


def test_init_shows_the_recovery_key_once_and_recover_sets_a_new_admin_passphrase(
    office: dict[str, Path],
) -> None:
    words = (office["dir"] / "words.txt").read_text(encoding="utf-8").split()
    assert len(words) == 24
    words_file = office["dir"] / "words-file"
    words_file.write_text("\n".join(" ".join(words[i : i + 6]) for i in range(0, 24, 6)), encoding="utf-8")
    words_file.chmod(0o600)
    new = _secret_file(office["dir"], "new", "nowe hasło po odzyskaniu")
    wrong = _secret_file(office["dir"], "wrong", " ".join([*words[:5], "zzzzz", *words[6:]]))
    refused = CliRunner().invoke(
        cli, ["recover", "--words-file", str(wrong), "--new-passphrase-file", str(new)]
    )
    assert refused.exit_code == 3 and "Słowo 6 (zzzzz)" in refused.output
    done = CliRunner().invoke(
        cli, ["recover", "--words-file", str(words_file), "--new-passphrase-file", str(new)]
    )
    assert done.exit_code == 0, done.output
    assert "admin" in done.output
    Store.open(office["home"], "nowe hasło po odzyskaniu").close()
    again = run(office, "operators", "recovery-key", secret=new)
    assert again.exit_code == 3 and "ma już klucz odzyskiwania" in again.output


def test_operators_add_list_assign_unassign_reset_remove(office: dict[str, Path]) -> None:
    start = _secret_file(office["dir"], "start", "start-ani-123")
    added = run(
        office, "operators", "add", "ania", "--name", "Anna Nowak", "--role", "accountant",
        "--client", "K1", "--client", "1234563218", "--client", "K3", "--new-passphrase-file", str(start),
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert "ania" in added.output and "księgowy" in added.output
    listed = run(office, "operators", "list", "--format", "json")
    rows = {r["login"]: r for r in json.loads(listed.output)}
    assert rows["ania"] == {
        "login": "ania",
        "name": "Anna Nowak",
        "role": "accountant",
        "clients": [1, 2, 3],
        "must_change_passphrase": True,
    }
    assert rows["admin"]["role"] == "administrator" and rows["admin"]["clients"] is None
    assert run(office, "operators", "unassign", "ania", "--client", "K1").exit_code == 0
    assert run(office, "operators", "assign", "ania", "--client", "K4").exit_code == 0
    text = run(office, "operators", "list")
    assert re.search(r"ania\s+Anna Nowak\s+księgowy\s+3\s+musi zmienić hasło", text.output), text.output
    reset = _secret_file(office["dir"], "reset", "reset-ani-456")
    assert run(office, "operators", "reset", "ania", "--new-passphrase-file", str(reset)).exit_code == 0
    gone = run(office, "operators", "remove", "ania", "--yes")
    assert gone.exit_code == 0
    assert "ania" not in run(office, "operators", "list").output


def test_an_operator_unlocks_with_operator_and_must_change_the_initial_passphrase(
    office: dict[str, Path],
) -> None:
    start = _secret_file(office["dir"], "start", "start-ani-123")
    run(office, "operators", "add", "ania", "--name", "Anna", "--client", "K1", "--client", "K2",
        "--new-passphrase-file", str(start))  # fmt: skip
    # a script cannot answer: exit 3 saying how
    headless = run(office, "status", "--operator", "ania", "--format", "json", secret=start)
    assert headless.exit_code == 3 and "ksef-tui passphrase --operator ania" in headless.output
    changed = CliRunner().invoke(
        cli, ["passphrase", "--operator", "ania"], input="start-ani-123\nwłasne hasło Ani\nwłasne hasło Ani\n"
    )
    assert changed.exit_code == 0, changed.output
    mine = _secret_file(office["dir"], "mine", "własne hasło Ani")
    status = run(office, "status", "--operator", "ania", "--format", "json", secret=mine)
    assert status.exit_code in (0, 1, 2), status.output
    assert sorted(r["nip"] for r in json.loads(status.output)) == sorted(NIPS[:2])
    # the group-level option works the same
    group = CliRunner().invoke(
        cli, ["--operator", "ania", "status", "--format", "json", "--passphrase-file", str(mine)]
    )
    assert sorted(r["nip"] for r in json.loads(group.output)) == sorted(NIPS[:2])
    # operators commands are an administrator's
    refused = run(office, "operators", "list", "--operator", "ania", secret=mine)
    assert refused.exit_code == 3 and "nie może: zarządzać operatorami" in refused.output


def test_an_unknown_operator_is_named(office: dict[str, Path]) -> None:
    result = run(office, "status", "--operator", "nikt")
    assert result.exit_code == 3 and "nie ma operatora nikt" in result.output


def test_every_command_that_opens_the_store_takes_operator() -> None:
    def walk(command: click.Command, path: str) -> list[str]:
        missing = []
        names = {p.name for p in command.params}
        if "passphrase_file" in names and "operator" not in names:
            missing.append(path)
        if isinstance(command, click.Group):
            for name, sub in command.commands.items():
                missing += walk(sub, f"{path} {name}")
        return missing

    assert walk(cli, "ksef-tui") == []
    assert "operator" in {p.name for p in cli.params}

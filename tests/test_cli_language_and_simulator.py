"""Issue 16 item 6: a language setting in any case or locale form, and the simulator's port and files.

- `KSEF_TUI_LANG` accepts "PL", "pl_PL.UTF-8", "en_US"; an unknown one ("de") starts in Polish with a
  one-line notice on stderr, never a traceback.
- `simulator --port 99999` and a port in use: one clear line, exit 3 (the README's "could not run"), no
  "serving" banner and no file written first.
- `--world-file` / `--clients-file`: 0600, and the banner says so.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from ksef_tui.__main__ import cli
from ksef_tui.core.i18n import current_language, resolve_language

DATA = Path(__file__).resolve().parent / "data"
KOR = DATA / "samples/fa3/ksef2-test-suite/KSEF_02_KOR.xml"


@pytest.mark.parametrize(
    ("value", "language"),
    [
        ("pl", "pl"),
        ("PL", "pl"),
        ("pl_PL.UTF-8", "pl"),
        ("pl-PL", "pl"),
        ("EN", "en"),
        ("en_US.UTF-8", "en"),
        ("en_GB@euro", "en"),
        ("", "pl"),
        (None, "pl"),
    ],
)
def test_language_forms_are_understood(value: str | None, language: str) -> None:
    assert resolve_language(value) == (language, None)


def test_an_unknown_language_falls_back_to_polish_with_a_notice() -> None:
    language, notice = resolve_language("de")
    assert language == "pl"
    assert notice is not None and "'de'" in notice and "KSEF_TUI_LANG" in notice
    assert "Nieznany język" in notice  # the notice itself is Polish, the language it falls back to


@pytest.mark.parametrize(
    ("value", "language"), [("PL", "pl"), ("pl_PL.UTF-8", "pl"), ("EN", "en"), ("de", "pl")]
)
def test_the_command_runs_in_the_language_asked_for(value: str, language: str) -> None:
    result = CliRunner().invoke(cli, ["inspect", str(KOR), "--format", "json"], env={"KSEF_TUI_LANG": value})
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 1), result.output  # the invoice's verdict, not a crash
    assert current_language() == language
    if value == "de":
        assert "KSEF_TUI_LANG" in result.stderr and result.stderr.count("\n") == 1
    else:
        assert result.stderr == ""


def test_lang_option_ignores_case() -> None:
    result = CliRunner().invoke(cli, ["--lang", "EN", "inspect", str(KOR), "--format", "json"])
    assert result.exit_code in (0, 1), result.output
    assert current_language() == "en"


def _ksef_tui(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ksef_tui", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "KSEF_TUI_LANG": "pl", **(env or {})},
    )


def test_installed_command_survives_an_unknown_language() -> None:
    done = _ksef_tui("inspect", str(KOR), "--format", "json", env={"KSEF_TUI_LANG": "de"})
    assert "Traceback" not in done.stderr
    assert done.returncode in (0, 1), done.stderr
    assert json.loads(done.stdout)["number"]


@pytest.mark.parametrize("port", ["99999", "0", "-1"])
def test_simulator_port_out_of_range_exits_3_with_a_message(port: str) -> None:
    done = _ksef_tui("simulator", "--port", port)
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr
    assert "65535" in done.stderr and port in done.stderr
    assert done.stdout == ""


@pytest.fixture
def busy_port() -> Iterator[int]:
    with socket.socket() as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        yield held.getsockname()[1]


def test_simulator_port_in_use_says_so_without_the_banner(busy_port: int, tmp_path: Path) -> None:
    world = tmp_path / "world.json"
    done = _ksef_tui("simulator", "--port", str(busy_port), "--world-file", str(world))
    assert done.returncode == 3, done.stderr
    assert "Traceback" not in done.stderr
    assert str(busy_port) in done.stderr and "zajęty" in done.stderr
    assert done.stdout == ""  # no "KSeF simulator: http://..." banner before the error
    assert not world.exists()  # nothing written for a simulator that never ran


def test_simulator_files_with_secrets_are_0600_and_the_banner_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    served: list[int] = []

    def run(self: uvicorn.Server, sockets: list[socket.socket] | None = None) -> None:
        served.extend(sock.getsockname()[1] for sock in sockets or [])
        self.started = True
        for sock in sockets or []:
            sock.close()

    monkeypatch.setattr(uvicorn.Server, "run", run)
    old_umask = os.umask(0o022)  # the usual umask: a plain write would be 0644
    try:
        world, clients = tmp_path / "world.json", tmp_path / "klienci.csv"
        world.write_text("old", "utf-8")
        world.chmod(0o644)  # an earlier run's file, readable by others: replaced, not kept 0644
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        files = ["--world-file", str(world), "--clients-file", str(clients)]
        result = CliRunner().invoke(cli, ["simulator", "--port", str(port), "--seed", "5", *files])
    finally:
        os.umask(old_umask)
    assert result.exit_code == 0, result.output
    assert served == [port]  # uvicorn serves the socket bound first
    for path in (world, clients):
        assert path.stat().st_mode & 0o777 == 0o600, path
        assert "0600" in result.output and str(path) in result.output
    assert json.loads(world.read_text("utf-8"))["base_url"] == f"http://127.0.0.1:{port}/v2"
    banner = result.output.splitlines()[0]
    assert f"http://127.0.0.1:{port}/v2" in banner


def test_simulator_help_says_the_files_are_0600() -> None:
    result = CliRunner().invoke(cli, ["simulator", "--help"])
    assert result.exit_code == 0
    assert result.output.count("0600") >= 2

"""Issue 10, end to end over real HTTP: a new office rehearses against `ksef-tui simulator`.

The simulator runs as a separate process on a loopback port; a fresh real store is pointed at it with
KSEF_TUI_KSEF_URL. Then, as the README tells a newcomer: `init` → `clients import` of the taxpayers the
simulator wrote to its world file (split over a UTF-8-with-BOM CSV, a Windows-1250 CSV and an .xlsx, after
a file with a bad NIP that imports nothing) → `check` (exit code by colour) → `sessions --refresh` → `upo`.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from openpyxl import Workbook

import ksef_tui.cli.init as init_module
from ksef_tui.__main__ import cli
from ksef_tui.store import KdfLimits, Store
from tests.e2e_simulator import Simulator, simulator  # noqa: F401  (the fixture, used by name)

PASSPHRASE = "rehearsal pass phrase"
HEADER = ["NIP", "Nazwa", "Token"]


def _run(pass_file: Path, *args: str) -> Result:
    return CliRunner().invoke(cli, [*args, "--passphrase-file", str(pass_file)])


def _rows(taxpayers: list[dict[str, Any]]) -> list[list[str]]:
    return [[t["nip"], t["name"], t["token"]] for t in taxpayers]


def _csv(path: Path, rows: list[list[str]], encoding: str, sep: str) -> Path:
    text = "\r\n".join(sep.join(r) for r in [HEADER, *rows]) + "\r\n"
    path.write_bytes(text.encode(encoding))
    return path


def _xlsx(path: Path, rows: list[list[str]]) -> Path:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in [HEADER, *rows]:
        sheet.append(row)
    book.save(path)
    return path


def _worst_exit(rows: list[dict[str, Any]]) -> int:
    levels = {r["level"] for r in rows}
    return 2 if "red" in levels else 1 if "yellow" in levels else 0


def test_a_new_office_rehearses_against_the_simulator(
    simulator: Simulator,  # noqa: F811  (the fixture imported above)
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(init_module, "KDF", KdfLimits.FAST_FOR_TESTS)
    home = tmp_path / "home"
    monkeypatch.setenv("KSEF_TUI_HOME", str(home))
    monkeypatch.setenv("KSEF_TUI_KSEF_URL", simulator.base_url)
    monkeypatch.delenv("KSEF_TUI_PASSPHRASE", raising=False)
    pass_file = tmp_path / "pass"
    pass_file.write_text(PASSPHRASE + "\n", encoding="utf-8")
    pass_file.chmod(0o600)

    assert _run(pass_file, "init").exit_code == 0

    # Every taxpayer the office holds a token of (Polish names: Windows-1250 must carry them).
    taxpayers = [t for t in simulator.world["taxpayers"] if t["token"]]
    assert len(taxpayers) >= 30
    thirds = [taxpayers[0::3], taxpayers[1::3], taxpayers[2::3]]

    bad = _rows(thirds[0][:2])
    bad[1][0] = "1234567890"  # a NIP whose checksum fails
    refused = _run(pass_file, "clients", "import", str(_csv(tmp_path / "bad.csv", bad, "utf-8-sig", ";")))
    assert refused.exit_code == 2, refused.output
    store = Store.open(home, PASSPHRASE)
    assert store.clients.list() == []  # nothing at all was imported
    store.close()

    files = [
        _csv(tmp_path / "utf8-bom.csv", _rows(thirds[0]), "utf-8-sig", ";"),
        _csv(tmp_path / "windows-1250.csv", _rows(thirds[1]), "cp1250", ","),
        _xlsx(tmp_path / "clients.xlsx", _rows(thirds[2])),
    ]
    for file in files:
        imported = _run(pass_file, "clients", "import", str(file))
        assert imported.exit_code == 0, imported.output
        assert not any(t["token"].split("|")[-1] in imported.output for t in taxpayers)
    store = Store.open(home, PASSPHRASE)
    names = {c.nip: c.name for c in store.clients.list()}
    store.close()
    assert names == {t["nip"]: t["name"] for t in taxpayers}  # Polish letters intact from every file

    checked = _run(pass_file, "check", "--format", "json")
    rows = json.loads(checked.stdout)
    assert len(rows) == len(taxpayers)
    assert checked.exit_code == _worst_exit(rows) == 2  # the world's revoked tokens are red
    revoked = [t for t in taxpayers if t["token_status"] == "Revoked"]
    assert revoked and all(r["level"] == "red" for r in rows if r["nip"] in {t["nip"] for t in revoked})

    good = next(
        t
        for t in taxpayers
        if t["token_status"] == "Active" and {"InvoiceRead", "Introspection"} <= set(t["permissions"])
    )
    since = (datetime.now(UTC) - timedelta(days=70)).date().isoformat()
    one = _run(pass_file, "check", "--client", good["nip"], "--format", "json")
    assert one.exit_code == _worst_exit(json.loads(one.stdout)) < 2
    refreshed = _run(
        pass_file, "sessions", "--refresh", "--client", good["nip"], "--since", since, "--format", "json"
    )
    assert refreshed.exit_code == 0, refreshed.output
    assert json.loads(refreshed.stdout)  # the good client's sessions, now in the store
    out = tmp_path / "UPO"
    fetched = _run(pass_file, "upo", "--client", good["nip"], "--since", since, "--out", str(out))
    assert fetched.exit_code == 0, fetched.output
    assert list(out.rglob("*.xml"))

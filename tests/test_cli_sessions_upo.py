"""`ksef-tui sessions` and `ksef-tui upo` on a real store against `ksef-tui simulator` over real HTTP.

The simulator runs as a separate process on a loopback port; the store is pointed at it with
KSEF_TUI_KSEF_URL, as an office rehearsing would. Each command runs three times in a row under TZ=UTC and
under TZ=Europe/Warsaw (issue 8 item 4, issue 17 item 2: from the second run on, a naive clock broke every
refresh, and under Warsaw time the stored refresh times were an hour off).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from ksef_tui.__main__ import cli
from ksef_tui.core.models import Client, Credential, CredentialKind
from ksef_tui.store import KdfLimits, Store
from tests import e2e_simulator
from tests.e2e_simulator import Simulator

PASSPHRASE = "rehearsal pass phrase"
simulator = e2e_simulator.simulator  # the fixture: one simulator process for this module


def _taxpayer(sim: Simulator, status: str, permissions: set[str], nth: int = 0) -> dict[str, Any]:
    matching = [
        t
        for t in sim.world["taxpayers"]
        if t["token"] and t["token_status"] == status and permissions <= set(t["permissions"])
    ]
    return matching[nth]


@pytest.fixture
def office(
    simulator: Simulator, zone: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Any]:
    """A real store with two clients holding the simulator's tokens: a good one and a revoked one.

    Each time zone's tests use another good taxpayer: the simulator keeps KSeF's limits across tests
    (GET /sessions: 10 a minute per context), and one context's six refreshes would meet them."""
    home = tmp_path / "home"
    good = _taxpayer(simulator, "Active", {"InvoiceRead", "Introspection"}, ZONES.index(zone))
    revoked = _taxpayer(simulator, "Revoked", {"InvoiceRead"})
    store = Store.create(home, PASSPHRASE, kdf=KdfLimits.FAST_FOR_TESTS)
    ids = {}
    for code, entry in (("DOBRY", good), ("ODWOLANY", revoked)):
        client = store.clients.add(Client(entry["name"], code, [entry["nip"]]))
        store.credentials.add(Credential(client.id, CredentialKind.KSEF_TOKEN, secret=entry["token"]))
        ids[code] = client.id
    store.close()
    pass_file = tmp_path / "pass"
    pass_file.write_text(PASSPHRASE + "\n", encoding="utf-8")
    pass_file.chmod(0o600)
    monkeypatch.setenv("KSEF_TUI_HOME", str(home))
    monkeypatch.setenv("KSEF_TUI_KSEF_URL", simulator.base_url)
    return {"home": home, "pass": str(pass_file), "good": good, "revoked": revoked, "ids": ids}


ZONES = ["UTC", "Europe/Warsaw"]


@pytest.fixture(params=ZONES)
def zone(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("TZ", request.param)
    time.tzset()
    yield request.param
    monkeypatch.undo()
    time.tzset()


def _since() -> str:
    """Before every session of the simulated world (its ~60 days end at the simulator's start)."""
    return (datetime.now(UTC) - timedelta(days=70)).date().isoformat()


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _refresh_times(office: dict[str, Any], code: str) -> tuple[datetime | None, datetime | None]:
    store = Store.open(office["home"], PASSPHRASE)
    try:
        return store.ksef_sessions.refresh_times(office["ids"][code])  # type: ignore[no-any-return]
    finally:
        store.close()


def test_sessions_refresh_three_runs_in_a_row(office: dict[str, Any], zone: str) -> None:
    nip = office["good"]["nip"]
    args = ("sessions", "--refresh", "--client", nip, "--since", _since(), "--format", "json")
    args += ("--passphrase-file", office["pass"])
    first = _run(*args)
    assert first.exit_code == 0, first.output
    sessions = json.loads(first.stdout)
    assert sessions and {s["client_nip"] for s in sessions} == {nip}
    last, allowed = _refresh_times(office, "DOBRY")
    assert last is not None and allowed is not None
    # Stored in UTC whatever the machine's zone: the refresh happened just now, not an hour away.
    assert abs(last - datetime.now(UTC)) < timedelta(minutes=5)
    assert allowed - last == timedelta(minutes=5)
    for _ in range(2):  # within the 5-minute pacing: nothing asked of KSeF, the store answers, no error
        again = _run(*args)
        assert again.exit_code == 0, again.output
        assert again.stderr == ""
        assert json.loads(again.stdout) == sessions
    assert _refresh_times(office, "DOBRY") == (last, allowed)


def test_sessions_refresh_that_fails_says_so_and_exits_1(office: dict[str, Any], zone: str) -> None:
    result = _run("sessions", "--refresh", "--passphrase-file", office["pass"])
    assert result.exit_code == 1
    failed = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(failed) == 1 and failed[0].startswith("ODWOLANY: ")
    assert office["revoked"]["token"] not in result.output


def test_upo_three_runs_in_a_row(office: dict[str, Any], zone: str, tmp_path: Path) -> None:
    nip = office["good"]["nip"]
    out = tmp_path / "upo"
    args = (
        "upo",
        "--client",
        nip,
        "--since",
        _since(),
        "--out",
        str(out),
        "--passphrase-file",
        office["pass"],
    )
    first = _run(*args)
    assert first.exit_code == 0, first.output
    files = sorted(p.relative_to(out) for p in out.rglob("*.xml"))
    assert files and all(p.parts[0] == "DOBRY" for p in files)
    assert first.stdout.splitlines()[0] == f"UPO: pobrano {len(files)}, pominięto 0, nieudane 0."
    for _ in range(2):  # nothing missing any more: the runs fetch nothing and fail nothing
        again = _run(*args)
        assert again.exit_code == 0, again.output
        assert again.stdout.splitlines()[0] == f"UPO: pobrano 0, pominięto {len(files)}, nieudane 0."
        assert sorted(p.relative_to(out) for p in out.rglob("*.xml")) == files
    assert os.listdir(out) == ["DOBRY"]

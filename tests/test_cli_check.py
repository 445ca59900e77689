"""`ksef-tui check` on a real store against `ksef-tui simulator` over real HTTP (issue 10 item 5).

The simulator runs as a separate process on a loopback port and the store is pointed at it with
KSEF_TUI_KSEF_URL. The command's clock is fixed (`ksef_tui.cli.check._now`): health depends on the
date (KSeF tokens turn yellow 60 days before the token sunset), and a test must not.
"""

from __future__ import annotations

import asyncio
import io
import json
import signal
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from ksef_tui.__main__ import cli
from ksef_tui.cli import check as check_module
from ksef_tui.cli import common
from ksef_tui.cli.check import ProgressLine
from ksef_tui.core.models import CheckOutcome
from ksef_tui.store import Store
from ksef_tui.sync.connections import configured_connections
from tests.e2e_simulator import PASSPHRASE, Simulator, real_office, simulator  # noqa: F401  (the fixture, used by name)

# Well before the token sunset's warning window (2026-11-01): a token with every permission is green.
NOW = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)
ALL_PERMISSIONS = {"InvoiceRead", "InvoiceWrite", "Introspection"}
STATUS_KEYS = {"short_code", "name", "nip", "nips", "level", "reason", "expires", "credential", "ready_2027"}


def _taxpayers(sim: Simulator, status: str, permissions: set[str]) -> list[dict[str, Any]]:
    return [
        t
        for t in sim.world["taxpayers"]
        if t["token"] and t["token_status"] == status and permissions <= set(t["permissions"])
    ]


def _make_office(
    sim: Simulator,
    home: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    clients: list[tuple[str, Any]],
) -> dict[str, Any]:
    made = real_office(sim, tmp_path, monkeypatch, clients)
    assert made.home == home
    pass_file, ids = made.passphrase_file, made.ids
    monkeypatch.setattr(check_module, "_now", lambda: NOW)
    return {"home": home, "pass": pass_file, "ids": ids, "entries": dict(clients)}


@pytest.fixture
def good_office(
    simulator: Simulator,  # noqa: F811  (the fixture imported above)
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> dict[str, Any]:
    """Three clients whose tokens are active with every permission the office relies on."""
    good = _taxpayers(simulator, "Active", ALL_PERMISSIONS)[:3]
    assert len(good) == 3
    clients = [(f"DOBRY{n}", entry) for n, entry in enumerate(good, 1)]
    return _make_office(simulator, tmp_path / "home", tmp_path, monkeypatch, clients)


@pytest.fixture
def mixed_office(
    simulator: Simulator,  # noqa: F811  (the fixture imported above)
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> dict[str, Any]:
    """Two good clients and one whose token KSeF has revoked."""
    good = _taxpayers(simulator, "Active", ALL_PERMISSIONS)[3:5]
    revoked = _taxpayers(simulator, "Revoked", {"InvoiceRead"})[0]
    clients = [("DOBRY1", good[0]), ("DOBRY2", good[1]), ("ODWOLANY", revoked)]
    return _make_office(simulator, tmp_path / "home", tmp_path, monkeypatch, clients)


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _latest(office: dict[str, Any]) -> dict[str, list[Any]]:
    """Each client's newest checks as the store has them."""
    store = Store.open(office["home"], PASSPHRASE)
    try:
        return {code: list(store.checks.latest(cid).values()) for code, cid in office["ids"].items()}
    finally:
        store.close()


def test_all_green_exits_0_stores_the_checks_and_prints_what_status_prints(
    good_office: dict[str, Any],
) -> None:
    result = _run("check", "--format", "json", "--passphrase-file", good_office["pass"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert sorted(r["short_code"] for r in rows) == ["DOBRY1", "DOBRY2", "DOBRY3"]
    assert {r["level"] for r in rows} == {"green"}, rows
    stored = _latest(good_office)
    for code in good_office["ids"]:
        assert [(c.checked_at, c.outcome) for c in stored[code]] == [(NOW, CheckOutcome.OK)]
    status = _run("status", "--format", "json", "--passphrase-file", good_office["pass"])
    status_rows = json.loads(status.stdout)
    assert [set(r) for r in rows] == [set(r) for r in status_rows] == [STATUS_KEYS] * 3
    assert result.stderr == ""  # no progress line when stderr is not a terminal, no damage
    for entry in good_office["entries"].values():
        assert entry["token"] not in result.output


def test_a_revoked_client_exits_2_and_the_table_says_why(mixed_office: dict[str, Any]) -> None:
    result = _run("check", "--passphrase-file", mixed_office["pass"])
    assert result.exit_code == 2, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["Kod", "Klient", "NIP"]
    rows = [line for line in lines if line[:1] in "✖▲●"]  # each client's reason is under its row
    assert rows[0].startswith("✖") and "ODWOLANY" in rows[0]  # red first
    assert all(row.startswith("●") for row in rows[1:]) and len(rows) == 3
    assert lines[-1].startswith("Klienci: 3 · ✖ czerwoni: 1")
    stored = _latest(mixed_office)
    assert [c.outcome for c in stored["ODWOLANY"]] == [CheckOutcome.REVOKED]


def test_client_by_nip_with_dashes_and_by_short_code(mixed_office: dict[str, Any]) -> None:
    nip = mixed_office["entries"]["DOBRY1"]["nip"]
    dashed = f"{nip[:3]}-{nip[3:6]}-{nip[6:8]}-{nip[8:]}"
    result = _run(
        "check", "--client", dashed, "--client", "dobry2", "--client", nip, "--format", "json",
        "--passphrase-file", mixed_office["pass"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output  # the revoked client is neither checked nor counted
    assert sorted(r["short_code"] for r in json.loads(result.stdout)) == ["DOBRY1", "DOBRY2"]
    stored = _latest(mixed_office)
    assert stored["ODWOLANY"] == [] and all(stored[c] for c in ("DOBRY1", "DOBRY2"))


def test_an_unknown_client_stops_before_any_check(mixed_office: dict[str, Any]) -> None:
    result = _run("check", "--client", "NIEMA", "--passphrase-file", mixed_office["pass"])
    assert result.exit_code == 3
    assert "Brak klienta o NIP-ie ani kodzie NIEMA." in result.output
    assert not any(_latest(mixed_office).values())


def test_sessions_and_upo_take_a_short_code_too(mixed_office: dict[str, Any], tmp_path: Path) -> None:
    since = (datetime.now(UTC) - timedelta(days=70)).date().isoformat()  # the whole simulated history
    result = _run(
        "sessions", "--refresh", "--client", "Dobry1", "--since", since, "--format", "json",
        "--passphrase-file", mixed_office["pass"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    sessions = json.loads(result.stdout)
    assert sessions and {s["client"] for s in sessions} == {"DOBRY1"}
    missing = _run("upo", "--client", "526-025-02-74", "--out", str(tmp_path / "upo"),
                   "--passphrase-file", mixed_office["pass"])  # fmt: skip
    assert missing.exit_code == 3 and "Brak klienta o NIP 526-025-02-74." in missing.output


class InterruptAfter:
    """The real connections, but Ctrl-C arrives once `n` clients' checks are done: every other client
    waits at the door until then, and the first to go in is interrupted (KeyboardInterrupt raised in
    the checks, or SIGINT delivered as a terminal sends it)."""

    def __init__(self, inner: Any, n: int, how: str) -> None:
        self.inner, self.n, self.how = inner, n, how
        self.entered = self.left = 0
        self.enough = asyncio.Event()

    @asynccontextmanager
    async def _connect(self, client: Any) -> AsyncIterator[Any]:
        if self.entered >= self.n:
            await self.enough.wait()
            if self.how == "raise":
                raise KeyboardInterrupt
            signal.raise_signal(signal.SIGINT)  # asyncio.run's handler cancels the run
            await asyncio.Event().wait()
        self.entered += 1
        async with self.inner(client) as ksef:
            yield ksef
        self.left += 1
        if self.left == self.n:
            self.enough.set()

    def __call__(self, client: Any) -> Any:
        return self._connect(client)

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.fixture
def default_sigint() -> Iterator[None]:
    """Ctrl-C as in a terminal: Python's own handler, which asyncio.run replaces while it runs."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.mark.parametrize("how", ["raise", "sigint"])
def test_ctrl_c_keeps_the_finished_checks_and_exits_3(
    good_office: dict[str, Any], monkeypatch: pytest.MonkeyPatch, how: str, default_sigint: None
) -> None:
    factory = InterruptAfter(configured_connections(), 2, how)
    monkeypatch.setattr(common, "configured_connections", lambda: factory)
    result = _run("check", "--format", "json", "--passphrase-file", good_office["pass"])
    assert result.exit_code == 3, result.output
    assert result.stderr.strip() == "Przerwano: sprawdzono 2 z 3 klientów; ich wyniki zapisano."
    printed = sorted(r["short_code"] for r in json.loads(result.stdout))
    stored = _latest(good_office)
    assert sorted(code for code, checks in stored.items() if checks) == printed  # printed = kept
    assert len(printed) == 2
    for code in printed:
        assert [(c.checked_at, c.outcome) for c in stored[code]] == [(NOW, CheckOutcome.OK)]
    monkeypatch.setattr(common, "configured_connections", configured_connections)
    again = _run("check", "--format", "json", "--passphrase-file", good_office["pass"])
    assert again.exit_code == 0, again.output  # the next run checks everyone


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_progress_line_is_for_terminals_only() -> None:
    assert ProgressLine.for_stream(3, io.StringIO()) is None
    screen = FakeTerminal()
    line = ProgressLine.for_stream(3, screen)
    assert line is not None
    line(1, 0)
    line(3, 1)
    line.close()
    first = "Sprawdzono w KSeF 1 z 3 klientów (odrzuceni lub niesprawdzeni: 0)…"
    assert (
        screen.getvalue()
        == f"\r{first}\rSprawdzono w KSeF 3 z 3 klientów (odrzuceni lub niesprawdzeni: 1)…\n"
    )

"""`ksef-tui simulator` as a separate process on a free loopback port, for end-to-end CLI tests.

Import the fixture into a test module (`from tests.e2e_simulator import Simulator, simulator`); it is
module-scoped, so one simulator serves a module's tests, and the simulator keeps KSeF's rate limits
across them.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from ksef_tui.core.models import Client, Credential, CredentialKind
from ksef_tui.store import KdfLimits, Store


@dataclass
class Simulator:
    base_url: str
    world: dict[str, Any]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_simulator(tmp_path_factory: pytest.TempPathFactory, *args: str) -> Iterator[Simulator]:
    """`ksef-tui simulator` as a separate process (extra command-line `args`), until the generator ends."""
    port = _free_port()
    world_file = tmp_path_factory.mktemp("sim") / "world.json"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ksef_tui",
            "simulator",
            "--port",
            str(port),
            "--world-file",
            str(world_file),
            *args,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}/v2"
    try:
        for _ in range(600):  # wait for the port to answer (bounded; the process is watched too)
            if proc.poll() is not None:
                out = proc.stdout.read().decode() if proc.stdout else ""
                pytest.fail(f"simulator exited: {out}")
            try:
                if httpx.get(f"{base_url}/security/public-key-certificates", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)  # polling a starting process, not timing anything
        else:
            pytest.fail("simulator did not start")
        yield Simulator(base_url, json.loads(world_file.read_text("utf-8")))
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="module")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulator]:
    yield from start_simulator(tmp_path_factory)


PASSPHRASE = "rehearsal pass phrase"


@dataclass
class RealOffice:
    """A real store (not the demo) whose clients hold the simulator's tokens, pointed at the simulator."""

    home: Path
    passphrase_file: str
    ids: dict[str, int]  # short code -> client id


def real_office(
    sim: Simulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    clients: list[tuple[str, dict[str, Any]]],
) -> RealOffice:
    """Create the store in tmp_path/home with one client per (short code, world-file taxpayer) and its
    token; point KSEF_TUI_HOME and KSEF_TUI_KSEF_URL at it; write a 0600 passphrase file."""
    home = tmp_path / "home"
    store = Store.create(home, PASSPHRASE, kdf=KdfLimits.FAST_FOR_TESTS)
    ids = {}
    for code, entry in clients:
        client = store.clients.add(Client(entry["name"], code, [entry["nip"]]))
        assert client.id is not None
        store.credentials.add(Credential(client.id, CredentialKind.KSEF_TOKEN, secret=entry["token"]))
        ids[code] = client.id
    store.close()
    pass_file = tmp_path / "pass"
    pass_file.write_text(PASSPHRASE + "\n", encoding="utf-8")
    pass_file.chmod(0o600)
    monkeypatch.setenv("KSEF_TUI_HOME", str(home))
    monkeypatch.setenv("KSEF_TUI_KSEF_URL", sim.base_url)
    return RealOffice(home, str(pass_file), ids)

"""`ksef-tui simulator` (cli.simulator_command): writes the world file and serves over real HTTP."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from ksef_tui.simulator.cli import world_file_json
from ksef_tui.simulator.world import World


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_world_file_shape(world: World) -> None:
    data = world_file_json(world, "http://127.0.0.1:1/v2")
    assert data["base_url"] == "http://127.0.0.1:1/v2"
    assert len(data["taxpayers"]) == len(world.taxpayers)
    for entry in data["taxpayers"]:
        assert set(entry) == {
            "nip",
            "name",
            "token",
            "token_status",
            "permissions",
            "certificate_pem",
            "private_key_pem",
        }
    with_token = [e for e in data["taxpayers"] if e["token"]]
    assert with_token and all(world.token_by_text(e["token"]) for e in with_token)
    with_cert = [e for e in data["taxpayers"] if e["certificate_pem"]]
    assert with_cert and all("PRIVATE KEY" in e["private_key_pem"] for e in with_cert)


# The command as a user runs it, plus one line printed once uvicorn listens (its own "running on" line is
# below the command's log level), so the test waits for that line instead of polling the port.
SERVE = """
import uvicorn
_startup = uvicorn.Server.startup
async def startup(self, *args, **kwargs):
    await _startup(self, *args, **kwargs)
    print("LISTENING", flush=True)
uvicorn.Server.startup = startup
from ksef_tui.simulator.cli import simulator_command
simulator_command()
"""


def test_serves_over_http(tmp_path: Path) -> None:
    port = _free_port()
    world_file = tmp_path / "world.json"
    args = [sys.executable, "-c", SERVE, "--port", str(port), "--seed", "5", "--world-file", str(world_file)]
    proc = subprocess.Popen(
        [*args, "--rate-limit-scale", "10"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        assert proc.stdout is not None
        said = []
        for line in proc.stdout:  # ends when the process does: no deadline, no polling
            said.append(line)
            if line.strip() == "LISTENING":
                break
        else:
            pytest.fail(f"simulator exited before listening: {''.join(said)}")
        response = httpx.get(f"http://127.0.0.1:{port}/v2/security/public-key-certificates", timeout=10)
        assert response.status_code == 200
        usages = {u for entry in response.json() for u in entry["usage"]}
        assert usages == {"KsefTokenEncryption", "SymmetricKeyEncryption"}
        data = json.loads(world_file.read_text("utf-8"))
        assert data["base_url"] == f"http://127.0.0.1:{port}/v2" and len(data["taxpayers"]) >= 45
        # A dropped connection over a real socket surfaces as an httpx transport error.
        httpx.post(f"http://127.0.0.1:{port}/_sim/faults", json={"drop_rate": 1.0}, timeout=10)
        with pytest.raises(httpx.TransportError):
            httpx.post(f"http://127.0.0.1:{port}/v2/auth/challenge", timeout=10)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def test_clients_file_imports_as_the_office_s_client_list(world: World, tmp_path: Path) -> None:
    """`--clients-file` writes what `ksef-tui clients import` reads: every token-holding taxpayer, valid."""
    from ksef_tui.simulator.cli import clients_csv
    from ksef_tui.store import KdfLimits, Store
    from ksef_tui.sync.client_import import prepare_import

    path = tmp_path / "klienci.csv"
    path.write_bytes(clients_csv(world))
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # what Excel's "CSV UTF-8" writes
    store = Store.create(tmp_path / "home", "pass phrase 1", kdf=KdfLimits.FAST_FOR_TESTS)
    try:
        plan = prepare_import(store, path)
    finally:
        store.close()
    holders = {tp.nip for tp in world.taxpayers.values() if any(t.held_by_office for t in tp.tokens)}
    assert holders and len(plan.valid) == len(plan.rows) >= len(holders)

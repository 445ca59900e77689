"""`ksef-tui simulator` as a separate process on a free loopback port, for end-to-end tests over real HTTP.

Use the module-scoped fixture from a test module with `from tests.e2e_simulator import Simulator, simulator`.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest


@dataclass
class Simulator:
    base_url: str
    world: dict[str, Any]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulator]:
    port = _free_port()
    world_file = tmp_path_factory.mktemp("sim") / "world.json"
    proc = subprocess.Popen(
        [sys.executable, "-m", "ksef_tui", "simulator", "--port", str(port), "--world-file", str(world_file)],
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

"""`ksef-tui simulator --qualified-file` (issue 11): the file it writes is a PKCS#12 qualified test seal for
the office's NIP, and the enrolment accepts it against that very simulator's world (run in-process here:
the command's web server is replaced, the world it built is kept)."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ksef_tui.cli import cli
from ksef_tui.core.certificates import is_pkcs12, load
from ksef_tui.core.clock import VirtualTime
from ksef_tui.core.models import Environment
from ksef_tui.demo import Demo
from ksef_tui.store import KdfLimits, Store
from ksef_tui.sync.office import OfficeProfile, write_profile
from ksef_tui.sync.office_certificate import enroll_office_certificate


def _run_simulator(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *args: str) -> Any:
    """Run the command without serving: returns the world it built."""
    import uvicorn

    import ksef_tui.simulator.app as sim_app

    worlds: list[Any] = []
    real_create = sim_app.create_app

    def create(world: Any, **kwargs: Any) -> Any:
        worlds.append(world)
        return real_create(world, **kwargs)

    monkeypatch.setattr(sim_app, "create_app", create)

    def serve(self: Any, sockets: Any = None) -> None:  # the command binds its port first, then serves it
        self.started = True
        for sock in sockets or []:
            sock.close()

    monkeypatch.setattr(uvicorn.Server, "run", serve)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = CliRunner().invoke(cli, ["simulator", "--port", str(port), *args])
    assert result.exit_code == 0, result.output
    assert len(worlds) == 1
    return worlds[0]


def test_the_qualified_file_is_a_pkcs12_seal_the_enrolment_accepts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seal = tmp_path / "pieczec.p12"
    world = _run_simulator(tmp_path, monkeypatch, "--qualified-file", str(seal))
    assert is_pkcs12(str(seal))
    assert seal.stat().st_mode & 0o777 == 0o600
    loaded = load(str(seal), "", None, world.now)
    assert loaded.info.nip == world.office_nip

    store = Store.create(
        tmp_path / "store", "pass phrase", kdf=KdfLimits.FAST_FOR_TESTS, clock=lambda: world.now
    )
    write_profile(store, OfficeProfile(nip=world.office_nip, environment=Environment.DEMO))
    timing = VirtualTime(world.now, frozen_wall=True).timing()
    factory = Demo(tmp_path, [], world, world.now).ksef_factory(timing=timing, clock=lambda: world.now)

    async def enrol() -> Any:
        try:
            return await enroll_office_certificate(store, factory, lambda: world.now, str(seal))
        finally:
            await factory.aclose()

    try:
        cred = asyncio.run(enrol())
        assert store.office_certificate.get(with_secrets=False).serial == cred.serial
        issued = next(c for c in world.certificates.values() if c.serial == cred.serial)
        assert issued.subject_nip == world.office_nip
    finally:
        store.close()


def test_qualified_nip_names_another_taxpayer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seal = tmp_path / "klient.p12"
    first = _run_simulator(tmp_path, monkeypatch)
    other = next(nip for nip in first.taxpayers if nip != first.office_nip)
    world = _run_simulator(tmp_path, monkeypatch, "--qualified-file", str(seal), "--qualified-nip", other)
    assert load(str(seal), "", None, world.now).info.nip == other

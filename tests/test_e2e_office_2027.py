"""Issue 11's "done when" end to end over real HTTP, against `ksef-tui simulator` as a separate process
started with `--qualified-file` (a qualified test seal for the office's NIP), rehearsed as an office would:

1. a real store, the office profile with the world's office NIP, and the world's taxpayers as clients
   WITHOUT any credential of their own (only the office certificate can log in for them);
2. enrolment with the qualified seal: the office certificate sealed in the store, the seal nowhere in it;
3. `ksef-tui readiness --census --format json`: clients that granted the office read+write are ready via
   the office certificate, and `ksef-tui sync --client NIP` logs in in such a client's context with it;
4. that client revokes the grant as it would (as its owner, with a qualified seal of the simulator's test
   authority from `POST /_sim/qualified`, in its own context, DELETE of the permission ids the office's
   census read from KSeF); the next census turns it "no" and the command exits 2, every other client
   unchanged.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from ksef_tui.__main__ import cli
from ksef_tui.core.clock import system_clock
from ksef_tui.core.models import Client, CredentialKind, Environment
from ksef_tui.ksef.client import KsefClient
from ksef_tui.store import KdfLimits, Store
from ksef_tui.store.paths import DB_FILENAME
from ksef_tui.sync.connections import configured_connections
from ksef_tui.sync.office import OfficeProfile, write_profile
from ksef_tui.sync.office_certificate import enroll_office_certificate
from tests.e2e_simulator import PASSPHRASE, Simulator, start_simulator


@pytest.fixture(scope="module")
def rehearsal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Simulator, Path]]:
    """The standalone simulator (rate limits off and exports ready at the first poll: the module is
    about the path, not the pacing) and the qualified test seal it wrote for the office's NIP."""
    seal = tmp_path_factory.mktemp("seal") / "seal.p12"
    sim = start_simulator(tmp_path_factory, "--qualified-file", str(seal), "--no-rate-limits")
    running = next(sim)
    root = running.base_url.removesuffix("/v2")
    httpx.patch(f"{root}/_sim/faults", json={"export_processing_polls": 0}).raise_for_status()
    yield running, seal
    next(sim, None)


def _readiness(passphrase_file: Path) -> tuple[int, dict[str, dict[str, Any]]]:
    run = CliRunner().invoke(
        cli, ["readiness", "--census", "--format", "json", "--passphrase-file", str(passphrase_file)]
    )
    assert run.exit_code in (0, 1, 2), run.output
    return run.exit_code, {r["nip"]: r for r in json.loads(run.stdout)}


def _seal_fragments(seal: Path) -> list[bytes]:
    """The seal's certificate and key as they could land in a file: DER, and PEM base64 lines."""
    key, cert, _extra = pkcs12.load_key_and_certificates(seal.read_bytes(), None)
    assert key is not None and cert is not None
    ders = [
        cert.public_bytes(serialization.Encoding.DER),
        key.private_bytes(
            serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ),
    ]
    fragments = [*ders, seal.read_bytes()]
    for der in ders:  # the first full PEM line of each (64 base64 characters)
        fragments.append(base64.b64encode(der)[64:128])
    return fragments


def _assert_nothing_of_the_seal(home: Path, seal: Path) -> None:
    """The store's database files (the WAL included, if any) hold no byte run of the qualified seal."""
    files = [p for p in home.iterdir() if p.name.startswith(DB_FILENAME)]
    assert files
    fragments = _seal_fragments(seal)
    for path in files:
        data = path.read_bytes()
        assert not any(fragment in data for fragment in fragments), path.name


async def _revoke_as_the_client(sim: Simulator, nip: str, ids: tuple[str, ...]) -> None:
    """The client, in its own context, logged in as its owner (the qualified signature it would use in
    Aplikacja Podatnika: the world file's tokens and certificates carry no CredentialsManage), revokes
    the office's permissions by the ids KSeF gave the office's census."""
    answer = httpx.post(f"{sim.base_url.removesuffix('/v2')}/_sim/qualified", json={"nip": nip})
    assert answer.status_code == 201, answer.text
    key, cert, _extra = pkcs12.load_key_and_certificates(answer.content, None)
    assert key is not None and cert is not None
    ksef = KsefClient(sim.base_url)
    try:
        ctx = ksef.for_context(nip)
        await ctx.authenticate_with_certificate(
            nip,
            cert.public_bytes(serialization.Encoding.PEM).decode(),
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ).decode(),
        )
        for permission_id in ids:
            started = await ctx.revoke_grant(permission_id)
            status = await ctx.get_permission_operation(started.reference_number)
            assert status.status.code == 200
    finally:
        await ksef.aclose()


def test_enrol_census_login_and_revocation_over_real_http(
    rehearsal: tuple[Simulator, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim, seal = rehearsal
    world = sim.world
    taxpayers = {t["nip"]: t for t in world["taxpayers"] if t["nip"] != world["office_nip"]}
    monkeypatch.setenv("KSEF_TUI_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KSEF_TUI_KSEF_URL", sim.base_url)
    pass_file = tmp_path / "pass"
    pass_file.write_text(PASSPHRASE + "\n", encoding="utf-8")
    pass_file.chmod(0o600)

    # 1. The office's store: its profile and its clients, none holding a credential of its own.
    store = Store.create(tmp_path / "home", PASSPHRASE, kdf=KdfLimits.FAST_FOR_TESTS)
    try:
        write_profile(
            store,
            OfficeProfile(nip=world["office_nip"], name=world["office_name"], environment=Environment.TEST),
        )
        for i, taxpayer in enumerate(taxpayers.values()):
            store.clients.add(Client(taxpayer["name"], f"K{i:02d}", [taxpayer["nip"]], Environment.TEST))
        assert not any(store.credentials.for_client(c.id or 0) for c in store.clients.list())

        # 2. Enrolment over HTTP with the qualified seal: the office certificate sealed in the store.
        connections = configured_connections()

        async def enrol() -> Any:
            try:
                return await enroll_office_certificate(store, connections, system_clock, str(seal))
            finally:
                await connections.aclose()

        enrolled = asyncio.run(enrol())
        stored = store.office_certificate.get()
        assert stored is not None and stored.kind is CredentialKind.OFFICE_CERTIFICATE
        assert stored.serial == enrolled.serial and stored.certificate_pem == enrolled.certificate_pem
        assert stored.valid_from is not None and stored.valid_until is not None
        assert stored.valid_from < system_clock() < stored.valid_until
        assert stored.secret.startswith("-----BEGIN PRIVATE KEY")  # the key made here, sealed
        seal_cert = pkcs12.load_key_and_certificates(seal.read_bytes(), None)[1]
        assert seal_cert is not None and stored.serial != f"{seal_cert.serial_number:X}"
    finally:
        store.close()
    _assert_nothing_of_the_seal(tmp_path / "home", seal)

    # 3. The census through the CLI: who granted the office read+write is ready via its certificate.
    code, rows = _readiness(pass_file)
    assert set(rows) == set(taxpayers)
    ready = [
        nip
        for nip, row in rows.items()
        if (row["ready"], row["via"]) == ("yes", "office_certificate") and not row["missing"]
    ]
    read_only = [
        nip
        for nip, row in rows.items()
        if (row["ready"], row["via"], row["missing"]) == ("partly", "office_certificate", ["InvoiceWrite"])
    ]
    not_ready = [nip for nip, row in rows.items() if row["ready"] == "no"]
    assert read_only  # the world's client that granted InvoiceRead only
    assert not_ready and code == 2  # clients that granted nothing, with no credential of their own
    assert ready, "no client granted the office read+write"
    nip = ready[0]
    synced = CliRunner().invoke(
        cli,
        ["sync", "--client", nip, "--format", "json", "--passphrase-file", str(pass_file)],
    )
    assert synced.exit_code == 0, synced.output
    [result] = json.loads(synced.stdout)
    assert result["client_nip"] == nip and result["ok"] and not result["skipped"] and result["packages"] >= 1
    with Store.open(tmp_path / "home", PASSPHRASE) as store:
        client = next(c for c in store.clients.list() if c.nip == nip)
        logins = [(e.result, e.detail) for e in store.audit.list(client.id) if e.action == "sessions.login"]
        assert logins == [("ok", CredentialKind.OFFICE_CERTIFICATE.value)]
        ids = store.grant_censuses.latest(1)[0].grant_for(nip).ids
    assert len(ids) == 2  # InvoiceRead and InvoiceWrite: one KSeF permission id each

    # 4. The client revokes the office's grant in its own context; the next census says "no".
    asyncio.run(_revoke_as_the_client(sim, nip, ids))
    code, after = _readiness(pass_file)
    assert code == 2
    assert (after[nip]["ready"], after[nip]["via"]) == ("no", None)
    assert set(after[nip]["missing"]) == {"InvoiceRead", "InvoiceWrite"}
    assert {n: r for n, r in after.items() if n != nip} == {n: r for n, r in rows.items() if n != nip}
    _assert_nothing_of_the_seal(tmp_path / "home", seal)

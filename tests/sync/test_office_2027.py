"""The office in 2027 against the in-process simulator (issue 11): enrolment end to end, the grant census
(paging, changes, revocation), the probe, readiness, and faults that must not turn green clients red."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import pytest

from ksef_tui.core.clock import VirtualTime
from ksef_tui.core.models import Environment
from ksef_tui.core.nip import random_nip
from ksef_tui.core.readiness import Ready, Via
from ksef_tui.demo.office import seed_office
from ksef_tui.ksef.apilog import ApiLogEntry
from ksef_tui.simulator.certificates import issue_qualified, qualified_pkcs12
from ksef_tui.simulator.entity_grants import grant_entity
from ksef_tui.simulator.faults import Faults
from ksef_tui.store import Store
from ksef_tui.sync.grants import probe_clients, readiness_rows, run_census
from ksef_tui.sync.office import OfficeProfile, write_profile
from ksef_tui.sync.office_certificate import enroll_office_certificate
from tests.sync.offices import NOW, Office, seeded_office

ENTITIES = "/permissions/query/entities/grants"


@pytest.fixture(scope="module")
def office(tmp_path_factory: pytest.TempPathFactory) -> Office:
    return seeded_office(tmp_path_factory)


def _entry(office: Office, profile: str, n: int = 0) -> Any:
    return [e for e in office.roster if e.profile == profile][n]


def _run(
    office: Office, home: Path, work: Any, faults: Faults | None = None, seed: int = 0
) -> tuple[Any, list[ApiLogEntry]]:
    clock = VirtualTime(NOW, seed=seed, frozen_wall=True)
    factory = office.demo(home).ksef_factory(timing=clock.timing(), clock=lambda: NOW, faults=faults)
    calls: list[ApiLogEntry] = []
    factory.api_log.sink = calls.append

    async def run() -> Any:
        try:
            return await work(factory)
        finally:
            await factory.aclose()

    return asyncio.run(run()), calls


def _with_office(office: Office, home: Path) -> Store:
    store = office.fresh_store(home / "store")
    seed_office(store, office.roster, office.world, NOW)
    return store


def test_enrolment_end_to_end(office: Office, tmp_path: Path) -> None:
    """Qualified test seal in, sealed office certificate out, and it logs in in a client's context."""
    store = office.fresh_store(tmp_path / "store")
    world = office.world
    write_profile(
        store, OfficeProfile(nip=world.office_nip, name=world.office_name, environment=Environment.DEMO)
    )
    qualified = tmp_path / "pieczec.p12"
    qualified.write_bytes(qualified_pkcs12(world, world.office_nip, world.office_name))
    try:
        cred, calls = _run(
            office, tmp_path, lambda f: enroll_office_certificate(store, f, lambda: NOW, str(qualified))
        )
        routes = [c.route for c in calls if c.status and c.status < 400]
        for route in (
            "/certificates/limits",
            "/certificates/enrollments/data",
            "/certificates/enrollments",
            "/certificates/enrollments/{referenceNumber}",
            "/certificates/retrieve",
        ):
            assert route in routes
        stored = store.office_certificate.get()
        assert stored is not None and stored.serial == cred.serial
        assert stored.secret.startswith("-----BEGIN PRIVATE KEY")  # the key made here, sealed
        assert any(e.serial == cred.serial for e in world.enrollments.values())
        # The qualified seal's key is nowhere in the store: only the new certificate is.
        assert "pieczec" not in (stored.label or "")
        granted = store.clients.find_by_short_code(_entry(office, "expiring_10").short_code)
        ungranted = store.clients.find_by_short_code(_entry(office, "no_credential", 1).short_code)
        probes, _calls = _run(
            office, tmp_path, lambda f: probe_clients(store, f, lambda: NOW, [granted.id, ungranted.id])
        )
        assert probes[granted.id].status == 200
        assert probes[ungranted.id].status == 415
        assert store.client_office.get(ungranted.id).probe.status == 415
    finally:
        store.close()


def test_a_foreign_qualified_seal_is_refused_before_any_call(office: Office, tmp_path: Path) -> None:
    store = office.fresh_store(tmp_path / "store")
    world = office.world
    write_profile(store, OfficeProfile(nip=world.office_nip, environment=Environment.DEMO))
    other = _entry(office, "cert_600").nip
    qualified = tmp_path / "obca.p12"
    qualified.write_bytes(qualified_pkcs12(world, other, "Obca firma"))
    from ksef_tui.sync.grants import OfficeNotReady

    before = store.office_certificate.get(with_secrets=False)  # merged from the roster's per-client copies
    try:
        with pytest.raises(OfficeNotReady):
            _run(office, tmp_path, lambda f: enroll_office_certificate(store, f, lambda: NOW, str(qualified)))
        after = store.office_certificate.get(with_secrets=False)
        assert (after.serial if after else None) == (before.serial if before else None)
        assert not office.world.enrollments or all(
            e.subject_nip != other for e in office.world.enrollments.values()
        )
    finally:
        store.close()


def test_census_of_300_granting_nips_takes_three_pages(office: Office, tmp_path: Path) -> None:
    store = _with_office(office, tmp_path)
    world = office.world
    saved = list(world.grants)
    import random

    rng = random.Random(11)
    used = {n for e in office.roster for n in e.nips} | {world.office_nip}

    def rows() -> int:  # one row per scope received (spec: EntityPermissionItem)
        return sum(
            1
            for g in world.grants
            if g.subject_nip == world.office_nip
            and g.context_nip != world.office_nip
            and g.permission in ("InvoiceRead", "InvoiceWrite")
        )

    extra = [random_nip(rng, used) for _ in range(300 - rows())]
    for nip in extra:
        grant_entity(world, nip, world.office_nip, {"InvoiceRead": False})
    try:
        result, calls = _run(office, tmp_path, lambda f: run_census(store, f, lambda: NOW, cross_check=False))
        pages = [c for c in calls if c.route == ENTITIES]
        assert rows() == 300 and len(result.census.grants) > 290
        assert len(pages) == result.calls == 3  # 100 rows a page: 300 rows, 3 calls (+ the login)
        assert set(extra) <= set(result.not_clients)  # granting NIPs that are not clients: offered
    finally:
        world.grants[:] = saved
        store.close()


def test_revoking_the_grant_turns_the_client_not_ready_after_the_next_census(
    office: Office, tmp_path: Path
) -> None:
    store = _with_office(office, tmp_path)
    world = office.world
    saved = list(world.grants)
    entry = _entry(office, "expiring_10")  # own certificate ends before 2027: the office's grant decides
    client = store.clients.find_by_short_code(entry.short_code)
    try:
        _run(office, tmp_path, lambda f: run_census(store, f, lambda: NOW))
        before = {r.client.id: r for r in readiness_rows(store, lambda: NOW)}
        assert (before[client.id].ready, before[client.id].via) == (Ready.YES, Via.OFFICE_CERTIFICATE)

        async def revoke_as_the_client(factory: Any) -> None:
            cert, key = issue_qualified(world, entry.nip, entry.name, now=NOW)
            from cryptography.hazmat.primitives import serialization

            pem = cert.public_bytes(serialization.Encoding.PEM).decode()
            key_pem = key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            ).decode()
            async with factory(store.clients.get(client.id)) as ksef:
                ctx = ksef.for_context(entry.nip)
                await ctx.authenticate_with_certificate(entry.nip, pem, key_pem)
                for grant in [
                    g
                    for g in world.grants
                    if g.context_nip == entry.nip and g.subject_nip == world.office_nip
                ]:
                    await ctx.revoke_grant(grant.id)

        _run(office, tmp_path, revoke_as_the_client)
        result, _ = _run(office, tmp_path, lambda f: run_census(store, f, lambda: NOW))
        assert [(c.nip, c.before, c.after) for c in result.changes] == [(entry.nip, "read_write", "none")]
        after = {r.client.id: r for r in readiness_rows(store, lambda: NOW)}
        assert after[client.id].ready is Ready.NO
        assert set(after[client.id].missing) == {"InvoiceRead", "InvoiceWrite"}
    finally:
        world.grants[:] = saved
        store.close()


def test_granting_through_the_api_makes_the_client_ready(office: Office, tmp_path: Path) -> None:
    store = _with_office(office, tmp_path)
    world = office.world
    saved = list(world.grants)
    entry = _entry(office, "no_credential", 1)
    client = store.clients.find_by_short_code(entry.short_code)
    try:

        async def grant_as_the_client(factory: Any) -> None:
            cert, key = issue_qualified(world, entry.nip, entry.name, now=NOW)
            from cryptography.hazmat.primitives import serialization

            async with factory(store.clients.get(client.id)) as ksef:
                ctx = ksef.for_context(entry.nip)
                await ctx.authenticate_with_certificate(
                    entry.nip,
                    cert.public_bytes(serialization.Encoding.PEM).decode(),
                    key.private_bytes(
                        serialization.Encoding.PEM,
                        serialization.PrivateFormat.PKCS8,
                        serialization.NoEncryption(),
                    ).decode(),
                )
                op = await ctx.grant_entity_permissions(
                    world.office_nip,
                    world.office_name,
                    {"InvoiceRead": False, "InvoiceWrite": True},
                    "Biuro rachunkowe",
                )
                assert (await ctx.get_permission_operation(op.reference_number)).status.code == 200

        _run(office, tmp_path, grant_as_the_client)
        _run(office, tmp_path, lambda f: run_census(store, f, lambda: NOW, client_nip=entry.nip))
        row = next(r for r in readiness_rows(store, lambda: NOW) if r.client.id == client.id)
        assert (row.ready, row.via) == (Ready.YES, Via.OFFICE_CERTIFICATE)
    finally:
        world.grants[:] = saved
        store.close()


BAD_DAY = dict(error_rate=0.25, drop_rate=0.05, burst_429_rate=0.03, burst_429_length=3, burst_retry_after=1)


@pytest.mark.parametrize("seed", range(4))
def test_faults_never_turn_a_green_client_red(office: Office, tmp_path: Path, seed: int) -> None:
    """Census and probes on a bad KSeF day end with every client as the fault-free run left it, or
    as it was before (an interrupted census stores nothing; an inconclusive probe is not recorded)."""

    def everything(store: Store) -> Any:
        ids = [c.id for c in store.clients.list()]

        async def work(factory: Any) -> None:
            with contextlib.suppress(Exception):  # an interrupted census stores nothing
                await run_census(store, factory, lambda: NOW)
            await probe_clients(store, factory, lambda: NOW, ids)

        return work

    clean = _with_office(office, tmp_path / "clean")
    before = {r.client.short_code: r.ready for r in readiness_rows(clean, lambda: NOW)}
    _run(office, tmp_path / "clean", everything(clean))
    expected = {r.client.short_code: r.ready for r in readiness_rows(clean, lambda: NOW)}
    clean.close()
    faulty = _with_office(office, tmp_path / "faulty")
    _result, calls = _run(office, tmp_path / "faulty", everything(faulty), Faults(seed=seed, **BAD_DAY), seed)
    got = {r.client.short_code: r.ready for r in readiness_rows(faulty, lambda: NOW)}
    faulty.close()
    assert any(c.status is not None and c.status >= 500 for c in calls)
    for code, ready in got.items():
        if expected[code] is Ready.YES:
            assert ready in (Ready.YES, before[code]), code
        assert ready in (expected[code], before[code]), code

"""The office in 2027 against the in-process simulator (issue 11): enrolment end to end, the grant census
(paging, changes, revocation), the probe, readiness, and faults that must not turn green clients red."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta
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
from ksef_tui.simulator.entity_grants import grant_entity, revoke_entity
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


# --- the backend's leftovers (issue 11 on screen) ---------------------------------------------------------


def test_list_and_revoke_office_certificates(office: Office, tmp_path: Path) -> None:
    """The office's certificates as KSeF lists them (client + simulator), and revoking the stored one:
    revoked in KSeF and marked revoked in the store."""
    from ksef_tui.core.models import CredentialStatus
    from ksef_tui.sync.office_certificate import list_office_certificates, revoke_office_certificate

    store = _with_office(office, tmp_path)
    world = office.world
    stored = store.office_certificate.get(with_secrets=False)
    sim = next(c for c in world.certificates.values() if c.serial == stored.serial)
    try:
        items, _calls = _run(office, tmp_path, lambda f: list_office_certificates(store, f))
        assert stored.serial in [i.certificate_serial_number for i in items]
        assert all(i.certificate_serial_number for i in items)
        _run(office, tmp_path, lambda f: revoke_office_certificate(store, f, stored.serial))
        assert sim.revoked
        assert store.office_certificate.get(with_secrets=False).status is CredentialStatus.REVOKED
        assert any(e.action == "office_certificate.revoke" for e in store.audit.list(limit=5))
    finally:
        sim.revoked = False
        store.close()


def _read_only_client(office: Office, store: Store) -> Any:
    """A client without credentials that granted the office InvoiceRead only (in KSeF and the census)."""
    entry = _entry(office, "no_credential", 1)
    grant_entity(office.world, entry.nip, office.world.office_nip, {"InvoiceRead": False})
    return store.clients.find_by_short_code(entry.short_code)


def test_a_403_missing_permissions_in_use_re_runs_the_census_stamped_by_the_callers_clock(
    office: Office, tmp_path: Path
) -> None:
    """Sessions need InvoiceWrite or Introspection: with InvoiceRead only, KSeF answers 403
    missing-permissions, and the client's census is taken again at the caller's time (not the system's)."""
    from ksef_tui.ksef.errors import MissingPermissions
    from ksef_tui.sync.sessions import refresh_sessions

    store = _with_office(office, tmp_path)
    saved = list(office.world.grants)
    later = NOW + timedelta(hours=1)
    try:
        client = _read_only_client(office, store)
        _run(office, tmp_path, lambda f: run_census(store, f, lambda: NOW))
        assert store.grant_censuses.latest(1)[0].taken_at == NOW

        async def refresh(factory: Any) -> None:
            with pytest.raises(MissingPermissions):
                await refresh_sessions(store, factory, client.id, lambda: later, force=True)

        _run(office, tmp_path, refresh)
        latest = store.grant_censuses.latest(1)[0]
        assert latest.taken_at == later
        assert latest.grant_for(client.nip).level == "read"
    finally:
        office.world.grants[:] = saved
        store.close()


def test_a_21301_in_use_re_runs_the_census_on_the_store_s_clock(office: Office, tmp_path: Path) -> None:
    """21301 (KSeF refused the tokens) while a client's context is in use: its census is taken again, at
    the store's clock when the caller gives none; and a revoked grant shows in that census."""
    from ksef_tui.ksef.errors import BadRequest
    from ksef_tui.sync.sessions import client_context

    store = _with_office(office, tmp_path)
    saved = list(office.world.grants)
    try:
        client = _read_only_client(office, store)
        _run(office, tmp_path, lambda f: run_census(store, f, lambda: NOW - timedelta(hours=1)))
        before = len(store.grant_censuses.latest(30))

        async def use(factory: Any) -> None:
            with pytest.raises(BadRequest):
                async with client_context(store, factory, client.id):
                    revoke_entity(office.world, client.nip, office.world.office_nip)
                    raise BadRequest(status=400, codes=[21301])

        _run(office, tmp_path, use)
        censuses = store.grant_censuses.latest(30)
        assert len(censuses) == before + 1
        assert censuses[0].taken_at == NOW  # the store's clock (offices.py opens it on NOW)
        assert censuses[0].grant_for(client.nip).level == "none"
    finally:
        office.world.grants[:] = saved
        store.close()


def test_an_unrelated_error_in_use_takes_no_census(office: Office, tmp_path: Path) -> None:
    from ksef_tui.ksef.errors import BadRequest
    from ksef_tui.sync.sessions import client_context

    store = _with_office(office, tmp_path)
    saved = list(office.world.grants)
    try:
        client = _read_only_client(office, store)
        _run(office, tmp_path, lambda f: run_census(store, f, lambda: NOW))
        before = len(store.grant_censuses.latest(30))

        async def use(factory: Any) -> None:
            with pytest.raises(BadRequest):
                async with client_context(store, factory, client.id):
                    raise BadRequest(status=400, codes=[21405])

        _run(office, tmp_path, use)
        assert len(store.grant_censuses.latest(30)) == before
    finally:
        office.world.grants[:] = saved
        store.close()


def test_still_not_granted_lists_who_was_asked_long_enough_ago(office: Office, tmp_path: Path) -> None:
    from datetime import date

    from ksef_tui.core.readiness import Census, OfficeGrant
    from ksef_tui.sync.grants import clients_still_not_granted, mark_grant_requested

    store = _with_office(office, tmp_path)
    try:
        asked = store.clients.find_by_short_code(_entry(office, "token_sunset", 1).short_code)  # 12 days ago
        recent = store.clients.find_by_short_code(_entry(office, "no_credential").short_code)
        mark_grant_requested(store, recent.id, date(2026, 11, 19))
        assert [c.id for c in clients_still_not_granted(store, lambda: NOW, 7)] == [asked.id]
        assert [c.id for c in clients_still_not_granted(store, lambda: NOW, 13)] == []
        assert {c.id for c in clients_still_not_granted(store, lambda: NOW, 2)} == {asked.id, recent.id}
        latest = store.grant_censuses.latest(1)[0]
        grants = dict(latest.grants)
        grants[asked.nip] = OfficeGrant(asked.nip, read=True)
        store.grant_censuses.record(Census(NOW, grants))
        assert [c.id for c in clients_still_not_granted(store, lambda: NOW, 2)] == [recent.id]
    finally:
        store.close()


def test_the_grant_request_is_saved_as_a_new_file_each_time(office: Office, tmp_path: Path) -> None:
    from ksef_tui.sync.grants import grant_request_for, save_grant_request

    store = _with_office(office, tmp_path)
    folder = tmp_path / "eksport"
    try:
        client = store.clients.find_by_short_code(_entry(office, "no_credential").short_code)
        first = save_grant_request(store, client.id, folder, NOW)
        second = save_grant_request(store, client.id, folder, NOW)
        assert first.name == f"prosba-o-uprawnienie-{client.short_code}-2026-11-21.txt"
        assert second.name == f"prosba-o-uprawnienie-{client.short_code}-2026-11-21-2.txt"
        assert first.read_text(encoding="utf-8") == grant_request_for(store, client.id)
        assert first.stat().st_mode & 0o777 == 0o600
        assert str(store.client_office.get(client.id).grant_requested) == "2026-11-21"
    finally:
        store.close()


def test_the_readiness_view_counts_changes_and_strangers(office: Office, tmp_path: Path) -> None:
    from ksef_tui.core.readiness import Census, OfficeGrant
    from ksef_tui.sync.grants import read_readiness_view

    store = _with_office(office, tmp_path)
    try:
        previous = store.grant_censuses.latest(1)[0]
        grants = dict(previous.grants)
        gone = sorted(grants)[0]
        del grants[gone]
        grants["5260250274"] = OfficeGrant("5260250274", read=True, write=True)
        store.grant_censuses.record(Census(NOW, grants))
        view = read_readiness_view(store, lambda: NOW)
        assert sum(view.counts.values()) == len(view.rows) == len(store.clients.list())
        assert view.census_at == NOW and view.previous_at == previous.taken_at
        assert {c.nip for c in view.changes} == {gone, "5260250274"}
        assert view.not_clients == ["5260250274"]
        assert "zależy od niego" in view.office.text
    finally:
        store.close()

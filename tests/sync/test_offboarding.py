"""Offboarding a client against the in-process simulator (issue 15 item 3): the token is revoked (a later
login with it gets 450), the listed UPO copies and export files are gone and nothing else is, the client's
sealed rows open with no key the store holds (office, index, data, every client key, every operator copy)
and its wrapped key is gone from the database file, and the audit chain still verifies. Also: who else
holds grants in a client's context (persons/grants, entities/grants, paged)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import sqlite3
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from ksef_tui.core.clock import VirtualTime
from ksef_tui.core.export_batch import BatchFile, ExportBatch
from ksef_tui.core.exports import ExportFormat, PeriodKind
from ksef_tui.demo.office import seed_office
from ksef_tui.ksef.errors import AuthenticationError
from ksef_tui.simulator.model import Grant
from ksef_tui.store import Store
from ksef_tui.store.paths import DB_FILENAME
from ksef_tui.store.sealing import SecretKey, associated_data, seal, unseal
from ksef_tui.store.slots import read_slots, unwrap_slot
from ksef_tui.sync.grant_holders import describe_holders, read_grant_holders
from ksef_tui.sync.offboarding import (
    EXIT_DONE,
    EXIT_FAILED,
    EXIT_WARNINGS,
    Outcome,
    Step,
    describe_plan,
    offboarding_plan,
    run_offboarding,
)
from tests.export_helpers import context
from tests.sync.offices import NOW, PASSPHRASE, Office, seeded_office


@pytest.fixture
def office(tmp_path_factory: pytest.TempPathFactory) -> Office:
    return seeded_office(tmp_path_factory)  # per test: offboarding changes the simulated world


def _run(office: Office, home: Path, work: Any, **app: Any) -> Any:
    clock = VirtualTime(NOW, seed=0, frozen_wall=True)
    factory = office.demo(home).ksef_factory(timing=clock.timing(), clock=lambda: NOW, **app)

    async def run() -> Any:
        try:
            return await work(factory)
        finally:
            await factory.aclose()

    return asyncio.run(run())


def _store(office: Office, home: Path) -> Store:
    store = office.fresh_store(home / "store")
    seed_office(store, office.roster, office.world, NOW)
    return store


def _client(office: Office, store: Store, profile: str) -> tuple[Any, Any]:
    entry = next(e for e in office.roster if e.profile == profile)
    client = store.clients.find_by_short_code(entry.short_code)
    assert client is not None
    return entry, client


def _export_batch(
    store: Store, client_id: int, short_code: str, folder: Path, files: dict[str, bytes]
) -> None:
    folder.mkdir(parents=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
    store.exports.record(
        ExportBatch(
            client_id=client_id,
            format=ExportFormat.BUNDLE,
            period="2026-10",
            period_kind=PeriodKind.VAT,
            created_at=NOW,
            created_by="admin",
            context=context(client_id, short_code=short_code, created_at=NOW),
            bookings=(),
            files=tuple(BatchFile(n, hashlib.sha256(d).hexdigest(), len(d)) for n, d in files.items()),
            folder=str(folder),
        )
    )


def _sealed_values(db_path: Path, client_id: int) -> list[tuple[str, int, str, bytes]]:
    """(table, row id, column, sealed blob) of the client's sealed columns, read raw from the file."""
    con = sqlite3.connect(db_path)
    try:
        out = []
        row = con.execute("SELECT name, notes FROM clients WHERE id = ?", [client_id]).fetchone()
        out += [("clients", client_id, "name", row[0]), ("clients", client_id, "notes", row[1])]
        for cred_id, secret in con.execute(
            "SELECT id, secret FROM credentials WHERE client_id = ?", [client_id]
        ):
            out.append(("credentials", cred_id, "secret", secret))
        for nip_id, nip in con.execute("SELECT id, nip FROM client_nips WHERE client_id = ?", [client_id]):
            out.append(("client_nips", nip_id, "nip", nip))
        return out
    finally:
        con.close()


def _every_key(store: Store, db_path: Path) -> list[SecretKey]:
    """Every key the store can produce from the file: each slot's unwrapped key (admin: the office key),
    the office keys, every client key still wrapped in `clients`, every operator copy in
    `slot_client_keys` under every slot key."""
    con = sqlite3.connect(db_path)
    try:
        keys: list[SecretKey] = []
        slot_keys = []
        from ksef_tui.store.database import connect

        db = connect(db_path)
        try:
            for slot in read_slots(db):
                slot_keys.append(unwrap_slot(slot, PASSPHRASE))
        finally:
            db.close()
        keys += slot_keys
        office = slot_keys[0]
        for purpose, wrapped in con.execute("SELECT purpose, wrapped_key FROM office_keys"):
            keys.append(
                SecretKey(unseal(office, wrapped, associated_data("office_keys", purpose, "wrapped_key")))
            )
        for client_id, wrapped in con.execute("SELECT id, wrapped_key FROM clients"):
            keys.append(
                SecretKey(unseal(office, wrapped, associated_data("clients", client_id, "wrapped_key")))
            )
        for slot_id, client_id, wrapped in con.execute(
            "SELECT slot_id, client_id, wrapped_key FROM slot_client_keys"
        ):
            for slot_key in slot_keys:
                ad = associated_data("slot_client_keys", f"{slot_id}:{client_id}", "wrapped_key")
                try:
                    keys.append(SecretKey(unseal(slot_key, wrapped, ad)))
                except Exception:
                    continue
        return keys
    finally:
        con.close()


def _file_bytes(home: Path) -> bytes:
    """The database file and its WAL, as someone copying the folder would get them."""
    raw = (home / DB_FILENAME).read_bytes()
    wal = home / (DB_FILENAME + "-wal")
    return raw + (wal.read_bytes() if wal.exists() else b"")


def _opens(keys: list[SecretKey], table: str, row_id: int, column: str, blob: bytes) -> bool:
    for key in keys:
        try:
            unseal(key, blob, associated_data(table, row_id, column))
        except Exception:
            continue
        return True
    return False


def test_offboarding_revokes_deletes_the_listed_files_and_shreds(office: Office, tmp_path: Path) -> None:
    store = _store(office, tmp_path)
    _entry, client = _client(office, store, "token_and_cert")
    _other_entry, other = _client(office, store, "cert_600")
    cid = client.id
    token = next(c for c in store.credentials.for_client(cid) if c.kind.value == "ksef_token")
    # An operator's wrapped copy of the client key, as the operators' slots keep them (slot_client_keys).
    with store._writing() as vault:
        key = vault.client_key(cid)
        assert key is not None
        slot_key = vault.keys.office  # any key: the copy itself must go
        vault.db.execute(
            "INSERT INTO slot_client_keys (slot_id, client_id, wrapped_key) VALUES (1, ?, ?)",
            [
                cid,
                seal(
                    slot_key, key.material(), associated_data("slot_client_keys", f"1:{cid}", "wrapped_key")
                ),
            ],
        )
    # Files: the client's UPO copies, another client's, a link in the client's folder; export files.
    upo = tmp_path / "UPO"
    mine = upo / client.short_code / "2026-10"
    mine.mkdir(parents=True)
    (mine / "20261001-SE-1.xml").write_bytes(b"<UPO/>")
    (mine / "20261001-SE-1-p2.xml").write_bytes(b"<UPO p2/>")
    outside = tmp_path / "outside.xml"
    outside.write_bytes(b"keep me")
    os.symlink(outside, mine / "link.xml")
    theirs = upo / other.short_code / "2026-10"
    theirs.mkdir(parents=True)
    (theirs / "20261001-SE-9.xml").write_bytes(b"<UPO other/>")
    exports = tmp_path / "exports" / client.short_code / "2026-10"
    _export_batch(store, cid, client.short_code, exports, {"a.xml": b"A", "b.csv": b"B"})
    (exports / "b.csv").write_bytes(b"changed by the user")  # changed since the export: kept
    (exports / "notes.txt").write_bytes(b"not ours")
    store.audit.append(cid, "credential.check", "ok", "szczegóły klienta")
    before = _sealed_values(store.db_path, cid)
    wrapped = (
        sqlite3.connect(store.db_path)
        .execute("SELECT wrapped_key FROM clients WHERE id = ?", [cid])
        .fetchone()[0]
    )

    # Sanity: before, the client's key (in the store's key ring) opens them, and the file holds the key.
    with store._reading() as vault:
        client_key = vault.client_key(cid)
        assert client_key is not None
        assert all(_opens([client_key], *value) for value in before)
    assert wrapped in _file_bytes(tmp_path / "store")

    plan = offboarding_plan(store, cid, upo)
    assert [t.reference for t in plan.tokens] == [token.reference]
    assert sorted(f.path.name for f in plan.upo_files) == ["20261001-SE-1-p2.xml", "20261001-SE-1.xml"]
    assert [f.path.name for f in plan.export_files] == ["a.xml"]
    assert any("link.xml" in k for k in plan.kept) and any("b.csv" in k for k in plan.kept)
    words = "\n".join(describe_plan(plan))
    assert token.reference in words and str(mine / "20261001-SE-1.xml") in words

    seen: list[Step] = []
    result = _run(
        office,
        tmp_path,
        lambda f: run_offboarding(store, f, plan, lambda: NOW, lambda s: seen.append(s.step)),
    )
    assert seen == [Step.PLAN, Step.TOKENS, Step.GRANTS, Step.FILES, Step.SHRED]
    assert result.exit_code == EXIT_DONE, [(s.step, s.outcome, s.lines) for s in result.steps]
    assert office.world.tokens[token.reference].status == "Revoked"
    assert "NIP" in result.client_text and token.reference in result.client_text

    # A later login with the token: 450.
    async def login(factory: Any) -> None:
        async with factory(client) as ksef:
            await ksef.for_context(client.nip).authenticate_with_token(client.nip, token.secret)

    with pytest.raises(AuthenticationError) as refused:
        _run(office, tmp_path, login)
    assert refused.value.code == 450

    # Files: the listed ones gone, everything else kept.
    assert not (mine / "20261001-SE-1.xml").exists() and not (mine / "20261001-SE-1-p2.xml").exists()
    assert (mine / "link.xml").is_symlink() and outside.read_bytes() == b"keep me"
    assert (theirs / "20261001-SE-9.xml").read_bytes() == b"<UPO other/>"
    assert (
        not (exports / "a.xml").exists() and (exports / "b.csv").exists() and (exports / "notes.txt").exists()
    )

    # The store: nothing of the client left but redacted audit entries; the chain verifies.
    assert store.clients.find_by_short_code(client.short_code) is None
    assert store.audit.verify().intact
    trail = store.audit.list(client_id=cid, limit=500)
    assert trail and all(e.redacted for e in trail)
    assert all("szczegóły" not in e.detail for e in trail)
    final = store.audit.list(limit=1)[0]
    assert final.action == "client.offboarded" and final.client_id is None and "nip_index" in final.detail
    assert client.nip not in final.detail and client.name not in final.detail
    store.close()

    # Proof on the file: no key the store holds opens any sealed value of the client from before, and
    # the client's wrapped key (and the operator copy) is gone from the file and its WAL.
    keys = _every_key(store, store.db_path)
    assert len(keys) >= 3
    for table, row_id, column, blob in before:
        assert not _opens(keys, table, row_id, column, blob), (table, row_id, column)
    raw = _file_bytes(tmp_path / "store")
    assert wrapped not in raw
    assert all(blob not in raw for _t, _r, _c, blob in before)
    con = sqlite3.connect(tmp_path / "store" / DB_FILENAME)
    assert con.execute("SELECT count(*) FROM slot_client_keys WHERE client_id = ?", [cid]).fetchone()[0] == 0
    con.close()
    # The other client is untouched.
    again = Store.open(tmp_path / "store", PASSPHRASE, clock=lambda: NOW)
    try:
        assert again.clients.get(other.id).name == other.name
        assert again.audit.verify().intact
    finally:
        again.close()


def test_a_revoked_token_is_reported_not_fatal(office: Office, tmp_path: Path) -> None:
    store = _store(office, tmp_path)
    _entry, client = _client(office, store, "revoked")
    plan = offboarding_plan(store, client.id, tmp_path / "UPO")
    assert len(plan.tokens) == 1
    result = _run(office, tmp_path, lambda f: run_offboarding(store, f, plan, lambda: NOW))
    tokens = next(s for s in result.steps if s.step is Step.TOKENS)
    assert tokens.outcome is Outcome.WARNING and "450" in " ".join(tokens.lines)
    assert result.exit_code == EXIT_WARNINGS and result.shred is not None
    assert plan.tokens[0].reference in result.client_text  # the client is asked to check it
    assert store.clients.find_by_short_code(client.short_code) is None
    store.close()


def test_ksef_unreachable_stops_before_anything_is_deleted(office: Office, tmp_path: Path) -> None:
    store = _store(office, tmp_path)
    _entry, client = _client(office, store, "token_and_cert")
    upo = tmp_path / "UPO" / client.short_code / "2026-10"
    upo.mkdir(parents=True)
    (upo / "x.xml").write_bytes(b"<UPO/>")
    plan = offboarding_plan(store, client.id, tmp_path / "UPO")

    async def down(factory: Any) -> Any:
        from ksef_tui.ksef.errors import KsefError

        async def broken(*_a: Any, **_k: Any) -> Any:
            raise KsefError("KSeF nie odpowiada")

        ksef = factory.client_for(client.environment)
        ksef.authenticate_with_token = broken  # type: ignore[method-assign]
        original = ksef.for_context

        def child(nip: str) -> Any:
            c = original(nip)
            c.authenticate_with_token = broken  # type: ignore[method-assign]
            return c

        ksef.for_context = child  # type: ignore[method-assign]
        return await run_offboarding(store, factory, plan, lambda: NOW)

    result = _run(office, tmp_path, down)
    assert result.exit_code == EXIT_FAILED and result.shred is None
    assert [s.step for s in result.steps] == [Step.PLAN, Step.TOKENS]
    assert (upo / "x.xml").exists() and store.clients.get(client.id).name == client.name
    store.close()


def test_who_else_holds_grants_pages_through_persons_and_entities(office: Office, tmp_path: Path) -> None:
    store = _store(office, tmp_path)
    _entry, client = _client(office, store, "token_and_cert")
    world = office.world
    for n in range(130):  # more than one page of 100
        world.grants.append(
            Grant(
                str(uuid.UUID(int=n + 1)),
                client.nip,
                f"{90000000000 + n}",
                "InvoiceRead",
                NOW - timedelta(days=n),
            )
        )
    result = _run(office, tmp_path, lambda f: read_grant_holders(store, f, client.id))
    assert result.read, result.reason
    assert result.via == "ksef_token"
    people = [h for h in result.holders if h.identifier_type == "Pesel"]
    assert len(people) == 130 and people[0].since == NOW
    assert any(h.is_office for h in result.holders) == any(
        g.context_nip == client.nip and g.subject_nip == world.office_nip for g in world.grants
    )
    assert "Pesel 90000000000" in "\n".join(describe_holders(result))
    assert store.audit.list(client_id=client.id, limit=1)[0].action == "grants.holders"
    store.close()


def test_who_else_holds_grants_says_when_no_credential_may_read(office: Office, tmp_path: Path) -> None:
    store = _store(office, tmp_path)
    _entry, client = _client(office, store, "no_credential")
    result = _run(office, tmp_path, lambda f: read_grant_holders(store, f, client.id))
    assert not result.read and result.reason
    store.close()

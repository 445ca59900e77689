"""Round trips through every repository, blind-index look-ups, duplicates and removal."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from store_helpers import FIXED_NOW, client, nip, ok_check, token_for

from ksef_tui.core.models import (
    CheckOutcome,
    Client,
    Credential,
    CredentialKind,
    CredentialStatus,
    Environment,
    LiveCheck,
    SyncState,
)
from ksef_tui.store import NotFound, Store, StoreError


def test_client_round_trip_sets_id_and_created(store: Store) -> None:
    added = store.clients.add(
        Client(name="Zażółć Gęślą Jaźń S.A.", short_code="zaz_1", nips=["PL 526-025-02-74"], notes="ł")
    )
    assert added.id is not None and added.created == FIXED_NOW
    assert added.nips == ["5260250274"] and added.short_code == "ZAZ_1"
    got = store.clients.get(added.id)
    assert got == added
    assert store.clients.list() == [added]


def test_find_by_any_nip_and_short_code(store: Store) -> None:
    a = store.clients.add(Client(name="A", short_code="A_1", nips=[nip(1), nip(2)]))
    b = store.clients.add(Client(name="B", short_code="B_1", nips=[nip(3)]))
    assert store.clients.find_by_nip(nip(2)) == a
    assert store.clients.find_by_nip("PL" + nip(1)[:3] + "-" + nip(1)[3:]) == a
    assert store.clients.find_by_nip(nip(3)) == b
    assert store.clients.find_by_nip(nip(4)) is None
    assert store.clients.find_by_short_code(" b_1 ") == b
    assert store.clients.find_by_short_code("C_1") is None


def test_duplicate_nip_or_short_code_is_refused_in_polish(store: Store) -> None:
    store.clients.add(Client(name="A", short_code="A_1", nips=[nip(1)]))
    with pytest.raises(StoreError) as nip_clash:
        store.clients.add(Client(name="B", short_code="B_1", nips=[nip(9), nip(1)]))
    with pytest.raises(StoreError) as code_clash:
        store.clients.add(Client(name="B", short_code="a_1", nips=[nip(9)]))
    assert nip_clash.value.__class__ is StoreError and code_clash.value.__class__ is StoreError
    assert [c.name for c in store.clients.list()] == ["A"]
    assert store.clients.find_by_nip(nip(9)) is None  # the refused add left nothing behind


def test_update_rewrites_sealed_fields_and_nips(store: Store) -> None:
    added = store.clients.add(client(1))
    added.name = "Nowa Nazwa"
    added.nips = [nip(50), nip(51)]
    added.environment = Environment.DEMO
    store.clients.update(added)
    assert store.clients.get(added.id).name == "Nowa Nazwa"  # type: ignore[arg-type]
    assert store.clients.find_by_nip(nip(51)).environment is Environment.DEMO  # type: ignore[union-attr]
    assert store.clients.find_by_nip(nip(1)) is None
    other = store.clients.add(client(2))
    other.nips = [nip(50)]
    with pytest.raises(StoreError):
        store.clients.update(other)


def test_credentials_round_trip_every_field(store: Store) -> None:
    c = store.clients.add(client(1))
    cert = Credential(
        client_id=c.id,  # type: ignore[arg-type]
        kind=CredentialKind.KSEF_CERTIFICATE,
        secret="-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n",
        certificate_pem="-----BEGIN CERTIFICATE-----\nxyz\n-----END CERTIFICATE-----\n",
        serial="01AB",
        permissions=frozenset({"InvoiceRead", "Introspection"}),
        valid_from=datetime(2025, 1, 1, tzinfo=UTC),
        valid_until=datetime(2027, 1, 1, tzinfo=UTC),
        status=CredentialStatus.ACTIVE,
        label="certyfikat główny",
    )
    saved = store.credentials.add(cert)
    token = store.credentials.add(token_for(c.id, 1))  # type: ignore[arg-type]
    assert saved.id is not None and saved.created == FIXED_NOW
    assert store.credentials.for_client(c.id) == [saved, token]  # type: ignore[arg-type]
    saved.status = CredentialStatus.REVOKED
    saved.permissions = frozenset()
    store.credentials.update(saved)
    assert store.credentials.all() == {c.id: [saved, token]}
    store.credentials.remove(token.id)  # type: ignore[arg-type]
    assert store.credentials.for_client(c.id) == [saved]  # type: ignore[arg-type]
    with pytest.raises(NotFound):
        store.credentials.remove(token.id)  # type: ignore[arg-type]


def test_latest_check_per_credential(store: Store) -> None:
    c = store.clients.add(client(1))
    t1 = store.credentials.add(token_for(c.id, 1))  # type: ignore[arg-type]
    t2 = store.credentials.add(token_for(c.id, 2))  # type: ignore[arg-type]
    store.checks.record(ok_check(c.id, t1.id, FIXED_NOW - timedelta(days=2)))  # type: ignore[arg-type]
    newest = store.checks.record(
        LiveCheck(
            client_id=c.id,  # type: ignore[arg-type]
            checked_at=FIXED_NOW,
            outcome=CheckOutcome.AUTH_FAILED,
            credential_id=t1.id,
            ksef_code=21301,
            token_status="Revoked",
            message="Brak uprawnień",
        )
    )
    # Recorded later but checked earlier: "latest" goes by checked_at, not insertion order.
    store.checks.record(ok_check(c.id, t1.id, FIXED_NOW - timedelta(days=1)))  # type: ignore[arg-type]
    only_t2 = store.checks.record(ok_check(c.id, t2.id, FIXED_NOW))  # type: ignore[arg-type]
    assert store.checks.latest(c.id) == {t1.id: newest, t2.id: only_t2}  # type: ignore[arg-type]
    assert store.checks.latest_all() == {c.id: {t1.id: newest, t2.id: only_t2}}


def test_sync_state_upsert(store: Store) -> None:
    c = store.clients.add(client(1))
    assert store.sync_state.get(c.id) is None  # type: ignore[arg-type]
    state = SyncState(client_id=c.id, last_attempt=FIXED_NOW, last_error="Przekroczono limit")  # type: ignore[arg-type]
    store.sync_state.set(state)
    assert store.sync_state.get(c.id) == state  # type: ignore[arg-type]
    state.last_success, state.last_error = FIXED_NOW, ""
    store.sync_state.set(state)
    assert store.sync_state.get(c.id) == state  # type: ignore[arg-type]


def test_settings_are_json(store: Store) -> None:
    assert store.settings.get("warn_days", 30) == 30
    store.settings.set("warn_days", 21)
    store.settings.set("sunset", {"date": "2026-12-31", "tokens": ["a", "ą"]})
    store.settings.set("warn_days", 14)
    assert store.settings.get("warn_days") == 14
    assert store.settings.get("sunset") == {"date": "2026-12-31", "tokens": ["a", "ą"]}


def test_documents_upsert_and_keys(store: Store) -> None:
    c = store.clients.add(client(1))
    other = store.clients.add(client(2))
    first = store.documents.put(c.id, "invoice", "KSEF-1", b"<Faktura/>", {"kwota": "12345.67"})  # type: ignore[arg-type]
    again = store.documents.put(c.id, "invoice", "KSEF-1", b"<Faktura v=2/>")  # type: ignore[arg-type]
    store.documents.put(c.id, "invoice", "KSEF-0", b"<x/>")  # type: ignore[arg-type]
    store.documents.put(c.id, "upo", "KSEF-1", b"<UPO/>")  # type: ignore[arg-type]
    assert first == again
    assert store.documents.get(c.id, "invoice", "KSEF-1") == b"<Faktura v=2/>"  # type: ignore[arg-type]
    assert store.documents.get(c.id, "upo", "KSEF-1") == b"<UPO/>"  # type: ignore[arg-type]
    assert store.documents.get(other.id, "invoice", "KSEF-1") is None  # type: ignore[arg-type]
    assert store.documents.keys(c.id, "invoice") == ["KSEF-0", "KSEF-1"]  # type: ignore[arg-type]
    assert store.documents.meta(c.id, "invoice", "KSEF-1") == {}  # type: ignore[arg-type]


def test_audit_append_and_list(store: Store) -> None:
    c = store.clients.add(client(1))
    store.audit.append(c.id, "credential.check", "ok", "token 1")
    store.audit.append(None, "settings.change", "ok")
    entries = store.audit.list()
    assert [e.action for e in entries] == ["settings.change", "credential.check", "store_created"]
    assert entries[1].operator == "admin" and entries[1].at == FIXED_NOW and entries[1].detail == "token 1"
    assert [e.action for e in store.audit.list(client_id=c.id)] == ["credential.check"]
    assert len(store.audit.list(limit=1)) == 1


def test_remove_client_takes_everything_but_keeps_the_trail(store: Store) -> None:
    c = store.clients.add(client(1))
    keep = store.clients.add(client(2))
    cred = store.credentials.add(token_for(c.id, 1))  # type: ignore[arg-type]
    store.checks.record(ok_check(c.id, cred.id, FIXED_NOW))  # type: ignore[arg-type]
    store.sync_state.set(SyncState(client_id=c.id, last_error="x"))  # type: ignore[arg-type]
    store.documents.put(c.id, "invoice", "K", b"<x/>")  # type: ignore[arg-type]
    store.audit.append(c.id, "credential.check", "ok", "przed usunięciem")
    store.clients.remove(c.id)  # type: ignore[arg-type]
    assert store.clients.list() == [keep]
    assert store.credentials.all() == {} and store.checks.latest_all() == {}
    assert store.sync_state.get(c.id) is None  # type: ignore[arg-type]
    trail = store.audit.list(client_id=c.id)
    assert [(e.action, e.detail, e.damaged) for e in trail] == [
        ("client_removed", "", False),
        ("credential.check", "przed usunięciem", False),
    ]
    with pytest.raises(NotFound):
        store.clients.get(c.id)  # type: ignore[arg-type]
    # The id is never reused, so the kept trail cannot be mistaken for a new client's.
    assert store.clients.add(client(3)).id == 3
    assert store.damaged == []


def test_missing_rows_raise_not_found(store: Store) -> None:
    with pytest.raises(NotFound):
        store.clients.get(42)
    with pytest.raises(NotFound):
        store.credentials.add(token_for(42, 1))
    with pytest.raises(NotFound):
        store.clients.remove(42)


def test_board_rows_gathers_everything(store: Store) -> None:
    a = store.clients.add(client(1))
    b = store.clients.add(client(2))
    t = store.credentials.add(token_for(a.id, 1))  # type: ignore[arg-type]
    check = store.checks.record(ok_check(a.id, t.id, FIXED_NOW))  # type: ignore[arg-type]
    store.sync_state.set(SyncState(client_id=a.id, last_success=FIXED_NOW))  # type: ignore[arg-type]
    rows = store.board_rows()
    assert [r.client for r in rows] == [a, b]
    # The board's credentials come without their secrets; everything else is as stored.
    assert rows[0].credentials == [replace(t, secret="", certificate_pem=None)]
    assert rows[0].checks == {t.id: check}
    assert rows[0].sync == SyncState(client_id=a.id, last_success=FIXED_NOW)  # type: ignore[arg-type]
    assert rows[1].credentials == [] and rows[1].checks == {} and rows[1].sync is None


def test_settings_delete_and_documents_remove(store: Store) -> None:
    store.settings.set("x", [1, 2])
    store.settings.delete("x")
    assert store.settings.get("x", "none") == "none"
    c = store.clients.add(client(1))
    store.documents.put(c.id, "invoice", "K", b"<x/>")  # type: ignore[arg-type]
    store.documents.remove(c.id, "invoice", "K")  # type: ignore[arg-type]
    assert store.documents.get(c.id, "invoice", "K") is None  # type: ignore[arg-type]
    assert store.documents.keys(c.id, "invoice") == []  # type: ignore[arg-type]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=st.text(min_size=1, max_size=60), notes=st.text(max_size=200))
def test_any_text_round_trips(store: Store, name: str, notes: str) -> None:
    """Markup, emoji, NULs, lone surrogates: whatever was typed comes back as it was."""
    c = store.clients.find_by_short_code("ANY_1")
    if c is None:
        c = store.clients.add(Client(name=name, short_code="ANY_1", nips=[nip(1)], notes=notes))
    c.name, c.notes = name, notes
    store.clients.update(c)
    got = store.clients.get(c.id)  # type: ignore[arg-type]
    assert (got.name, got.notes) == (name, notes)
    assert store.damaged == []

"""Removing one credential (its checks go with it, the audit trail keeps a line) and refusing a second
copy of a certificate the client already has (issue 10 item 6)."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest
from store_helpers import FIXED_NOW, PASSPHRASE, client, ok_check, raw, token_for

from ksef_tui.core.models import Credential, CredentialKind
from ksef_tui.store import NotFound, Store
from ksef_tui.store.paths import DB_FILENAME
from ksef_tui.store.repositories.credentials import DuplicateCertificate
from ksef_tui.sync.records import StoreProblem, add_credential, removal_code, remove_credential

SERIAL = "1A2B3C4D5E6F"


def flip(home: Path, table: str, column: str, row_id: int) -> None:
    """One byte of a sealed value changed outside ksef-tui (as in test_store_damage.py)."""
    conn = raw(home / DB_FILENAME)
    (blob,) = conn.execute(f"SELECT {column} FROM {table} WHERE id = ?", [row_id]).fetchone()
    conn.execute(f"UPDATE {table} SET {column} = ? WHERE id = ?", [blob[:-1] + bytes([blob[-1] ^ 1]), row_id])
    conn.close()


def certificate(
    client_id: int, serial: str = SERIAL, kind: CredentialKind = CredentialKind.KSEF_CERTIFICATE
) -> Credential:
    return Credential(
        client_id=client_id,
        kind=kind,
        secret="-----BEGIN PRIVATE KEY-----\nklucz\n-----END PRIVATE KEY-----",
        certificate_pem="-----BEGIN CERTIFICATE-----\ncert\n-----END CERTIFICATE-----",
        serial=serial,
        valid_from=FIXED_NOW - timedelta(days=10),
        valid_until=FIXED_NOW + timedelta(days=300),
    )


def _check_ids(store: Store, client_id: int) -> dict[int, int]:
    """credential id -> how many live checks it has."""
    creds = store.credentials.for_client(client_id)
    return {c.id: len(store.checks.history(c.id, limit=100)) for c in creds if c.id is not None}


def test_remove_takes_the_credential_and_its_checks_and_leaves_an_audit_line(store: Store) -> None:
    c = store.clients.add(client(1))
    assert c.id is not None
    token = store.credentials.add(token_for(c.id, 1))
    cert = store.credentials.add(certificate(c.id))
    assert token.id is not None and cert.id is not None
    for days in (1, 2):
        store.checks.record(ok_check(c.id, token.id, FIXED_NOW - timedelta(days=days)))
        store.checks.record(ok_check(c.id, cert.id, FIXED_NOW - timedelta(days=days)))
    assert _check_ids(store, c.id) == {token.id: 2, cert.id: 2}

    remove_credential(store, cert)

    assert [x.id for x in store.credentials.for_client(c.id)] == [token.id]
    assert _check_ids(store, c.id) == {token.id: 2}  # the other credential's checks stay
    assert store.checks.history(cert.id, limit=100) == []
    assert set(store.checks.latest(c.id)) == {token.id}
    [entry] = [e for e in store.audit.list(client_id=c.id) if e.action == "credential.remove"]
    assert (entry.result, entry.detail) == ("ok", SERIAL)


def test_removing_a_token_records_its_reference_never_its_secret(store: Store) -> None:
    c = store.clients.add(client(2))
    assert c.id is not None
    token = store.credentials.add(token_for(c.id, 2))
    remove_credential(store, token)
    [entry] = [e for e in store.audit.list(client_id=c.id) if e.action == "credential.remove"]
    assert entry.detail == "20251010-EC-2B0C8AB000-4A3D8E9C3B-8D"
    assert "sekretnytoken" not in entry.detail
    assert store.credentials.for_client(c.id) == []


def test_removing_a_credential_twice_is_refused_in_words(store: Store) -> None:
    c = store.clients.add(client(3))
    assert c.id is not None
    cert = store.credentials.add(certificate(c.id))
    assert cert.id is not None
    store.credentials.remove(cert.id, SERIAL)
    with pytest.raises(NotFound):
        store.credentials.remove(cert.id, SERIAL)
    with pytest.raises(StoreProblem):
        remove_credential(store, cert)
    removed = [e for e in store.audit.list(client_id=c.id) if e.action == "credential.remove"]
    assert len(removed) == 1  # the refused second try wrote nothing


def test_a_damaged_credential_can_be_removed(store: Store, home: Path) -> None:
    c = store.clients.add(client(4))
    assert c.id is not None
    cred = store.credentials.add(certificate(c.id))
    assert cred.id is not None
    store.close()
    flip(home, "credentials", "serial", cred.id)
    s = Store.open(home, PASSPHRASE)
    [damaged] = s.credentials.for_client(c.id)
    assert "serial" in damaged.damaged
    assert removal_code(damaged, s.clients.get(c.id)) == "K00004"  # no serial to type: the short code
    remove_credential(s, damaged)
    assert s.credentials.for_client(c.id) == [] and s.damage_report(c.id) == []
    [entry] = [e for e in s.audit.list(client_id=c.id) if e.action == "credential.remove"]
    assert entry.detail == ""  # never the damaged placeholder
    s.close()


def test_removal_code_is_the_last_four_of_the_serial_or_reference(store: Store) -> None:
    c = store.clients.add(client(5))
    assert c.id is not None
    assert removal_code(certificate(c.id, serial="00ff12ab"), c) == "12AB"
    assert removal_code(token_for(c.id, 5), c) == "3B8D"  # "...-4A3D8E9C3B-8D": dashes left out
    no_reference = dataclasses.replace(token_for(c.id, 5), reference=None)
    assert removal_code(no_reference, c) == c.short_code  # never characters of the secret


def test_a_second_copy_of_the_same_certificate_is_refused(store: Store) -> None:
    c = store.clients.add(client(6))
    assert c.id is not None
    first = store.credentials.add(certificate(c.id))
    with pytest.raises(DuplicateCertificate) as refused:
        store.credentials.add(certificate(c.id))
    assert SERIAL in str(refused.value)
    # Whatever kind it is given as, and however the serial is spelled: the same certificate.
    with pytest.raises(DuplicateCertificate):
        store.credentials.add(certificate(c.id, SERIAL.lower(), CredentialKind.OFFICE_CERTIFICATE))
    with pytest.raises(StoreProblem, match=SERIAL):
        add_credential(store, certificate(c.id), "credential.import_certificate", SERIAL)
    assert [x.id for x in store.credentials.for_client(c.id)] == [first.id]
    imported = [e for e in store.audit.list(client_id=c.id) if e.action == "credential.import_certificate"]
    assert imported == []  # nothing recorded for the refused imports


def test_another_certificate_or_another_client_is_not_a_duplicate(store: Store) -> None:
    c1 = store.clients.add(client(7))
    c2 = store.clients.add(client(8))
    assert c1.id is not None and c2.id is not None
    store.credentials.add(certificate(c1.id))
    store.credentials.add(certificate(c1.id, serial="0BEEF0"))  # another certificate of the same client
    store.credentials.add(certificate(c2.id))  # the same serial for another client (an office cert)
    store.credentials.add(token_for(c1.id, 7))
    store.credentials.add(token_for(c1.id, 7))  # tokens are not certificates: not checked here
    assert len(store.credentials.for_client(c1.id)) == 4
    assert len(store.credentials.for_client(c2.id)) == 1


def test_after_removing_it_the_certificate_can_be_imported_again(store: Store) -> None:
    c = store.clients.add(client(9))
    assert c.id is not None
    old = store.credentials.add(certificate(c.id))
    remove_credential(store, old)
    again = store.credentials.add(certificate(c.id))
    assert [x.id for x in store.credentials.for_client(c.id)] == [again.id]


def test_reimporting_over_a_damaged_copy_still_repairs_it(store: Store, home: Path) -> None:
    c = store.clients.add(client(10))
    assert c.id is not None
    cred = store.credentials.add(certificate(c.id))
    assert cred.id is not None
    store.close()
    flip(home, "credentials", "valid_until", cred.id)
    s = Store.open(home, PASSPHRASE)
    repaired = s.credentials.add(certificate(c.id))  # the same serial: a repair, not a duplicate
    assert repaired.id == cred.id
    [only] = s.credentials.for_client(c.id)
    assert not only.damaged
    s.close()

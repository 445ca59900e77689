"""Issue 17 item 1: a damaged sealed value fails closed. One flipped byte of a certificate's expiry, a
token's secret or a client's name makes that client red with the reason; nothing re-seals the
placeholder as a genuine value except an explicit repair (re-import, or the field typed again)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from store_helpers import FIXED_NOW, PASSPHRASE, client, ok_check, raw, token_for

from ksef_tui.core.board import build_board
from ksef_tui.core.client_form import still_damaged
from ksef_tui.core.health import Level, client_health
from ksef_tui.core.models import CheckOutcome, Credential, CredentialKind, LiveCheck, SyncState
from ksef_tui.store import DamagedOverwrite, DamagedValue, Store, describe_damage
from ksef_tui.store.paths import DB_FILENAME
from ksef_tui.store.sealing import SecretKey, associated_data, seal, verify

DAMAGED_REASON = "dane uszkodzone w magazynie — przywróć z kopii lub wczytaj ponownie"
SERIAL = "5A3F0001"


def flip(home: Path, table: str, column: str, row_id: int) -> None:
    """What an attacker with the file (or a bad disk) does: change one byte of a sealed value."""
    conn = raw(home / DB_FILENAME)
    (blob,) = conn.execute(f"SELECT {column} FROM {table} WHERE id = ?", [row_id]).fetchone()
    conn.execute(f"UPDATE {table} SET {column} = ? WHERE id = ?", [blob[:-1] + bytes([blob[-1] ^ 1]), row_id])
    conn.close()


def _certificate(client_id: int, *, days: int) -> Credential:
    return Credential(
        client_id=client_id,
        kind=CredentialKind.KSEF_CERTIFICATE,
        secret="-----BEGIN PRIVATE KEY-----\nklucz\n-----END PRIVATE KEY-----",
        certificate_pem="-----BEGIN CERTIFICATE-----\ncert\n-----END CERTIFICATE-----",
        serial=SERIAL,
        permissions=frozenset({"InvoiceRead", "InvoiceWrite", "Introspection"}),
        valid_from=FIXED_NOW - timedelta(days=400),
        valid_until=FIXED_NOW + timedelta(days=days),
    )


def _board_level(store: Store, client_id: int) -> tuple[Level, str]:
    rows = [(r.client, r.credentials, r.checks, r.sync) for r in store.board_rows()]
    entry = next(e for e in build_board(rows, FIXED_NOW) if e.client.id == client_id)
    return entry.level, entry.health.reason


@pytest.fixture
def expired_cert_client(store: Store, home: Path) -> tuple[int, int]:
    """A client whose only credential, a certificate, expired 4 days ago: red before any damage."""
    c = store.clients.add(client(1))
    assert c.id is not None
    cred = store.credentials.add(_certificate(c.id, days=-4))
    assert cred.id is not None
    store.checks.record(LiveCheck(c.id, FIXED_NOW - timedelta(days=5), CheckOutcome.OK, cred.id))
    assert _board_level(store, c.id)[0] is Level.RED
    store.close()
    return c.id, cred.id


def test_damaged_certificate_expiry_turns_the_client_red_not_green(
    expired_cert_client: tuple[int, int], home: Path
) -> None:
    client_id, cred_id = expired_cert_client
    flip(home, "credentials", "valid_until", cred_id)
    s = Store.open(home, PASSPHRASE)
    level, reason = _board_level(s, client_id)
    assert (level, reason) == (Level.RED, DAMAGED_REASON)
    [cred] = s.credentials.for_client(client_id)
    assert cred.damaged == frozenset({"valid_until"})
    assert s.damaged == [DamagedValue("credentials", cred_id, "valid_until")]
    s.close()


def test_damaged_token_secret_turns_the_board_red_without_opening_the_secret(
    store: Store, home: Path
) -> None:
    c = store.clients.add(client(2))
    assert c.id is not None
    cred = store.credentials.add(token_for(c.id, 2))
    assert cred.id is not None
    store.checks.record(ok_check(c.id, cred.id, FIXED_NOW - timedelta(hours=1)))
    store.close()
    flip(home, "credentials", "secret", cred.id)
    s = Store.open(home, PASSPHRASE)
    [row] = s.board_rows()
    # The board still carries no secret, yet knows the sealed one does not authenticate.
    assert row.credentials[0].secret == "" and row.credentials[0].damaged == frozenset({"secret"})
    assert _board_level(s, c.id) == (Level.RED, DAMAGED_REASON)
    assert s.damaged == [DamagedValue("credentials", cred.id, "secret")]
    s.close()


def test_damaged_client_name_turns_the_client_red(store: Store, home: Path) -> None:
    c = store.clients.add(client(3))
    assert c.id is not None
    cred = store.credentials.add(token_for(c.id, 3))
    assert cred.id is not None
    store.checks.record(ok_check(c.id, cred.id, FIXED_NOW - timedelta(hours=1)))
    store.close()
    flip(home, "clients", "name", c.id)
    s = Store.open(home, PASSPHRASE)
    assert _board_level(s, c.id) == (Level.RED, DAMAGED_REASON)
    assert s.clients.get(c.id).damaged == frozenset({"name"})
    s.close()


def test_health_reads_the_flag_not_the_placeholder_text(store: Store) -> None:
    """A genuine value that happens to read like the placeholder is not damage; a flag is."""
    c = store.clients.add(client(4))
    cred = _certificate(c.id or 0, days=400)
    cred.id = 1
    check = LiveCheck(c.id or 0, FIXED_NOW, CheckOutcome.OK, 1, permissions=cred.permissions)
    c.name = "⚠ uszkodzone"
    assert client_health(c, [cred], {1: check}, None, FIXED_NOW).level is Level.GREEN
    c.damaged = frozenset({"notes"})
    assert client_health(c, [cred], {1: check}, None, FIXED_NOW).reason == DAMAGED_REASON
    c.damaged = frozenset()
    check.damaged = frozenset({"permissions"})
    assert client_health(c, [cred], {1: check}, None, FIXED_NOW).level is Level.RED
    check.damaged = frozenset()
    sync = SyncState(c.id or 0, FIXED_NOW, FIXED_NOW, damaged=frozenset({"last_error"}))
    assert client_health(c, [cred], {1: check}, sync, FIXED_NOW).level is Level.RED


def test_update_refuses_to_reseal_a_damaged_credential(
    expired_cert_client: tuple[int, int], home: Path
) -> None:
    client_id, cred_id = expired_cert_client
    flip(home, "credentials", "valid_until", cred_id)
    s = Store.open(home, PASSPHRASE)
    [cred] = s.credentials.for_client(client_id)
    cred.permissions = frozenset({"InvoiceRead"})  # what a live check's learning step would do
    with pytest.raises(DamagedOverwrite) as refused:
        s.credentials.update(cred)
    assert refused.value.damaged == DamagedValue("credentials", cred_id, "valid_until")
    assert "kopii" in str(refused.value) and "klucz" not in str(refused.value)
    s.close()
    # Still damaged on disk: a fresh open finds it again and the client stays red.
    s = Store.open(home, PASSPHRASE)
    assert _board_level(s, client_id) == (Level.RED, DAMAGED_REASON)
    assert DamagedValue("credentials", cred_id, "valid_until") in s.damaged
    s.close()


def test_update_refuses_a_damaged_client_and_sync_state(store: Store, home: Path) -> None:
    c = store.clients.add(client(5))
    assert c.id is not None
    store.sync_state.set(SyncState(c.id, FIXED_NOW, None, last_error="timeout"))
    store.close()
    flip(home, "clients", "name", c.id)
    conn = raw(home / DB_FILENAME)
    (blob,) = conn.execute("SELECT last_error FROM sync_state WHERE client_id = ?", [c.id]).fetchone()
    # The last byte of the tag XOR 1: always a change (writing b"\x00" was no change once in 256 runs).
    conn.execute(
        "UPDATE sync_state SET last_error = ? WHERE client_id = ?", [blob[:-1] + bytes([blob[-1] ^ 1]), c.id]
    )
    conn.close()
    s = Store.open(home, PASSPHRASE)
    damaged = s.clients.get(c.id)
    damaged.notes = "inna notatka"
    with pytest.raises(DamagedOverwrite):
        s.clients.update(damaged)
    state = s.sync_state.get(c.id)
    assert state is not None and state.damaged == frozenset({"last_error"})
    with pytest.raises(DamagedOverwrite):
        s.sync_state.set(state)
    s.close()


def test_reimporting_the_certificate_repairs_it(expired_cert_client: tuple[int, int], home: Path) -> None:
    client_id, cred_id = expired_cert_client
    flip(home, "credentials", "valid_until", cred_id)
    s = Store.open(home, PASSPHRASE)
    s.board_rows()
    assert s.damage_report()
    repaired = s.credentials.add(_certificate(client_id, days=-4))  # the same certificate, imported again
    assert repaired.id == cred_id
    [cred] = s.credentials.for_client(client_id)
    assert not cred.damaged and cred.valid_until == FIXED_NOW - timedelta(days=4)
    assert s.damaged == [] and s.damage_report() == []
    level, reason = _board_level(s, client_id)
    assert level is Level.RED and reason != DAMAGED_REASON  # truthfully expired again
    s.close()


def test_reimporting_the_token_repairs_it(store: Store, home: Path) -> None:
    c = store.clients.add(client(6))
    assert c.id is not None
    cred = store.credentials.add(token_for(c.id, 6))
    other = store.credentials.add(token_for(c.id, 7))  # another, undamaged token: left alone
    assert cred.id is not None
    store.close()
    flip(home, "credentials", "secret", cred.id)
    s = Store.open(home, PASSPHRASE)
    assert {x.id: bool(x.damaged) for x in s.credentials.for_client(c.id)} == {cred.id: True, other.id: False}
    again = s.credentials.add(token_for(c.id, 6))
    assert again.id == cred.id
    creds = {x.id: x for x in s.credentials.for_client(c.id)}
    assert len(creds) == 2 and creds[cred.id].secret == token_for(c.id, 6).secret
    assert not creds[cred.id].damaged and s.damaged == []
    s.close()


def test_the_client_form_repairs_only_fields_typed_again(store: Store, home: Path) -> None:
    c = store.clients.add(client(8))
    assert c.id is not None
    store.close()
    flip(home, "clients", "name", c.id)
    s = Store.open(home, PASSPHRASE)
    original = s.clients.get(c.id)
    edited = s.clients.get(c.id)
    edited.notes = "nowa notatka"  # the name left as the placeholder: still damaged
    edited.damaged = still_damaged(original, edited)
    with pytest.raises(DamagedOverwrite):
        s.clients.update(edited)
    edited.name = "Przedsiębiorstwo Źródło K8 Sp. z o.o."  # typed again: repaired
    edited.damaged = still_damaged(original, edited)
    s.clients.update(edited)
    assert s.clients.get(c.id).name == edited.name and s.damaged == []
    s.close()


def test_damage_report_names_table_row_column_and_client_never_a_value(store: Store, home: Path) -> None:
    c = store.clients.add(client(9))
    assert c.id is not None
    cred = store.credentials.add(token_for(c.id, 9))
    assert cred.id is not None
    store.settings.set("warn_days", 30)
    store.close()
    flip(home, "credentials", "secret", cred.id)
    flip(home, "settings", "value", 1)
    s = Store.open(home, PASSPHRASE)
    s.board_rows()
    s.settings.get("warn_days", 14)
    lines = [describe_damage(e) for e in s.damage_report()]
    assert lines == [
        f"Uszkodzone w magazynie: tabela credentials, wiersz {cred.id}, kolumna secret, klient K00009.",
        "Uszkodzone w magazynie: tabela settings, wiersz 1, kolumna value.",
    ]
    assert [e.value for e in s.damage_report(c.id)] == [DamagedValue("credentials", cred.id, "secret")]
    # A damaged credential removed is no longer reported.
    s.credentials.remove(cred.id)
    assert [e.value.table for e in s.damage_report()] == ["settings"]
    s.close()


def test_verify_never_returns_the_plaintext() -> None:
    key = SecretKey.random()
    ad = associated_data("credentials", 1, "secret")
    sealed = seal(key, b"sekret", ad)
    assert verify(key, sealed, ad) is True
    assert verify(key, sealed[:-1] + bytes([sealed[-1] ^ 1]), ad) is False
    assert verify(key, sealed, associated_data("credentials", 2, "secret")) is False
    assert verify(key, b"\x01short", ad) is False

"""Tampering with the file is detected, reported with its table/row/column, and stays local."""

from __future__ import annotations

from pathlib import Path

import pytest
from store_helpers import PASSPHRASE, client, ok_check, raw, token_for

from ksef_tui.store import DamagedValue, DamagedValueError, Store, StoreError
from ksef_tui.store.paths import DB_FILENAME

DAMAGED_PL = "⚠ uszkodzone"
# Placeholders are shown translated: read them in Polish, from store.po.
pytestmark = pytest.mark.usefixtures("polish_from_source")


def _flip_last_byte(home: Path, table: str, column: str, row_id: int, key: str = "id") -> None:
    conn = raw(home / DB_FILENAME)
    (blob,) = conn.execute(f"SELECT {column} FROM {table} WHERE {key} = ?", [row_id]).fetchone()
    conn.execute(
        f"UPDATE {table} SET {column} = ? WHERE {key} = ?", [blob[:-1] + bytes([blob[-1] ^ 1]), row_id]
    )
    conn.close()


def _three_clients(store: Store) -> list[int]:
    ids = []
    for n in (1, 2, 3):
        c = store.clients.add(client(n))
        cred = store.credentials.add(token_for(c.id, n))  # type: ignore[arg-type]
        store.checks.record(ok_check(c.id, cred.id, cred.created))  # type: ignore[arg-type]
        ids.append(c.id)  # type: ignore[arg-type]
    store.close()
    return ids


def test_tampered_value_is_reported_with_its_row_and_the_rest_opens(store: Store, home: Path) -> None:
    a, b, c = _three_clients(store)
    _flip_last_byte(home, "clients", "name", b)
    s = Store.open(home, PASSPHRASE)
    listed = s.clients.list()
    assert [x.id for x in listed] == [a, b, c]
    assert listed[1].name == DAMAGED_PL
    assert listed[1].short_code == "K00002" and listed[1].notes.startswith("notatka")  # rest of the row
    assert listed[0].name.startswith("Przedsiębiorstwo") and listed[2].name.startswith("Przedsiębiorstwo")
    assert s.damaged == [DamagedValue("clients", b, "name")]
    assert s.damaged_in("clients", b) == ["name"]
    # The board still shows every client, credentials included.
    assert [len(r.credentials) for r in s.board_rows()] == [1, 1, 1]
    s.close()


def test_tampered_credential_secret(store: Store, home: Path) -> None:
    _three_clients(store)
    _flip_last_byte(home, "credentials", "secret", 2)
    s = Store.open(home, PASSPHRASE)
    creds = s.credentials.all()
    assert creds[2][0].secret == "⚠ uszkodzone"
    assert creds[1][0].secret.endswith("abcdef") and creds[3][0].secret.endswith("abcdef")
    assert s.damaged == [DamagedValue("credentials", 2, "secret")]
    s.close()


def test_sealed_value_moved_to_another_row_is_detected(store: Store, home: Path) -> None:
    _three_clients(store)
    conn = raw(home / DB_FILENAME)
    # Same client key, other row: the token of credential 1 copied over credential 1's... sibling.
    c = Store.open(home, PASSPHRASE)
    extra = c.credentials.add(token_for(1, 99))
    c.close()
    (secret,) = conn.execute("SELECT secret FROM credentials WHERE id = 1").fetchone()
    conn.execute("UPDATE credentials SET secret = ? WHERE id = ?", [secret, extra.id])
    # Other client: client 1's name pasted into client 3 (different key and row).
    (name,) = conn.execute("SELECT name FROM clients WHERE id = 1").fetchone()
    conn.execute("UPDATE clients SET name = ? WHERE id = 3", [name])
    conn.close()
    s = Store.open(home, PASSPHRASE)
    names = {x.id: x.name for x in s.clients.list()}
    assert names[3] == "⚠ uszkodzone" and names[1].startswith("Przedsiębiorstwo")
    assert [x.secret for x in s.credentials.for_client(1)][1] == "⚠ uszkodzone"
    assert set(s.damaged) == {
        DamagedValue("clients", 3, "name"),
        DamagedValue("credentials", extra.id, "secret"),  # type: ignore[arg-type]
    }
    s.close()


def test_sealed_value_moved_to_another_column_is_detected(store: Store, home: Path) -> None:
    _three_clients(store)
    conn = raw(home / DB_FILENAME)
    conn.execute("UPDATE clients SET notes = name WHERE id = 2")  # same row, same key, other column
    conn.execute("UPDATE credentials SET label = secret WHERE id = 1")
    conn.close()
    s = Store.open(home, PASSPHRASE)
    assert s.clients.get(2).notes == "⚠ uszkodzone"
    assert s.credentials.for_client(1)[0].label == "⚠ uszkodzone"
    assert set(s.damaged) == {DamagedValue("clients", 2, "notes"), DamagedValue("credentials", 1, "label")}
    s.close()


def test_moving_a_credential_to_another_client_is_detected(store: Store, home: Path) -> None:
    """Changing the plaintext foreign key makes the values open under the wrong client key."""
    _three_clients(store)
    conn = raw(home / DB_FILENAME)
    conn.execute("UPDATE credentials SET client_id = 3 WHERE id = 1")
    conn.close()
    s = Store.open(home, PASSPHRASE)
    moved = next(x for x in s.credentials.for_client(3) if x.id == 1)
    assert moved.secret == "⚠ uszkodzone"
    assert DamagedValue("credentials", 1, "secret") in s.damaged
    s.close()


def test_damaged_client_key_marks_only_that_client(store: Store, home: Path) -> None:
    _a, b, _c = _three_clients(store)
    _flip_last_byte(home, "clients", "wrapped_key", b)
    s = Store.open(home, PASSPHRASE)
    rows = s.board_rows()
    assert [r.client.name == "⚠ uszkodzone" for r in rows] == [False, True, False]
    assert DamagedValue("clients", b, "wrapped_key") in s.damaged
    assert rows[1].credentials[0].label == "⚠ uszkodzone"
    assert s.credentials.for_client(b)[0].secret == "⚠ uszkodzone"
    # Writing for a client whose key cannot be opened is refused, not silently done under a new key.
    with pytest.raises(DamagedValueError) as refused:
        s.credentials.add(token_for(b, 7))
    assert refused.value.damaged == DamagedValue("clients", b, "wrapped_key")
    s.close()


def test_damaged_document_body_raises_with_its_location(store: Store, home: Path) -> None:
    c = store.clients.add(client(1))
    doc_id = store.documents.put(c.id, "invoice", "K1", b"<Faktura/>")  # type: ignore[arg-type]
    store.documents.put(c.id, "invoice", "K2", b"<Faktura2/>")  # type: ignore[arg-type]
    store.close()
    _flip_last_byte(home, "documents", "data", doc_id)
    s = Store.open(home, PASSPHRASE)
    with pytest.raises(DamagedValueError) as err:
        s.documents.get(c.id, "invoice", "K1")  # type: ignore[arg-type]
    assert err.value.damaged == DamagedValue("documents", doc_id, "data")
    assert s.documents.get(c.id, "invoice", "K2") == b"<Faktura2/>"  # type: ignore[arg-type]
    s.close()


def test_damaged_setting_falls_back_to_default(store: Store, home: Path) -> None:
    store.settings.set("warn_days", 30)
    store.close()
    _flip_last_byte(home, "settings", "value", 1)
    s = Store.open(home, PASSPHRASE)
    assert s.settings.get("warn_days", 14) == 14
    assert s.damaged == [DamagedValue("settings", 1, "value")]
    s.close()


def test_tampered_plaintext_enum_is_reported_not_fatal(store: Store, home: Path) -> None:
    _three_clients(store)
    conn = raw(home / DB_FILENAME)
    conn.execute("UPDATE credentials SET status = 'hacked' WHERE id = 2")
    conn.close()
    s = Store.open(home, PASSPHRASE)
    assert len(s.board_rows()) == 3
    assert s.damaged == [DamagedValue("credentials", 2, "status")]
    s.close()


def test_tampered_key_slot_refuses_to_open(store: Store, home: Path) -> None:
    store.close()
    _flip_last_byte(home, "key_slots", "wrapped_key", 1)
    with pytest.raises(StoreError):
        Store.open(home, PASSPHRASE)


def test_not_a_store(tmp_path: Path) -> None:
    home = tmp_path / "h"
    home.mkdir()
    (home / DB_FILENAME).write_bytes(b"not a database at all" * 100)
    with pytest.raises(StoreError):
        Store.open(home, PASSPHRASE)
    with pytest.raises(StoreError):
        Store.open(tmp_path / "nowhere", PASSPHRASE)


def test_store_without_key_slots_says_so(store: Store, home: Path) -> None:
    store.close()
    conn = raw(home / DB_FILENAME)
    conn.execute("DELETE FROM key_slots")
    conn.close()
    with pytest.raises(StoreError) as refused:
        Store.open(home, PASSPHRASE)
    assert "przerwane" in str(refused.value)

"""Issue 17 item 9: key slots, damaged and truncated files, and opening that touches nothing until the
passphrase is proven; item 10: the WAL is checkpointed when the store closes."""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
from pathlib import Path

import pytest
from nacl.pwhash import argon2id
from store_helpers import PASSPHRASE, client, raw, token_for

import ksef_tui.store.slots as slots_module
from ksef_tui.store import KdfLimits, Store, StoreError, WrongPassphrase
from ksef_tui.store.errors import DamagedKeySlot, StoreDamaged
from ksef_tui.store.paths import DB_FILENAME

DAMAGED_SLOT_PL = "Gniazdo klucza jest uszkodzone; przywróć magazyn z kopii zapasowej."
DAMAGED_FILE_PL = "Plik magazynu jest uszkodzony; przywróć go z kopii zapasowej (ksef-tui restore PLIK)."


def _closed_store_with_data(store: Store, clients: int = 3) -> None:
    for n in range(1, clients + 1):
        c = store.clients.add(client(n))
        store.credentials.add(token_for(c.id, n))  # type: ignore[arg-type]
        store.documents.put(c.id, "invoice", f"K{n}", b"<Faktura>" + b"x" * 5000 + b"</Faktura>")  # type: ignore[arg-type]
    store.close()


def _set_slot(home: Path, sql: str, *params: object) -> None:
    conn = raw(home / DB_FILENAME)
    conn.execute(sql, list(params))
    conn.close()


@pytest.fixture
def kdf_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """Every Argon2id derivation the slots module runs, by (opslimit, memlimit)."""
    calls: list[tuple[int, int]] = []
    real = slots_module.derive_kek

    def spy(passphrase: str, salt: bytes, limits: KdfLimits) -> bytes:
        calls.append((limits.opslimit, limits.memlimit))
        return real(passphrase, salt, KdfLimits.FAST_FOR_TESTS)

    monkeypatch.setattr(slots_module, "derive_kek", spy)
    return calls


# -- KDF limits ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("opslimit", "memlimit"),
    [
        (argon2id.OPSLIMIT_SENSITIVE * 4, argon2id.MEMLIMIT_SENSITIVE * 4),  # the audit's 57 s and 4.2 GB
        (argon2id.OPSLIMIT_SENSITIVE, argon2id.MEMLIMIT_SENSITIVE),
        (argon2id.OPSLIMIT_MODERATE + 1, argon2id.MEMLIMIT_MIN),
        (argon2id.OPSLIMIT_MIN, argon2id.MEMLIMIT_MODERATE + 1024),
    ],
)
def test_kdf_limits_above_what_we_create_are_damage_and_never_run(
    store: Store,
    home: Path,
    kdf_calls: list[tuple[int, int]],
    polish_from_source: None,
    opslimit: int,
    memlimit: int,
) -> None:
    store.close()
    _set_slot(home, "UPDATE key_slots SET opslimit = ?, memlimit = ?", opslimit, memlimit)
    with pytest.raises(DamagedKeySlot) as refused:
        Store.open(home, PASSPHRASE)
    assert str(refused.value) == DAMAGED_SLOT_PL
    assert kdf_calls == [], "a tampered slot's cost must be refused before Argon2id runs"


def test_limits_up_to_moderate_still_open(store: Store, home: Path, kdf_calls: list[tuple[int, int]]) -> None:
    """The cap is MODERATE (what Store.create uses), not lower: real stores keep opening."""
    store.close()
    _set_slot(
        home,
        "UPDATE key_slots SET opslimit = ?, memlimit = ?",
        argon2id.OPSLIMIT_MODERATE,
        argon2id.MEMLIMIT_MODERATE,
    )
    Store.open(home, PASSPHRASE).close()  # the spy derives with the test limits the slot was made with
    assert kdf_calls == [(argon2id.OPSLIMIT_MODERATE, argon2id.MEMLIMIT_MODERATE)]


def test_a_store_is_never_created_with_limits_it_could_not_open(tmp_path: Path) -> None:
    with pytest.raises(StoreError):
        Store.create(tmp_path / "h", PASSPHRASE, kdf=KdfLimits(argon2id.OPSLIMIT_SENSITIVE, 1 << 30))
    assert not (tmp_path / "h" / DB_FILENAME).exists()


# -- structurally damaged slots -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("what", "sql"),
    [
        ("wrapped key cut short", "UPDATE key_slots SET wrapped_key = substr(wrapped_key, 1, 40)"),
        ("wrapped key too long", "UPDATE key_slots SET wrapped_key = CAST(wrapped_key || x'00' AS BLOB)"),
        (
            "unknown format byte",
            "UPDATE key_slots SET wrapped_key = CAST(x'02' || substr(wrapped_key, 2) AS BLOB)",
        ),
        ("salt cut short", "UPDATE key_slots SET salt = substr(salt, 1, 8)"),
        ("salt as text", "UPDATE key_slots SET salt = 'abcdefghijklmnop'"),
        ("opslimit as text", "UPDATE key_slots SET opslimit = 'drei'"),
        ("memlimit as a float", "UPDATE key_slots SET memlimit = 8192.5"),
        ("relabelled as operator", "UPDATE key_slots SET role = 'operator'"),
    ],
)
def test_structurally_damaged_slot_says_damaged_not_wrong_passphrase(
    store: Store, home: Path, polish_from_source: None, what: str, sql: str
) -> None:
    store.close()
    _set_slot(home, sql)
    with pytest.raises(DamagedKeySlot) as refused:
        Store.open(home, PASSPHRASE)
    assert str(refused.value) == DAMAGED_SLOT_PL, what
    assert not isinstance(refused.value, WrongPassphrase)


def test_a_flipped_bit_in_the_sealed_key_reads_as_a_wrong_passphrase(store: Store, home: Path) -> None:
    """AEAD cannot tell a wrong passphrase from a flipped ciphertext bit; documented in SECURITY.md."""
    store.close()
    conn = raw(home / DB_FILENAME)
    (blob,) = conn.execute("SELECT wrapped_key FROM key_slots").fetchone()
    conn.execute("UPDATE key_slots SET wrapped_key = ?", [blob[:-1] + bytes([blob[-1] ^ 1])])
    conn.close()
    with pytest.raises(WrongPassphrase):
        Store.open(home, PASSPHRASE)


# -- damaged and foreign files ----------------------------------------------------------------------------


@pytest.mark.parametrize("cut", ["half", "last page", "to nothing"])
def test_a_truncated_store_says_damaged_restore_from_backup(
    store: Store, home: Path, polish_from_source: None, cut: str
) -> None:
    _closed_store_with_data(store, clients=6)
    db = home / DB_FILENAME
    size = db.stat().st_size
    assert size > 40_000  # the documents make it several pages long
    os.truncate(db, {"half": size // 2, "last page": size - 4096, "to nothing": 0}[cut])
    with pytest.raises(StoreDamaged) as refused:
        Store.open(home, PASSPHRASE)
    assert str(refused.value) == DAMAGED_FILE_PL


def test_a_file_that_is_not_a_database_is_not_a_store(home: Path, polish_from_source: None) -> None:
    home.mkdir()
    (home / DB_FILENAME).write_bytes(b"%PDF-1.7 nothing to see here\n" * 20)
    with pytest.raises(StoreError) as refused:
        Store.open(home, PASSPHRASE)
    assert not isinstance(refused.value, StoreDamaged)
    assert str(refused.value) == "Ten plik nie jest magazynem ksef-tui."


# -- nothing is touched before the passphrase is proven ---------------------------------------------------


def _snapshot(home: Path) -> dict[str, tuple[str, int]]:
    files = {p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mode) for p in home.iterdir()}
    return {".": ("", home.stat().st_mode), **files}


def test_wrong_passphrase_changes_no_mode_and_no_journal_mode(store: Store, home: Path) -> None:
    _closed_store_with_data(store, clients=1)
    db = home / DB_FILENAME
    # As a careless copy or restore leaves them: loose modes, rollback journal.
    conn = raw(db)
    assert conn.execute("PRAGMA journal_mode = DELETE").fetchone()[0] == "delete"
    conn.close()
    home.chmod(0o755)
    db.chmod(0o644)
    before = _snapshot(home)
    with pytest.raises(WrongPassphrase):
        Store.open(home, PASSPHRASE + "!")
    assert _snapshot(home) == before
    assert stat.S_IMODE(home.stat().st_mode) == 0o755 and stat.S_IMODE(db.stat().st_mode) == 0o644
    # Proven: now the modes are repaired and the store is back in WAL mode.
    s = Store.open(home, PASSPHRASE)
    assert stat.S_IMODE(home.stat().st_mode) == 0o700 and stat.S_IMODE(db.stat().st_mode) == 0o600
    assert s._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    s.close()


def test_damaged_slot_changes_nothing_either(store: Store, home: Path) -> None:
    _closed_store_with_data(store, clients=1)
    _set_slot(home, "UPDATE key_slots SET salt = x'00'")
    home.chmod(0o750)
    before = _snapshot(home)
    with pytest.raises(DamagedKeySlot):
        Store.open(home, PASSPHRASE)
    assert _snapshot(home) == before


# -- checkpoint on close -----------------------------------------------------------------------------------


def test_closing_checkpoints_the_wal_so_the_db_alone_holds_everything(store: Store, home: Path) -> None:
    """Another connection stays open (the TUI while cron's `status` runs), so SQLite's own last-close
    checkpoint never happens; the store's close must copy the tail into the .db itself."""
    other = raw(home / DB_FILENAME)
    other.execute("SELECT count(*) FROM clients").fetchone()
    added = [store.clients.add(client(n)).short_code for n in range(1, 4)]
    store.close()
    assert (home / (DB_FILENAME + "-wal")).stat().st_size == 0
    copy = home.parent / "copy"
    copy.mkdir(mode=0o700)
    shutil.copy2(home / DB_FILENAME, copy / DB_FILENAME)  # only the .db, as offices copy it
    other.close()
    reopened = Store.open(copy, PASSPHRASE)
    assert [c.short_code for c in reopened.clients.list()] == added
    reopened.close()

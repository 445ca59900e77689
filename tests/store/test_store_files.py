"""On disk: private modes, where the store lives, and no plaintext anywhere in its files."""

from __future__ import annotations

import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest
from plaintext_scan import find_plaintext
from store_helpers import PASSPHRASE

from ksef_tui.core.models import Client, Credential, CredentialKind, SyncState
from ksef_tui.store import KdfLimits, Store, StoreError, default_home, read_passphrase_file
from ksef_tui.store.paths import DB_FILENAME


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_folder_0700_and_files_0600(tmp_path: Path) -> None:
    home = tmp_path / "a" / "home"
    s = Store.create(home, PASSPHRASE, kdf=KdfLimits.FAST_FOR_TESTS)
    s.settings.set("x", 1)  # the -wal and -shm files exist while the store is open
    assert _mode(home) == 0o700
    files = sorted(p.name for p in home.iterdir())
    assert files == [DB_FILENAME, DB_FILENAME + "-shm", DB_FILENAME + "-wal"]
    assert all(_mode(home / name) == 0o600 for name in files)
    s.close()


def test_open_tightens_loosened_modes(tmp_path: Path) -> None:
    home = tmp_path / "home"
    Store.create(home, PASSPHRASE, kdf=KdfLimits.FAST_FOR_TESTS).close()
    home.chmod(0o755)
    (home / DB_FILENAME).chmod(0o644)  # e.g. restored from a backup by a careless tool
    Store.open(home, PASSPHRASE).close()
    assert _mode(home) == 0o700 and _mode(home / DB_FILENAME) == 0o600


def test_create_refuses_an_existing_store(store: Store, home: Path) -> None:
    with pytest.raises(StoreError):
        Store.create(home, "inne", kdf=KdfLimits.FAST_FOR_TESTS)
    assert Store.exists(home)


def test_default_home(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("KSEF_TUI_HOME", raising=False)
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_home() == tmp_path / ".local" / "share" / "ksef-tui"
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_home() == tmp_path / "xdg" / "ksef-tui"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/ignored")
    assert default_home() == tmp_path / ".local" / "share" / "ksef-tui"
    monkeypatch.setenv("KSEF_TUI_HOME", str(tmp_path / "biuro"))
    assert default_home() == tmp_path / "biuro"


def test_passphrase_file(tmp_path: Path) -> None:
    path = tmp_path / "pass"
    path.write_text("Żółta łódź\n", encoding="utf-8")
    path.chmod(0o600)
    assert read_passphrase_file(path) == "Żółta łódź"
    path.chmod(0o640)
    with pytest.raises(StoreError):
        read_passphrase_file(path)
    with pytest.raises(StoreError):
        read_passphrase_file(tmp_path / "missing")


SECRETS = {
    "names": ["Zakład Usług Różnych „Jaźń” Sp. z o.o.", "Śnieżka Łukasiewicz", "Gżegżółka"],
    "nips": ["5260250274", "7740001454", "1234563218"],
    "tokens": [
        "20251010-EC-2B0C8AB000-4A3D8E9C3B-8D|nip-5260250274|f1e2d3c4b5a697887766554433221100",
        "sekretny-token-ąę-0042",
    ],
    "notes": ["Klient płaci zawsze po terminie", "hasło do banku w sejfie"],
    "amount": ["12345.67"],
}


def test_no_plaintext_in_any_file(tmp_path: Path) -> None:
    home = tmp_path / "home"
    s = Store.create(home, PASSPHRASE, kdf=KdfLimits.FAST_FOR_TESTS)
    for i, name in enumerate(SECRETS["names"]):
        c = s.clients.add(
            Client(
                name=name,
                short_code=f"KOD_{i}",
                nips=[SECRETS["nips"][i]],
                notes=SECRETS["notes"][i % 2],
            )
        )
        assert c.id is not None
        s.credentials.add(
            Credential(
                client_id=c.id,
                kind=CredentialKind.KSEF_TOKEN,
                secret=SECRETS["tokens"][i % 2],
                reference="20251010-EC-2B0C8AB000-4A3D8E9C3B-8D",
                valid_until=datetime(2026, 12, 31, tzinfo=UTC),
                label="Gżegżółka token",
            )
        )
        s.sync_state.set(SyncState(client_id=c.id, last_error="Odmowa dostępu dla 5260250274"))
        s.documents.put(
            c.id,
            "invoice",
            "5260250274-20260302-0123456789AB-CD",
            f"<Faktura><P_15>{SECRETS['amount'][0]}</P_15><Nazwa>{name}</Nazwa></Faktura>".encode(),
            {"amount": SECRETS["amount"][0], "seller": name},
        )
        s.audit.append(c.id, "credential.check", "ok", f"Sprawdzono {name}")
    s.settings.set("office_name", "Gżegżółka")
    # Not checkpointed: the WAL is scanned exactly as it is while the store is open.
    assert (home / (DB_FILENAME + "-wal")).stat().st_size > 0
    needles = [n for group in SECRETS.values() for n in group]
    needles += ["KOD_0", "20251010-EC-2B0C8AB000", "Sprawdzono", "credential.check", "office_name"]
    assert find_plaintext(home, needles) == []
    s.close()
    assert find_plaintext(home, needles) == []  # and after the checkpoint on close


def test_the_scan_can_fail(tmp_path: Path) -> None:
    (tmp_path / "x.db").write_bytes("abc Gżegżółka".encode("utf-16-le") + b"12345.67")
    assert find_plaintext(tmp_path, ["Gżegżółka", "12345.67", "absent"]) == [
        ("x.db", "Gżegżółka"),
        ("x.db", "12345.67"),
    ]

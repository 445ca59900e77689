"""Issue 17 item 1: a credential damaged in the store is never sent to KSeF (live checks, session logins,
UPO downloads), the skip is recorded, and a live check afterwards does not erase the damage.

Against the demo store and the in-process simulator: the demo client's token or certificate is
damaged by flipping one byte of its sealed ciphertext directly in SQLite."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ksef_tui.core.health import Level, client_health, damaged_reason
from ksef_tui.core.models import CheckOutcome, CredentialKind
from ksef_tui.demo import DEMO_PASSPHRASE, Demo, prepare_demo
from ksef_tui.store import DamagedValue, KdfLimits, Store
from ksef_tui.store.paths import DB_FILENAME
from ksef_tui.sync.damage import DAMAGED_RESULT, DamagedCredentialError
from ksef_tui.sync.live_checks import _learn_from_check, run_live_checks
from ksef_tui.sync.sessions import client_context

NOW = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)


def flip(home: Path, table: str, column: str, row_id: int) -> None:
    import sqlite3

    conn = sqlite3.connect(home / DB_FILENAME, isolation_level=None)
    (blob,) = conn.execute(f"SELECT {column} FROM {table} WHERE id = ?", [row_id]).fetchone()
    conn.execute(f"UPDATE {table} SET {column} = ? WHERE id = ?", [blob[:-1] + bytes([blob[-1] ^ 1]), row_id])
    conn.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Any:
    made = prepare_demo(NOW, kdf=KdfLimits.FAST_FOR_TESTS, home=tmp_path_factory.mktemp("demo") / "home")
    yield made
    made.cleanup()


@pytest.fixture
def home(demo: Demo, tmp_path: Path) -> Path:
    """A private copy of the demo store for one test (the module's demo world serves every test)."""
    import shutil

    copy = tmp_path / "home"
    shutil.copytree(demo.home, copy)
    return copy


def _entry(demo: Demo, profile: str) -> Any:
    return next(e for e in demo.roster if e.profile == profile)


def _open(home: Path) -> Store:
    return Store.open(home, DEMO_PASSPHRASE, clock=lambda: NOW)


def _credential_id(home: Path, short_code: str, kind: CredentialKind) -> tuple[int, int]:
    s = _open(home)
    try:
        client = s.clients.find_by_short_code(short_code)
        assert client is not None and client.id is not None
        cred = next(c for c in s.credentials.for_client(client.id) if c.kind is kind)
        assert cred.id is not None
        return client.id, cred.id
    finally:
        s.close()


def _health(store: Store, client_id: int) -> tuple[Level, str]:
    row = next(r for r in store.board_rows() if r.client.id == client_id)
    h = client_health(row.client, row.credentials, row.checks, row.sync, NOW)
    return h.level, h.reason


def test_damaged_token_is_never_sent_and_not_recorded_as_invalid(demo: Demo, home: Path) -> None:
    entry = _entry(demo, "token_sunset")  # a token that works in KSeF
    client_id, cred_id = _credential_id(home, entry.short_code, CredentialKind.KSEF_TOKEN)
    flip(home, "credentials", "secret", cred_id)
    store = _open(home)
    before = store.checks.history(cred_id)
    factory = demo.ksef_factory(clock=lambda: NOW)
    summary = asyncio.run(run_live_checks(store, factory, [client_id], lambda: NOW))

    assert factory.api_log.recent(entry.nip) == []  # not one request in the client's context
    after = store.checks.history(cred_id)
    assert after == before  # no check recorded, so nothing says "invalid token"
    assert not any(c.outcome is CheckOutcome.AUTH_FAILED for c in after)
    assert "niesprawdzeni (brak połączenia z KSeF lub uszkodzone dane): 1" in summary  # not sent
    skipped = [e for e in store.audit.list(client_id=client_id) if e.result == DAMAGED_RESULT]
    assert [(e.action, e.detail) for e in skipped] == [("credential.live_check", "ksef_token")]
    assert _health(store, client_id) == (Level.RED, damaged_reason())
    assert DamagedValue("credentials", cred_id, "secret") in store.damaged
    store.close()


def test_a_live_check_does_not_erase_the_damage(demo: Demo, home: Path) -> None:
    """The certificate's expiry is damaged; the client's token still works and is checked. Before the
    fix the certificate was checked too, and its learning step re-sealed the placeholder expiry as
    genuine, after which the damage had vanished."""
    entry = _entry(demo, "token_and_cert")
    client_id, cert_id = _credential_id(home, entry.short_code, CredentialKind.KSEF_CERTIFICATE)
    s = _open(home)
    cert = s.credentials.get(cert_id)
    cert.permissions = frozenset()  # so a check would have something to learn and write back
    s.credentials.update(cert)
    s.close()
    flip(home, "credentials", "valid_until", cert_id)

    store = _open(home)
    cert_checks = store.checks.history(cert_id)
    asyncio.run(run_live_checks(store, demo.ksef_factory(clock=lambda: NOW), [client_id], lambda: NOW))
    assert store.checks.history(cert_id) == cert_checks  # the damaged certificate was not used
    token = {c.credential_id: c for c in store.checks.latest(client_id).values()}
    assert [(c.outcome, c.checked_at) for i, c in token.items() if i != cert_id] == [(CheckOutcome.OK, NOW)]
    store.close()

    store = _open(home)  # a fresh process: the damage is still on disk
    [cert] = [c for c in store.credentials.for_client(client_id) if c.id == cert_id]
    assert cert.damaged == frozenset({"valid_until"})
    assert DamagedValue("credentials", cert_id, "valid_until") in store.damaged
    assert _health(store, client_id) == (Level.RED, damaged_reason())
    store.close()


def test_learning_step_never_writes_a_damaged_credential(demo: Demo, home: Path) -> None:
    entry = _entry(demo, "token_sunset")
    _client, cred_id = _credential_id(home, entry.short_code, CredentialKind.KSEF_TOKEN)
    flip(home, "credentials", "label", cred_id)
    store = _open(home)
    cred = store.credentials.get(cred_id)
    assert cred.damaged == frozenset({"label"})
    check = store.checks.history(cred_id)[0]
    check.outcome = CheckOutcome.REVOKED  # would flip the status and save
    _learn_from_check(store, cred, check)  # no DamagedOverwrite: it does not try
    store.close()
    store = _open(home)
    assert store.credentials.get(cred_id).damaged == frozenset({"label"})
    store.close()


def test_session_login_skips_a_damaged_credential_with_a_recorded_reason(demo: Demo, home: Path) -> None:
    entry = _entry(demo, "token_sunset")
    client_id, cred_id = _credential_id(home, entry.short_code, CredentialKind.KSEF_TOKEN)
    flip(home, "credentials", "secret", cred_id)
    store = _open(home)
    factory = demo.ksef_factory(clock=lambda: NOW)

    async def login() -> None:
        async with client_context(store, factory, client_id):
            raise AssertionError("logged in with a damaged token")

    with pytest.raises(DamagedCredentialError) as refused:
        asyncio.run(login())
    assert str(refused.value) == damaged_reason()
    assert factory.api_log.recent(entry.nip) == []
    skipped = [e for e in store.audit.list(client_id=client_id) if e.result == DAMAGED_RESULT]
    assert [e.action for e in skipped] == ["sessions.login"]
    store.close()


def test_a_damaged_client_nip_blocks_every_login(demo: Demo, home: Path) -> None:
    entry = _entry(demo, "token_sunset")
    client_id, _cred = _credential_id(home, entry.short_code, CredentialKind.KSEF_TOKEN)
    import sqlite3

    conn = sqlite3.connect(home / DB_FILENAME, isolation_level=None)
    (nip_id,) = conn.execute("SELECT id FROM client_nips WHERE client_id = ?", [client_id]).fetchone()
    conn.close()
    flip(home, "client_nips", "nip", nip_id)
    store = _open(home)
    factory = demo.ksef_factory(clock=lambda: NOW)
    asyncio.run(run_live_checks(store, factory, [client_id], lambda: NOW))
    assert factory.api_log.recent() == []  # not even the public keys: nothing was attempted
    assert _health(store, client_id) == (Level.RED, damaged_reason())
    store.close()

"""Issue 15 item 2: every use of a credential is recorded, refused ones included, and every change of
a setting; against the demo store and the in-process simulator."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ksef_tui.demo import DEMO_PASSPHRASE, Demo, prepare_demo
from ksef_tui.store import KdfLimits, Store
from ksef_tui.sync.sessions import client_context

NOW = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Any:
    made = prepare_demo(NOW, kdf=KdfLimits.FAST_FOR_TESTS, home=tmp_path_factory.mktemp("demo") / "home")
    yield made
    made.cleanup()


@pytest.fixture
def store(demo: Demo, tmp_path: Path) -> Any:
    import shutil

    copy = tmp_path / "home"
    shutil.copytree(demo.home, copy)
    opened = Store.open(copy, DEMO_PASSPHRASE, clock=lambda: NOW)
    yield opened
    opened.close()


def _client_id(store: Store, demo: Demo, profile: str) -> int:
    entry = next(e for e in demo.roster if e.profile == profile)
    client = store.clients.find_by_short_code(entry.short_code)
    assert client is not None and client.id is not None
    return client.id


async def _log_in(store: Store, demo: Demo, client_id: int) -> None:
    async with client_context(store, demo.ksef_factory(clock=lambda: NOW), client_id, lambda: NOW):
        pass


def test_a_refused_login_is_recorded_with_no_secret(store: Store, demo: Demo) -> None:
    client_id = _client_id(store, demo, "revoked")  # the office still holds the token KSeF revoked
    with pytest.raises(Exception):  # noqa: B017  # whichever refusal KSeF gives, it is recorded
        asyncio.run(_log_in(store, demo, client_id))
    (entry,) = [e for e in store.audit.list(client_id) if e.action == "sessions.login"]
    assert entry.result == "failed" and entry.detail.startswith("ksef_token: ")
    (cred,) = store.credentials.for_client(client_id)
    assert cred.secret not in entry.detail and "|" not in entry.detail
    assert store.audit.verify().intact


def test_a_login_is_recorded(store: Store, demo: Demo) -> None:
    client_id = _client_id(store, demo, "token_sunset")
    asyncio.run(_log_in(store, demo, client_id))
    logins = [(e.result, e.detail) for e in store.audit.list(client_id) if e.action == "sessions.login"]
    assert logins == [("ok", "ksef_token")]


def test_setting_changes_are_recorded_by_name_only_and_once(store: Store) -> None:
    last = store.audit.list(limit=1)[0].id
    store.settings.set("upo_folder", "/home/biuro/UPO/tajne")
    store.settings.set("upo_folder", "/home/biuro/UPO/tajne")  # unchanged: no entry
    store.settings.delete("upo_folder")
    store.settings.delete("upo_folder")  # nothing to delete: no entry
    entries = [(e.action, e.detail) for e in store.audit.list(limit=10) if e.id > last]
    assert entries == [("settings.delete", "upo_folder"), ("settings.update", "upo_folder")]
    assert not any("tajne" in e.detail for e in store.audit.list(limit=1000))

"""The real session refresh records each attempt in the client's sync state (issue 10 item 7): what
"Synchronizacja" on the client screen and the "last sync failed" health reason read, which only the
demo used to fill."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from ksef_tui.core.clock import fixed_clock
from ksef_tui.core.demo_roster import make_roster
from ksef_tui.core.health import HealthSettings, Level
from ksef_tui.core.models import SyncState
from ksef_tui.ksef.errors import ServerError
from ksef_tui.store.paths import DB_FILENAME
from ksef_tui.sync.clients import read_board
from ksef_tui.sync.sessions import (
    REFRESH_INTERVAL,
    NoCredential,
    failure_words,
    refresh_clients,
    refresh_sessions,
)
from tests.tui.helpers import NOW
from tests.tui.sessions_helpers import make_session_store, simulator_factory

SECRET = "Bearer s3cr3t-access-token-value"


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[tuple[Any, Any]]:
    store, world = make_session_store(tmp_path / "home")
    yield store, world
    store.close()


def _healthy(store: Any) -> int:
    codes = {e.short_code for e in make_roster(NOW, 2026) if e.profile == "healthy"}
    return next(c.id for c in store.clients.list() if c.short_code in codes)


def _failing_factory() -> Any:
    """KSeF answering 503 to the first request, with a bearer token echoed in the details."""

    @asynccontextmanager
    async def connect(_client: Any) -> AsyncIterator[Any]:
        raise ServerError(status=503, details=[f"upstream timeout for {SECRET}"])
        yield  # pragma: no cover  (an async generator that never yields)

    return connect


def _entry(store: Any, client_id: int, at: datetime) -> Any:
    board = read_board(store, fixed_clock(at), HealthSettings())
    return next(e for e in board.entries if e.client.id == client_id)


async def test_a_failed_refresh_turns_the_client_yellow_and_a_later_success_clears_it(
    seeded: tuple[Any, Any],
) -> None:
    store, world = seeded
    client_id = _healthy(store)
    assert store.sync_state.get(client_id) is None  # the seeded healthy client: never synced
    assert _entry(store, client_id, NOW).level is Level.GREEN

    failed_at = NOW + timedelta(minutes=1)
    summary = await refresh_clients(store, _failing_factory(), [client_id], fixed_clock(failed_at))
    assert list(summary.failed) == [client_id]
    state = store.sync_state.get(client_id)
    assert state is not None
    assert (state.last_attempt, state.last_success) == (failed_at, None)
    assert "503" in state.last_error and "s3cr3t" not in state.last_error  # redacted before sealing
    entry = _entry(store, client_id, failed_at)
    assert entry.level is Level.YELLOW
    assert entry.health.reason == f"Ostatnia synchronizacja nieudana: {state.last_error}"

    # A failed attempt is not a refresh: the pacing does not hold the retry back.
    ok_at = failed_at + timedelta(minutes=1)
    again = await refresh_clients(store, simulator_factory(world), [client_id], fixed_clock(ok_at))
    assert again.refreshed == [client_id], again.failed
    assert store.sync_state.get(client_id) == SyncState(client_id, ok_at, ok_at, "")
    assert _entry(store, client_id, ok_at).level is Level.GREEN

    # Not yet due: no attempt, nothing recorded.
    soon = await refresh_clients(store, _failing_factory(), [client_id], fixed_clock(ok_at))
    assert list(soon.too_soon) == [client_id]
    assert store.sync_state.get(client_id) == SyncState(client_id, ok_at, ok_at, "")

    # A later failure keeps the last success: the client screen says since when nothing succeeded.
    later = ok_at + REFRESH_INTERVAL + timedelta(minutes=1)
    await refresh_clients(store, _failing_factory(), [client_id], fixed_clock(later))
    state = store.sync_state.get(client_id)
    assert state is not None and (state.last_attempt, state.last_success) == (later, ok_at)
    assert _entry(store, client_id, later).level is Level.YELLOW


async def test_a_client_without_a_credential_records_why_in_polish(seeded: tuple[Any, Any]) -> None:
    store, world = seeded
    codes = {e.short_code for e in make_roster(NOW, 2026) if e.profile == "no_credential"}
    bare = next(c.id for c in store.clients.list() if c.short_code in codes)
    with pytest.raises(NoCredential):
        await refresh_sessions(store, simulator_factory(world), bare, fixed_clock(NOW))
    state = store.sync_state.get(bare)
    words = "Ten klient nie ma poświadczenia, którym można zalogować się do KSeF."
    assert state == SyncState(bare, NOW, None, words)


async def test_a_damaged_sync_state_is_not_written_over(seeded: tuple[Any, Any], tmp_path: Path) -> None:
    store, world = seeded
    client_id = _healthy(store)
    store.sync_state.set(SyncState(client_id, NOW, NOW, "earlier words"))
    conn = sqlite3.connect(tmp_path / "home" / DB_FILENAME, isolation_level=None)
    (blob,) = conn.execute("SELECT last_error FROM sync_state WHERE client_id = ?", [client_id]).fetchone()
    flipped = blob[:-1] + bytes([blob[-1] ^ 1])
    conn.execute("UPDATE sync_state SET last_error = ? WHERE client_id = ?", [flipped, client_id])
    conn.close()
    later = NOW + timedelta(minutes=1)
    summary = await refresh_clients(store, simulator_factory(world), [client_id], fixed_clock(later))
    assert summary.refreshed == [client_id]  # the refresh itself went through
    state = store.sync_state.get(client_id)
    assert state is not None and state.damaged and state.last_attempt == NOW  # left as it was


def test_failure_words_are_one_redacted_line_of_bounded_length() -> None:
    words = failure_words(ServerError(status=503, details=[f"line one\nline two {SECRET} " + "x" * 1000]))
    assert "\n" not in words and "s3cr3t" not in words and len(words) == 300 and words.endswith("…")
    assert failure_words(RuntimeError()) == "RuntimeError"

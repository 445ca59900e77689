"""What the board and the client screen show, read from the sealed store in a thread (never on the
event loop), as typed results.

No textual here.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

from ksef_tui.core.board import BoardEntry, build_board
from ksef_tui.core.clock import Clock
from ksef_tui.core.health import HealthSettings
from ksef_tui.core.models import Client, Credential, LiveCheck, SyncState
from ksef_tui.store import AuditEntry, DamageEntry, Store

CHECKS_PER_CREDENTIAL = 5
AUDIT_LIMIT = 50


@dataclass(frozen=True)
class ClientView:
    """What the client screen shows of one client, read from the store in one go."""

    client: Client
    credentials: list[Credential]
    latest: dict[int, LiveCheck]  # credential id -> latest check
    history: dict[int, list[LiveCheck]]  # credential id -> newest first
    sync: SyncState | None
    refreshed: datetime | None
    next_refresh: datetime | None
    audit: list[AuditEntry]
    damage: list[DamageEntry] = field(default_factory=list)  # this client's damaged values


def read_view(store: Store, client_id: int) -> ClientView:
    """The client's view (blocking: call it from a thread, or use `load_client_view`)."""
    client = store.clients.get(client_id)
    creds = store.credentials.for_client(client_id)
    history = {c.id or 0: store.checks.history(c.id or 0, limit=CHECKS_PER_CREDENTIAL) for c in creds}
    refreshed, next_refresh = store.ksef_sessions.refresh_times(client_id)
    return ClientView(
        client,
        creds,
        store.checks.latest(client_id),
        history,
        store.sync_state.get(client_id),
        refreshed,
        next_refresh,
        store.audit.list(client_id=client_id, limit=AUDIT_LIMIT),
        store.damage_report(client_id),  # last: everything above has been read (and checked) now
    )


async def load_client_view(store: Store, client_id: int) -> ClientView:
    """The client's credentials, check history, syncs, audit trail and damage, read in a thread."""
    return await asyncio.to_thread(read_view, store, client_id)


@dataclass(frozen=True)
class BoardView:
    """The health board: one entry per client, and every damaged value in the store."""

    entries: list[BoardEntry]
    damage: list[DamageEntry]


def board_entries(store: Store, now: datetime, health: HealthSettings) -> list[BoardEntry]:
    """Every client's board entry, with the office certificate judging the health of the clients that
    depend on it, and readiness for 2027 (blocking). The board and `ksef-tui status` both use it."""
    board = store.board_rows()
    office = store.board_office()
    rows = [(r.client, r.credentials, r.checks, r.sync) for r in board]
    states = {r.client.id or 0: r.office_state for r in board if r.office_state is not None}
    return build_board(rows, now, health, office=office.certificate, census=office.census, states=states)


def read_board(store: Store, clock: Clock, health: HealthSettings) -> BoardView:
    """The board (blocking: call it from a thread, or use `load_board`)."""
    return BoardView(board_entries(store, clock(), health), store.damage_report())


async def load_board(store: Store, clock: Clock, health: HealthSettings) -> BoardView:
    return await asyncio.to_thread(read_board, store, clock, health)

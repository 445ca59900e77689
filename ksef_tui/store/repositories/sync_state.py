"""Per-client sync bookkeeping: timestamps in plaintext (they order work), the last error sealed."""

from __future__ import annotations

from typing import Any

from ksef_tui.core.models import SyncState
from ksef_tui.store.repositories.base import Repository
from ksef_tui.store.vault import RowReader, RowWriter, Vault, from_iso, refuse_damaged, to_iso


class SyncStateRepository(Repository):
    def get(self, client_id: int) -> SyncState | None:
        with self._sessions._reading() as vault:
            return load_sync_states(vault, client_id).get(client_id)

    def set(self, state: SyncState) -> None:
        """Refused (DamagedOverwrite) for a state read with its last error damaged."""
        refuse_damaged("sync_state", state.client_id, state.damaged)
        with self._sessions._writing() as vault:
            key = vault.require_client_key(state.client_id)
            sealed = RowWriter(vault, key, "sync_state", state.client_id).seal("last_error", state.last_error)
            vault.db.execute(
                "INSERT INTO sync_state (client_id, last_attempt, last_success, last_error)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (client_id) DO UPDATE SET"
                " last_attempt = excluded.last_attempt, last_success = excluded.last_success,"
                " last_error = excluded.last_error",
                [state.client_id, to_iso(state.last_attempt), to_iso(state.last_success), sealed],
            )

    def all(self) -> dict[int, SyncState]:
        with self._sessions._reading() as vault:
            return load_sync_states(vault, None)


def load_sync_states(vault: Vault, client_id: int | None) -> dict[int, SyncState]:
    scope, params = vault.scope()
    where = f" WHERE {scope}" if client_id is None else f" WHERE {scope} AND client_id = ?"
    params = params if client_id is None else [*params, client_id]
    query = "SELECT client_id, last_attempt, last_success, last_error FROM sync_state" + where
    result: dict[int, SyncState] = {}
    row: Any
    for row in vault.db.execute(query, params).fetchall():
        cid = row[0]
        r = RowReader(vault, vault.client_key(cid), "sync_state", cid)
        state = SyncState(
            client_id=cid,
            last_attempt=from_iso(row[1]),
            last_success=from_iso(row[2]),
            last_error=r.text("last_error", row[3]),
        )
        state.damaged = frozenset(r.damaged)
        result[cid] = state
    return result

"""The audit trail: who, when, which client, what, and the result; sealed like everything else.

Entries about a client are sealed under that client's key (an operator limited to some clients can
later read exactly their trail). When a client is removed, its entries are re-sealed under the office
data key first, so the trail outlives the client and its destroyed key.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ksef_tui.store.database import next_id
from ksef_tui.store.repositories.base import Repository
from ksef_tui.store.sealing import SecretKey
from ksef_tui.store.vault import RowReader, RowWriter, Vault, from_iso

_FIELDS = ("operator", "action", "result", "detail")


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    operator: str
    client_id: int | None
    action: str
    result: str
    detail: str = ""
    damaged: bool = False


class AuditRepository(Repository):
    def append(self, client_id: int | None, action: str, result: str, detail: str = "") -> AuditEntry:
        with self._sessions._writing() as vault:
            return append_entry(vault, client_id, action, result, detail)

    def list(self, client_id: int | None = None, limit: int = 100) -> list[AuditEntry]:
        """Newest first; `client_id=None` lists every entry, office-level ones included."""
        with self._sessions._reading() as vault:
            scope, params = vault.scope()  # an operator reads the office's and the assigned clients' entries
            where = f"WHERE (client_id IS NULL OR {scope})"
            if client_id is not None:
                where, params = f"{where} AND client_id = ?", [*params, client_id]
            rows = vault.db.execute(
                f"SELECT id, at, client_id, sealed_by, operator, action, result, detail FROM audit_log"
                f" {where} ORDER BY id DESC LIMIT ?",
                [*params, limit],
            ).fetchall()
            return [_entry(vault, row) for row in rows]


def append_entry(vault: Vault, client_id: int | None, action: str, result: str, detail: str) -> AuditEntry:
    entry_id = next_id(vault.db, "audit_log")
    client_key = vault.client_key(client_id) if client_id is not None else None
    key, sealed_by = (client_key, "client") if client_key is not None else (vault.keys.data, "office")
    slot_id, operator = vault.operator
    at = vault.now_iso()
    w = RowWriter(vault, key, "audit_log", entry_id)
    vault.db.execute(
        "INSERT INTO audit_log (id, at, client_id, slot_id, sealed_by, operator, action, result, detail)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            entry_id,
            at,
            client_id,
            slot_id,
            sealed_by,
            *(w.seal(f, v) for f, v in zip(_FIELDS, (operator, action, result, detail), strict=True)),
        ],
    )
    moment = from_iso(at)  # `at` is the store clock's non-empty ISO text
    assert moment is not None
    return AuditEntry(entry_id, moment, operator, client_id, action, result, detail)


def reseal_for_office(vault: Vault, client_id: int) -> None:
    """Move a client's entries from the client's key to the office data key (see module doc)."""
    client_key = vault.client_key(client_id)
    rows = vault.db.execute(
        "SELECT id, operator, action, result, detail FROM audit_log"
        " WHERE client_id = ? AND sealed_by = 'client'",
        [client_id],
    ).fetchall()
    for row in rows:
        entry_id = row[0]
        r = RowReader(vault, client_key, "audit_log", entry_id)
        values = [r.text(field, blob) for field, blob in zip(_FIELDS, row[1:], strict=True)]
        w = RowWriter(vault, vault.keys.data, "audit_log", entry_id)
        vault.db.execute(
            "UPDATE audit_log SET sealed_by = 'office', operator = ?, action = ?, result = ?, detail = ?"
            " WHERE id = ?",
            [*(w.seal(f, v) for f, v in zip(_FIELDS, values, strict=True)), entry_id],
        )


def _entry(vault: Vault, row: Any) -> AuditEntry:
    entry_id, at, client_id, sealed_by = row[:4]
    key: SecretKey | None = vault.keys.data
    if sealed_by == "client":
        key = vault.client_key(client_id) if client_id is not None else None
    r = RowReader(vault, key, "audit_log", entry_id)
    values = [r.text(field, blob) for field, blob in zip(_FIELDS, row[4:], strict=True)]
    return AuditEntry(
        id=entry_id,
        at=from_iso(at),  # type: ignore[arg-type]  # NOT NULL in the schema
        operator=values[0],
        client_id=client_id,
        action=values[1],
        result=values[2],
        detail=values[3],
        damaged=bool(r.damaged),
    )

"""Crypto-shredding one client (issue 15 item 3, offboarding): in one write transaction, the client's
audit entries are redacted (store/repositories/audit.py `redact_client`: the chain still verifies), every
row of the client in every table is deleted, its office-level settings are deleted, and its key is
destroyed: the `clients` row holding the client key sealed by the office key, and every operator's copy
in `slot_client_keys`. Nothing the store holds afterwards opens a value sealed under that key
(docs/SECURITY.md "Offboarding a client").

The connection runs with `secure_delete = ON` (store/database.py), so the deleted cells are zeroed in
the file rather than left in free pages; the caller checkpoints the WAL afterwards so the old page
images go from the `-wal` file too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from ksef_tui.core.i18n import _
from ksef_tui.store.blind_index import normalise_nip
from ksef_tui.store.errors import NotFound
from ksef_tui.store.repositories.audit import append_entry, redact_client
from ksef_tui.store.repositories.settings import SETTINGS_DOMAIN
from ksef_tui.store.vault import Vault

NIP_DOMAIN = "nip"  # the clients repository's domain: the index an offboarded NIP keeps in the audit
OFFBOARDED = "client.offboarded"
# Office-level settings that belong to one client (sealed under the office data key, not the client's).
CLIENT_SETTINGS = ("exports.profile.{id}", "bookings.dictionaries.{id}")
# Deleted last: the tables the others point at.
_PARENTS = ("credentials", "ksef_sessions", "clients")
_KEPT = ("audit_log",)  # redacted, not deleted: the chain keeps its places


@dataclass
class ShredReport:
    client_id: int
    nip_indexes: list[str]  # hex blind indexes of the client's NIPs (what the audit keeps)
    redacted: int  # audit entries redacted
    deleted: dict[str, int] = field(default_factory=dict)  # table -> rows deleted
    settings: int = 0  # per-client settings deleted
    operator_keys: int = 0  # operators' wrapped copies of the client key deleted


def client_tables(vault: Vault) -> list[str]:
    """Every table with a `client_id` column (the audit log aside), children before parents."""
    found = []
    for table in vault.db.table_names():
        if table in _KEPT or table.startswith("sqlite_"):
            continue
        columns = {row[1] for row in vault.db.execute(f"PRAGMA table_info({table})")}
        if "client_id" in columns:
            found.append(table)
    return sorted(found, key=lambda t: (t in _PARENTS, _PARENTS.index(t) if t in _PARENTS else 0, t))


def nip_indexes(vault: Vault, client_id: int) -> list[str]:
    """The client's NIPs as blind indexes (hex), read before the rows go; damaged NIPs are skipped."""
    key = vault.client_key(client_id)
    out = []
    for row_id, sealed in vault.db.execute(
        "SELECT id, nip FROM client_nips WHERE client_id = ? ORDER BY position", [client_id]
    ).fetchall():
        value, ok = vault.open_json(key, "client_nips", row_id, "nip", sealed, None)
        if ok and isinstance(value, str):
            out.append(vault.index(NIP_DOMAIN, normalise_nip(value)).hex())
    return out


def shred_client(vault: Vault, client_id: int, summary: dict[str, object]) -> ShredReport:
    """The whole shred, inside the caller's write transaction (see module doc). `summary` (dates, what
    was done; no names) goes into every redacted entry and the final office entry, with the client's
    NIP blind indexes added."""
    if vault.db.execute("SELECT 1 FROM clients WHERE id = ?", [client_id]).fetchone() is None:
        raise NotFound(_("Client not found."))
    indexes = nip_indexes(vault, client_id)
    full = {**summary, "client_id": client_id, "nip_index": indexes}
    text = _summary_text(full)
    report = ShredReport(client_id, indexes, redact_client(vault, client_id, text))
    for table in client_tables(vault):
        gone = vault.db.execute(f"DELETE FROM {table} WHERE client_id = ?", [client_id]).rowcount
        if table == "slot_client_keys":
            report.operator_keys = gone
        if gone:
            report.deleted[table] = gone
    for name in CLIENT_SETTINGS:
        report.settings += vault.db.execute(
            "DELETE FROM settings WHERE key_index = ?",
            [vault.index(SETTINGS_DOMAIN, name.format(id=client_id))],
        ).rowcount
    report.deleted["clients"] = vault.db.execute("DELETE FROM clients WHERE id = ?", [client_id]).rowcount
    dropped = vault.keys.clients.pop(client_id, None)
    if dropped is not None:
        dropped.wipe()
    pending = vault.pending_keys.pop(client_id, None)
    if pending is not None:
        pending.wipe()
    append_entry(vault, None, OFFBOARDED, "ok", _summary_text({**full, "deleted": report.deleted}))
    return report


def _summary_text(summary: dict[str, object]) -> str:
    return json.dumps(summary, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

"""The store's damage list as people read it: each damaged value with the client it belongs to.

A damaged value is named by table, row and column only (never its contents). The client is found
through the row's plaintext `client_id`, and named by its short code when that opens.
"""

from __future__ import annotations

from dataclasses import dataclass

from ksef_tui.core.i18n import _
from ksef_tui.store.errors import DamagedValue
from ksef_tui.store.vault import Vault

# Tables whose row id is the client's id, and tables that carry a client_id column.
_ROW_IS_CLIENT = {"clients", "sync_state", "ksef_session_refresh", "client_office_state"}
_HAS_CLIENT_ID = {
    "client_nips",
    "credentials",
    "live_checks",
    "documents",
    "ksef_sessions",
    "ksef_session_invoices",
    "purchase_invoices",
    "audit_log",
    "export_batches",
}
_NO_CLIENT = {"settings", "office_certificate", "grant_censuses"}
_ROW_IS_CLIENT_AND_SUBJECT = {"purchase_sync"}


@dataclass(frozen=True)
class DamageEntry:
    value: DamagedValue
    client_id: int | None = None
    short_code: str | None = None  # None when the client is unknown or its short code is damaged too

    @property
    def client_words(self) -> str | None:
        if self.short_code:
            return self.short_code
        if self.client_id is not None:
            return f"#{self.client_id}"
        return None


def describe_damage(entry: DamageEntry) -> str:
    """One line in the user's language: where the damaged value is, and whose it is."""
    d = entry.value
    client = entry.client_words
    if client is None:
        return _("Damaged in the store: table {table}, row {row}, column {column}.").format(
            table=d.table, row=d.row_id, column=d.column
        )
    return _("Damaged in the store: table {table}, row {row}, column {column}, client {client}.").format(
        table=d.table, row=d.row_id, column=d.column, client=client
    )


def _owner(vault: Vault, d: DamagedValue) -> tuple[bool, int | None]:
    """(the row still exists, its client id)."""
    if d.table in _ROW_IS_CLIENT_AND_SUBJECT:  # row id "7/Subject2"
        client, _sep, subject = str(d.row_id).partition("/")
        if not client.isdigit():
            return True, None
        row = vault.db.execute(
            f"SELECT 1 FROM {d.table} WHERE client_id = ? AND subject = ?", [int(client), subject]
        ).fetchone()
        return row is not None, int(client) if row is not None else None
    if d.table in _ROW_IS_CLIENT:
        row = vault.db.execute(
            f"SELECT 1 FROM {d.table} WHERE {'id' if d.table == 'clients' else 'client_id'} = ?", [d.row_id]
        ).fetchone()
        return row is not None, int(d.row_id) if row is not None else None
    if d.table in _HAS_CLIENT_ID:
        row = vault.db.execute(f"SELECT client_id FROM {d.table} WHERE id = ?", [d.row_id]).fetchone()
        if row is None:
            return False, None
        return True, (int(row[0]) if row[0] is not None else None)
    if d.table in _NO_CLIENT:
        return vault.db.execute(
            f"SELECT 1 FROM {d.table} WHERE id = ?", [d.row_id]
        ).fetchone() is not None, None
    return True, None


def locate(vault: Vault, items: list[DamagedValue], client_id: int | None = None) -> list[DamageEntry]:
    """The damage list with owners; values whose row has since been removed are dropped from the
    log (nothing is left to repair). `client_id` keeps only that client's values."""
    codes: dict[int, str | None] = {}
    entries = []
    for d in items:
        exists, owner = _owner(vault, d)
        if not exists:
            vault.damage.forget(d)
            continue
        if client_id is not None and owner != client_id:
            continue
        if owner is not None and owner not in codes:
            codes[owner] = _short_code(vault, owner)
        entries.append(DamageEntry(d, owner, codes.get(owner) if owner is not None else None))
    return entries


def _short_code(vault: Vault, client_id: int) -> str | None:
    row = vault.db.execute("SELECT wrapped_key, short_code FROM clients WHERE id = ?", [client_id]).fetchone()
    if row is None:
        return None
    key = vault.client_key(client_id, row[0])
    value, ok = vault.open_json(key, "clients", client_id, "short_code", row[1], None)
    return value if ok and isinstance(value, str) else None

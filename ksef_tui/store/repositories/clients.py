"""Clients: name, short code, notes and NIPs sealed under the client's own key; NIP and short code
found through blind indexes."""

from __future__ import annotations

import dataclasses

from ksef_tui.core.i18n import _
from ksef_tui.core.models import Client, Environment
from ksef_tui.core.nip import InvalidNip, normalize_nip
from ksef_tui.store.blind_index import normalise_nip, normalise_short_code
from ksef_tui.store.database import next_id
from ksef_tui.store.errors import DamagedValue, NotFound, StoreError
from ksef_tui.store.repositories.audit import append_entry, reseal_for_office
from ksef_tui.store.repositories.base import Repository
from ksef_tui.store.shred import ShredReport, client_tables, shred_client
from ksef_tui.store.text_caps import check_client_text
from ksef_tui.store.vault import RowReader, RowWriter, Vault, damaged_text, from_iso, refuse_damaged

NIP_DOMAIN = "nip"
SHORT_CODE_DOMAIN = "short_code"


class ClientsRepository(Repository):
    def add(self, client: Client) -> Client:
        nips, code = _normalised(client)
        with self._sessions._writing() as vault:
            _refuse_duplicates(vault, nips, code, own_id=None)
            client_id = next_id(vault.db, "clients")
            key, wrapped = vault.new_client_key(client_id)
            now = vault.now_iso()
            w = RowWriter(vault, key, "clients", client_id)
            vault.db.execute(
                "INSERT INTO clients (id, environment, created, updated, wrapped_key, short_code_index,"
                " short_code, name, notes) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    client_id,
                    Environment(client.environment).value,
                    now,
                    now,
                    wrapped,
                    vault.index(SHORT_CODE_DOMAIN, code),
                    w.seal("short_code", code),
                    w.seal("name", client.name),
                    w.seal("notes", client.notes),
                ],
            )
            _insert_nips(vault, client_id, nips)
            return dataclasses.replace(
                client, id=client_id, created=from_iso(now), nips=nips, short_code=code
            )

    def update(self, client: Client) -> None:
        """Saves every field. Refused (DamagedOverwrite) while the record still carries a damaged
        field's placeholder: only a field entered again may be written over a damaged one."""
        if client.id is None:
            raise NotFound(_("Client not found."))
        refuse_damaged("clients", client.id, client.damaged)
        nips, code = _normalised(client)
        with self._sessions._writing() as vault:
            key = vault.require_client_key(client.id)
            _refuse_duplicates(vault, nips, code, own_id=client.id)
            w = RowWriter(vault, key, "clients", client.id)
            vault.db.execute(
                "UPDATE clients SET environment = ?, updated = ?, short_code_index = ?, short_code = ?,"
                " name = ?, notes = ? WHERE id = ?",
                [
                    Environment(client.environment).value,
                    vault.now_iso(),
                    vault.index(SHORT_CODE_DOMAIN, code),
                    w.seal("short_code", code),
                    w.seal("name", client.name),
                    w.seal("notes", client.notes),
                    client.id,
                ],
            )
            vault.db.execute("DELETE FROM client_nips WHERE client_id = ?", [client.id])
            _insert_nips(vault, client.id, nips)

    def remove(self, client_id: int) -> None:
        """Removes the client and everything of theirs; their audit trail is kept, re-sealed under the
        office key (their own key is destroyed with the row, which shreds anything left behind)."""
        with self._sessions._writing() as vault:
            if vault.db.execute("SELECT 1 FROM clients WHERE id = ?", [client_id]).fetchone() is None:
                raise NotFound(_("Client not found."))
            reseal_for_office(vault, client_id)
            for table in ("live_checks", "credentials", "sync_state", "client_nips", "slot_client_keys"):
                vault.db.execute(f"DELETE FROM {table} WHERE client_id = ?", [client_id])
            if "documents" in vault.db.table_names():
                vault.db.execute("DELETE FROM documents WHERE client_id = ?", [client_id])
            vault.db.execute("DELETE FROM clients WHERE id = ?", [client_id])
            dropped = vault.keys.clients.pop(client_id, None)
            if dropped is not None:
                dropped.wipe()
            append_entry(vault, client_id, "client_removed", "ok", "")

    def shred(self, client_id: int, summary: dict[str, object]) -> ShredReport:
        """Offboarding's crypto-shred (store/shred.py): the client's audit redacted, its rows, settings
        and key (with every operator's copy) deleted, in one transaction; then the WAL is checkpointed so
        the old page images leave the `-wal` file too."""
        with self._sessions._writing() as vault:
            report = shred_client(vault, client_id, summary)
        self._sessions.checkpoint()
        return report

    def row_counts(self, client_id: int) -> dict[str, int]:
        """The client's rows in every table (its audit entries aside), by table: what a shred deletes."""
        with self._sessions._reading() as vault:
            counts = {
                table: int(
                    vault.db.execute(
                        f"SELECT count(*) FROM {table} WHERE client_id = ?", [client_id]
                    ).fetchone()[0]
                )
                for table in client_tables(vault)
            }
            counts["clients"] = int(
                vault.db.execute("SELECT count(*) FROM clients WHERE id = ?", [client_id]).fetchone()[0]
            )
        return {t: n for t, n in counts.items() if n}

    def get(self, client_id: int) -> Client:
        with self._sessions._reading() as vault:
            found = load_clients(vault, [client_id])
        if not found:
            raise NotFound(_("Client not found."))
        return found[0]

    def list(self) -> list[Client]:
        with self._sessions._reading() as vault:
            return load_clients(vault, None)

    def find_by_nip(self, nip: str) -> Client | None:
        with self._sessions._reading() as vault:
            row = vault.db.execute(
                "SELECT client_id FROM client_nips WHERE nip_index = ?",
                [vault.index(NIP_DOMAIN, normalise_nip(nip))],
            ).fetchone()
            found = load_clients(vault, [row[0]]) if row else []
        return found[0] if found else None

    def find_by_short_code(self, code: str) -> Client | None:
        with self._sessions._reading() as vault:
            row = vault.db.execute(
                "SELECT id FROM clients WHERE short_code_index = ?",
                [vault.index(SHORT_CODE_DOMAIN, normalise_short_code(code))],
            ).fetchone()
            found = load_clients(vault, [row[0]]) if row else []
        return found[0] if found else None


def _normalised(client: Client) -> tuple[list[str], str]:
    nips = [normalise_nip(n) for n in client.nips]
    if not nips or not all(nips):
        raise StoreError(_("A client needs at least one NIP."))
    nips = [_valid_nip(n) for n in nips]
    if len(set(nips)) != len(nips):
        raise StoreError(_("The same NIP is listed twice for this client."))
    code = normalise_short_code(client.short_code)
    if not code:
        raise StoreError(_("A client needs a short code."))
    check_client_text(client.name, code, client.notes)
    return nips, code


def _valid_nip(folded: str) -> str:
    """The store's own check, not only the form's: whatever reaches it (an import, a script, a future
    screen) must be a real NIP, or two spellings of one NIP could become two clients."""
    try:
        return normalize_nip(folded)
    except InvalidNip as err:
        raise StoreError(str(err)) from None


def _refuse_duplicates(vault: Vault, nips: list[str], code: str, own_id: int | None) -> None:
    """Checked inside the write transaction, so the answer still holds when we insert. The UNIQUE
    indexes back this up, but this way the user hears which field clashed."""
    for nip in nips:
        row = vault.db.execute(
            "SELECT client_id FROM client_nips WHERE nip_index = ?", [vault.index(NIP_DOMAIN, nip)]
        ).fetchone()
        if row is not None and row[0] != own_id:
            raise StoreError(_("This NIP is already used by another client."))
    row = vault.db.execute(
        "SELECT id FROM clients WHERE short_code_index = ?", [vault.index(SHORT_CODE_DOMAIN, code)]
    ).fetchone()
    if row is not None and row[0] != own_id:
        raise StoreError(_("This short code is already used by another client."))


def _insert_nips(vault: Vault, client_id: int, nips: list[str]) -> None:
    key = vault.client_key(client_id)
    assert key is not None  # the caller just created or unwrapped it
    for position, nip in enumerate(nips):
        nip_id = next_id(vault.db, "client_nips")
        vault.db.execute(
            "INSERT INTO client_nips (id, client_id, position, nip_index, nip) VALUES (?, ?, ?, ?, ?)",
            [
                nip_id,
                client_id,
                position,
                vault.index(NIP_DOMAIN, nip),
                RowWriter(vault, key, "client_nips", nip_id).seal("nip", nip),
            ],
        )


def load_clients(vault: Vault, ids: list[int] | None) -> list[Client]:
    """Clients by id (None: all), in id order, with two queries however many there are."""
    scope, scope_params = vault.scope("id")
    where = f" WHERE {scope}" if ids is None else f" WHERE id IN ({','.join('?' for _ in ids)}) AND {scope}"
    rows = vault.db.execute(
        "SELECT id, environment, created, wrapped_key, short_code, name, notes FROM clients"
        + where
        + " ORDER BY id",
        [*(ids or []), *scope_params],
    ).fetchall()
    if not rows:
        return []
    nip_scope, nip_params = vault.scope("client_id")
    nip_where = (
        f" WHERE {nip_scope}"
        if ids is None
        else f" WHERE client_id IN ({','.join('?' for _ in ids)}) AND {nip_scope}"
    )
    nips_by_client: dict[int, list[str]] = {}
    nips_damaged: set[int] = set()
    nip_rows = vault.db.execute(
        "SELECT id, client_id, nip FROM client_nips" + nip_where + " ORDER BY client_id, position",
        [*(ids or []), *nip_params],
    ).fetchall()
    keys = {row[0]: vault.client_key(row[0], row[3]) for row in rows}
    for nip_id, client_id, sealed in nip_rows:
        reader = RowReader(vault, keys.get(client_id), "client_nips", nip_id)
        nips_by_client.setdefault(client_id, []).append(reader.text("nip", sealed))
        if reader.damaged:
            nips_damaged.add(client_id)
    clients = []
    for client_id, environment, created, _wrapped, short_code, name, notes in rows:
        reader = RowReader(vault, keys[client_id], "clients", client_id)
        env = reader.enum("environment", Environment, environment, Environment.PROD)
        found = Client(
            name=reader.text("name", name),
            short_code=reader.text("short_code", short_code),
            nips=nips_by_client.get(client_id) or [damaged_text()],
            environment=env,
            notes=reader.text("notes", notes),
            id=client_id,
            created=from_iso(created),
        )
        damaged = set(reader.damaged)
        if client_id not in nips_by_client:  # every NIP row gone: the client has no KSeF context
            vault.damage.record(DamagedValue("clients", client_id, "nips"))
            damaged.add("nips")
        elif client_id in nips_damaged:
            damaged.add("nips")
        found.damaged = frozenset(damaged)
        clients.append(found)
    return clients

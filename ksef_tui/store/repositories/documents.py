"""Documents (invoice XML, UPO XML): the body, the key and the meta sealed under the client's key.

`kind` is a plaintext enum-like label chosen by the caller ("invoice", "upo", ...); the key (a KSeF
number, a session reference) is found through a blind index scoped to (client, kind), so equal keys
at two clients give unrelated digests.
"""

from __future__ import annotations

from typing import Any

from ksef_tui.store.blind_index import normalise_key
from ksef_tui.store.database import next_id
from ksef_tui.store.repositories.base import Repository
from ksef_tui.store.vault import RowReader, RowWriter, Vault


def _domain(client_id: int, kind: str) -> str:
    return f"document|{client_id}|{kind}"


class DocumentsRepository(Repository):
    def put(
        self, client_id: int, kind: str, key: str, data: bytes, meta: dict[str, Any] | None = None
    ) -> int:
        """Insert or replace the document (client, kind, key); returns its row id."""
        with self._sessions._writing() as vault:
            return put_document(vault, client_id, kind, key, data, meta)

    def get(self, client_id: int, kind: str, key: str) -> bytes | None:
        """The body, None when absent; raises DamagedValueError when present but damaged."""
        with self._sessions._reading() as vault:
            row = _find(vault, client_id, kind, vault.index(_domain(client_id, kind), normalise_key(key)))
            if row is None:
                return None
            return vault.open_bytes(vault.client_key(client_id), "documents", row[0], "data", row[1])

    def meta(self, client_id: int, kind: str, key: str) -> dict[str, Any] | None:
        with self._sessions._reading() as vault:
            row = _find(vault, client_id, kind, vault.index(_domain(client_id, kind), normalise_key(key)))
            if row is None:
                return None
            r = RowReader(vault, vault.client_key(client_id), "documents", row[0])
            value = r.get("meta", row[2], {})
            return value if isinstance(value, dict) else {}

    def keys(self, client_id: int, kind: str) -> list[str]:
        """The keys of this client's documents of this kind, sorted; damaged ones are left out (and
        recorded in `store.damaged`)."""
        with self._sessions._reading() as vault:
            client_key = vault.client_key(client_id)
            rows = vault.db.execute(
                "SELECT id, key FROM documents WHERE client_id = ? AND kind = ?", [client_id, kind]
            ).fetchall()
            names = []
            for doc_id, sealed in rows:
                name = RowReader(vault, client_key, "documents", doc_id).get("key", sealed, None)
                if isinstance(name, str):
                    names.append(name)
            return sorted(names)

    def remove(self, client_id: int, kind: str, key: str) -> None:
        with self._sessions._writing() as vault:
            vault.db.execute(
                "DELETE FROM documents WHERE client_id = ? AND kind = ? AND key_index = ?",
                [client_id, kind, vault.index(_domain(client_id, kind), normalise_key(key))],
            )


def put_document(
    vault: Vault, client_id: int, kind: str, key: str, data: bytes, meta: dict[str, Any] | None = None
) -> int:
    """`DocumentsRepository.put` inside a write another repository already holds (one transaction)."""
    name = normalise_key(key)
    client_key = vault.require_client_key(client_id)
    index = vault.index(_domain(client_id, kind), name)
    row = _find(vault, client_id, kind, index)
    doc_id = row[0] if row else next_id(vault.db, "documents")
    w = RowWriter(vault, client_key, "documents", doc_id)
    now = vault.now_iso()
    vault.db.execute(
        "INSERT INTO documents (id, client_id, kind, key_index, key, data, meta, created, updated)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET key = excluded.key,"
        " data = excluded.data, meta = excluded.meta, updated = excluded.updated",
        [
            doc_id,
            client_id,
            kind,
            index,
            w.seal("key", name),
            w.seal_bytes("data", bytes(data)),
            w.seal("meta", meta or {}),
            now,
            now,
        ],
    )
    return int(doc_id)


def _find(vault: Vault, client_id: int, kind: str, index: bytes) -> Any:
    return vault.db.execute(
        "SELECT id, data, meta FROM documents WHERE client_id = ? AND kind = ? AND key_index = ?",
        [client_id, kind, index],
    ).fetchone()

"""Credentials: every field but kind, status and timestamps sealed under the client's key."""

from __future__ import annotations

import dataclasses
from typing import Any

from ksef_tui.core.models import Credential, CredentialKind, CredentialStatus
from ksef_tui.i18n import _
from ksef_tui.store.database import next_id
from ksef_tui.store.errors import NotFound
from ksef_tui.store.repositories.base import Repository
from ksef_tui.store.text_caps import check_credential_label
from ksef_tui.store.vault import RowReader, RowWriter, Vault, from_iso, to_iso

COLUMNS = "id, client_id, kind, status, created, secret, certificate_pem, reference, serial, permissions,"
COLUMNS += " valid_from, valid_until, label"


class CredentialsRepository(Repository):
    def add(self, cred: Credential) -> Credential:
        with self._sessions._writing() as vault:
            key = vault.require_client_key(cred.client_id)
            cred_id = next_id(vault.db, "credentials")
            created = to_iso(cred.created) or vault.now_iso()
            values = _sealed(RowWriter(vault, key, "credentials", cred_id), cred)
            vault.db.execute(
                "INSERT INTO credentials (id, client_id, kind, status, created, updated, secret,"
                " certificate_pem, reference, serial, permissions, valid_from, valid_until, label)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [cred_id, cred.client_id, *_plain(cred), created, vault.now_iso(), *values],
            )
            return dataclasses.replace(cred, id=cred_id, created=from_iso(created))

    def update(self, cred: Credential) -> None:
        with self._sessions._writing() as vault:
            row = None
            if cred.id is not None:
                row = vault.db.execute("SELECT client_id FROM credentials WHERE id = ?", [cred.id]).fetchone()
            if row is None or cred.id is None:
                raise NotFound(_("Credential not found."))
            key = vault.require_client_key(cred.client_id)
            values = _sealed(RowWriter(vault, key, "credentials", cred.id), cred)
            vault.db.execute(
                "UPDATE credentials SET client_id = ?, kind = ?, status = ?, created = ?, updated = ?,"
                " secret = ?, certificate_pem = ?, reference = ?, serial = ?, permissions = ?,"
                " valid_from = ?, valid_until = ?, label = ? WHERE id = ?",
                [
                    cred.client_id,
                    *_plain(cred),
                    to_iso(cred.created) or vault.now_iso(),
                    vault.now_iso(),
                    *values,
                    cred.id,
                ],
            )

    def remove(self, cred_id: int) -> None:
        with self._sessions._writing() as vault:
            vault.db.execute("DELETE FROM live_checks WHERE credential_id = ?", [cred_id])
            if vault.db.execute("DELETE FROM credentials WHERE id = ?", [cred_id]).rowcount == 0:
                raise NotFound(_("Credential not found."))

    def get(self, cred_id: int) -> Credential:
        with self._sessions._reading() as vault:
            found = load_credentials(vault, "WHERE id = ?", [cred_id])
        if not found:
            raise NotFound(_("Credential not found."))
        return found[0]

    def for_client(self, client_id: int) -> list[Credential]:
        with self._sessions._reading() as vault:
            return load_credentials(vault, "WHERE client_id = ?", [client_id])

    def all(self) -> dict[int, list[Credential]]:
        """Client id -> that client's credentials; clients without any are absent."""
        with self._sessions._reading() as vault:
            return group_by_client(load_credentials(vault, "", []))


def _plain(cred: Credential) -> list[str]:
    return [CredentialKind(cred.kind).value, CredentialStatus(cred.status).value]


def _sealed(w: RowWriter, cred: Credential) -> list[bytes]:
    check_credential_label(cred.label)
    return [
        w.seal("secret", cred.secret),
        w.seal("certificate_pem", cred.certificate_pem),
        w.seal("reference", cred.reference),
        w.seal("serial", cred.serial),
        w.seal("permissions", sorted(cred.permissions)),
        # Sealed although nothing in SQL needs it: a certificate's validity window plus its serial
        # identify it, and sealing makes the expiry date tamper-evident.
        w.seal("valid_from", to_iso(cred.valid_from)),
        w.seal("valid_until", to_iso(cred.valid_until)),
        w.seal("label", cred.label),
    ]


def load_credentials(
    vault: Vault, where: str, params: list[Any], *, with_secrets: bool = True
) -> list[Credential]:
    """`with_secrets=False` leaves the token or private key and the certificate sealed (secret "",
    certificate_pem None): the board judges health without them, and they stay out of memory."""
    rows = vault.db.execute(f"SELECT {COLUMNS} FROM credentials {where} ORDER BY client_id, id", params)
    result = []
    for row in rows.fetchall():
        cred_id, client_id, kind, status, created = row[:5]
        r = RowReader(vault, vault.client_key(client_id), "credentials", cred_id)
        result.append(
            Credential(
                client_id=client_id,
                kind=r.enum("kind", CredentialKind, kind, CredentialKind.KSEF_TOKEN),
                secret=r.text("secret", row[5]) if with_secrets else "",
                certificate_pem=r.optional_text("certificate_pem", row[6]) if with_secrets else None,
                reference=r.optional_text("reference", row[7]),
                serial=r.optional_text("serial", row[8]),
                permissions=r.strings("permissions", row[9]),
                created=from_iso(created),
                valid_from=r.moment("valid_from", row[10]),
                valid_until=r.moment("valid_until", row[11]),
                status=r.enum("status", CredentialStatus, status, CredentialStatus.FAILED),
                label=r.text("label", row[12]),
                id=cred_id,
            )
        )
    return result


def group_by_client(creds: list[Credential]) -> dict[int, list[Credential]]:
    grouped: dict[int, list[Credential]] = {}
    for cred in creds:
        grouped.setdefault(cred.client_id, []).append(cred)
    return grouped

"""Credentials: every field but kind, status and timestamps sealed under the client's key."""

from __future__ import annotations

import dataclasses
from typing import Any

from ksef_tui.core.i18n import _
from ksef_tui.core.models import Credential, CredentialKind, CredentialStatus
from ksef_tui.store.database import next_id
from ksef_tui.store.errors import NotFound, StoreError
from ksef_tui.store.repositories.audit import append_entry
from ksef_tui.store.repositories.base import Repository
from ksef_tui.store.sealing import SecretKey
from ksef_tui.store.text_caps import check_credential_label
from ksef_tui.store.vault import RowReader, RowWriter, Vault, from_iso, refuse_damaged, to_iso

COLUMNS = "id, client_id, kind, status, created, secret, certificate_pem, reference, serial, permissions,"
COLUMNS += " valid_from, valid_until, label"
CERTIFICATE_KINDS = (CredentialKind.KSEF_CERTIFICATE, CredentialKind.OFFICE_CERTIFICATE)


class DuplicateCertificate(StoreError):
    """The client already has this certificate (same serial number): a second copy is refused."""

    def __init__(self, serial: str) -> None:
        super().__init__(
            _(
                "This client already has the certificate with serial number {serial}: nothing was saved."
                " To replace it, remove the old one first (d on the client's screen)."
            ).format(serial=serial)
        )


class CredentialsRepository(Repository):
    def add(self, cred: Credential) -> Credential:
        """Adds the credential; or, when it is a damaged credential of this client imported again (same
        kind, same token reference or certificate serial, or one whose own is damaged too), writes
        it over that one in place: re-importing is how a user repairs a damaged credential.

        Refuses (DuplicateCertificate) a certificate the client already has intact, of either
        certificate kind: the same serial number is the same certificate."""
        with self._sessions._writing() as vault:
            key = vault.require_client_key(cred.client_id)
            repaired = _damaged_twin(vault, cred)
            if repaired is None and cred.kind in CERTIFICATE_KINDS and cred.serial:
                _refuse_second_copy(vault, cred)
            if repaired is not None:
                _write(vault, key, dataclasses.replace(cred, id=repaired.id, damaged=frozenset()))
                created = to_iso(cred.created) or vault.now_iso()
                return dataclasses.replace(
                    cred, id=repaired.id, created=from_iso(created), damaged=frozenset()
                )
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
        """Saves every field. Refused (DamagedOverwrite) for a credential read with damaged columns:
        their placeholders must never be sealed as genuine values; re-import it instead (`add`)."""
        with self._sessions._writing() as vault:
            row = None
            if cred.id is not None:
                row = vault.db.execute("SELECT client_id FROM credentials WHERE id = ?", [cred.id]).fetchone()
            if row is None or cred.id is None:
                raise NotFound(_("Credential not found."))
            refuse_damaged("credentials", cred.id, cred.damaged)
            _write(vault, vault.require_client_key(cred.client_id), cred)

    def remove(self, cred_id: int, detail: str = "") -> None:
        """Removes the credential and its live checks, and records "credential.remove" (with `detail`:
        a token reference or a serial, never a secret) in the client's audit trail, all in one
        transaction. A damaged credential can be removed too (that ends its damage report)."""
        with self._sessions._writing() as vault:
            row = vault.db.execute("SELECT client_id FROM credentials WHERE id = ?", [cred_id]).fetchone()
            if row is None:
                raise NotFound(_("Credential not found."))
            vault.db.execute("DELETE FROM live_checks WHERE credential_id = ?", [cred_id])
            vault.db.execute("DELETE FROM credentials WHERE id = ?", [cred_id])
            append_entry(vault, row[0], "credential.remove", "ok", detail)

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


def _write(vault: Vault, key: SecretKey, cred: Credential) -> None:
    assert cred.id is not None
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


def _damaged_twin(vault: Vault, cred: Credential) -> Credential | None:
    """The damaged credential of this client that `cred` is a re-import of, if any."""
    identity = "reference" if cred.kind is CredentialKind.KSEF_TOKEN else "serial"
    kind = CredentialKind(cred.kind).value
    found = load_credentials(
        vault, "WHERE client_id = ? AND kind = ?", [cred.client_id, kind], with_secrets=False
    )
    for old in found:
        if not old.damaged:
            continue
        if identity in old.damaged or getattr(old, identity) == getattr(cred, identity):
            return old
    return None


def _refuse_second_copy(vault: Vault, cred: Credential) -> None:
    """DuplicateCertificate when the client already holds a certificate with `cred`'s serial."""
    found = load_credentials(vault, "WHERE client_id = ?", [cred.client_id], with_secrets=False)
    wanted = (cred.serial or "").strip().upper()
    for old in found:
        intact = old.kind in CERTIFICATE_KINDS and "serial" not in old.damaged
        if intact and (old.serial or "").strip().upper() == wanted:
            raise DuplicateCertificate(wanted)


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
    certificate_pem None): the board judges health without them, and they stay out of memory. They are
    still checked intact (`sealing.verify`), so a damaged secret shows in `damaged` all the same."""
    scope, scope_params = vault.scope()
    where = f"{where} AND {scope}" if where else f"WHERE {scope}"
    rows = vault.db.execute(
        f"SELECT {COLUMNS} FROM credentials {where} ORDER BY client_id, id", [*params, *scope_params]
    )
    result = []
    for row in rows.fetchall():
        cred_id, client_id, kind, status, created = row[:5]
        r = RowReader(vault, vault.client_key(client_id), "credentials", cred_id)
        if not with_secrets:  # checked intact all the same: a damaged secret must turn the board red
            r.intact("secret", row[5])
            r.intact("certificate_pem", row[6])
        cred = Credential(
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
        cred.damaged = frozenset(r.damaged)
        result.append(cred)
    return result


def group_by_client(creds: list[Credential]) -> dict[int, list[Credential]]:
    grouped: dict[int, list[Credential]] = {}
    for cred in creds:
        grouped.setdefault(cred.client_id, []).append(cred)
    return grouped

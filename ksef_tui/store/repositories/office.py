"""The office's own KSeF certificate, the grant censuses and each client's office state (issue 11).

- `office_certificate`: at most one row, sealed under the office data key (not per client: one import,
  one renewal for every client). Replacing it deletes the old row in the same transaction.
- `grant_censuses`: one row per census, the grants by NIP sealed as JSON; the newest CENSUS_KEEP kept.
- `client_office_state`: per client, sealed under the client's key: when the office asked for the
  grant, and the office certificate's latest probe in the client's context.

`merge_client_copies` (run once, on the first unlock after migration 4) moves per-client copies of the
office certificate into the one office certificate (docs/DECISIONS.md "One office certificate").
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from ksef_tui.core.certificates import pem_fingerprint
from ksef_tui.core.models import Credential, CredentialKind, CredentialStatus
from ksef_tui.core.readiness import Census, ClientOfficeState, OfficeGrant, Probe
from ksef_tui.store.database import next_id
from ksef_tui.store.repositories.audit import append_entry
from ksef_tui.store.repositories.base import Repository
from ksef_tui.store.repositories.credentials import load_credentials
from ksef_tui.store.text_caps import check_credential_label
from ksef_tui.store.vault import RowReader, RowWriter, Vault, from_iso, to_iso

OFFICE_CLIENT_ID = 0  # `Credential.client_id` of the office certificate: it belongs to no client
CENSUS_KEEP = 30
MERGE_SETTING = "office_certificate.merge"  # the merge report; present = the merge has run
_CERT_COLUMNS = (
    "id, status, created, secret, certificate_pem, serial, fingerprint, permissions, valid_from,"
    " valid_until, label"
)
_SETTINGS_DOMAIN = "setting"


@dataclass(frozen=True)
class MergeReport:
    """What the merge of per-client copies did."""

    moved: int = 0  # per-client copies removed because the office certificate now holds them
    fingerprint: str | None = None  # the office certificate's, after the merge
    differing: list[tuple[int, str]] = field(default_factory=list)  # (client id, serial) left as they are

    def to_json(self) -> dict[str, Any]:
        return {"moved": self.moved, "fingerprint": self.fingerprint, "differing": self.differing}


class OfficeCertificateRepository(Repository):
    def get(self, *, with_secrets: bool = True) -> Credential | None:
        """The office certificate, or None. Damaged columns are listed in `damaged` as for credentials."""
        with self._sessions._reading() as vault:
            return load_office_certificate(vault, with_secrets=with_secrets)

    def put(self, cred: Credential, detail: str = "") -> Credential:
        """Store `cred` as THE office certificate, replacing (renewal) any earlier one, in one
        transaction; audited as "office_certificate.import" or ".replace" (detail: serial numbers)."""
        check_credential_label(cred.label)
        with self._sessions._writing() as vault:
            old = vault.db.execute("SELECT id FROM office_certificate").fetchall()
            vault.db.execute("DELETE FROM office_certificate")
            saved = _insert(vault, cred)
            action = "office_certificate.replace" if old else "office_certificate.import"
            append_entry(vault, None, action, "ok", detail or (cred.serial or ""))
            return saved

    def set_status(self, status: CredentialStatus) -> None:
        with self._sessions._writing() as vault:
            vault.db.execute(
                "UPDATE office_certificate SET status = ?, updated = ?", [status.value, vault.now_iso()]
            )

    def remove(self, detail: str = "") -> None:
        with self._sessions._writing() as vault:
            vault.db.execute("DELETE FROM office_certificate")
            append_entry(vault, None, "office_certificate.remove", "ok", detail)

    def merge_report(self) -> MergeReport | None:
        with self._sessions._reading() as vault:
            raw = _setting(vault, MERGE_SETTING)
        if not isinstance(raw, dict):
            return None
        return MergeReport(
            int(raw.get("moved") or 0),
            raw.get("fingerprint"),
            [(int(c), str(s)) for c, s in raw.get("differing") or []],
        )

    def merge_client_copies(self, now: datetime, *, force: bool = False) -> MergeReport | None:
        """Merge per-client OFFICE_CERTIFICATE copies into the office certificate, once (None when it
        has run already, unless `force`). Copies of the same certificate (same SHA-256 fingerprint) are
        removed from the clients; when the office has no certificate yet, the newest copy valid at `now`
        becomes it. Copies of other certificates are left as they are and reported."""
        with self._sessions._writing() as vault:
            if not force and _setting(vault, MERGE_SETTING) is not None:
                return None
            report = _merge(vault, now)
            _set_setting(vault, MERGE_SETTING, report.to_json())
            return report


def _merge(vault: Vault, now: datetime) -> MergeReport:
    kind = CredentialKind.OFFICE_CERTIFICATE.value
    copies = [
        c
        for c in load_credentials(vault, "WHERE kind = ?", [kind])
        if not c.damaged and c.certificate_pem and c.secret
    ]
    office = load_office_certificate(vault, with_secrets=False)
    fingerprint: str | None = None
    if office is not None and "fingerprint" not in office.damaged:
        fingerprint = _fingerprint_of(vault)
    if office is None or fingerprint is None:
        valid = [c for c in copies if c.valid_until is not None and c.valid_until > now]
        valid = [c for c in valid if c.valid_from is None or c.valid_from <= now]
        valid = [c for c in valid if c.status not in (CredentialStatus.REVOKED, CredentialStatus.FAILED)]
        if not valid:
            return MergeReport(0, fingerprint, [(c.client_id, c.serial or "") for c in copies])
        newest = max(valid, key=lambda c: (c.valid_until or now, c.valid_from or now, c.id or 0))
        vault.db.execute("DELETE FROM office_certificate")
        _insert(
            vault,
            dataclasses.replace(newest, client_id=OFFICE_CLIENT_ID, id=None, permissions=frozenset()),
        )
        fingerprint = pem_fingerprint(newest.certificate_pem)
        append_entry(vault, None, "office_certificate.merge", "ok", newest.serial or "")
    moved = 0
    differing = []
    for cred in copies:
        if pem_fingerprint(cred.certificate_pem) == fingerprint:
            vault.db.execute("DELETE FROM live_checks WHERE credential_id = ?", [cred.id])
            vault.db.execute("DELETE FROM credentials WHERE id = ?", [cred.id])
            append_entry(vault, cred.client_id, "credential.merged_into_office", "ok", cred.serial or "")
            moved += 1
        else:
            differing.append((cred.client_id, cred.serial or ""))
    return MergeReport(moved, fingerprint, differing)


def _insert(vault: Vault, cred: Credential) -> Credential:
    row_id = next_id(vault.db, "office_certificate")
    w = RowWriter(vault, vault.keys.data, "office_certificate", row_id)
    created = to_iso(cred.created) or vault.now_iso()
    vault.db.execute(
        "INSERT INTO office_certificate (id, status, created, updated, secret, certificate_pem, serial,"
        " fingerprint, permissions, valid_from, valid_until, label)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            row_id,
            CredentialStatus(cred.status).value,
            created,
            vault.now_iso(),
            w.seal("secret", cred.secret),
            w.seal("certificate_pem", cred.certificate_pem),
            w.seal("serial", cred.serial),
            w.seal("fingerprint", pem_fingerprint(cred.certificate_pem)),
            w.seal("permissions", sorted(cred.permissions)),
            w.seal("valid_from", to_iso(cred.valid_from)),
            w.seal("valid_until", to_iso(cred.valid_until)),
            w.seal("label", cred.label),
        ],
    )
    return dataclasses.replace(
        cred,
        id=row_id,
        client_id=OFFICE_CLIENT_ID,
        kind=CredentialKind.OFFICE_CERTIFICATE,
        created=from_iso(created),
        damaged=frozenset(),
    )


def _fingerprint_of(vault: Vault) -> str | None:
    row = vault.db.execute("SELECT id, fingerprint FROM office_certificate ORDER BY id DESC").fetchone()
    if row is None:
        return None
    value = RowReader(vault, vault.keys.data, "office_certificate", row[0]).optional_text(
        "fingerprint", row[1]
    )
    return value if value and len(value) == 64 else None


def load_office_certificate(vault: Vault, *, with_secrets: bool) -> Credential | None:
    row = vault.db.execute(f"SELECT {_CERT_COLUMNS} FROM office_certificate ORDER BY id DESC").fetchone()
    if row is None:
        return None
    r = RowReader(vault, vault.keys.data, "office_certificate", row[0])
    if not with_secrets:
        r.intact("secret", row[3])
        r.intact("certificate_pem", row[4])
    cred = Credential(
        client_id=OFFICE_CLIENT_ID,
        kind=CredentialKind.OFFICE_CERTIFICATE,
        secret=r.text("secret", row[3]) if with_secrets else "",
        certificate_pem=r.optional_text("certificate_pem", row[4]) if with_secrets else None,
        serial=r.optional_text("serial", row[5]),
        permissions=r.strings("permissions", row[7]),
        created=from_iso(row[2]),
        valid_from=r.moment("valid_from", row[8]),
        valid_until=r.moment("valid_until", row[9]),
        status=r.enum("status", CredentialStatus, row[1], CredentialStatus.FAILED),
        label=r.text("label", row[10]),
        id=row[0],
    )
    r.intact("fingerprint", row[6])
    cred.damaged = frozenset(r.damaged)
    return cred


def _setting(vault: Vault, key: str) -> Any:
    from ksef_tui.store.blind_index import normalise_key

    row = vault.db.execute(
        "SELECT id, value FROM settings WHERE key_index = ?",
        [vault.index(_SETTINGS_DOMAIN, normalise_key(key))],
    ).fetchone()
    if row is None:
        return None
    return RowReader(vault, vault.keys.data, "settings", row[0]).get("value", row[1], {})


def _set_setting(vault: Vault, key: str, value: Any) -> None:
    from ksef_tui.store.blind_index import normalise_key

    name = normalise_key(key)
    index = vault.index(_SETTINGS_DOMAIN, name)
    row = vault.db.execute("SELECT id FROM settings WHERE key_index = ?", [index]).fetchone()
    setting_id = row[0] if row else next_id(vault.db, "settings")
    w = RowWriter(vault, vault.keys.data, "settings", setting_id)
    vault.db.execute(
        "INSERT INTO settings (id, key_index, key, value, updated) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET key = excluded.key, value = excluded.value,"
        " updated = excluded.updated",
        [setting_id, index, w.seal("key", name), w.seal("value", value), vault.now_iso()],
    )


# --- grant censuses -------------------------------------------------------------------------------------


class GrantCensusRepository(Repository):
    def record(self, census: Census, scope: str | None = None) -> int:
        """Seal a census (`scope`: None for the whole office, or the one NIP re-checked); keeps the
        newest CENSUS_KEEP."""
        with self._sessions._writing() as vault:
            row_id = next_id(vault.db, "grant_censuses")
            data = {"scope": scope, "grants": [g.to_json() for g in census.grants.values()]}
            sealed = RowWriter(vault, vault.keys.data, "grant_censuses", row_id).seal("data", data)
            vault.db.execute(
                "INSERT INTO grant_censuses (id, taken_at, data) VALUES (?, ?, ?)",
                [row_id, to_iso(census.taken_at), sealed],
            )
            vault.db.execute(
                "DELETE FROM grant_censuses WHERE id NOT IN"
                " (SELECT id FROM grant_censuses ORDER BY taken_at DESC, id DESC LIMIT ?)",
                [CENSUS_KEEP],
            )
            return row_id

    def latest(self, count: int = 2) -> list[Census]:
        """The newest `count` censuses, newest first. A damaged one is skipped (and listed as damage)."""
        with self._sessions._reading() as vault:
            return latest_censuses(vault, count)


def latest_censuses(vault: Vault, count: int) -> list[Census]:
    """The newest `count` intact censuses, newest first (the board reads them in its snapshot)."""
    rows = vault.db.execute(
        "SELECT id, taken_at, data FROM grant_censuses ORDER BY taken_at DESC, id DESC LIMIT ?",
        [count + 5],
    ).fetchall()
    out = []
    for row_id, taken_at, blob in rows:
        r = RowReader(vault, vault.keys.data, "grant_censuses", row_id)
        data = r.get("data", blob, None)
        if not isinstance(data, dict) or r.damaged:
            continue
        grants = [OfficeGrant.from_json(g) for g in data.get("grants") or [] if isinstance(g, dict)]
        taken = from_iso(taken_at)
        assert taken is not None
        out.append(Census(taken, {g.nip: g for g in grants}))
        if len(out) == count:
            break
    return out


# --- each client's office state --------------------------------------------------------------------------


class ClientOfficeStateRepository(Repository):
    def get(self, client_id: int) -> ClientOfficeState:
        with self._sessions._reading() as vault:
            return load_states(vault, client_id).get(client_id) or ClientOfficeState(client_id)

    def all(self) -> dict[int, ClientOfficeState]:
        with self._sessions._reading() as vault:
            return load_states(vault, None)

    def set_grant_requested(self, client_id: int, day: date | None) -> None:
        self._change(client_id, lambda s: dataclasses.replace(s, grant_requested=day))

    def record_probe(self, client_id: int, probe: Probe) -> None:
        self._change(client_id, lambda s: dataclasses.replace(s, probe=probe))

    def _change(self, client_id: int, change: Any) -> None:
        with self._sessions._writing() as vault:
            key = vault.require_client_key(client_id)
            current = load_states(vault, client_id).get(client_id) or ClientOfficeState(client_id)
            if current.damaged:  # start over rather than seal a placeholder as genuine
                current = ClientOfficeState(client_id)
            state = change(current)
            sealed = RowWriter(vault, key, "client_office_state", client_id).seal("data", state.to_json())
            vault.db.execute(
                "INSERT INTO client_office_state (client_id, updated, data) VALUES (?, ?, ?)"
                " ON CONFLICT (client_id) DO UPDATE SET updated = excluded.updated, data = excluded.data",
                [client_id, vault.now_iso(), sealed],
            )


def load_states(vault: Vault, client_id: int | None) -> dict[int, ClientOfficeState]:
    scope, params = vault.scope()
    where = f" WHERE {scope}" if client_id is None else f" WHERE {scope} AND client_id = ?"
    params = params if client_id is None else [*params, client_id]
    out: dict[int, ClientOfficeState] = {}
    for cid, blob in vault.db.execute("SELECT client_id, data FROM client_office_state" + where, params):
        r = RowReader(vault, vault.client_key(cid), "client_office_state", cid)
        data = r.get("data", blob, None)
        if isinstance(data, dict):
            out[cid] = ClientOfficeState.from_json(cid, data)
        else:
            out[cid] = ClientOfficeState(cid, damaged=frozenset(r.damaged or ["data"]))
    return out

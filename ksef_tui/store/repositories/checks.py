"""Live checks (authenticate + read permissions): when and the outcome in plaintext, the rest sealed."""

from __future__ import annotations

import dataclasses
from typing import Any

from ksef_tui.core.models import CheckOutcome, LiveCheck
from ksef_tui.store.database import next_id
from ksef_tui.store.repositories.base import Repository
from ksef_tui.store.vault import RowReader, RowWriter, Vault, from_iso, to_iso

# The verdict on each credential: its newest *conclusive* check, else (never reached KSeF) its newest one.
# A check that could not reach KSeF says nothing about the credential, so it never hides an earlier
# verdict: a revoked token checked during an outage stays red, a good one stays green (issue 8 item 3).
_LATEST = """
    SELECT id, client_id, credential_id, checked_at, outcome, permissions, token_status, ksef_code, message
    FROM (
        SELECT *, row_number() OVER (
            PARTITION BY credential_id ORDER BY outcome = 'error', checked_at DESC, id DESC
        ) AS rn
        FROM live_checks WHERE credential_id IS NOT NULL {extra}
    ) WHERE rn = 1
"""


class ChecksRepository(Repository):
    def record(self, check: LiveCheck) -> LiveCheck:
        with self._sessions._writing() as vault:
            key = vault.require_client_key(check.client_id)
            check_id = next_id(vault.db, "live_checks")
            w = RowWriter(vault, key, "live_checks", check_id)
            vault.db.execute(
                "INSERT INTO live_checks (id, client_id, credential_id, checked_at, outcome, permissions,"
                " token_status, ksef_code, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    check_id,
                    check.client_id,
                    check.credential_id,
                    to_iso(check.checked_at),
                    CheckOutcome(check.outcome).value,
                    w.seal("permissions", sorted(check.permissions)),
                    w.seal("token_status", check.token_status),
                    w.seal("ksef_code", check.ksef_code),
                    w.seal("message", check.message),
                ],
            )
            return dataclasses.replace(check, id=check_id)

    def latest(self, client_id: int) -> dict[int, LiveCheck]:
        """Credential id -> its verdict: the newest conclusive check, else the newest (see _LATEST).
        Checks recorded without a credential are not included; `history` has every check."""
        with self._sessions._reading() as vault:
            return latest_checks(vault, client_id).get(client_id, {})

    def latest_all(self) -> dict[int, dict[int, LiveCheck]]:
        """Client id -> credential id -> verdict (as `latest`)."""
        with self._sessions._reading() as vault:
            return latest_checks(vault, None)

    def history(self, credential_id: int, limit: int = 50) -> list[LiveCheck]:
        """A credential's checks, newest first (for the client screen)."""
        with self._sessions._reading() as vault:
            rows = vault.db.execute(
                "SELECT id, client_id, credential_id, checked_at, outcome, permissions, token_status,"
                " ksef_code, message FROM live_checks WHERE credential_id = ?"
                " ORDER BY checked_at DESC, id DESC LIMIT ?",
                [credential_id, limit],
            ).fetchall()
            return [_check(vault, row) for row in rows]


def latest_checks(vault: Vault, client_id: int | None) -> dict[int, dict[int, LiveCheck]]:
    extra, params = ("", []) if client_id is None else ("AND client_id = ?", [client_id])
    scope, scope_params = vault.scope()
    extra, params = f"{extra} AND {scope}", [*params, *scope_params]
    result: dict[int, dict[int, LiveCheck]] = {}
    for row in vault.db.execute(_LATEST.format(extra=extra), params).fetchall():
        check = _check(vault, row)
        assert check.credential_id is not None
        result.setdefault(check.client_id, {})[check.credential_id] = check
    return result


def _check(vault: Vault, row: Any) -> LiveCheck:
    check_id, client_id, credential_id, checked_at, outcome = row[:5]
    r = RowReader(vault, vault.client_key(client_id), "live_checks", check_id)
    check = LiveCheck(
        client_id=client_id,
        checked_at=from_iso(checked_at),  # type: ignore[arg-type]  # NOT NULL in the schema
        outcome=r.enum("outcome", CheckOutcome, outcome, CheckOutcome.ERROR),
        credential_id=credential_id,
        permissions=r.strings("permissions", row[5]),
        token_status=r.optional_text("token_status", row[6]),
        ksef_code=r.optional_int("ksef_code", row[7]),
        message=r.text("message", row[8]),
        id=check_id,
    )
    check.damaged = frozenset(r.damaged)
    return check

"""Damaged credentials are never used: what a login does with a client whose data the store could not
authenticate (docs/SECURITY.md "Failure is loud and local").

A credential with any damaged column, or a client whose NIP or environment is damaged, would send a
placeholder to KSeF (the literal `⚠ uszkodzone` as a token, or as the context NIP) and be recorded as
"credential refused". Instead it is skipped, and the skip is recorded in the audit trail with the result
`damaged`. No textual here.
"""

from __future__ import annotations

import asyncio

from ksef_tui.core.health import damaged_reason
from ksef_tui.core.models import Client, Credential
from ksef_tui.store import Store

DAMAGED_RESULT = "damaged"  # the audit trail's result for a login skipped because of damage


def login_damaged(client: Client, cred: Credential) -> bool:
    """True when logging in with `cred` for `client` would use a damaged value."""
    return client.login_damaged or bool(cred.damaged)


class DamagedCredentialError(Exception):
    """Every credential of the client that could be used is damaged in the store (or its NIP is)."""

    def __init__(self) -> None:
        super().__init__(damaged_reason())


async def record_skip(store: Store, client_id: int, action: str, cred: Credential | None) -> None:
    """Audit the skipped login (sealed under the office key when the client's own key is damaged)."""
    detail = cred.kind.value if cred is not None else ""
    await asyncio.to_thread(store.audit.append, client_id, action, DAMAGED_RESULT, detail)

"""The demo's session history, copied straight from the simulator's world into the store.

`prepare_demo` calls this so the Sessions screen is not empty on first open. It reads the world's records
(no HTTP, no login), in one write transaction per client, and leaves every session's UPO to be
downloaded: that is what the demo shows. The data is exactly what GET /sessions and
GET /sessions/{ref}/invoices would have returned to the credential the sync logs in with (see
`_login_view`), so every seeded session can be asked about with that credential (no 21173).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from ksef_tui.core.ksef_sessions import SessionInvoiceRecord, SessionRecord
from ksef_tui.core.models import CredentialKind
from ksef_tui.simulator import statuses
from ksef_tui.sync.sessions import USABLE, _credential_order


def _session(client_id: int, sess: Any, statuses: Any) -> SessionRecord:
    table = statuses.ONLINE_SESSION if sess.kind == "Online" else statuses.BATCH_SESSION
    code = (
        sess.final_status
        if sess.final_status is not None and sess.status_polls_after_close <= 0
        else sess.status_code
    )
    return SessionRecord(
        client_id=client_id,
        reference=sess.reference,
        kind=sess.kind,
        status_code=int(code),
        opened=sess.created,
        updated=sess.updated,
        status_description=table.get(code, ""),
        status_details=list(sess.status_details or []),
        valid_until=sess.valid_until,
        invoices_total=len(sess.invoices),
        invoices_accepted=len(sess.accepted),
        invoices_rejected=len(sess.failed),
        upo_pages=len(sess.upo_pages) or None,
    )


def _invoice(client_id: int, inv: Any, statuses: Any) -> SessionInvoiceRecord:
    return SessionInvoiceRecord(
        session_id=0,
        client_id=client_id,
        reference=inv.reference,
        status_code=int(inv.status_code),
        ordinal=inv.ordinal,
        invoice_number=inv.invoice_number,
        ksef_number=inv.ksef_number if inv.accepted else None,
        status_description=statuses.INVOICE.get(inv.status_code, ""),
        status_details=list(inv.status_details or []),
        extensions=dict(inv.status_extensions or {}),
        acquired=inv.acquisition_date if inv.accepted else None,
        stored=inv.permanent_storage_date if inv.accepted else None,
        invoicing_date=inv.invoicing_date,
        invoice_hash=inv.hash,
        file_name=inv.file_name,
        mode=inv.invoicing_mode if inv.accepted else None,
    )


def _certificate(world: Any, cred: Any) -> Any:
    if not cred.certificate_pem:
        return None
    return next((c for c in world.certificates.values() if c.certificate_pem == cred.certificate_pem), None)


def _works(world: Any, nip: str, cred: Any, now: datetime | None) -> tuple[str, frozenset[str]] | None:
    """(subject, permissions) if KSeF would let `cred` log in to `nip`'s context, else None
    (the simulator's rules: an active token of this context; a known, unrevoked, valid certificate)."""
    if cred.kind is CredentialKind.KSEF_TOKEN:
        token = world.token_by_text(cred.secret)
        if token is None or token.context_nip != nip or token.status != "Active" or not token.permissions:
            return None
        return f"Token:{token.reference}", frozenset(token.permissions)
    cert = _certificate(world, cred)
    if cert is None or cert.revoked:
        return None
    if now is not None and not cert.valid_from <= now <= cert.valid_to:
        return None
    grants = frozenset(g.permission for g in world.grants_for(cert.subject_nip, nip))
    return (f"Nip:{cert.subject_nip}", grants) if grants else None


def _once_worked(world: Any, nip: str, cred: Any, now: datetime | None) -> tuple[str, frozenset[str]] | None:
    """(subject, permissions) of a credential KSeF refuses now but accepted before (a revoked token, an
    expired or revoked certificate): what it listed then is still in the office's store. A pending or
    failed token, or a certificate not valid yet, never worked: None."""
    if cred.kind is CredentialKind.KSEF_TOKEN:
        token = world.token_by_text(cred.secret)
        if token is None or token.context_nip != nip or token.status not in ("Revoked", "Revoking"):
            return None
        return f"Token:{token.reference}", frozenset(token.permissions)
    cert = _certificate(world, cred)
    if cert is None or (now is not None and now < cert.valid_from):
        return None
    return f"Nip:{cert.subject_nip}", frozenset(g.permission for g in world.grants_for(cert.subject_nip, nip))


def _login_view(store: Any, world: Any, client: Any, nip: str, now: datetime | None) -> Callable[[Any], bool]:
    """Which of `nip`'s sessions the office's refresh would have listed (API-NOTES §8): the sync logs in
    with the client's usable credentials best first (`sync.sessions.client_context`); the first one KSeF
    accepts decides. With Introspection it lists every session of the context, else only the sessions
    that credential opened. When KSeF accepts none, what the first one listed while it still worked (a
    revoked token, an expired certificate) stays in the store: its UPOs fail at login, saying why, which
    is what the demo shows for those clients. A credential that never worked (pending or failed token)
    or no credential at all: nothing was ever listed."""
    # deferred: simulator.sessions brings Starlette, ~120 ms (python -X importtime, on top of
    # `ksef_tui.cli`, median of 5 runs) for every headless command; only seeding the demo needs it.
    from ksef_tui.simulator.sessions import LIST_PERMS

    creds = [
        c
        for c in store.credentials.for_client(client.id)
        if c.status in USABLE and c.secret and not c.damaged
    ]
    creds.sort(key=_credential_order)
    view = next((v for c in creds if (v := _works(world, nip, c, now)) is not None), None)
    if view is None and creds:
        view = _once_worked(world, nip, creds[0], now)
    if view is None or not view[1] & set(LIST_PERMS):
        return lambda _session: False
    subject, perms = view
    if perms & {"Introspection", "EnforcementOperations"}:
        return lambda _session: True
    return lambda session: session.opened_by == subject


def seed_sessions(store: Any, world: Any, now: datetime | None = None) -> int:
    """Copy the demo clients' sessions and invoices the office would have listed into the store; returns
    how many sessions. `now` judges certificate validity (None: validity dates are not checked)."""
    count = 0
    for client in store.clients.list():
        items = []
        # The sync logs in to the client's first NIP only (`client_context`); the other NIPs of a group
        # are other KSeF contexts, whose sessions that login cannot see.
        taxpayer = world.taxpayer(client.nip)
        if taxpayer is not None:
            visible = _login_view(store, world, client, client.nip, now)
            for sess in taxpayer.sessions:
                if not visible(sess):
                    continue
                items.append(
                    (
                        _session(client.id, sess, statuses),
                        [_invoice(client.id, i, statuses) for i in sess.invoices],
                    )
                )
        if items:
            store.ksef_sessions.store_sessions_with_invoices(items)
            count += len(items)
    return count

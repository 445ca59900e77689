"""The demo's session history, copied straight from the simulator's world into the store.

`prepare_demo` calls this so the Sessions screen is not empty on first open. It reads the world's records
(no HTTP, no login), in one write transaction per client, and leaves every session's UPO to be
downloaded: that is what the demo shows. The data is exactly what GET /sessions and
GET /sessions/{ref}/invoices would return for a context that holds Introspection.
"""

from __future__ import annotations

from typing import Any

from ksef_tui.core.ksef_sessions import SessionInvoiceRecord, SessionRecord


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


def _office_sees(world: Any, taxpayer: Any) -> Any:
    """What a refresh with the office's credentials would list for this taxpayer (API-NOTES §8):
    every session with Introspection, else only the sessions the office's own credentials opened."""
    subjects = {f"Token:{t.reference}" for t in taxpayer.tokens if t.held_by_office and t.status == "Active"}
    sees_all = any(
        "Introspection" in t.permissions for t in taxpayer.tokens if t.held_by_office and t.status == "Active"
    )
    for cert in taxpayer.certificates:
        subjects.add(f"Nip:{cert.subject_nip}")
        grants = world.grants_for(cert.subject_nip, taxpayer.nip)
        sees_all = sees_all or any(g.permission == "Introspection" for g in grants)
    return lambda session: sees_all or session.opened_by in subjects


def seed_sessions(store: Any, world: Any) -> int:
    """Copy every demo client's sessions and invoices into the store; returns how many sessions."""
    from ksef_tui.simulator import statuses

    count = 0
    for client in store.clients.list():
        items = []
        for nip in client.nips:
            taxpayer = world.taxpayer(nip)
            if taxpayer is None:
                continue
            visible = _office_sees(world, taxpayer)
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

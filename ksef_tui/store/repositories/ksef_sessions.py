"""KSeF session history: sessions and their invoices, sealed under the client's key.

Plaintext (docs/SECURITY.md): ids, dates, status codes, the session type, invoice counts and UPO
bookkeeping, so the list can be filtered and paged in SQL (`ORDER BY opened DESC LIMIT/OFFSET`) without
opening a single sealed value beyond the page shown. Session references and KSeF numbers are sealed and
found through blind indexes scoped to the client.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from ksef_tui.core.ksef_sessions import SessionFilter, SessionInvoiceRecord, SessionRecord
from ksef_tui.core.session_status import IN_PROGRESS_CODES, StatusGroup
from ksef_tui.store.database import next_id, read_snapshot
from ksef_tui.store.repositories.base import Repository
from ksef_tui.store.vault import RowReader, RowWriter, Vault, damaged_text, from_iso, refuse_damaged, to_iso

_SESSION_COLUMNS = (
    "id, client_id, kind, status_code, opened, updated, invoices_total, invoices_accepted,"
    " invoices_rejected, invoices_fetched, upo_pages, upo_saved, data"
)
_INVOICE_COLUMNS = "id, session_id, client_id, ordinal, status_code, acquired, stored, upo_saved, data"


def _ref_domain(client_id: int) -> str:
    return f"session_ref|{client_id}"


def _ksef_domain(client_id: int) -> str:
    return f"ksef_number|{client_id}"


def _where(flt: SessionFilter, vault: Vault) -> tuple[str, list[Any]]:
    scope, scope_params = vault.scope()  # an operator's store: the assigned clients' sessions only
    clauses: list[str] = [scope]
    params: list[Any] = list(scope_params)
    if flt.client_id is not None:
        clauses.append("client_id = ?")
        params.append(flt.client_id)
    if flt.since is not None:
        clauses.append("opened >= ?")
        params.append(to_iso(flt.since))
    if flt.until is not None:
        clauses.append("opened <= ?")
        params.append(to_iso(flt.until))
    if flt.kind:
        clauses.append("kind = ?")
        params.append(flt.kind)
    progress = ",".join(str(c) for c in sorted(IN_PROGRESS_CODES))
    if flt.rejected_only:  # some invoices rejected, or the whole session failed (nothing accepted)
        clauses.append(f"(invoices_rejected > 0 OR status_code NOT IN ({progress}, 200, 440))")
    if flt.group is not None:
        clauses.append(
            {
                StatusGroup.IN_PROGRESS: f"status_code IN ({progress})",
                StatusGroup.SUCCEEDED: "status_code = 200",
                StatusGroup.CANCELLED: "status_code = 440",
                StatusGroup.FAILED: f"status_code NOT IN ({progress}, 200, 440)",
            }[flt.group]
        )
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


class KsefSessionsRepository(Repository):
    # -- writing ------------------------------------------------------------------------------------

    def upsert(self, records: Iterable[SessionRecord]) -> list[int]:
        """Insert or update sessions (matched by client and reference) in one transaction; returns ids.
        UPO bookkeeping and the invoices of an existing row are kept."""
        ids: list[int] = []
        with self._sessions._writing() as vault:
            for record in records:
                ids.append(_upsert_session(vault, record))
        return ids

    def replace_invoices(self, session_id: int, invoices: Iterable[SessionInvoiceRecord]) -> None:
        """The session's invoice list as KSeF gave it now (UPO flags of invoices kept by KSeF number)."""
        with self._sessions._writing() as vault:
            _replace_invoices(vault, session_id, list(invoices))

    def store_sessions_with_invoices(
        self, items: Iterable[tuple[SessionRecord, list[SessionInvoiceRecord] | None]]
    ) -> None:
        """Bulk import (demo seed, refresh): sessions and, where given, their invoices; one transaction."""
        with self._sessions._writing() as vault:
            for record, invoices in items:
                session_id = _upsert_session(vault, record)
                if invoices is not None:
                    _replace_invoices(vault, session_id, invoices)

    def mark_upo(self, session_id: int, saved_pages: int, pages: int | None) -> None:
        with self._sessions._writing() as vault:
            vault.db.execute(
                "UPDATE ksef_sessions SET upo_saved = ?, upo_pages = coalesce(?, upo_pages) WHERE id = ?",
                [saved_pages, pages, session_id],
            )

    def mark_invoice_upo(self, invoice_id: int) -> None:
        with self._sessions._writing() as vault:
            vault.db.execute("UPDATE ksef_session_invoices SET upo_saved = 1 WHERE id = ?", [invoice_id])

    def record_refresh(self, client_id: int, at: datetime, next_allowed: datetime) -> None:
        with self._sessions._writing() as vault:
            vault.db.execute(
                "INSERT INTO ksef_session_refresh (client_id, refreshed_at, next_allowed) VALUES (?, ?, ?)"
                " ON CONFLICT (client_id) DO UPDATE SET refreshed_at = excluded.refreshed_at,"
                " next_allowed = excluded.next_allowed",
                [client_id, to_iso(at), to_iso(next_allowed)],
            )

    # -- reading ------------------------------------------------------------------------------------

    def refresh_times(self, client_id: int) -> tuple[datetime | None, datetime | None]:
        """(last refresh, next refresh allowed) for one client."""
        with self._sessions._reading() as vault:
            row = vault.db.execute(
                "SELECT refreshed_at, next_allowed FROM ksef_session_refresh WHERE client_id = ?", [client_id]
            ).fetchone()
        return (from_iso(row[0]), from_iso(row[1])) if row else (None, None)

    def all_refresh_times(self) -> dict[int, tuple[datetime | None, datetime | None]]:
        with self._sessions._reading() as vault:
            scope, params = vault.scope()
            rows = vault.db.execute(
                f"SELECT client_id, refreshed_at, next_allowed FROM ksef_session_refresh WHERE {scope}",
                params,
            )
            return {r[0]: (from_iso(r[1]), from_iso(r[2])) for r in rows.fetchall()}

    def count(self, flt: SessionFilter) -> int:
        with self._sessions._reading() as vault:
            where, params = _where(flt, vault)
            return int(vault.db.execute(f"SELECT count(*) FROM ksef_sessions{where}", params).fetchone()[0])

    def page(self, flt: SessionFilter, offset: int = 0, limit: int = 100) -> list[SessionRecord]:
        """One page, newest first; only this page's sealed values are opened."""
        with self._sessions._reading() as vault:
            where, params = _where(flt, vault)
            rows = vault.db.execute(
                f"SELECT {_SESSION_COLUMNS} FROM ksef_sessions{where}"
                " ORDER BY opened DESC, id DESC LIMIT ? OFFSET ?",
                [*params, limit, offset],
            ).fetchall()
            return [_session(vault, row) for row in rows]

    def count_and_page(self, flt: SessionFilter, limit: int) -> tuple[int, list[SessionRecord]]:
        """The total and the first page in one read snapshot (what the screen paints first)."""
        with self._sessions._reading() as vault, read_snapshot(vault.db):
            where, params = _where(flt, vault)
            total = int(vault.db.execute(f"SELECT count(*) FROM ksef_sessions{where}", params).fetchone()[0])
            rows = vault.db.execute(
                f"SELECT {_SESSION_COLUMNS} FROM ksef_sessions{where} ORDER BY opened DESC, id DESC LIMIT ?",
                [*params, limit],
            ).fetchall()
            return total, [_session(vault, row) for row in rows]

    def get(self, session_id: int) -> SessionRecord | None:
        with self._sessions._reading() as vault:
            row = vault.db.execute(
                f"SELECT {_SESSION_COLUMNS} FROM ksef_sessions WHERE id = ?", [session_id]
            ).fetchone()
            return _session(vault, row) if row else None

    def find(self, client_id: int, reference: str) -> SessionRecord | None:
        with self._sessions._reading() as vault:
            row = vault.db.execute(
                f"SELECT {_SESSION_COLUMNS} FROM ksef_sessions WHERE client_id = ? AND reference_index = ?",
                [client_id, vault.index(_ref_domain(client_id), reference.strip())],
            ).fetchone()
            return _session(vault, row) if row else None

    def missing_upo(
        self, client_id: int, since: datetime | None = None, until: datetime | None = None
    ) -> list[SessionRecord]:
        """Processed sessions with accepted invoices whose UPO (every page) is not yet in the store."""
        flt = SessionFilter(client_id=client_id, since=since, until=until, group=StatusGroup.SUCCEEDED)
        with self._sessions._reading() as vault:
            where, params = _where(flt, vault)
            rows = vault.db.execute(
                f"SELECT {_SESSION_COLUMNS} FROM ksef_sessions{where} AND invoices_accepted > 0"
                " AND (upo_saved = 0 OR (upo_pages IS NOT NULL AND upo_saved < upo_pages))"
                " ORDER BY opened, id",
                params,
            ).fetchall()
            return [_session(vault, row) for row in rows]

    def with_upo(
        self, client_id: int, since: datetime | None = None, until: datetime | None = None
    ) -> list[SessionRecord]:
        """Sessions whose UPO is complete in the store (for copying to another folder)."""
        flt = SessionFilter(client_id=client_id, since=since, until=until)
        with self._sessions._reading() as vault:
            where, params = _where(flt, vault)
            rows = vault.db.execute(
                f"SELECT {_SESSION_COLUMNS} FROM ksef_sessions{where} AND upo_saved > 0"
                " AND (upo_pages IS NULL OR upo_saved >= upo_pages) ORDER BY opened, id",
                params,
            ).fetchall()
            return [_session(vault, row) for row in rows]

    def invoices(self, session_id: int) -> list[SessionInvoiceRecord]:
        with self._sessions._reading() as vault:
            rows = vault.db.execute(
                f"SELECT {_INVOICE_COLUMNS} FROM ksef_session_invoices WHERE session_id = ?"
                " ORDER BY ordinal, id",
                [session_id],
            ).fetchall()
            return [_invoice(vault, row) for row in rows]

    def find_invoice(self, client_id: int, ksef_number: str) -> SessionInvoiceRecord | None:
        with self._sessions._reading() as vault:
            row = vault.db.execute(
                f"SELECT {_INVOICE_COLUMNS} FROM ksef_session_invoices"
                " WHERE client_id = ? AND ksef_number_index = ? ORDER BY id LIMIT 1",
                [client_id, vault.index(_ksef_domain(client_id), ksef_number.strip())],
            ).fetchone()
            return _invoice(vault, row) if row else None


# -- rows ------------------------------------------------------------------------------------------


def _upsert_session(vault: Vault, record: SessionRecord) -> int:
    if record.damaged and record.id is not None:  # its reference and texts are placeholders
        refuse_damaged("ksef_sessions", record.id, frozenset({"data"}))
    key = vault.require_client_key(record.client_id)
    index = vault.index(_ref_domain(record.client_id), record.reference.strip())
    row = vault.db.execute(
        "SELECT id FROM ksef_sessions WHERE client_id = ? AND reference_index = ?", [record.client_id, index]
    ).fetchone()
    session_id = int(row[0]) if row else next_id(vault.db, "ksef_sessions")
    data = {
        "reference": record.reference,
        "description": record.status_description,
        "details": list(record.status_details),
        "valid_until": to_iso(record.valid_until),
    }
    sealed = RowWriter(vault, key, "ksef_sessions", session_id).seal("data", data)
    values = [
        record.kind,
        record.status_code,
        to_iso(record.opened),
        to_iso(record.updated),
        record.invoices_total,
        record.invoices_accepted,
        record.invoices_rejected,
        vault.now_iso(),
        sealed,
    ]
    if row:
        vault.db.execute(
            "UPDATE ksef_sessions SET kind = ?, status_code = ?, opened = ?, updated = ?, invoices_total = ?,"
            " invoices_accepted = ?, invoices_rejected = ?, fetched = ?, data = ? WHERE id = ?",
            [*values, session_id],
        )
        if record.upo_pages is not None:
            vault.db.execute(
                "UPDATE ksef_sessions SET upo_pages = ? WHERE id = ?", [record.upo_pages, session_id]
            )
    else:
        vault.db.execute(
            "INSERT INTO ksef_sessions (kind, status_code, opened, updated, invoices_total,"
            " invoices_accepted, invoices_rejected, fetched, data, id, client_id, reference_index,"
            " upo_pages, upo_saved)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
            [*values, session_id, record.client_id, index, record.upo_pages],
        )
    record.id = session_id
    return session_id


def _replace_invoices(vault: Vault, session_id: int, invoices: list[SessionInvoiceRecord]) -> None:
    row = vault.db.execute("SELECT client_id FROM ksef_sessions WHERE id = ?", [session_id]).fetchone()
    if row is None:
        return
    client_id = int(row[0])
    key = vault.require_client_key(client_id)
    had_upo = {
        bytes(r[0])
        for r in vault.db.execute(
            "SELECT ksef_number_index FROM ksef_session_invoices WHERE session_id = ? AND upo_saved = 1"
            " AND ksef_number_index IS NOT NULL",
            [session_id],
        ).fetchall()
    }
    vault.db.execute("DELETE FROM ksef_session_invoices WHERE session_id = ?", [session_id])
    for inv in invoices:
        inv_id = next_id(vault.db, "ksef_session_invoices")
        number_index = (
            vault.index(_ksef_domain(client_id), inv.ksef_number.strip()) if inv.ksef_number else None
        )
        data = {
            "reference": inv.reference,
            "invoice_number": inv.invoice_number,
            "ksef_number": inv.ksef_number,
            "description": inv.status_description,
            "details": list(inv.status_details),
            "extensions": dict(inv.extensions),
            "invoicing_date": to_iso(inv.invoicing_date),
            "hash": inv.invoice_hash,
            "file_name": inv.file_name,
            "mode": inv.mode,
        }
        vault.db.execute(
            "INSERT INTO ksef_session_invoices (id, session_id, client_id, ordinal, status_code,"
            " ksef_number_index, acquired, stored, upo_saved, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                inv_id,
                session_id,
                client_id,
                inv.ordinal,
                inv.status_code,
                number_index,
                to_iso(inv.acquired),
                to_iso(inv.stored),
                1 if (inv.upo_saved or (number_index is not None and number_index in had_upo)) else 0,
                RowWriter(vault, key, "ksef_session_invoices", inv_id).seal("data", data),
            ],
        )
        inv.id = inv_id
        inv.session_id = session_id
        inv.client_id = client_id
    vault.db.execute(
        "UPDATE ksef_sessions SET invoices_fetched = ? WHERE id = ?", [vault.now_iso(), session_id]
    )


def _session(vault: Vault, row: Any) -> SessionRecord:
    (sid, client_id, kind, code, opened, updated, total, accepted, rejected, fetched, pages, saved, blob) = (
        row
    )
    r = RowReader(vault, vault.client_key(client_id), "ksef_sessions", sid)
    data = r.get("data", blob, None)
    ok = isinstance(data, dict)
    data = data if ok else {}
    return SessionRecord(
        client_id=client_id,
        reference=str(data.get("reference") or damaged_text()),
        kind=kind,
        status_code=int(code),
        opened=from_iso(opened),  # type: ignore[arg-type]  # NOT NULL in the schema
        updated=from_iso(updated),
        status_description=str(data.get("description") or ""),
        status_details=[str(d) for d in data.get("details") or []],
        valid_until=from_iso(data.get("valid_until")),
        invoices_total=int(total),
        invoices_accepted=int(accepted),
        invoices_rejected=int(rejected),
        upo_pages=pages,
        upo_saved=int(saved),
        invoices_fetched=from_iso(fetched),
        id=sid,
        damaged=not ok,
    )


def _invoice(vault: Vault, row: Any) -> SessionInvoiceRecord:
    inv_id, session_id, client_id, ordinal, code, acquired, stored, upo_saved, blob = row
    r = RowReader(vault, vault.client_key(client_id), "ksef_session_invoices", inv_id)
    data = r.get("data", blob, None)
    ok = isinstance(data, dict)
    data = data if ok else {}
    return SessionInvoiceRecord(
        session_id=session_id,
        client_id=client_id,
        reference=str(data.get("reference") or (damaged_text() if not ok else "")),
        status_code=int(code),
        ordinal=ordinal,
        invoice_number=data.get("invoice_number"),
        ksef_number=data.get("ksef_number"),
        status_description=str(data.get("description") or ""),
        status_details=[str(d) for d in data.get("details") or []],
        extensions=dict(data.get("extensions") or {}),
        acquired=from_iso(acquired),
        stored=from_iso(stored),
        invoicing_date=from_iso(data.get("invoicing_date")),
        invoice_hash=data.get("hash"),
        file_name=data.get("file_name"),
        mode=data.get("mode"),
        upo_saved=bool(upo_saved),
        id=inv_id,
        damaged=not ok,
    )

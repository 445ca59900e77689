"""Purchase invoices (issue 12) and their sync state, sealed under the client's key.

`purchase_invoices`: one row per (client, KSeF number). Plaintext: ids, the subject type, the provisional
flag and the row's creation time (docs/SECURITY.md); every field of the record is sealed as one JSON value,
and the KSeF number is found through a blind index scoped to the client. The invoice's XML is a document
of kind "invoice" keyed by the KSeF number (the inspector reads it from there), sealed in the same
transaction as its record.

`purchase_sync`: one row per (client, subject type). Plaintext: the three timestamps that order the work;
the cursor, the pending export (with its AES key and IV), parked exports, the last error, the stalled
flag and the last reconciliation are sealed as one JSON value.

`commit_package` is the one write of a whole package: every invoice, every XML and the new sync state
commit together or not at all (PURCHASES.md A5 step 7: the cursor never moves past anything not yet
committed).
"""

from __future__ import annotations

import base64
import builtins
import hashlib
import types
import typing
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any

from ksef_tui.core.bookings import Booking
from ksef_tui.core.clock import WARSAW
from ksef_tui.core.i18n import _
from ksef_tui.core.purchases import (
    SUBJECTS,
    ExportPurpose,
    PendingExport,
    PurchaseRecord,
    PurchaseStatus,
    PurchaseSyncState,
    normalise_number,
)
from ksef_tui.store.database import next_id
from ksef_tui.store.errors import DamagedValue, DamagedValueError, StoreError
from ksef_tui.store.repositories.base import Repository
from ksef_tui.store.repositories.bookings import BOOKINGS, insert_drafts
from ksef_tui.store.repositories.documents import put_document
from ksef_tui.store.sealing import SecretKey
from ksef_tui.store.vault import RowReader, RowWriter, Vault, from_iso, refuse_damaged, to_iso

INVOICE_DOCUMENT = "invoice"  # the document kind the inspector reads (sync/invoices.py)
INVOICES = "purchase_invoices"
SYNC = "purchase_sync"


class PurchaseHashConflict(StoreError):
    """A package holds a KSeF number the store already has with different content. An alarm, never a
    silent overwrite (issue 12 item 2): the whole package is refused."""

    def __init__(self, ksef_number: str) -> None:
        self.ksef_number = ksef_number
        super().__init__(
            _(
                "KSeF number {number} is already stored with different content;"
                " nothing from this package was stored."
            ).format(number=ksef_number)
        )


class PurchaseContentMismatch(StoreError):
    """An invoice's XML does not have the SHA-256 its record claims (`invoice_hash`): the record and the
    bytes disagree, so neither is stored (the package layer checks this first; this is the last guard)."""

    def __init__(self, ksef_number: str) -> None:
        self.ksef_number = ksef_number
        super().__init__(
            _(
                "The XML of KSeF number {number} does not match its hash;"
                " nothing from this package was stored."
            ).format(number=ksef_number)
        )


@dataclass(frozen=True)
class PackageCommit:
    added: int  # invoices stored for the first time (a provisional row replaced counts here)
    known: int  # invoices the store already held with the same hash: nothing written
    drafted: int = 0  # bookings drafted for the invoices added (issue 13)


# One invoice of a package: its record and XML, optionally with the booking drafted from it (issue 13).
PackageItem = tuple[PurchaseRecord, bytes] | tuple[PurchaseRecord, bytes, Booking | None]


def _domain(client_id: int) -> str:
    return f"purchase|{client_id}"


def _sync_row(client_id: int, subject: str) -> str:
    """The row id bound into the sealed state's associated data (`purchase_sync|7/Subject2|state`)."""
    return f"{client_id}/{subject}"


def _check_subject(subject: str) -> str:
    if subject not in SUBJECTS:
        raise ValueError(f"unknown KSeF subject type {subject!r}")
    return subject


def invoice_hash(xml: bytes) -> str:
    """KSeF's `invoiceHash`: base64 of the SHA-256 of the XML bytes."""
    return base64.b64encode(hashlib.sha256(xml).digest()).decode("ascii")


# -- the record as JSON -----------------------------------------------------------------------------
# Generic over PurchaseRecord's fields, so a field added to the core dataclass is kept without touching
# this file: Decimal as its exact string, date and datetime as ISO (the offset kept), enums by value.

_HINTS: dict[str, Any] = typing.get_type_hints(PurchaseRecord)


def _plain_type(hint: Any) -> Any:
    """`Decimal | None` -> Decimal; `str` -> str."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return args[0] if len(args) == 1 else None
    return hint


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):  # and datetime, a subclass: ISO with its offset as given
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def _decode(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    kind = _plain_type(hint)
    if kind is Decimal:
        return Decimal(value)
    if kind is datetime:
        return datetime.fromisoformat(value)
    if kind is date:
        return date.fromisoformat(value)
    if isinstance(kind, type) and issubclass(kind, Enum):
        return kind(value)
    return value


def record_to_json(record: PurchaseRecord) -> dict[str, Any]:
    return {f.name: _encode(getattr(record, f.name)) for f in fields(record)}


def record_from_json(client_id: int, data: Any) -> PurchaseRecord:
    """Raises ValueError (or TypeError) for a value that is not a record we wrote."""
    if not isinstance(data, dict):
        raise ValueError("not a record")
    values: dict[str, Any] = {}
    for f in fields(PurchaseRecord):
        if f.name in data:
            try:
                values[f.name] = _decode(_HINTS[f.name], data[f.name])
            except (InvalidOperation, TypeError) as exc:
                raise ValueError(f.name) from exc
    values["client_id"] = client_id  # the row's owner (the record is sealed under its key anyway)
    return PurchaseRecord(**values)


# -- the sync state as JSON -------------------------------------------------------------------------


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _moment(text: Any) -> datetime | None:
    return datetime.fromisoformat(text) if isinstance(text, str) and text else None


def _export_to_json(pending: PendingExport) -> dict[str, Any]:
    return {
        "reference": pending.reference,
        "key": _b64(pending.key),
        "iv": _b64(pending.iv),
        "window_from": _iso(pending.window_from),
        "window_to": _iso(pending.window_to),
        "created": _iso(pending.created),
        "purpose": pending.purpose.value,
    }


def _export_from_json(data: Any) -> PendingExport:
    if not isinstance(data, dict):
        raise ValueError("not an export")
    window_from, created = _moment(data["window_from"]), _moment(data["created"])
    if window_from is None or created is None:
        raise ValueError("export without dates")
    return PendingExport(
        reference=str(data["reference"]),
        key=base64.b64decode(data["key"], validate=True),
        iv=base64.b64decode(data["iv"], validate=True),
        window_from=window_from,
        window_to=_moment(data.get("window_to")),
        created=created,
        purpose=ExportPurpose(data.get("purpose", ExportPurpose.CURSOR.value)),
    )


def _state_to_json(state: PurchaseSyncState) -> dict[str, Any]:
    return {
        "cursor": _iso(state.cursor),
        "pending": _export_to_json(state.pending) if state.pending is not None else None,
        "parked": [_export_to_json(p) for p in state.parked],
        "last_error": state.last_error,
        "stalled": state.stalled,
        "last_reconciled": _iso(state.last_reconciled),
        "started_from": _iso(state.started_from),
    }


def _state_from_json(data: Any) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise ValueError("not a sync state")
    pending = data.get("pending")
    return {
        "cursor": _moment(data.get("cursor")),
        "pending": _export_from_json(pending) if pending is not None else None,
        "parked": tuple(_export_from_json(p) for p in data.get("parked", [])),
        "last_error": str(data.get("last_error", "")),
        "stalled": bool(data.get("stalled", False)),
        "last_reconciled": _moment(data.get("last_reconciled")),
        "started_from": _moment(data.get("started_from")),
    }


# -- the repository ---------------------------------------------------------------------------------


class PurchasesRepository(Repository):
    # -- sync state ------------------------------------------------------------------------------

    def state(self, client_id: int, subject: str) -> PurchaseSyncState | None:
        with self._sessions._reading() as vault:
            return _load_states(vault, client_id, subject).get((client_id, subject))

    def states(self) -> dict[tuple[int, str], PurchaseSyncState]:
        with self._sessions._reading() as vault:
            return _load_states(vault, None, None)

    def save_state(self, state: PurchaseSyncState) -> None:
        """Refused (DamagedOverwrite) for a state read with its sealed column damaged: its placeholders
        (no cursor, no pending export) must never be sealed as if they were real."""
        refuse_damaged(SYNC, _sync_row(state.client_id, state.subject), state.damaged)
        with self._sessions._writing() as vault:
            _save_state(vault, state)

    # -- invoices --------------------------------------------------------------------------------

    def commit_package(
        self,
        client_id: int,
        invoices: Iterable[PackageItem],
        state: PurchaseSyncState | None,
    ) -> PackageCommit:
        """Store a package's invoices and XML, then `state`, in ONE write transaction.

        An item may carry a third element, the booking drafted from the invoice (issue 13): it is stored
        in the same transaction when the invoice is added (not for one already known, and never over a
        booking the number already has).

        `invoices` is consumed inside the transaction, one at a time (it may be a generator unpacking a
        streamed package; nothing is collected). Whatever it raises rolls everything back and propagates
        unchanged. A KSeF number already stored with the same `invoice_hash` is counted `known` and not
        written; with a different one, PurchaseHashConflict and nothing is stored. A provisional row of
        the same number is replaced. The write lock is held while `invoices` is consumed: it should
        unpack and parse, not wait on the network."""
        if state is not None:
            if state.client_id != client_id:
                raise ValueError("the sync state belongs to another client")
            refuse_damaged(SYNC, _sync_row(state.client_id, state.subject), state.damaged)
        added = known = 0
        drafts: list[Booking] = []
        with self._sessions._writing() as vault:
            key = vault.require_client_key(client_id)
            for item in invoices:
                record, xml = item[0], item[1]
                draft = item[2] if len(item) > 2 else None
                if record.client_id != client_id:
                    raise ValueError("an invoice of another client in the package")
                if record.status is PurchaseStatus.PROVISIONAL:
                    raise ValueError("a provisional record cannot carry XML")
                number = normalise_number(record.ksef_number)
                if invoice_hash(xml) != record.invoice_hash:
                    raise PurchaseContentMismatch(number)
                record = replace(record, ksef_number=number)
                index = vault.index(_domain(client_id), number)
                row = vault.db.execute(
                    f"SELECT id, provisional, record FROM {INVOICES}"
                    " WHERE client_id = ? AND number_index = ?",
                    [client_id, index],
                ).fetchone()
                if row is not None and not row[1]:
                    stored = _open_record(vault, key, client_id, row[0], row[2])
                    if stored.invoice_hash != record.invoice_hash:
                        raise PurchaseHashConflict(number)
                    known += 1
                    continue
                _write_record(vault, key, record, index, provisional=False, row_id=row[0] if row else None)
                put_document(vault, client_id, INVOICE_DOCUMENT, number, xml, {"sha256": record.invoice_hash})
                added += 1
                if draft is not None:
                    if draft.client_id != client_id or normalise_number(draft.ksef_number) != number:
                        raise ValueError("a booking drafted for another invoice")
                    drafts.append(draft)
            drafted = insert_drafts(vault, drafts) if drafts else 0
            if state is not None:
                _save_state(vault, state)
        return PackageCommit(added=added, known=known, drafted=drafted)

    def replace_provisional(self, client_id: int, records: Sequence[PurchaseRecord]) -> int:
        """Drop this client's provisional rows and keep these instead ("what's new right now"), skipping
        numbers already stored (their XML is here already). Returns how many provisional rows now exist."""
        with self._sessions._writing() as vault:
            key = vault.require_client_key(client_id)
            vault.db.execute(f"DELETE FROM {INVOICES} WHERE client_id = ? AND provisional = 1", [client_id])
            count = 0
            for record in records:
                if record.client_id != client_id:
                    raise ValueError("a record of another client")
                number = normalise_number(record.ksef_number)
                index = vault.index(_domain(client_id), number)
                exists = vault.db.execute(
                    f"SELECT 1 FROM {INVOICES} WHERE client_id = ? AND number_index = ?", [client_id, index]
                ).fetchone()
                if exists is not None:
                    continue  # stored already, or twice in `records`
                provisional = replace(record, ksef_number=number, status=PurchaseStatus.PROVISIONAL)
                _write_record(vault, key, provisional, index, provisional=True, row_id=None)
                count += 1
            return count

    def list(
        self, client_ids: Sequence[int] | None = None, since: date | None = None
    ) -> builtins.list[PurchaseRecord]:
        """Stored and provisional records of these clients (None: every client), newest acquisition date
        first; `since` keeps those received (acquisition date, Polish time) on or after that day. Damaged
        rows are left out and recorded in `store.damaged`."""
        with self._sessions._reading() as vault:
            query = f"SELECT id, client_id, subject, record FROM {INVOICES}"
            params: list[Any] = []
            client_ids = vault.visible(client_ids)
            if client_ids is not None:
                wanted = sorted(set(client_ids))
                if not wanted:
                    return []
                query += f" WHERE client_id IN ({','.join('?' * len(wanted))})"
                params = list(wanted)
            found: list[PurchaseRecord] = []
            for row_id, client_id, subject, sealed in vault.db.execute(query, params).fetchall():
                record = _read_record(vault, client_id, row_id, sealed, subject)
                if record is None:
                    continue
                if since is not None and (
                    record.acquisition_date is None or _warsaw_day(record.acquisition_date) < since
                ):
                    continue
                found.append(record)
        found.sort(key=_newest_first)
        return found

    def unbooked(self, client_ids: Sequence[int] | None = None) -> builtins.list[PurchaseRecord]:
        """Stored (not provisional) purchase invoices without a booking: stores synced before bookings
        existed, or invoices whose draft failed. Damaged records are left out and recorded."""
        with self._sessions._reading() as vault:
            query = (
                f"SELECT p.id, p.client_id, p.record FROM {INVOICES} p WHERE p.provisional = 0"
                f" AND NOT EXISTS (SELECT 1 FROM {BOOKINGS} b"
                " WHERE b.client_id = p.client_id AND b.number_index = p.number_index)"
            )
            params: list[Any] = []
            client_ids = vault.visible(client_ids)
            if client_ids is not None:
                wanted = sorted(set(client_ids))
                if not wanted:
                    return []
                query += f" AND p.client_id IN ({','.join('?' * len(wanted))})"
                params = wanted
            found: list[PurchaseRecord] = []
            for row_id, client_id, sealed in vault.db.execute(query + " ORDER BY p.id", params).fetchall():
                reader = RowReader(vault, vault.client_key(client_id), INVOICES, row_id)
                data = reader.get("record", sealed, None)
                if reader.damaged:
                    continue
                try:
                    found.append(record_from_json(client_id, data))
                except (ValueError, TypeError, KeyError):
                    vault.damage.record(DamagedValue(INVOICES, row_id, "record"))
            return found

    def numbers(self, client_id: int) -> set[str]:
        """KSeF numbers stored for this client (provisional ones not included). A damaged row is left
        out and recorded; a commit of its number then refuses (DamagedValueError), never overwrites."""
        with self._sessions._reading() as vault:
            rows = vault.db.execute(
                f"SELECT id, subject, record FROM {INVOICES} WHERE client_id = ? AND provisional = 0",
                [client_id],
            ).fetchall()
            numbers = set()
            for row_id, subject, sealed in rows:
                record = _read_record(vault, client_id, row_id, sealed, subject)
                if record is not None:
                    numbers.add(record.ksef_number)
            return numbers

    def counts(self) -> dict[int, int]:
        """Stored (not provisional) invoices per client; clients with none are absent."""
        with self._sessions._reading() as vault:
            rows = vault.db.execute(
                f"SELECT client_id, count(*) FROM {INVOICES} WHERE provisional = 0 GROUP BY client_id"
            ).fetchall()
            return {int(client_id): int(n) for client_id, n in rows}

    def get(self, client_id: int, ksef_number: str) -> PurchaseRecord | None:
        """The record (stored or provisional), None when absent; DamagedValueError when present but
        damaged."""
        with self._sessions._reading() as vault:
            index = vault.index(_domain(client_id), normalise_number(ksef_number))
            row = vault.db.execute(
                f"SELECT id, record FROM {INVOICES} WHERE client_id = ? AND number_index = ?",
                [client_id, index],
            ).fetchone()
            if row is None:
                return None
            return _open_record(vault, vault.client_key(client_id), client_id, row[0], row[1])


def _warsaw_day(moment: datetime) -> date:
    return moment.astimezone(WARSAW).date() if moment.tzinfo is not None else moment.date()


def _newest_first(record: PurchaseRecord) -> tuple[int, float, float, str]:
    def stamp(moment: datetime | None) -> float:
        return -moment.timestamp() if moment is not None else 0.0

    return (
        record.acquisition_date is None,  # records without a receipt date last
        stamp(record.acquisition_date),
        stamp(record.permanent_storage_date),
        record.ksef_number,
    )


def _write_record(
    vault: Vault,
    key: SecretKey,
    record: PurchaseRecord,
    index: bytes,
    *,
    provisional: bool,
    row_id: int | None,
) -> None:
    subject = _check_subject(record.subject)
    if row_id is None:
        new_id = next_id(vault.db, INVOICES)
        sealed = RowWriter(vault, key, INVOICES, new_id).seal("record", record_to_json(record))
        vault.db.execute(
            f"INSERT INTO {INVOICES} (id, client_id, subject, number_index, record, provisional, created)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [new_id, record.client_id, subject, index, sealed, int(provisional), vault.now_iso()],
        )
    else:  # a provisional row becomes the stored one: same row, sealed again
        sealed = RowWriter(vault, key, INVOICES, row_id).seal("record", record_to_json(record))
        vault.db.execute(
            f"UPDATE {INVOICES} SET subject = ?, record = ?, provisional = ?, created = ? WHERE id = ?",
            [subject, sealed, int(provisional), vault.now_iso(), row_id],
        )


def _read_record(
    vault: Vault, client_id: int, row_id: int, sealed: bytes, subject: str
) -> PurchaseRecord | None:
    """The record, or None with the damage recorded (sealed value, or a plaintext subject that does not
    match the sealed one: the file was edited)."""
    reader = RowReader(vault, vault.client_key(client_id), INVOICES, row_id)
    data = reader.get("record", sealed, None)
    if reader.damaged:
        return None
    try:
        record = record_from_json(client_id, data)
    except (ValueError, TypeError, KeyError):
        vault.damage.record(DamagedValue(INVOICES, row_id, "record"))
        return None
    if record.subject != subject:
        vault.damage.record(DamagedValue(INVOICES, row_id, "subject"))
        return None
    return record


def _open_record(
    vault: Vault, key: SecretKey | None, client_id: int, row_id: int, sealed: bytes
) -> PurchaseRecord:
    """For callers that cannot go on without the value: damage raises (recorded)."""
    reader = RowReader(vault, key, INVOICES, row_id)
    data = reader.get("record", sealed, None)
    damaged = DamagedValue(INVOICES, row_id, "record")
    if reader.damaged:
        raise DamagedValueError(damaged)
    try:
        return record_from_json(client_id, data)
    except (ValueError, TypeError, KeyError):
        vault.damage.record(damaged)
        raise DamagedValueError(damaged) from None


def _save_state(vault: Vault, state: PurchaseSyncState) -> None:
    subject = _check_subject(state.subject)
    key = vault.require_client_key(state.client_id)
    sealed = RowWriter(vault, key, SYNC, _sync_row(state.client_id, subject)).seal(
        "state", _state_to_json(state)
    )
    vault.db.execute(
        f"INSERT INTO {SYNC} (client_id, subject, state, last_attempt, last_success, blocked_until)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (client_id, subject) DO UPDATE SET state = excluded.state,"
        " last_attempt = excluded.last_attempt, last_success = excluded.last_success,"
        " blocked_until = excluded.blocked_until",
        [
            state.client_id,
            subject,
            sealed,
            to_iso(state.last_attempt),
            to_iso(state.last_success),
            to_iso(state.blocked_until),
        ],
    )


def _load_states(
    vault: Vault, client_id: int | None, subject: str | None
) -> dict[tuple[int, str], PurchaseSyncState]:
    query = f"SELECT client_id, subject, state, last_attempt, last_success, blocked_until FROM {SYNC}"
    scope, params = vault.scope()
    query += f" WHERE {scope}"
    if client_id is not None:
        query += " AND client_id = ? AND subject = ?"
        params = [*params, client_id, subject]
    result: dict[tuple[int, str], PurchaseSyncState] = {}
    for cid, subj, sealed, last_attempt, last_success, blocked_until in vault.db.execute(
        query, params
    ).fetchall():
        row = _sync_row(cid, subj)
        reader = RowReader(vault, vault.client_key(cid), SYNC, row)
        data = reader.get("state", sealed, None)
        sealed_fields: dict[str, Any] = {}
        if not reader.damaged:
            try:
                sealed_fields = _state_from_json(data)
            except (ValueError, TypeError, KeyError):
                vault.damage.record(DamagedValue(SYNC, row, "state"))
                reader.damaged.append("state")
        result[(cid, subj)] = PurchaseSyncState(
            client_id=cid,
            subject=subj,
            last_attempt=from_iso(last_attempt),
            last_success=from_iso(last_success),
            blocked_until=from_iso(blocked_until),
            damaged=frozenset(reader.damaged),
            **sealed_fields,
        )
    return result

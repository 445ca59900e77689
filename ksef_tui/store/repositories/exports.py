"""Export batches (issue 14) and each client's taxpayer profile, sealed.

`export_batches`: one row per export run of one client. Plaintext: the format, the period, the status
(done / undone) and when — what a list shows; the rest is sealed under the client's key: `data` (the batch
without its bookings: who, the period kind, the writer's context, files and SHA-256, warnings, folder)
and `bookings` (the snapshots exported, read only by `get`). The sealed status must agree with the
plaintext one (a mismatch is damage: the file was edited).

`record` writes in ONE transaction the batch, every booking moved to EXPORTED with `export_batch` set to
the batch's id, and the audit entries (one per booking, through the bookings repository's own step, and
one for the batch). `undo` puts every booking back into its snapshot and marks the batch undone, the same
way; it is refused while a newer batch of the client that is not undone holds any of its bookings.

The taxpayer profile (what JPK headers and EDI++ need beyond the client record) is a sealed setting per
client, like the client's booking dictionaries.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from ksef_tui.core.bookings import Booking, BookingStatus
from ksef_tui.core.export_batch import BatchStatus, ExportBatch
from ksef_tui.core.exports import ExportContext, TaxpayerProfile
from ksef_tui.core.i18n import _
from ksef_tui.core.purchases import normalise_number
from ksef_tui.store.database import next_id
from ksef_tui.store.errors import DamagedValue, DamagedValueError, NotFound, StoreError
from ksef_tui.store.repositories.base import Repository
from ksef_tui.store.repositories.bookings import (
    BOOKINGS,
    BookingChanged,
    _audit_many,
    _dump,
    _number_domain,
    _read_booking,
    _set_setting,
    _setting,
    _step,
    from_json,
    to_json,
)
from ksef_tui.store.vault import RowReader, RowWriter, Vault, to_iso

BATCHES = "export_batches"


def profile_key(client_id: int) -> str:
    return f"exports.profile.{client_id}"


class BatchUndoRefused(StoreError):
    """The batch cannot be undone (already undone, or a newer batch depends on it); nothing changed."""


def _current(vault: Vault, client_id: int, ksef_number: str) -> Booking | None:
    index = vault.index(_number_domain(client_id), normalise_number(ksef_number))
    row = vault.db.execute(
        f"SELECT id, client_id, status, queued_at, data FROM {BOOKINGS}"
        " WHERE client_id = ? AND number_index = ?",
        [client_id, index],
    ).fetchone()
    return None if row is None else _read_booking(vault, *row)


def _same(a: Booking, b: Booking) -> bool:
    return replace(a, id=None) == replace(b, id=None)


def _read(vault: Vault, row: Sequence[Any], *, with_bookings: bool) -> ExportBatch | None:
    """The batch of a row (id, client_id, status, data[, bookings]); None with the damage recorded."""
    row_id, client_id, status = row[0], row[1], row[2]
    reader = RowReader(vault, vault.client_key(client_id), BATCHES, row_id)
    data = reader.get("data", row[3], None)
    snapshots = reader.get("bookings", row[4], None) if with_bookings else []
    if reader.damaged:
        return None
    try:
        if not isinstance(data, dict) or not isinstance(snapshots, list):
            raise ValueError("not a batch")
        # The ids live in the row, not in the JSON (nested dataclasses included): given back here.
        rest = {k: v for k, v in data.items() if k != "context"}
        context = from_json(ExportContext, data.get("context"), client_id=client_id)
        bookings = tuple(from_json(Booking, b, client_id=client_id) for b in snapshots)
        batch: ExportBatch = from_json(
            ExportBatch, rest, id=row_id, client_id=client_id, context=context, bookings=bookings
        )
    except (ValueError, TypeError):
        vault.damage.record(DamagedValue(BATCHES, row_id, "data"))
        return None
    if batch.status.value != status:
        vault.damage.record(DamagedValue(BATCHES, row_id, "status"))
        return None
    return batch


def _write(vault: Vault, batch: ExportBatch, *, insert: bool) -> None:
    assert batch.id is not None
    key = vault.require_client_key(batch.client_id)
    w = RowWriter(vault, key, BATCHES, batch.id)
    data = w.seal("data", to_json(replace(batch, bookings=())))
    now = vault.now_iso()
    if insert:
        vault.db.execute(
            f"INSERT INTO {BATCHES} (id, client_id, format, period, status, created, updated, data, bookings)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                batch.id,
                batch.client_id,
                batch.format.value,
                batch.period,
                batch.status.value,
                to_iso(batch.created_at),
                now,
                data,
                w.seal("bookings", [to_json(b) for b in batch.bookings]),
            ],
        )
    else:
        vault.db.execute(
            f"UPDATE {BATCHES} SET status = ?, updated = ?, data = ? WHERE id = ?",
            [batch.status.value, now, data, batch.id],
        )


def _batch_detail(batch: ExportBatch, by: str, at: datetime) -> str:
    return _dump(
        {
            "batch": batch.id,
            "format": batch.format.value,
            "period": batch.period,
            "period_kind": batch.period_kind.value,
            "bookings": len(batch.bookings),
            "files": [f.name for f in batch.files],
            "folder": batch.folder,
            "by": by,
            "at": at.isoformat(),
        }
    )


class ExportsRepository(Repository):
    # -- batches ---------------------------------------------------------------------------------------

    def record(self, batch: ExportBatch) -> ExportBatch:
        """Record a written batch (no id yet) in ONE transaction: the batch row, every booking of
        `batch.bookings` moved from its snapshot to EXPORTED with `export_batch` = the new id, and the
        audit entries. Each booking must still equal its snapshot, else BookingChanged and nothing is
        written. Returns the batch with its id."""
        with self._sessions._writing() as vault:
            batch_id = next_id(vault.db, BATCHES)
            # Snapshots without row ids: the KSeF number is a booking's identity (as read back by `get`).
            snapshots = tuple(replace(b, id=None) for b in batch.bookings)
            batch = replace(
                batch, id=batch_id, status=BatchStatus.DONE, bookings=snapshots, booking_count=len(snapshots)
            )
            for snapshot in batch.bookings:
                if snapshot.client_id != batch.client_id:
                    raise ValueError("a batch holds one client's bookings")
                current = _current(vault, batch.client_id, snapshot.ksef_number)
                if current is None or not _same(current, snapshot):
                    raise BookingChanged(snapshot.ksef_number)
            after = [
                replace(b, status=BookingStatus.EXPORTED, export_batch=str(batch_id)) for b in batch.bookings
            ]
            _step(vault, batch.bookings, after, (), "export", batch.created_by, batch.created_at)
            _write(vault, batch, insert=True)
            detail = _batch_detail(batch, batch.created_by, batch.created_at)
            _audit_many(vault, [(batch.client_id, "export_batch.created", "ok", detail)])
            return batch

    def list(self, client_id: int | None = None) -> builtins.list[ExportBatch]:
        """Batches of a client (None: every client), newest first, WITHOUT their booking snapshots
        (`bookings` is empty; `get` has them). Damaged rows are left out and recorded."""
        with self._sessions._reading() as vault:
            scope, params = vault.scope()
            where = f" WHERE {scope}" if client_id is None else f" WHERE {scope} AND client_id = ?"
            params = params if client_id is None else [*params, client_id]
            rows = vault.db.execute(
                f"SELECT id, client_id, status, data FROM {BATCHES}{where} ORDER BY id DESC", params
            ).fetchall()
            found = []
            for row in rows:
                batch = _read(vault, (*row, b""), with_bookings=False)
                if batch is not None:
                    found.append(batch)
            return found

    def get(self, batch_id: int) -> ExportBatch:
        """The batch with its booking snapshots; NotFound, or DamagedValueError when damaged."""
        with self._sessions._reading() as vault:
            return _get(vault, batch_id)

    def undo(self, batch_id: int, by: str, at: datetime) -> ExportBatch:
        """Put every booking of the batch back into its snapshot and mark the batch undone, in ONE
        transaction, audited. Refused (BatchUndoRefused, nothing changed) when the batch is undone
        already or a newer batch of the client that is not undone holds any of its bookings; a booking
        no longer exported by this batch raises BookingChanged."""
        with self._sessions._writing() as vault:
            batch = _get(vault, batch_id)
            if batch.status is BatchStatus.UNDONE:
                raise BatchUndoRefused(_("Export batch {id} was already undone.").format(id=batch_id))
            mine = batch.ksef_numbers
            newer = vault.db.execute(
                f"SELECT id FROM {BATCHES} WHERE client_id = ? AND id > ? AND status = ? ORDER BY id",
                [batch.client_id, batch_id, BatchStatus.DONE.value],
            ).fetchall()
            for (newer_id,) in newer:
                if _get(vault, newer_id).ksef_numbers & mine:
                    raise BatchUndoRefused(
                        _(
                            "Export batch {id} cannot be undone: the newer batch {newer} exported some of "
                            "its bookings again. Undo batch {newer} first."
                        ).format(id=batch_id, newer=newer_id)
                    )
            current: list[Booking] = []
            for snapshot in batch.bookings:
                booking = _current(vault, batch.client_id, snapshot.ksef_number)
                if (
                    booking is None
                    or booking.status is not BookingStatus.EXPORTED
                    or booking.export_batch != str(batch_id)
                ):
                    raise BookingChanged(snapshot.ksef_number)
                current.append(booking)
            _step(vault, current, batch.bookings, (), "export_undo", by, at)
            undone = replace(batch, status=BatchStatus.UNDONE, undone_by=by, undone_at=at)
            _write(vault, undone, insert=False)
            detail = _batch_detail(undone, by, at)
            _audit_many(vault, [(batch.client_id, "export_batch.undone", "ok", detail)])
            return undone

    # -- the taxpayer profile --------------------------------------------------------------------------

    def profile(self, client_id: int) -> TaxpayerProfile:
        """The client's profile; an empty one (every field blank) when none was saved or it is damaged
        (recorded): the formats that need a field report it missing, nothing is invented."""
        value: TaxpayerProfile = _setting(self._sessions, profile_key(client_id), TaxpayerProfile)
        return value

    def set_profile(self, client_id: int, profile: TaxpayerProfile) -> None:
        with self._sessions._reading() as vault:
            if vault.db.execute("SELECT 1 FROM clients WHERE id = ?", [client_id]).fetchone() is None:
                raise NotFound(_("Client not found."))
        _set_setting(self._sessions, profile_key(client_id), to_json(profile))


def _get(vault: Vault, batch_id: int) -> ExportBatch:
    row = vault.db.execute(
        f"SELECT id, client_id, status, data, bookings FROM {BATCHES} WHERE id = ?", [batch_id]
    ).fetchone()
    if row is None:
        raise NotFound(_("Export batch {id} not found.").format(id=batch_id))
    batch = _read(vault, row, with_bookings=True)
    if batch is None:
        raise DamagedValueError(DamagedValue(BATCHES, batch_id, "data"))
    return batch

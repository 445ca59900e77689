"""An export batch (issue 14): one run of one format for one client and period, as the store records it.

The batch keeps what re-creating its files byte for byte needs — the writer's context and the booking
snapshots exactly as they were given to the writer — and the names and SHA-256 of the files written,
which a re-created file must match. Undoing a batch puts every booking back into its snapshot (APPROVED,
or EXPORTED by an earlier batch when it was exported `again`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ksef_tui.core.bookings import Booking
from ksef_tui.core.exports import ExportContext, ExportFormat, ExportWarning, PeriodKind


class BatchStatus(StrEnum):
    DONE = "done"
    UNDONE = "undone"


@dataclass(frozen=True)
class BatchFile:
    name: str
    sha256: str
    size: int


@dataclass(frozen=True)
class ExportBatch:
    client_id: int
    format: ExportFormat
    period: str  # "YYYY-MM"
    period_kind: PeriodKind
    created_at: datetime  # = context.created_at
    created_by: str
    context: ExportContext
    bookings: tuple[Booking, ...]  # the snapshots given to the writer, in export order
    files: tuple[BatchFile, ...]
    warnings: tuple[ExportWarning, ...] = ()
    folder: str = ""  # where the files were written
    again: bool = False  # EXPORTED bookings were exported again
    run_id: str = ""  # ties the batch to the journal file of its run (sync/exports.py)
    status: BatchStatus = BatchStatus.DONE
    undone_by: str = ""
    undone_at: datetime | None = None
    booking_count: int = 0  # len(bookings), kept so that a list (without the snapshots) can show it
    id: int | None = None

    @property
    def ksef_numbers(self) -> frozenset[str]:
        return frozenset(b.ksef_number.upper() for b in self.bookings)

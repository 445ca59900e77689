"""A client's past export batches (issue 14 item 5) in a line table, newest first: the batch number,
when (Warsaw time), by whom, the format, the period and its kind, how many bookings, done or undone, and
the folder. `batch_detail` says the rest of the selected one in full (the folder is cut at 80 columns).
No I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.text import Text

from ksef_tui.core.clock import WARSAW
from ksef_tui.core.export_batch import BatchStatus, ExportBatch
from ksef_tui.core.exports import ExportFormat, PeriodKind
from ksef_tui.core.i18n import N_, _, ngettext
from ksef_tui.ui.commands import bindings_for
from ksef_tui.widgets.line_table import Cell, Column, LineTable

WIDE = 110
FORMAT_SHORT: dict[ExportFormat, str] = {
    ExportFormat.BUNDLE: N_("bundle"),
    ExportFormat.EPP: "EDI++",
    ExportFormat.JPK_V7M: "JPK_V7M",
    ExportFormat.JPK_PKPIR: "JPK_PKPIR",
}
KIND_SHORT: dict[PeriodKind, str] = {PeriodKind.VAT: "VAT", PeriodKind.COST: N_("cost")}
STATUS_WORDS: dict[BatchStatus, str] = {BatchStatus.DONE: N_("written"), BatchStatus.UNDONE: N_("undone")}
STATUS_STYLE: dict[BatchStatus, str | None] = {BatchStatus.DONE: "green", BatchStatus.UNDONE: "dim"}


def when(batch: ExportBatch) -> str:
    return batch.created_at.astimezone(WARSAW).strftime("%Y-%m-%d %H:%M")


def format_words(fmt: ExportFormat) -> str:
    return _(FORMAT_SHORT.get(fmt, fmt.value))


def period_words(batch: ExportBatch) -> str:
    return f"{batch.period} {_(KIND_SHORT.get(batch.period_kind, batch.period_kind.value))}"


def batch_columns(width: int) -> list[Column]:
    wide = width >= WIDE
    return [
        Column("id", _("No."), 4),
        Column("when", _("Date"), 16),
        Column("by", _("Who"), 16 if wide else 10, drop=1),
        Column("format", _("Format"), 9),
        Column("period", _("Period"), 12),
        Column("count", _("Count"), 4),
        Column("status", _("Status"), 8),
        Column("folder", _("Folder"), 20 if wide else 10, drop=2),
    ]


def batch_detail(batch: ExportBatch) -> Text:
    """The selected batch in full: number, folder, files, who, and when it was undone."""
    text = Text()
    text.append(_("Batch {id}").format(id=batch.id), style="bold")
    text.append(
        " · "
        + ngettext("{n} booking", "{n} bookings", batch.booking_count).format(n=batch.booking_count)
        + " · "
        + ngettext("{n} file", "{n} files", len(batch.files)).format(n=len(batch.files))
        + " · "
        + _("by {who}").format(who=batch.created_by or "—")
    )
    if batch.again:
        text.append(" · " + _("exported again"), style="dim")
    text.append("\n" + _("Folder") + ": ")
    text.append(batch.folder or "—")
    if batch.status is BatchStatus.UNDONE:
        undone_at = batch.undone_at.astimezone(WARSAW).strftime("%Y-%m-%d %H:%M") if batch.undone_at else "—"
        text.append(
            "\n"
            + _("Undone {when} by {who}: its bookings are approved again.").format(
                when=undone_at, who=batch.undone_by or "—"
            ),
            style="dim",
        )
    return text


class ExportBatchTable(LineTable, inherit_bindings=False):
    # On the client screen the letters are commands (`k` imports a certificate, `d` removes a
    # credential): like the board's table, this one moves by arrows only (no vim j/k).
    SCOPE = "client_table"
    BINDINGS = bindings_for(SCOPE)
    DEFAULT_CSS = """
    ExportBatchTable { height: auto; max-height: 8; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.batches: list[ExportBatch] = []

    def show(self, batches: Sequence[ExportBatch], width: int) -> None:
        keep = self.selected()
        self.batches = list(batches)
        self.styles.height = min(len(self.batches), 7) + 1
        self.set_columns(batch_columns(width), width)
        index = min(self.cursor_row, max(0, len(self.batches) - 1))
        if keep is not None:
            index = next((i for i, b in enumerate(self.batches) if b.id == keep.id), index)
        self.move_cursor(index, force_message=True)

    @property
    def row_count(self) -> int:
        return len(self.batches)

    def row_cells(self, index: int) -> Mapping[str, Cell]:
        batch = self.batches[index]
        return {
            "id": (str(batch.id).rjust(4), None),
            "when": (when(batch), None),
            "by": (batch.created_by, None),
            "format": (format_words(batch.format), None),
            "period": (period_words(batch), None),
            "count": (str(batch.booking_count).rjust(4), None),
            "status": (_(STATUS_WORDS[batch.status]), STATUS_STYLE[batch.status]),
            "folder": (batch.folder, "dim"),
        }

    def selected(self) -> ExportBatch | None:
        if not self.batches or not 0 <= self.cursor_row < len(self.batches):
            return None
        return self.batches[self.cursor_row]

"""Tables of the Sessions and Session screens (line tables: only the rows on screen are drawn).

They receive records and show them; no I/O. Columns have fixed widths; on a narrow terminal the less
important ones (last update, type, UPO) are left out rather than cut.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from ksef_tui.core.clock import WARSAW
from ksef_tui.core.i18n import _
from ksef_tui.core.ksef_sessions import SessionInvoiceRecord, SessionRecord, short_reference
from ksef_tui.core.session_status import StatusGroup, invoice_text, session_text, status_group
from ksef_tui.widgets.line_table import Cell, Column, LineTable
from ksef_tui.widgets.tones import Tone

WIDE = 110

GROUP_TONE = {
    StatusGroup.SUCCEEDED: Tone.OK,
    StatusGroup.IN_PROGRESS: Tone.INFO,
    StatusGroup.CANCELLED: Tone.WARN,
    StatusGroup.FAILED: Tone.ALARM,
}
# In progress: a clock face, not "…", which reads as text cut short (issue 16 item 7).
IN_PROGRESS_GLYPH = "◷"
GROUP_GLYPH = {
    StatusGroup.SUCCEEDED: "✓",
    StatusGroup.IN_PROGRESS: IN_PROGRESS_GLYPH,
    StatusGroup.CANCELLED: "–",
    StatusGroup.FAILED: "✗",
}


def local(moment: datetime | None) -> datetime | None:
    return moment.astimezone(WARSAW) if moment is not None else None


def fmt_dt(moment: datetime | None, *, year: bool = False, seconds: bool = False) -> str:
    if moment is None:
        return "—"
    at = local(moment)
    assert at is not None
    pattern = "%d.%m.%Y %H:%M" if year else "%d.%m %H:%M"
    if seconds:
        pattern += ":%S"
    return at.strftime(pattern)


def fmt_update(opened: datetime, updated: datetime | None) -> str:
    """The last update: just the time when it is the same day as the opening."""
    if updated is None:
        return "—"
    a, b = local(opened), local(updated)
    assert a is not None and b is not None
    return b.strftime("%H:%M") if a.date() == b.date() else b.strftime("%d.%m %H:%M")


def kind_label(kind: str) -> str:
    return _("online") if kind == "Online" else _("batch")


def session_status_cell(record: SessionRecord) -> Cell:
    group = status_group(record.status_code)
    text = session_text(record.kind, record.status_code)
    return (f"{GROUP_GLYPH[group]} {text.label}", GROUP_TONE[group])


def counts_cell(record: SessionRecord) -> Cell:
    rejected = str(record.invoices_rejected)
    return (
        (f"{record.invoices_total}/{record.invoices_accepted}/", None),
        (rejected, Tone.ALARM if record.invoices_rejected else None),
    )


def upo_cell(record: SessionRecord) -> Cell:
    if record.upo_complete:
        return (_("saved"), Tone.OK)
    if record.expects_upo:
        return (_("to fetch"), Tone.WARN)
    return ("—", Tone.MUTED)


def session_columns(wide: bool, with_client: bool) -> list[Column]:
    """Left out first when short of width: the last update, then the type, then the UPO state."""
    columns = [Column("client", _("Client"), 12)] if with_client else []
    columns += [
        Column("opened", _("Opened"), 16 if wide else 11),
        Column("updated", _("Updated"), 11 if wide else 5, drop=3),
        Column("type", _("Type"), 9, drop=2),
        Column("reference", _("Reference"), 36 if wide else 15),
        Column("status", _("Status"), 24 if wide else 18),
        Column("counts", _("Inv."), 8 if wide else 7),
    ]
    if wide:
        columns.append(Column("upo", _("UPO"), 11, drop=1))
    return columns


class SessionTable(LineTable):
    """Sessions, newest first. Rows are appended page by page; the screen asks for more near the end."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.records: list[SessionRecord] = []
        self.client_codes: dict[int, str] = {}
        self._wide = False
        self._with_client = False

    def show(self, records: Sequence[SessionRecord], width: int, with_client: bool) -> None:
        """Replace the rows, keeping the cursor on the same session when it is still there."""
        keep = self.selected()
        self.records = list(records)
        self._with_client = with_client
        self.relayout(width)
        index = 0
        if keep is not None:
            index = next((i for i, r in enumerate(self.records) if r.id == keep.id), 0)
        self.move_cursor(index, force_message=True)

    def relayout(self, width: int) -> None:
        self._wide = width >= WIDE
        self.set_columns(session_columns(self._wide, self._with_client), width)

    def append(self, records: Sequence[SessionRecord]) -> None:
        self.records += records
        self._rows_changed()

    @property
    def row_count(self) -> int:
        return len(self.records)

    def row_cells(self, index: int) -> Mapping[str, Cell]:
        r = self.records[index]
        wide = self._wide
        return {
            "client": (self.client_codes.get(r.client_id, "?"), None),
            "opened": (fmt_dt(r.opened, year=wide), None),
            "updated": (fmt_dt(r.updated) if wide else fmt_update(r.opened, r.updated), None),
            "type": (kind_label(r.kind), None),
            "reference": (r.reference if wide else short_reference(r.reference, 15), None),
            "status": session_status_cell(r),
            "counts": counts_cell(r),
            "upo": upo_cell(r),
        }

    def selected(self) -> SessionRecord | None:
        if not self.records or self.cursor_row < 0 or self.cursor_row >= len(self.records):
            return None
        return self.records[self.cursor_row]


def invoice_columns(wide: bool) -> list[Column]:
    return [
        Column("ordinal", _("No."), 3),
        Column("number", _("Invoice number"), 18 if wide else 14),
        Column("ksef", _("KSeF number"), 35 if wide else 14),
        Column("status", _("Status"), 24 if wide else 17),
        Column("acquired", _("Number given"), 16 if wide else 11),
        Column("stored", _("Stored"), 11 if wide else 5),
    ]


class SessionInvoiceTable(LineTable):
    """The invoices of one session, in the order they were sent."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.invoices: list[SessionInvoiceRecord] = []
        self._wide = False

    def show(self, invoices: Sequence[SessionInvoiceRecord], width: int) -> None:
        """Replace the rows, keeping the cursor's position."""
        keep = self.cursor_row
        self.invoices = list(invoices)
        self.relayout(width)
        self.move_cursor(keep if 0 <= keep < len(self.invoices) else 0, force_message=True)

    def relayout(self, width: int) -> None:
        self._wide = width >= WIDE
        self.set_columns(invoice_columns(self._wide), width)

    @property
    def row_count(self) -> int:
        return len(self.invoices)

    def row_cells(self, index: int) -> Mapping[str, Cell]:
        inv = self.invoices[index]
        wide = self._wide
        text = invoice_text(inv.status_code)
        style = Tone.ALARM if inv.rejected else (Tone.OK if inv.status_code == 200 else Tone.INFO)
        glyph = "✗" if inv.rejected else ("✓" if inv.status_code == 200 else IN_PROGRESS_GLYPH)
        ksef = inv.ksef_number or "—"
        if wide:
            stored = fmt_update(inv.acquired, inv.stored) if inv.acquired else fmt_dt(inv.stored)
        else:
            at = local(inv.stored)
            stored = at.strftime("%H:%M") if at is not None else "—"
        return {
            "ordinal": (str(inv.ordinal or ""), None),
            "number": (inv.invoice_number or "—", None),
            "ksef": (ksef if wide or len(ksef) <= 14 else short_reference(ksef, 14), None),
            "status": (f"{glyph} {text.label}", style),
            "acquired": (fmt_dt(inv.acquired, year=wide), None),
            "stored": (stored, None),
        }

    def selected(self) -> SessionInvoiceRecord | None:
        if not self.invoices or self.cursor_row < 0 or self.cursor_row >= len(self.invoices):
            return None
        return self.invoices[self.cursor_row]

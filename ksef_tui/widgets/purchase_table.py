"""The purchase invoices of one client (a line table: only the rows on screen are drawn, so a client with
tens of thousands of invoices scrolls as fast as one with ten).

It receives records and shows them; no I/O. At 80 columns the issue date and the seller's NIP are left
out and the KSeF number is shortened to its tail (the part that differs); the detail line under the
table shows everything of the selected row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from ksef_tui.core.clock import WARSAW
from ksef_tui.core.i18n import _
from ksef_tui.core.ksef_sessions import short_reference
from ksef_tui.core.money_format import format_amount
from ksef_tui.core.purchases import PurchaseRecord, PurchaseStatus
from ksef_tui.widgets.line_table import Cell, Column, LineTable
from ksef_tui.widgets.tones import Tone

WIDE = 110  # from here: issue date, seller NIP, longer KSeF and invoice numbers
FULL = 150  # from here: the whole KSeF number

STATUS_TONE = {
    PurchaseStatus.STORED: Tone.OK,
    PurchaseStatus.WARNINGS: Tone.WARN,
    PurchaseStatus.PROVISIONAL: Tone.INFO,
}
STATUS_GLYPH = {
    PurchaseStatus.STORED: "✓",
    PurchaseStatus.WARNINGS: "!",
    PurchaseStatus.PROVISIONAL: "~",
}


def day(value: date | datetime | None, *, year: bool = True) -> str:
    if value is None:
        return "—"
    if isinstance(value, datetime):
        value = value.astimezone(WARSAW).date()
    return value.strftime("%d.%m.%Y" if year else "%d.%m.%y")


def purchase_columns(width: int) -> list[Column]:
    wide, full = width >= WIDE, width >= FULL
    columns = [Column("received", _("Received"), 10 if wide else 8)]
    if wide:
        columns.append(Column("issued", _("Issued"), 10, drop=2))
    columns += [
        Column("ksef", _("KSeF number"), 35 if full else 14 if wide else 11),
        Column("number", _("Invoice"), 18 if full else 16 if wide else 11),
        Column("gross", _("Gross"), 16 if wide else 13),
        Column("status", _("Status"), 11),
    ]
    if wide:
        columns.append(Column("nip", "NIP", 10, drop=1))
    columns.append(Column("seller", _("Seller"), 12))
    return columns


class PurchaseTable(LineTable):
    """Purchase invoices, in the order given (the screen sorts them newest first)."""

    def __init__(self, status_words: Callable[[PurchaseRecord], str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.records: list[PurchaseRecord] = []
        self._status_words = status_words
        self._layout_width = 0

    def show(self, records: Sequence[PurchaseRecord], width: int) -> None:
        """Replace the rows, keeping the cursor on the same invoice when it is still there."""
        keep = self.selected()
        self.records = list(records)
        self.relayout(width)
        index = 0
        if keep is not None:
            index = next((i for i, r in enumerate(self.records) if r.ksef_number == keep.ksef_number), 0)
        self.move_cursor(index, force_message=True)

    def relayout(self, width: int) -> None:
        self._layout_width = width
        self.set_columns(purchase_columns(width), width)

    @property
    def row_count(self) -> int:
        return len(self.records)

    def row_cells(self, index: int) -> Mapping[str, Cell]:
        r = self.records[index]
        width = self._layout_width
        wide, full = width >= WIDE, width >= FULL
        ksef_width = 35 if full else 14 if wide else 11
        gross_width = 16 if wide else 13
        style = STATUS_TONE[r.status]
        provisional = r.status is PurchaseStatus.PROVISIONAL
        text_style = "italic" if provisional else None
        return {
            "received": (day(r.acquisition_date, year=wide), text_style),
            "issued": (day(r.issue_date), text_style),
            "ksef": (short_reference(r.ksef_number, ksef_width), text_style),
            "number": (r.invoice_number or "—", text_style),
            "gross": (format_amount(r.gross, r.currency).rjust(gross_width), text_style),
            "status": (f"{STATUS_GLYPH[r.status]} {self._status_words(r)}", style),
            "nip": (r.seller_nip or "—", text_style),
            "seller": (r.seller_name or "—", text_style),
        }

    def selected(self) -> PurchaseRecord | None:
        if not self.records or not 0 <= self.cursor_row < len(self.records):
            return None
        return self.records[self.cursor_row]

"""Tables of the Sessions and Session screens. They receive records and show them; no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from rich.text import Text
from textual.widgets import DataTable

from ksef_tui.core.ksef_sessions import SessionInvoiceRecord, SessionRecord, short_reference
from ksef_tui.core.session_status import StatusGroup, invoice_text, session_text, status_group
from ksef_tui.i18n import _

WARSAW = ZoneInfo("Europe/Warsaw")  # KSeF's dates are shown in Polish time, whatever the server's zone
WIDE = 110

GROUP_STYLE = {
    StatusGroup.SUCCEEDED: "green",
    StatusGroup.IN_PROGRESS: "cyan",
    StatusGroup.CANCELLED: "yellow",
    StatusGroup.FAILED: "bold red",
}
GROUP_GLYPH = {
    StatusGroup.SUCCEEDED: "✓",
    StatusGroup.IN_PROGRESS: "…",
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


def session_status_cell(record: SessionRecord) -> Text:
    group = status_group(record.status_code)
    text = session_text(record.kind, record.status_code)
    return Text(f"{GROUP_GLYPH[group]} {text.label}", style=GROUP_STYLE[group])


def counts_cell(record: SessionRecord) -> Text:
    cell = Text(f"{record.invoices_total}/{record.invoices_accepted}/")
    cell.append(str(record.invoices_rejected), style="bold red" if record.invoices_rejected else "")
    return cell


def upo_cell(record: SessionRecord) -> Text:
    if record.upo_complete:
        return Text(_("saved"), style="green")
    if record.expects_upo:
        return Text(_("to fetch"), style="yellow")
    return Text("—", style="dim")


class SessionTable(DataTable[Text | str]):
    """Sessions, newest first. Rows are appended page by page; the screen asks for more near the end."""

    DEFAULT_CSS = """
    SessionTable { height: 1fr; }
    """

    def __init__(self, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self.records: list[SessionRecord] = []
        self._layout: tuple[bool, bool] | None = None
        self.client_codes: dict[int, str] = {}

    def show(self, records: Sequence[SessionRecord], width: int, with_client: bool) -> None:
        wide = width >= WIDE
        if (wide, with_client) != self._layout:
            self._columns(wide, with_client)
        self.clear()
        self.records = []
        self.append(records)

    def append(self, records: Sequence[SessionRecord]) -> None:
        assert self._layout is not None
        wide, with_client = self._layout
        self.records += records
        self.add_rows(self._row(r, wide, with_client) for r in records)

    def _columns(self, wide: bool, with_client: bool) -> None:
        self.clear(columns=True)
        self._layout = (wide, with_client)
        if with_client:
            self.add_column(_("Client"), width=12 if wide else 8, key="client")
        self.add_column(_("Opened"), width=16 if wide else 11, key="opened")
        self.add_column(_("Updated"), width=11 if wide else 5, key="updated")
        self.add_column(_("Type"), width=6, key="type")
        self.add_column(_("Reference"), width=36 if wide else 12, key="reference")
        if wide:
            self.add_column(_("Status"), width=26, key="status")
            self.add_column(_("Invoices all/ok/rej."), width=11, key="counts")
            self.add_column(_("UPO"), width=9, key="upo")
        else:
            self.add_column(_("Status"), width=16 if with_client else 20, key="status")
            self.add_column(_("Inv."), width=7, key="counts")

    def _row(self, r: SessionRecord, wide: bool, with_client: bool) -> list[Text | str]:
        cells: list[Text | str] = []
        if with_client:
            cells.append(Text(self.client_codes.get(r.client_id, "?")))
        cells.append(fmt_dt(r.opened, year=wide))
        cells.append(fmt_update(r.opened, r.updated) if not wide else fmt_dt(r.updated))
        cells.append(kind_label(r.kind))
        cells.append(Text(r.reference if wide else short_reference(r.reference, 12)))
        cells.append(session_status_cell(r))
        cells.append(counts_cell(r))
        if wide:
            cells.append(upo_cell(r))
        return cells

    def selected(self) -> SessionRecord | None:
        if not self.records or self.cursor_row < 0 or self.cursor_row >= len(self.records):
            return None
        return self.records[self.cursor_row]


class SessionInvoiceTable(DataTable[Text | str]):
    DEFAULT_CSS = """
    SessionInvoiceTable { height: 1fr; }
    """

    def __init__(self, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self.invoices: list[SessionInvoiceRecord] = []
        self._wide: bool | None = None

    def show(self, invoices: Sequence[SessionInvoiceRecord], width: int) -> None:
        wide = width >= WIDE
        keep = self.cursor_row
        if wide != self._wide:
            self.clear(columns=True)
            self._wide = wide
            self.add_column(_("No."), width=3, key="ordinal")
            self.add_column(_("Invoice number"), width=20 if wide else 14, key="number")
            self.add_column(_("KSeF number"), width=35 if wide else 14, key="ksef")
            self.add_column(_("Status"), width=24 if wide else 17, key="status")
            self.add_column(_("Number given"), width=16 if wide else 11, key="acquired")
            self.add_column(_("Stored"), width=16 if wide else 5, key="stored")
        self.clear()
        self.invoices = list(invoices)
        for inv in self.invoices:
            text = invoice_text(inv.status_code)
            style = "bold red" if inv.rejected else ("green" if inv.status_code == 200 else "cyan")
            glyph = "✗" if inv.rejected else ("✓" if inv.status_code == 200 else "…")
            ksef = inv.ksef_number or "—"
            self.add_row(
                str(inv.ordinal or ""),
                Text(inv.invoice_number or "—"),
                Text(ksef if wide or len(ksef) <= 14 else short_reference(ksef, 14)),
                Text(f"{glyph} {text.label}", style=style),
                fmt_dt(inv.acquired, year=wide),
                fmt_dt(inv.stored, year=wide)
                if wide
                else (local(inv.stored).strftime("%H:%M") if inv.stored else "—"),  # type: ignore[union-attr]
            )
        if self.invoices and 0 <= keep < len(self.invoices):
            self.move_cursor(row=keep)

    def selected(self) -> SessionInvoiceRecord | None:
        if not self.invoices or self.cursor_row < 0 or self.cursor_row >= len(self.invoices):
            return None
        return self.invoices[self.cursor_row]

"""The invoice's lines (FaWiersz, or the order lines of an advance invoice) as a table.

It receives the invoice and a width and shows them; the name column takes whatever the numbers leave,
so the amounts are never cut off at 80 columns.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from ksef_tui.core.fa.model import Invoice, InvoiceLine, OrderLine
from ksef_tui.core.i18n import _
from ksef_tui.core.money_format import format_amount, format_quantity
from ksef_tui.widgets.safe_text import safe_text

MIN_NAME = 12
# Each DataTable column carries one cell of padding on each side; two more for the scrollbar.
PADDING = 2
SCROLLBAR = 2


class InvoiceLinesTable(DataTable[Text]):
    DEFAULT_CSS = """
    InvoiceLinesTable { height: 1fr; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, **kwargs)
        self.shown: list[InvoiceLine | OrderLine] = []

    def show(self, invoice: Invoice, width: int) -> None:
        lines: list[InvoiceLine | OrderLine] = list(invoice.lines)
        if not lines and invoice.order is not None:
            lines = list(invoice.order.lines)
        correction = invoice.is_correction and any(line.before_correction for line in lines)
        headers = [_("No."), _("Name"), _("Qty"), _("Unit"), _("Unit price"), _("Net"), _("Rate")]
        # Lines of a foreign-currency invoice may each carry their own rate (KursWaluty, art. 31a).
        rates = any(isinstance(line, InvoiceLine) and line.exchange_rate is not None for line in lines)
        if rates:
            headers.append(_("Exch. rate"))
        if correction:
            headers.insert(1, _("State"))
        rows = [self._cells(line, correction, rates) for line in lines]
        name_at = 2 if correction else 1
        widths = [max([len(h)] + [r[i].cell_len for r in rows]) for i, h in enumerate(headers)]
        fixed = sum(w for i, w in enumerate(widths) if i != name_at) + PADDING * len(headers) + SCROLLBAR
        widths[name_at] = max(MIN_NAME, width - fixed)
        self.clear(columns=True)
        for header, column_width in zip(headers, widths, strict=True):
            self.add_column(Text(header, style="bold"), width=column_width)
        self.add_rows(rows)
        self.shown = lines

    def line_at(self, row: int) -> InvoiceLine | OrderLine | None:
        return self.shown[row] if 0 <= row < len(self.shown) else None

    @staticmethod
    def _cells(line: InvoiceLine | OrderLine, correction: bool, rates: bool) -> list[Text]:
        before = line.before_correction
        style = "dim italic" if before else ""
        unit_price = line.unit_net_price
        net = line.net
        if isinstance(line, InvoiceLine):
            # Gross-priced invoices (art. 106e ust. 7) give P_9B/P_11A instead of the net amounts.
            unit_price = unit_price if unit_price is not None else line.unit_gross_price
            net = net if net is not None else line.gross
        cells = [
            Text(str(line.number) if line.number is not None else "", style=style, justify="right"),
            Text(line.name or "", style=style),
            Text(format_quantity(line.quantity), style=style, justify="right"),
            Text(line.unit or "", style=style),
            Text(format_amount(unit_price, missing=""), style=style, justify="right"),
            Text(format_amount(net, missing=""), style=style, justify="right"),
            Text(line.rate or "", style=style, justify="right"),
        ]
        if rates:
            rate = line.exchange_rate if isinstance(line, InvoiceLine) else None
            cells.append(Text(format_quantity(rate), style=style, justify="right"))
        if correction:
            state = Text(_("before"), style="bold yellow") if before else Text(_("after"), style="bold")
            cells.insert(1, state)
        return [safe_text(cell) for cell in cells]


def line_details(line: InvoiceLine | OrderLine | None) -> Text:
    """The highlighted line in full: its whole name (the table may cut it) and the codes beside it."""
    if line is None:
        return Text("")
    text = Text(line.name or "", style="bold")
    parts = [
        (_("index"), line.index),
        ("GTIN", line.gtin),
        ("PKWiU", line.pkwiu),
        ("CN", line.cn),
        ("PKOB", line.pkob),
        ("GTU", line.gtu),
        (_("procedure"), line.procedure),
    ]
    if isinstance(line, InvoiceLine):
        parts.insert(0, (_("sale date"), line.sale_date.isoformat() if line.sale_date else None))
        if line.discount is not None:
            parts.append((_("discount"), format_amount(line.discount)))
        if line.vat is not None:
            parts.append((_("VAT"), format_amount(line.vat)))
    for label, value in parts:
        if value:
            text.append("  ·  ", style="dim")
            text.append(f"{label} ")
            text.append(value)
    return safe_text(text)

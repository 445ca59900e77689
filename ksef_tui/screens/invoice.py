"""Invoice: one FA(2)/FA(3) invoice read from its XML — summary, lines, VAT, payment, parties, checks, XML.

It shows an `InspectReport` (parsed, XSD-validated and checked before the screen opens) and never
touches the store; the raw XML is given, or read from the report's path in a thread when the XML tab
is first opened.
"""

from __future__ import annotations

from pathlib import Path

from rich.console import Group
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Static, TabbedContent, TabPane

from ksef_tui.core.fa.findings import FaParseError
from ksef_tui.core.fa.report import InspectReport
from ksef_tui.core.fa.secure_xml import DEFAULT_MAX_BYTES, read_capped
from ksef_tui.core.i18n import N_, _
from ksef_tui.core.money_format import format_amount
from ksef_tui.ui.commands import RegistryKeys, bindings_for
from ksef_tui.ui.messages import XmlTextRead
from ksef_tui.widgets import invoice_sections as sections
from ksef_tui.widgets.invoice_lines import InvoiceLinesTable, line_details
from ksef_tui.widgets.invoice_xml import XmlView, decode_xml
from ksef_tui.widgets.key_bar import KeyBar
from ksef_tui.widgets.safe_text import safe_renderable

# (id, msgid) in key order: `1` is the first tab, `7` the last.
TABS: tuple[tuple[str, str], ...] = (
    ("summary", N_("Summary")),
    ("lines", N_("Lines")),
    ("vat", N_("VAT")),
    ("payment", N_("Payment")),
    ("parties", N_("Parties")),
    ("checks", N_("Checks")),
    ("xml", N_("XML")),
)


class InvoiceScreen(RegistryKeys, Screen[None]):
    SCOPE = "invoice"
    KEEP_ON_LOCK = True  # a view: back as it was after a lock
    BINDINGS = bindings_for(SCOPE)
    CSS_PATH = "invoice.tcss"

    def __init__(self, report: InspectReport, xml: bytes | None = None) -> None:
        super().__init__()
        self.report = report
        self._xml = xml
        self._xml_loaded = False

    # --- layout --------------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        with Horizontal(id="inv-head"):
            yield Static(safe_renderable(self._header()), id="inv-title")
            yield Static(self._verdict(), id="inv-verdict")
        inv = self.report.invoice
        if inv is None:
            with VerticalScroll(id="inv-unreadable"):
                yield Static(safe_renderable(self._unreadable()))
            yield KeyBar()
            return
        with TabbedContent(id="inv-tabs"):
            # An advance invoice (ZAL) has no lines of its own: the tab shows its order's, and says so.
            order = not inv.lines and inv.order is not None and bool(inv.order.lines)
            for tab_id, title in TABS:
                with TabPane(_("Order") if tab_id == "lines" and order else _(title), id=f"tab-{tab_id}"):
                    if tab_id == "lines":
                        if order:
                            yield Static(safe_renderable(self._order_caption()), id="inv-order-caption")
                        yield InvoiceLinesTable(id="inv-lines")
                        yield Static("", id="inv-line-detail")
                    elif tab_id == "xml":
                        yield XmlView(id="inv-xml")
                    else:
                        with VerticalScroll(classes="inv-pane"):
                            # Every value from the invoice is cleaned of control/bidi characters here.
                            yield Static(safe_renderable(self._tab_body(tab_id)), id=f"inv-{tab_id}")
        yield KeyBar()

    def on_mount(self) -> None:
        if self.report.invoice is not None:
            self.query_one("#inv-lines", InvoiceLinesTable).show(self.report.invoice, self.app.size.width)
            self._focus_pane("summary")

    def on_resize(self) -> None:
        if self.report.invoice is not None:
            self.query_one("#inv-lines", InvoiceLinesTable).show(self.report.invoice, self.size.width)

    def _order_caption(self) -> Text:
        inv = self.report.invoice
        assert inv is not None and inv.order is not None
        caption = _(
            "The order (Zamówienie) this advance invoice is for, worth {value} {currency} gross"
        ).format(value=format_amount(inv.order.value, missing="?"), currency=inv.currency or "")
        return Text(caption.strip(), style="bold")

    def _tab_body(self, tab_id: str) -> Group:
        inv = self.report.invoice
        assert inv is not None
        if tab_id == "summary":
            return sections.summary(inv)
        if tab_id == "vat":
            return sections.vat(inv)
        if tab_id == "payment":
            return sections.payment(inv)
        if tab_id == "parties":
            return sections.parties(inv)
        return sections.checks(self.report.valid, self.report.problems)

    def _header(self) -> Text:
        report, inv = self.report, self.report.invoice
        ok = inv is not None and report.valid and not report.errors
        text = Text()
        text.append("✔ " if ok else "✖ ", style="bold green" if ok else "bold red")
        if inv is None:
            text.append(_("Cannot read this invoice"), style="bold")
            text.append("\n" + (report.source or ""))
            return text
        # Most important first: at 80 columns the ellipsis then cuts the kind, never the amount.
        text.append(inv.number or "?", style="bold")
        text.append("  ")
        text.append(format_amount(inv.gross, inv.currency), style="bold")
        text.append(f"  {sections.day(inv.issue_date)}  {sections.kind_words(inv.kind)}")
        text.append("\n")
        # Names only: the identifiers are on the Parties tab, and the line must fit 80 columns.
        text.append((inv.seller.name if inv.seller else None) or "?")
        text.append(" → ", style="bold")
        text.append((inv.buyer.name if inv.buyer else None) or "?")
        return text

    def _verdict(self) -> Text:
        report = self.report
        errors, warnings = len(report.errors), len(report.warnings)
        text = Text(justify="right")
        text.append(_("errors: {n}").format(n=errors), style="bold red" if errors else "dim")
        text.append("\n")
        text.append(_("warnings: {n}").format(n=warnings), style="bold yellow" if warnings else "dim")
        return text

    def _unreadable(self) -> Group:
        intro = Text(_("This file could not be read as an FA(2) or FA(3) invoice."), style="bold red")
        hint = Text(
            _("Check that it is the invoice XML itself (not a UPO, a PDF or a ZIP) and that it is complete."),
            style="dim",
        )
        where = Text(_("File: {path}").format(path=self.report.source)) if self.report.source else Text("")
        return Group(intro, where, Text(""), sections.findings_table(self.report.problems), Text(""), hint)

    # --- tabs ----------------------------------------------------------------------------------

    def action_show_tab(self, tab_id: str) -> None:
        if self.report.invoice is None:
            return
        self.query_one(TabbedContent).active = f"tab-{tab_id}"
        self._focus_pane(tab_id)

    def _focus_pane(self, tab_id: str) -> None:
        if tab_id == "lines":
            self.query_one("#inv-lines").focus()
        elif tab_id == "xml":
            self.query_one(XmlView).focus_body()
        else:
            self.query_one(f"#tab-{tab_id} .inv-pane").focus()

    @on(DataTable.RowHighlighted, "#inv-lines")
    def _line_highlighted(self, event: DataTable.RowHighlighted) -> None:
        table = self.query_one("#inv-lines", InvoiceLinesTable)
        self.query_one("#inv-line-detail", Static).update(line_details(table.line_at(event.cursor_row)))

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "tab-xml":
            self._load_xml()

    # --- XML -----------------------------------------------------------------------------------

    def _load_xml(self) -> None:
        if self._xml_loaded:
            return
        self._xml_loaded = True
        if self._xml is not None:
            self.query_one(XmlView).show(decode_xml(self._xml))
        elif self.report.source and Path(self.report.source).is_file():
            self._read_xml(Path(self.report.source))
        else:
            self.query_one(XmlView).show(_("(The XML of this invoice is not available.)"))

    @work(thread=True, exclusive=True, group="invoice-xml")
    def _read_xml(self, path: Path) -> None:
        try:
            text = decode_xml(read_capped(path, DEFAULT_MAX_BYTES))
        except FaParseError as exc:
            text = exc.message
        except OSError as exc:
            text = _("Cannot read {path}: {error}").format(path=path, error=exc.strerror or exc)
        self.post_message(XmlTextRead(text))

    def _xml_view(self) -> XmlView | None:
        if self.report.invoice is None:
            return None
        return self.query_one(XmlView)

    def action_search(self) -> None:
        if (view := self._xml_view()) is None:
            return
        self.action_show_tab("xml")
        view.open_search()

    def action_next_match(self) -> None:
        if (view := self._xml_view()) is not None and self.query_one(TabbedContent).active == "tab-xml":
            view.next_match(1)

    def action_previous_match(self) -> None:
        if (view := self._xml_view()) is not None and self.query_one(TabbedContent).active == "tab-xml":
            view.next_match(-1)

    def action_close(self) -> None:
        # Esc steps back one level: leave the search field (the matches stay for n/N), then close
        # the search, then close the invoice.
        view = self._xml_view()
        if view is not None and view.search_open:
            if view.query_one("#xml-query").has_focus:
                view.focus_body()
            else:
                view.close_search()
            return
        self.dismiss(None)

    def on_xml_text_read(self, message: XmlTextRead) -> None:
        self.query_one(XmlView).show(message.text)

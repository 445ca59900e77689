"""UPO viewer: the parsed receipt — who accepted it, the session, the authentication context, and each
document (seller NIP, KSeF number, invoice number, dates, hash)."""

from __future__ import annotations

from collections.abc import Sequence

from textual import on
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Static

from ksef_tui.core.i18n import _
from ksef_tui.core.upo import UpoReceipt
from ksef_tui.ui.commands import RegistryKeys, bindings_for
from ksef_tui.widgets.key_bar import KeyBar
from ksef_tui.widgets.upo_view import UpoDocumentTable, document_detail, receipt_header


class UpoViewerScreen(RegistryKeys, Screen[None]):
    SCOPE = "upo"
    KEEP_ON_LOCK = True  # a view: back as it was after a lock
    BINDINGS = bindings_for(SCOPE)
    CSS_PATH = "upo_viewer.tcss"

    def __init__(self, receipts: Sequence[UpoReceipt]) -> None:
        super().__init__()
        self.receipts = list(receipts)

    def compose(self) -> ComposeResult:
        yield Static(_("UPO — official acknowledgement of receipt"), id="title")
        yield Static(receipt_header(self.receipts), id="header")
        yield UpoDocumentTable(id="documents")
        yield Static("", id="detail")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one(UpoDocumentTable)
        table.show([d for r in self.receipts for d in r.documents], self.size.width or self.app.size.width)
        table.focus()
        self._detail()

    @on(DataTable.RowHighlighted)
    def _detail(self) -> None:
        doc = self.query_one(UpoDocumentTable).selected()
        self.query_one("#detail", Static).update(document_detail(doc) if doc else "")

    def action_back(self) -> None:
        self.dismiss()

    def action_copy_reference(self) -> None:
        doc = self.query_one(UpoDocumentTable).selected()
        value = doc.ksef_number if doc else self.receipts[0].session_reference
        self.app.copy_to_clipboard(value)
        self.notify(_("Copied {ref} to the clipboard.").format(ref=value), markup=False)

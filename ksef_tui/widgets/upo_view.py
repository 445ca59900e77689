"""The parsed UPO as rich text and a table of its documents; no I/O.

A UPO's values come from outside: every Text here is cleaned of control and bidi characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rich.text import Text
from textual.widgets import DataTable

from ksef_tui.core.i18n import _
from ksef_tui.core.upo import UpoDocument, UpoReceipt
from ksef_tui.widgets.safe_text import plain, safe_text
from ksef_tui.widgets.session_table import WIDE, fmt_dt

CONTEXT_LABELS = {
    "Nip": "NIP",
    "IdWewnetrzny": "ID wewn.",
    "IdZlozonyVatUE": "NIP-VAT UE",
    "IdDostawcyUslugPeppol": "Peppol",
}


def receipt_header(receipts: Sequence[UpoReceipt]) -> Text:
    first = receipts[0]
    out = Text()
    out.append(_("Accepted by") + ": ", style="dim")
    out.append(first.issuer or "—", style="bold")
    if first.is_test_issuer:
        out.append("  " + _("(test/demo issuer name: normal outside production)"), style="italic dim")
    out.append("\n" + _("Session") + ": ", style="dim")
    out.append(first.session_reference)
    out.append("   " + _("Context") + ": ", style="dim")
    out.append(f"{CONTEXT_LABELS.get(first.context_kind, first.context_kind)} {first.context_value}")
    out.append("\n" + _("Authentication") + ": ", style="dim")
    if first.auth_kind == "token":
        out.append(_("KSeF token {ref}").format(ref=first.auth_value))
    else:
        out.append(_("signed document, hash {hash}").format(hash=first.auth_value))
    out.append("\n" + _("Structure") + ": ", style="dim")
    out.append(f"{first.form_code} · {first.structure}")
    total = sum(len(r.documents) for r in receipts)
    out.append("   " + _("Documents") + ": ", style="dim")
    out.append(str(first.total_documents or total))
    if len(receipts) > 1 or first.page_count:
        out.append("   " + _("Pages") + ": ", style="dim")
        out.append(str(max(len(receipts), first.page_count or 1)))
    if first.signed:
        out.append("   " + _("XAdES signature present"), style="dim")
    return safe_text(out)


def document_detail(doc: UpoDocument) -> Text:
    out = Text()
    out.append(f"{doc.invoice_number}  ", style="bold")
    out.append(f"{_('KSeF number')}: {doc.ksef_number}\n")
    out.append(f"{_('Seller NIP')}: {doc.seller_nip}  {_('Issued')}: {doc.issue_date or '—'}  {doc.mode}\n")
    out.append(f"{_('Sent')}: {fmt_dt(doc.sent_at, year=True, seconds=True)}  ")
    out.append(f"{_('Number given')}: {fmt_dt(doc.ksef_number_at, year=True, seconds=True)}\n")
    out.append(f"{_('Hash')}: {doc.hash}", style="dim")
    return safe_text(out)


class UpoDocumentTable(DataTable[Text | str]):
    DEFAULT_CSS = """
    UpoDocumentTable { height: 1fr; }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cursor_type="row", zebra_stripes=False, **kwargs)
        self.documents: list[UpoDocument] = []

    def show(self, documents: Sequence[UpoDocument], width: int) -> None:
        wide = width >= WIDE
        self.clear(columns=True)
        self.add_column(_("Seller NIP"), width=10, key="nip")
        self.add_column(_("KSeF number"), width=35 if wide else 20, key="ksef")
        self.add_column(_("Invoice number"), width=22 if wide else 14, key="number")
        self.add_column(_("Issued"), width=10, key="issued")
        if wide:
            self.add_column(_("Number given"), width=19, key="given")
            self.add_column(_("Mode"), width=7, key="mode")
        else:
            self.add_column(_("Mode"), width=7, key="mode")
        self.documents = list(documents)
        for d in self.documents:
            ksef = d.ksef_number if wide or len(d.ksef_number) <= 20 else "…" + d.ksef_number[-19:]
            row: list[Text | str] = [
                plain(d.seller_nip),  # Text, not str: a DataTable would read a str as markup
                plain(ksef),
                plain(d.invoice_number),
                str(d.issue_date or "—"),
            ]
            if wide:
                row.append(fmt_dt(d.ksef_number_at, year=True, seconds=False))
            row.append(plain(d.mode))
            self.add_row(*row)

    def selected(self) -> UpoDocument | None:
        if not self.documents or not 0 <= self.cursor_row < len(self.documents):
            return None
        return self.documents[self.cursor_row]

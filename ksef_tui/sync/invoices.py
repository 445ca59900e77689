"""An invoice's XML: from the sealed store first, else downloaded from KSeF and sealed into the store;
then inspected (parsed, validated, checked) in a thread, never on the event loop.

No textual here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from ksef_tui.core.fa.report import InspectReport, inspect_bytes
from ksef_tui.core.operators import Action
from ksef_tui.store import Store
from ksef_tui.sync.permissions import require
from ksef_tui.sync.sessions import KsefFactory, client_context

INVOICE_DOCUMENT = "invoice"  # the store's document kind for an invoice's XML


@dataclass(frozen=True)
class InvoiceXml:
    ksef_number: str
    xml: bytes
    report: InspectReport
    downloaded: bool  # True when it came from KSeF just now, False when the store had it


async def invoice_xml(
    store: Store,
    factory: KsefFactory | None,
    client_id: int,
    ksef_number: str,
    *,
    on_download: Callable[[], object] | None = None,
) -> tuple[bytes, bool] | None:
    """(XML, downloaded) of the invoice with this KSeF number: the store's sealed copy, else KSeF's
    (sealed into the store with its SHA-256). None when the store has none and KSeF is not configured.
    `on_download` is called just before the download starts (the screen says so)."""
    xml = await asyncio.to_thread(store.documents.get, client_id, INVOICE_DOCUMENT, ksef_number)
    if xml is not None:
        return xml, False
    if factory is None:
        return None
    await asyncio.to_thread(require, store, Action.SYNC, client_id)  # a download from KSeF, then a write
    if on_download is not None:
        on_download()
    async with client_context(store, factory, client_id) as (_client, ksef):
        document = await ksef.download_invoice(ksef_number)
    content: bytes = document.content
    await asyncio.to_thread(
        store.documents.put,
        client_id,
        INVOICE_DOCUMENT,
        ksef_number,
        content,
        {"sha256": document.sha256_b64},
    )
    return content, True


async def open_invoice(
    store: Store,
    factory: KsefFactory | None,
    client_id: int,
    ksef_number: str,
    *,
    expected_sha256: str | None = None,
    on_download: Callable[[], object] | None = None,
) -> InvoiceXml | None:
    """The invoice's XML (see `invoice_xml`) with its inspection report, parsed in a thread."""
    found = await invoice_xml(store, factory, client_id, ksef_number, on_download=on_download)
    if found is None:
        return None
    xml, downloaded = found
    report = await asyncio.to_thread(inspect_bytes, xml, source=ksef_number, expected_sha256=expected_sha256)
    return InvoiceXml(ksef_number, xml, report, downloaded)

"""Command palette: open an invoice from the store by its KSeF number or by its own number.

A valid KSeF number is looked up exactly (the store finds documents through a blind index). Anything
else of three characters or more is looked for in the invoice numbers of the stored purchase invoices
("FV/2026/11/12", case, spaces and Polish diacritics ignored): those are read from the store once per
opening of the palette, on the first such query, in a thread, and only numbers, sellers and clients are
kept. The store work and the parsing run in threads.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import partial
from typing import Any

from rich.markup import escape
from textual.command import Hit, Hits, Provider

from ksef_tui.core.clock import WARSAW
from ksef_tui.core.display_text import safe_display
from ksef_tui.core.fa.report import inspect_bytes
from ksef_tui.core.i18n import _
from ksef_tui.core.ksef_number import InvalidKsefNumber, normalize_ksef_number
from ksef_tui.core.search_text import fold

MAX_NUMBER_HITS = 20


@dataclass(frozen=True)
class NumberEntry:
    client_id: int
    client_name: str
    ksef_number: str
    invoice_number: str
    seller_name: str
    key: str  # the invoice number folded, without spaces


def _key(text: str) -> str:
    return "".join(fold(text).split())


class InvoicesProvider(Provider):
    _numbers: list[NumberEntry] | None = None

    def _store(self) -> Any:
        # Provider.app is typed as textual's App; ours (KsefApp) has .services.
        store = getattr(self.app, "services", None) and self.app.services.store  # type: ignore[attr-defined]
        return None if store is None or store.is_locked else store

    def _load_numbers(self) -> list[NumberEntry]:
        """Every stored purchase invoice's own number, with its seller and client (nothing else kept)."""
        store = self._store()
        if store is None:
            return []
        names = {c.id: safe_display(c.name) for c in store.clients.list() if c.id is not None}
        return [
            NumberEntry(
                r.client_id,
                names.get(r.client_id, ""),
                r.ksef_number,
                safe_display(r.invoice_number),
                safe_display(r.seller_name),
                _key(r.invoice_number),
            )
            for r in store.purchases.list(list(names))
            if r.invoice_number
        ]

    async def _by_invoice_number(self, query: str) -> Hits:
        needle = _key(query)
        if len(needle) < 3:
            return
        if self._numbers is None:
            self._numbers = await asyncio.to_thread(self._load_numbers)
        found = [e for e in self._numbers if needle in e.key]
        found.sort(key=lambda e: (e.key != needle, e.key))  # the exact number first
        for entry in found[:MAX_NUMBER_HITS]:
            yield Hit(
                1.0 if entry.key == needle else 0.8,
                escape(
                    _("Invoice {number} from {seller} ({client})").format(
                        number=entry.invoice_number, seller=entry.seller_name, client=entry.client_name
                    )
                ),
                partial(self._open_stored, entry.client_id, entry.ksef_number),
                help=_("Show the invoice read from the store"),
            )

    def _open_stored(self, client_id: int, ksef_number: str) -> None:
        self.app.run_worker(self._read_and_show(client_id, ksef_number), group="palette-invoice")

    async def _read_and_show(self, client_id: int, ksef_number: str) -> None:
        store = self._store()
        xml = (
            await asyncio.to_thread(store.documents.get, client_id, "invoice", ksef_number) if store else None
        )
        if xml is None:  # provisional (listed by KSeF, its XML not fetched yet)
            self.app.notify(_("This invoice has not been downloaded yet."), severity="warning")
            return
        await self._inspect_and_show(ksef_number, xml)

    def _find(self, ksef_number: str) -> list[tuple[str, bytes]]:
        """(client name, XML) for every client holding this invoice (a number may be stored twice:
        once for the seller's office and once for the buyer's)."""
        # Provider.app is typed as textual's App; ours (KsefApp) has .services.
        store = getattr(self.app, "services", None) and self.app.services.store  # type: ignore[attr-defined]
        if store is None or store.is_locked:
            return []
        found = []
        for client in store.clients.list():
            if client.id is None:
                continue
            xml = store.documents.get(client.id, "invoice", ksef_number)
            if xml is not None:
                found.append((safe_display(client.name), xml))  # no control or bidi characters
        return found

    async def search(self, query: str) -> Hits:
        try:
            ksef_number = normalize_ksef_number(query)
        except InvalidKsefNumber:
            async for hit in self._by_invoice_number(query):
                yield hit
            return
        found = await asyncio.to_thread(self._find, ksef_number)
        for client_name, xml in found:
            yield Hit(
                1.0,
                escape(_("Open invoice {number} ({client})").format(number=ksef_number, client=client_name)),
                partial(self._open, ksef_number, xml),
                help=_("Show the invoice read from the store"),
            )
        if not found:
            yield Hit(
                0.5,
                escape(_("No invoice {number} in the store").format(number=ksef_number)),
                partial(self.app.notify, _("This invoice has not been downloaded yet."), severity="warning"),
            )

    def _open(self, ksef_number: str, xml: bytes) -> None:
        self.app.run_worker(self._inspect_and_show(ksef_number, xml), group="palette-invoice")

    async def _inspect_and_show(self, ksef_number: str, xml: bytes) -> None:
        # deferred: the invoice screen (its XML view) adds ~90 ms to every start of the app (measured: the
        # import on top of `ksef_tui.cli` and `ksef_tui.ui.app`, median of 5); load it when one is opened.
        from ksef_tui.screens.invoice import InvoiceScreen

        services = getattr(self.app, "services", None)
        today = services.clock().astimezone(WARSAW).date() if services is not None else None
        # Parsing and XSD validation are CPU work: keep them off the event loop.
        report = await asyncio.to_thread(inspect_bytes, xml, source=ksef_number, today=today)
        await self.app.push_screen(InvoiceScreen(report, xml))

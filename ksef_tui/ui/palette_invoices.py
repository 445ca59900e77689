"""Command palette: open an invoice from the store by its KSeF number.

Only an exact, valid KSeF number is looked up (the store finds documents through a blind index, so
there is no substring search to offer); the store work and the parsing run in threads.
"""

from __future__ import annotations

import asyncio
from functools import partial

from rich.markup import escape
from textual.command import Hit, Hits, Provider

from ksef_tui.core.clock import WARSAW
from ksef_tui.core.display_text import safe_display
from ksef_tui.core.fa.report import inspect_bytes
from ksef_tui.core.i18n import _
from ksef_tui.core.ksef_number import InvalidKsefNumber, normalize_ksef_number


class InvoicesProvider(Provider):
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

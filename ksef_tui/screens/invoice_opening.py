"""Opening one invoice in the inspector as the purchase list, the queue and a session's invoices all do:
the store's sealed XML, else downloaded from KSeF (the screen says so while it downloads), in a worker.
A mixin for those screens; each names its worker group (its error handler looks for it) and may say
"downloading" its own way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.widgets import Static

from ksef_tui.core.i18n import _
from ksef_tui.ui.config import AppConfig
from ksef_tui.ui.messages import InvoiceDownloading, InvoiceXmlReady

if TYPE_CHECKING:
    from textual.screen import Screen

    _Base = Screen[Any]  # what the mixin relies on: notify, run_worker, post_message, app
else:
    _Base = object


class InvoiceOpening(_Base):
    services: AppConfig
    invoice_group = "invoice"  # the worker group, for the screen's on_worker_state_changed

    def _progress(self, message: str) -> None:  # the screen's progress line
        raise NotImplementedError

    def open_stored_invoice(
        self, client_id: int, ksef_number: str, expected_sha256: str | None = None
    ) -> None:
        self.run_worker(
            self._fetch_invoice(client_id, ksef_number, expected_sha256),
            group=self.invoice_group,
            exclusive=True,
            exit_on_error=False,
        )

    async def _fetch_invoice(self, client_id: int, ksef_number: str, expected_sha256: str | None) -> None:
        from ksef_tui.sync.invoices import open_invoice

        store = self.services.store
        assert store is not None
        found = await open_invoice(
            store,
            self.services.ksef_factory,
            client_id,
            ksef_number,
            expected_sha256=expected_sha256,
            on_download=lambda: self.post_message(InvoiceDownloading()),
        )
        self.post_message(InvoiceXmlReady(found))

    def on_invoice_downloading(self) -> None:
        self._invoice_downloading()

    def _invoice_downloading(self) -> None:
        self._progress(_("Downloading the invoice from KSeF…"))

    def _invoice_downloaded(self) -> None:
        """The download is over (the inspector opens next): the "downloading" line goes."""
        self.query_one("#progress", Static).display = False

    def on_invoice_xml_ready(self, message: InvoiceXmlReady) -> None:
        from ksef_tui.screens.invoice import InvoiceScreen

        found = message.invoice
        if found is None:
            self.notify(_("The XML of this invoice is not at hand."), severity="warning")
            return
        if found.downloaded:
            self._invoice_downloaded()
        self.app.push_screen(InvoiceScreen(found.report, found.xml))

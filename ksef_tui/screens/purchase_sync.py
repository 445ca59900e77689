"""Fetching purchase invoices as the board, the client screen and the purchase list all do it: one worker,
the progress line, `x` stops it, the result line. A mixin for those screens (each supplies `_progress`
and, if it wants, `_purchases_fetched` to refresh itself).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.screen import Screen
from textual.worker import Worker

from ksef_tui.core.i18n import _
from ksef_tui.ui.config import AppConfig
from ksef_tui.ui.messages import PurchasesSynced, PurchaseSyncProgressed

if TYPE_CHECKING:
    from ksef_tui.sync.purchases import SyncReport

    _Base = Screen[Any]  # what the mixin relies on: notify, run_worker, post_message
else:
    _Base = object

PURCHASE_SYNC_GROUP = "purchase-sync"


class PurchaseSyncing(_Base):
    services: AppConfig
    _purchase_worker: Worker[None] | None = None

    def _progress(self, message: str) -> None:  # the screen's progress line
        raise NotImplementedError

    def _purchases_fetched(self, report: SyncReport) -> None:
        """After a fetch finished (its result line is shown already)."""

    def start_purchase_sync(self, client_ids: list[int] | None) -> None:
        """Fetch these clients' purchase invoices (None: every client) in a worker."""
        if self.services.ksef_factory is None:
            self.notify(_("KSeF is not configured for this store."), severity="warning")
            return
        if self.purchase_sync_running:
            self.notify(_("Purchase invoices are being fetched already (x stops)."), severity="warning")
            return
        self._progress(_("Fetching purchase invoices… (x stops)"))
        self._purchase_worker = self.run_worker(
            self._fetch_purchases(client_ids), group=PURCHASE_SYNC_GROUP, exclusive=True, exit_on_error=False
        )

    @property
    def purchase_sync_running(self) -> bool:
        return self._purchase_worker is not None and self._purchase_worker.is_running

    def stop_purchase_sync(self) -> bool:
        """`x`: True when a fetch was running and is now stopped (what was committed stays)."""
        if not self.purchase_sync_running:
            return False
        assert self._purchase_worker is not None
        self._purchase_worker.cancel()
        self._progress(_("Fetching purchase invoices stopped."))
        return True

    async def _fetch_purchases(self, client_ids: list[int] | None) -> None:
        # Here, not at the top: the sync loads the KSeF client, which a screen's first paint does not need.
        from ksef_tui.sync import purchases as purchase_sync

        store, factory = self.services.store, self.services.ksef_factory
        assert store is not None and factory is not None
        report = await purchase_sync.sync_purchases(
            store,
            factory,
            client_ids,
            clock=self.services.clock,
            force=False,  # KSeF: at least 15 minutes between syncs; "what's new" (n) is the fresh view
            on_progress=lambda progress: self.post_message(PurchaseSyncProgressed(progress)),
        )
        self.post_message(PurchasesSynced(report))

    def on_purchase_sync_progressed(self, message: PurchaseSyncProgressed) -> None:
        from ksef_tui.sync import purchase_views

        if self._purchase_worker is not None and self._purchase_worker.is_cancelled:
            return  # posted before x stopped it: the "stopped" line stays
        self._progress(purchase_views.progress_words(message.progress))

    def on_purchases_synced(self, message: PurchasesSynced) -> None:
        from ksef_tui.screens.message_history import Notice, record
        from ksef_tui.sync import purchase_views

        words = purchase_views.report_words(message.report)
        self._progress(words)
        # The line names three failing clients at most, and 80 columns cut it: the history (F9) keeps the
        # headline and every failing client, a line each.
        failures = purchase_views.failure_lines(message.report)
        if failures:
            headline = purchase_views.report_headline(message.report)
            record(self.app, Notice(self.services.clock(), "warning", headline, "\n".join(failures)))
        else:
            record(self.app, Notice(self.services.clock(), "information", "", words))
        self._purchases_fetched(message.report)

    def purchase_sync_failed(self, worker: Worker[object]) -> bool:
        """For on_worker_state_changed: True (and the line says why) when `worker` is the failed fetch."""
        if worker is not self._purchase_worker:
            return False
        line = _("Fetching purchase invoices stopped: {error}").format(error=str(worker.error))
        self._progress(line)
        from ksef_tui.screens.message_history import Notice, record

        record(self.app, Notice(self.services.clock(), "error", "", line))
        return True

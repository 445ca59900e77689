"""One piece of work in KSeF at a time, stoppable with `x`, reported on the screen's progress line: what
the office certificate screen and the readiness screen both do (list/revoke certificates; the census and
the probes). A mixin; the screen keeps its worker in `_work` and has a `#progress` Static.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.widgets import Static
from textual.worker import Worker, WorkerState

from ksef_tui.core.i18n import _
from ksef_tui.ui.config import AppConfig
from ksef_tui.widgets.safe_text import plain

if TYPE_CHECKING:
    from textual.screen import Screen

    _Base = Screen[Any]  # what the mixin relies on: notify, query_one
else:
    _Base = object


class KsefWorking(_Base):
    services: AppConfig
    _work: Worker[None] | None

    def _busy(self) -> bool:
        """True (and said) when no new work may start: KSeF not configured, or work already running."""
        if self.services.ksef_factory is None:
            self.notify(_("KSeF is not configured for this store."), severity="warning")
            return True
        if self._work is not None and self._work.is_running:
            self.notify(_("Work in KSeF is already running (x stops it)."), severity="warning")
            return True
        return False

    def action_cancel(self) -> None:
        if self._work is not None and self._work.is_running:
            self._work.cancel()
            self._progress(_("Stopped."))

    def _work_failed(self, event: Worker.StateChanged) -> bool:
        """The screen's own work ended in an error: said on the progress line (True)."""
        if event.worker is not self._work or event.state is not WorkerState.ERROR:
            return False
        self._progress(_("Not done: {error}").format(error=str(event.worker.error)))
        return True

    def _stop_work(self) -> None:
        if self._work is not None and self._work.is_running:
            self._work.cancel()

    def _progress(self, message: str) -> None:
        bar = self.query_one("#progress", Static)
        bar.display = True
        bar.update(plain(message))

"""Purchase invoices from KSeF into the sealed store (issue 12; PURCHASES.md §Sync A5).

Public use cases (screens and the CLI call only these):

- `sync_purchases(...)`: the incremental, export-based sync of many clients, one worker per client
  context, progress reported, cancellable;
- `preview_new(...)`: "what's new right now", one metadata query from the cursor, rows marked
  provisional, the cursor untouched;
- `reconcile(...)`: a metadata pass over the last 60 days, gaps fetched, the cursor untouched;
- `redownload(...)`: an explicit period fetched again, deduplicated, the cursor untouched;
- `list_purchases(...)`: what the store holds (blocking: call it in a thread).

No textual here.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from ksef_tui.core.clock import Clock
from ksef_tui.core.purchases import SUBJECT_BUYER, PurchaseRecord
from ksef_tui.store import Store
from ksef_tui.sync.sessions import KsefFactory


@dataclass(frozen=True)
class ClientSyncResult:
    client_id: int
    short_code: str
    nip: str
    ok: bool
    added: int = 0  # invoices stored for the first time
    known: int = 0  # invoices the store already had (same hash)
    packages: int = 0
    error: str = ""  # why it failed, in the user's language (one line)
    skipped: str = ""  # why it did not run (not due yet, KSeF asked to wait until ...)


@dataclass(frozen=True)
class SyncProgress:
    clients_total: int
    clients_done: int
    invoices_fetched: int
    current: str = ""  # short code of the client that just reported


@dataclass
class SyncReport:
    results: list[ClientSyncResult] = field(default_factory=list)

    @property
    def failed(self) -> list[ClientSyncResult]:
        return [r for r in self.results if not r.ok]

    @property
    def added(self) -> int:
        return sum(r.added for r in self.results)


@dataclass(frozen=True)
class ReconcileResult:
    client_id: int
    listed: int  # KSeF numbers KSeF listed in the period
    missing: int  # of them not in the store before
    fetched: int  # of them fetched now


async def sync_purchases(
    store: Store,
    factory: KsefFactory,
    client_ids: Sequence[int] | None = None,
    *,
    clock: Clock,
    since: date | None = None,
    force: bool = False,
    subjects: Sequence[str] = (SUBJECT_BUYER,),
    on_progress: Callable[[SyncProgress], object] | None = None,
    concurrency: int = 8,
) -> SyncReport:
    """Sync these clients (None: every client with a usable credential)."""
    raise NotImplementedError


async def preview_new(
    store: Store, factory: KsefFactory, client_id: int, *, clock: Clock
) -> list[PurchaseRecord]:
    raise NotImplementedError


async def reconcile(
    store: Store, factory: KsefFactory, client_id: int, *, clock: Clock, days: int = 60
) -> ReconcileResult:
    raise NotImplementedError


async def redownload(
    store: Store, factory: KsefFactory, client_id: int, start: date, end: date, *, clock: Clock
) -> int:
    raise NotImplementedError


def list_purchases(
    store: Store, client_ids: Sequence[int] | None = None, since: date | None = None
) -> list[PurchaseRecord]:
    """Stored purchase invoices (provisional ones included), newest receipt first. Blocking."""
    raise NotImplementedError

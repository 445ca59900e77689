"""Purchase invoices from KSeF into the sealed store (issue 12; PURCHASES.md §Sync A5).

Public use cases (screens and the CLI call only these):

- `sync_purchases(...)`: the incremental, export-based sync of many clients, one worker per client
  context, progress reported, cancellable;
- `preview_new(...)`: "what's new right now", one metadata query from the cursor, rows marked
  provisional, the cursor untouched;
- `reconcile(...)`: a metadata pass over the last 60 days, gaps fetched, the cursor untouched;
- `redownload(...)`: an explicit period fetched again, deduplicated, the cursor untouched;
- `list_purchases(...)`: what the store holds (blocking: call it in a thread).

The order of writes is what makes a kill at any point harmless: the starting point is saved before the
first call; an export's reference and AES key are saved (sealed) before its first poll, so a restart polls
it again instead of asking for another; a package's invoices and the cursor it earns are committed in one
transaction (`store.purchases.commit_package`), so the cursor is never ahead of the stored invoices and a
package is never half stored. Invoices are keyed by KSeF number, so a package fetched twice adds nothing.

No textual here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from ksef_tui.core.bookings import QueueSettings
from ksef_tui.core.clock import WARSAW, Clock
from ksef_tui.core.fa.report import inspect_bytes
from ksef_tui.core.i18n import N_, _
from ksef_tui.core.models import Client
from ksef_tui.core.operators import Action
from ksef_tui.core.purchases import (
    KSEF_START,
    MAX_IN_FLIGHT,
    RECONCILE_DAYS,
    SUBJECT_BUYER,
    ExportPurpose,
    PendingExport,
    PurchaseRecord,
    PurchaseStatus,
    PurchaseSyncState,
    due,
    export_expired,
    export_stuck,
    next_cursor,
    next_due,
    normalise_number,
    reconcile_due,
    start_point,
    window_end,
    window_too_short,
)
from ksef_tui.ksef.crypto import SymmetricKey
from ksef_tui.ksef.errors import Gone, IntegrityError, KsefError, KsefHttpError, RateLimited
from ksef_tui.ksef.export_package import open_export_package
from ksef_tui.ksef.invoices import InvoiceQueryFilters
from ksef_tui.ksef.models import DateType, ExportPackage, ExportStatus, InvoiceMetadata, StatusInfo
from ksef_tui.store import PurchaseContentMismatch, PurchaseHashConflict, Store
from ksef_tui.store.repositories.purchases import PackageItem
from ksef_tui.sync import bookings
from ksef_tui.sync.grants import office_granted
from ksef_tui.sync.permissions import require
from ksef_tui.sync.sessions import KsefFactory, client_context, failure_words, record_sync_attempt

EXPORT_RUNNING = 100
EXPORT_DONE = 200
EXPORT_EXPIRED = 210  # the package's links expired: ask again
EXPORT_BEYOND_HWM = 420  # `from` is later than the HWM: nothing new below it yet
CODE_BEYOND_HWM = 21183
CODE_TOO_MANY_EXPORTS = 21182
# A backlog is fetched package after package; the rate scheduler keeps each context inside KSeF's export
# limits (20 an hour), so this is only a guard against a loop that makes no progress.
MAX_PACKAGES_PER_RUN = 500
CODE_EXPORT_UNKNOWN = 21175  # KSeF no longer knows the reference
POLL_FIRST = 2.0
POLL_MAX = 30.0
POLL_BUDGET = 300.0  # seconds of polling one export in one run; then it waits for the next run
PREVIEW_PAGE = 250
STUCK_MESSAGE = N_("KSeF has not prepared this client's exports for 30 minutes; we will ask again later.")


class PurchaseSyncError(KsefError):
    """A purchase sync that cannot go on for this client now (the reason is in the message)."""


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


# --- records ------------------------------------------------------------------------------------------


def _decimal(value: Any) -> Decimal | None:
    if value is None:
        return None
    try:
        return Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        return None


def record_from_metadata(
    client_id: int,
    subject: str,
    meta: InvoiceMetadata,
    *,
    status: PurchaseStatus = PurchaseStatus.STORED,
    problems: int = 0,
    fetched_at: datetime | None = None,
) -> PurchaseRecord:
    buyer = meta.buyer.identifier.value if meta.buyer and meta.buyer.identifier else ""
    return PurchaseRecord(
        client_id=client_id,
        ksef_number=normalise_number(meta.ksef_number),
        subject=subject,
        seller_nip=(meta.seller.nip or "") if meta.seller else "",
        seller_name=(meta.seller.name or "") if meta.seller else "",
        buyer_nip=buyer or "",
        invoice_number=meta.invoice_number or "",
        issue_date=meta.issue_date,
        acquisition_date=meta.acquisition_date,
        permanent_storage_date=meta.permanent_storage_date,
        currency=meta.currency or "PLN",
        net=_decimal(meta.net_amount),
        vat=_decimal(meta.vat_amount),
        gross=_decimal(meta.gross_amount),
        invoice_type=meta.invoice_type or "",
        invoice_hash=meta.invoice_hash or "",
        status=status,
        problems=problems,
        fetched_at=fetched_at,
    )


def _checked(
    client_id: int,
    subject: str,
    items: Iterator[tuple[InvoiceMetadata, bytes]],
    now: datetime,
    booking_settings: QueueSettings | None = None,
) -> Iterator[PackageItem]:
    """Each invoice of a package parsed, validated and checked with the FA reader (runs inside the
    store's transaction, in a worker thread). With `booking_settings`, each also carries its booking
    drafted from the parsed invoice (issue 13), stored in the same transaction."""
    today = now.astimezone(WARSAW).date()
    for meta, xml in items:
        report = inspect_bytes(xml, source=meta.ksef_number, today=today)
        problems = len(report.problems)
        status = PurchaseStatus.WARNINGS if problems else PurchaseStatus.STORED
        record = record_from_metadata(
            client_id, subject, meta, status=status, problems=problems, fetched_at=now
        )
        if booking_settings is None:
            yield record, xml
        else:
            yield record, xml, bookings.draft(record, report.invoice, booking_settings, now)


# --- one client ---------------------------------------------------------------------------------------


def default_start(client: Client, now: datetime) -> date:
    """Where a client never synced starts when the user did not say: the first day of the month before
    the client was added to the office (so the VAT period being filed is complete), never before KSeF 2.0
    (docs/DECISIONS.md "Purchase sync: the starting point")."""
    added = (client.created or now).astimezone(WARSAW).date()
    first = added.replace(day=1)
    previous = (first - timedelta(days=1)).replace(day=1)
    return max(previous, KSEF_START.date())


def _filters(subject: str, start: datetime, end: datetime | None, *, restrict: bool) -> InvoiceQueryFilters:
    return InvoiceQueryFilters(
        subject_type=subject,
        date_type=DateType.PERMANENT_STORAGE,
        date_from=start,
        date_to=end,
        restrict_to_hwm=True if restrict else None,
    )


@dataclass
class _Run:
    """One client's sync in progress: the state as last saved, and what it did."""

    store: Store
    ksef: Any
    client: Client
    state: PurchaseSyncState
    clock: Clock
    added: int = 0
    known: int = 0
    packages: int = 0
    on_invoices: Callable[[int], object] | None = None

    @property
    def client_id(self) -> int:
        assert self.client.id is not None
        return self.client.id

    async def save(self, state: PurchaseSyncState) -> None:
        await asyncio.to_thread(self.store.purchases.save_state, state)
        self.state = state

    async def start(
        self, start: datetime, end: datetime | None, purpose: ExportPurpose
    ) -> PendingExport | None:
        """Ask KSeF for an export; None when nothing below the HWM is new yet (21183)."""
        restrict = purpose is ExportPurpose.CURSOR
        try:
            started, key = await self.ksef.start_export(
                _filters(self.state.subject, start, end, restrict=restrict)
            )
        except KsefHttpError as err:
            if CODE_BEYOND_HWM in err.codes:
                return None
            if CODE_TOO_MANY_EXPORTS in err.codes:
                raise PurchaseSyncError(
                    _("KSeF is still preparing earlier exports of this client; try again later.")
                ) from None
            raise
        return PendingExport(started.reference_number, key.key, key.iv, start, end, self.clock(), purpose)

    async def poll(self, pending: PendingExport) -> ExportStatus | None:
        """The export's status once it is no longer running; None when it still runs after this run's
        polling budget (it is polled again next time). Gone (410): the status, as 210."""
        delay, waited = POLL_FIRST, 0.0
        while True:
            try:
                status = await self.ksef.get_export_status(pending.reference)
            except Gone:
                return ExportStatus(status=StatusInfo(code=EXPORT_EXPIRED))
            except KsefHttpError as err:
                if CODE_EXPORT_UNKNOWN in err.codes:  # as good as expired: ask again
                    return ExportStatus(status=StatusInfo(code=EXPORT_EXPIRED))
                raise
            if status.status.code != EXPORT_RUNNING:
                return status
            if waited >= POLL_BUDGET:
                return None
            await self.ksef.core.sleep(delay)
            waited += delay
            delay = min(POLL_MAX, delay * 1.5)

    async def commit(self, pending: PendingExport, package: ExportPackage) -> tuple[bool, bool]:
        """Download, check and store the package; move the cursor when it is the cursor's export.
        (truncated, cursor moved)."""
        key = SymmetricKey.restore(pending.key, pending.iv)
        state = replace(self.state, pending=None)
        moved = False
        if pending.purpose is ExportPurpose.CURSOR and self.state.cursor is not None:
            move = next_cursor(
                self.state.cursor,
                truncated=package.is_truncated,
                last_storage_date=package.last_permanent_storage_date,
                hwm=package.permanent_storage_hwm_date,
                window_to=pending.window_to,
            )
            state = replace(state, cursor=move.cursor, stalled=move.stalled)
            moved = move.moved
        now = self.clock()
        settings = await asyncio.to_thread(self.store.bookings.queue_settings)
        try:
            reader = await open_export_package(self.ksef, key, package)
            try:
                items = _checked(self.client_id, state.subject, reader.invoices(), now, settings)
                result = await asyncio.to_thread(
                    self.store.purchases.commit_package, self.client_id, items, state
                )
            finally:
                reader.close()
        except (IntegrityError, PurchaseHashConflict, PurchaseContentMismatch) as err:
            # The package itself is bad (or contradicts the store): fetching it again gives the same
            # bytes, so forget it and ask for a new export next time. Nothing of it was stored.
            await self.save(replace(self.state, pending=None))
            if isinstance(err, PurchaseHashConflict):
                await asyncio.to_thread(
                    self.store.audit.append, self.client_id, "purchases.hash_conflict", "alarm", str(err)
                )
            raise
        self.state = state
        self.added += result.added
        self.known += result.known
        self.packages += 1
        if self.on_invoices is not None:
            self.on_invoices(result.added)
        return package.is_truncated, moved

    async def drop_pending(self) -> None:
        await self.save(replace(self.state, pending=None))

    async def run_parked(self) -> None:
        """Exports parked as stuck are polled once each: a finished one is stored (deduplicated; it
        never moves the cursor), an expired one forgotten."""
        keep: list[PendingExport] = []
        for parked in self.state.parked:
            if export_expired(parked, self.clock()):
                continue
            try:
                status = await self._status_once(parked)
            except KsefHttpError:
                keep.append(parked)
                continue
            code = status.status.code if status is not None else EXPORT_RUNNING
            if code == EXPORT_DONE and status is not None and status.package is not None:
                await self.commit(replace(parked, purpose=ExportPurpose.RECONCILE), status.package)
            elif code == EXPORT_RUNNING:
                keep.append(parked)
        if tuple(keep) != self.state.parked:
            await self.save(replace(self.state, parked=tuple(keep)))

    async def _status_once(self, pending: PendingExport) -> ExportStatus | None:
        try:
            status: ExportStatus = await self.ksef.get_export_status(pending.reference)
            return status
        except Gone:
            return None

    async def cursor_package(self) -> bool:
        """One package of the incremental sync. True when another should follow at once (the package
        was truncated, or the cursor is still more than three months behind)."""
        now = self.clock()
        state = self.state
        assert state.cursor is not None
        pending = state.pending
        if pending is not None and export_expired(pending, now):
            await self.drop_pending()
            pending = None
        if pending is None:
            if window_too_short(state.cursor, now):
                return False
            end = window_end(state.cursor, now)
            pending = await self.start(state.cursor, end, ExportPurpose.CURSOR)
            if pending is None:
                return False  # 21183: nothing new below the HWM yet; the cursor stays
            await self.save(replace(self.state, pending=pending))  # before the first poll
        status = await self.poll(pending)
        if status is None:
            if export_stuck(pending, self.clock()):
                parked = (*self.state.parked, pending)
                await self.save(replace(self.state, pending=None, parked=parked))
                if len(parked) >= MAX_IN_FLIGHT:
                    raise PurchaseSyncError(_(STUCK_MESSAGE))
                return True  # one new export next to the parked one
            raise PurchaseSyncError(_("KSeF is still preparing the export; it will be fetched next time."))
        code = status.status.code
        if code == EXPORT_DONE and status.package is not None:
            truncated, moved = await self.commit(pending, status.package)
            # Another package at once while the last was cut short, or while catching up a backlog.
            return moved and (truncated or pending.window_to is not None)
        await self.drop_pending()
        if code == EXPORT_BEYOND_HWM:
            return False  # nothing new below the HWM yet; the cursor stays
        if code == EXPORT_EXPIRED:
            return True  # the package expired before we fetched it: ask again
        raise PurchaseSyncError(
            _("KSeF could not prepare the export."),
            codes=[code] if code else (),
            descriptions=[status.status.description],
            details=status.status.details,
        )

    async def window(self, start: datetime, end: datetime, purpose: ExportPurpose) -> None:
        """Every invoice stored in [start, end] (an explicit period: never moves the cursor)."""
        while start <= end:
            pending = await self.start(start, end, purpose)
            if pending is None:
                return
            status = await self.poll(pending)
            if status is None:
                raise PurchaseSyncError(_("KSeF is still preparing the export; try again later."))
            if status.status.code != EXPORT_DONE or status.package is None:
                raise PurchaseSyncError(
                    _("KSeF could not prepare the export."),
                    codes=[status.status.code] if status.status.code else (),
                    descriptions=[status.status.description],
                )
            package = status.package
            await self.commit(pending, package)
            last = package.last_permanent_storage_date
            if not package.is_truncated or last is None or last <= start:
                return
            start = last


async def _load_state(store: Store, client_id: int, subject: str) -> PurchaseSyncState:
    state = await asyncio.to_thread(store.purchases.state, client_id, subject)
    return state if state is not None else PurchaseSyncState(client_id=client_id, subject=subject)


async def _sync_one(
    store: Store,
    factory: KsefFactory,
    client: Client,
    subject: str,
    *,
    clock: Clock,
    since: date | None,
    force: bool,
    on_invoices: Callable[[int], object],
    reconcile_now: bool = False,
) -> ClientSyncResult:
    assert client.id is not None
    cid = client.id
    if not await asyncio.to_thread(_can_log_in, store, client):
        why = _("No KSeF credential: nothing to fetch with.")
        return ClientSyncResult(cid, client.short_code, client.nip, ok=True, skipped=why)
    state = await _load_state(store, cid, subject)
    now = clock()
    if not due(state, now, force=force):
        when = next_due(state)
        at = when.astimezone(WARSAW).strftime("%H:%M") if when is not None else ""
        if state.blocked_until is not None and now < state.blocked_until:
            why = _("KSeF asked to wait until {time}.").format(time=at)
        else:
            why = _("Synced less than 15 minutes ago; the next sync from {time}.").format(time=at)
        return ClientSyncResult(cid, client.short_code, client.nip, ok=True, skipped=why)
    if state.cursor is None:
        # The starting point is saved before the first call, so a restart starts from the same place.
        first = start_point(default_start(client, now), since)
        # The first sync is itself a full pass over the period: the weekly reconciliation starts from it.
        state = replace(state, cursor=first, started_from=first, last_reconciled=now)
    state = replace(state, last_attempt=now, blocked_until=None)
    await asyncio.to_thread(store.purchases.save_state, state)
    run: _Run | None = None
    try:
        async with client_context(store, factory, cid) as (_client, ksef):
            run = _Run(store, ksef, client, state, clock, on_invoices=on_invoices)
            if run.state.parked:
                await run.run_parked()
            for _n in range(MAX_PACKAGES_PER_RUN):
                if not await run.cursor_package():
                    break
            if subject == SUBJECT_BUYER and (reconcile_now or reconcile_due(run.state, clock())):
                await _reconcile_with(run, RECONCILE_DAYS)
    except RateLimited as err:
        wait = timedelta(seconds=err.retry_after or 60)
        latest = run.state if run is not None else state
        blocked = replace(latest, blocked_until=clock() + wait, last_error=failure_words(err))
        await asyncio.to_thread(store.purchases.save_state, blocked)
        await asyncio.to_thread(record_sync_attempt, store, cid, now, clock(), error=blocked.last_error)
        return _result(client, run, ok=False, error=blocked.last_error)
    except asyncio.CancelledError:
        raise
    except Exception as err:  # one client's trouble never stops the others (cancellation still does)
        words = failure_words(err)
        latest = run.state if run is not None else state
        try:
            await asyncio.to_thread(store.purchases.save_state, replace(latest, last_error=words))
            await asyncio.to_thread(record_sync_attempt, store, cid, now, clock(), error=words)
            await asyncio.to_thread(store.audit.append, cid, "purchases.sync", "failed", words)
        except Exception:  # the store itself may be what failed; the words still reach the user
            pass
        return _result(client, run, ok=False, error=words)
    done = replace(run.state, last_success=clock(), last_error="")
    await asyncio.to_thread(store.purchases.save_state, done)
    await asyncio.to_thread(record_sync_attempt, store, cid, now, clock())
    detail = f"{subject}: {run.added} new, {run.known} known, {run.packages} packages"
    await asyncio.to_thread(store.audit.append, cid, "purchases.sync", "ok", detail)
    return _result(client, run, ok=True)


def _can_log_in(store: Store, client: Client) -> bool:
    """Whether `client_context` has anything to log in with: a credential of the client's own, or the
    office certificate under a grant the latest census found (issue 11: from 2027 a client may hold no
    credential at all and be worked on with the office's). Blocking."""
    if store.credentials.for_client(client.id or 0):
        return True
    return office_granted(store, client.nip) and store.office_certificate.get(with_secrets=False) is not None


def _result(client: Client, run: _Run | None, *, ok: bool, error: str = "") -> ClientSyncResult:
    assert client.id is not None
    added, known, packages = (run.added, run.known, run.packages) if run is not None else (0, 0, 0)
    return ClientSyncResult(client.id, client.short_code, client.nip, ok, added, known, packages, error)


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
    reconcile_now: bool = False,
) -> SyncReport:
    """Sync these clients (None: every client; one with no KSeF credential of its own and no office
    grant to use the office certificate under is skipped, not failed).
    One worker per client context at a time, `concurrency` contexts at once (KSeF counts limits per
    context, so 300 clients do not share one budget); each client's failure is its own line of the
    report. Cancelling stops at the next wait; what was committed stays, and a pending export is resumed
    next time. Reconciliation runs weekly after a successful sync, or now with `reconcile_now`."""
    require(store, Action.SYNC)
    clients: list[Client] = await asyncio.to_thread(store.clients.list)
    if client_ids is not None:
        wanted = set(client_ids)
        clients = [c for c in clients if c.id in wanted]
    report = SyncReport()
    fetched = 0
    done = 0
    gate = asyncio.Semaphore(max(1, concurrency))

    def counted(n: int) -> None:
        nonlocal fetched
        fetched += n

    async def one(client: Client) -> list[ClientSyncResult]:
        nonlocal done
        async with gate:
            results = [
                await _sync_one(
                    store,
                    factory,
                    client,
                    subject,
                    clock=clock,
                    since=since,
                    force=force,
                    on_invoices=counted,
                    reconcile_now=reconcile_now,
                )
                for subject in subjects
            ]
        done += 1
        if on_progress is not None:
            on_progress(SyncProgress(len(clients), done, fetched, client.short_code))
        return results

    if on_progress is not None:
        on_progress(SyncProgress(len(clients), 0, 0))
    for results in await asyncio.gather(*(one(c) for c in clients)):
        report.results += results
    got = sorted({r.client_id for r in report.results if r.added})
    if got:  # issue 13: the new invoices' bookings proposed at once
        await asyncio.to_thread(bookings.propose_new, store, clock, got)
    return report


# --- what's new, reconciliation, re-download ----------------------------------------------------------


async def preview_new(
    store: Store, factory: KsefFactory, client_id: int, *, clock: Clock
) -> list[PurchaseRecord]:
    """Invoices that arrived after the cursor (not yet below the HWM, so not yet exported): one metadata
    query, kept as provisional rows; the cursor never moves. Returns the provisional rows."""
    state = await _load_state(store, client_id, SUBJECT_BUYER)
    client = await asyncio.to_thread(store.clients.get, client_id)
    now = clock()
    start = state.cursor or start_point(default_start(client, now))
    async with client_context(store, factory, client_id) as (_client, ksef):
        page = await ksef.query_invoice_metadata(
            _filters(SUBJECT_BUYER, start, window_end(start, now), restrict=False), page_size=PREVIEW_PAGE
        )
    stored = await asyncio.to_thread(store.purchases.numbers, client_id)
    records = [
        record_from_metadata(client_id, SUBJECT_BUYER, m, status=PurchaseStatus.PROVISIONAL, fetched_at=now)
        for m in page.invoices
        if normalise_number(m.ksef_number) not in stored
    ]
    await asyncio.to_thread(store.purchases.replace_provisional, client_id, records)
    return records


async def _reconcile_with(run: _Run, days: int) -> ReconcileResult:
    now = run.clock()
    start = max(now - timedelta(days=days), run.state.started_from or KSEF_START)
    listed: dict[str, datetime | None] = {}
    filters = _filters(run.state.subject, start, None, restrict=True)
    async for page in run.ksef.iter_invoice_metadata(filters):
        for meta in page.invoices:
            listed[normalise_number(meta.ksef_number)] = meta.permanent_storage_date
    stored = await asyncio.to_thread(run.store.purchases.numbers, run.client_id)
    missing = {n: d for n, d in listed.items() if n not in stored}
    before = run.added
    dates = [d for d in missing.values() if d is not None]
    if dates:
        await run.window(min(dates), max(dates), ExportPurpose.RECONCILE)
    if missing:
        await asyncio.to_thread(
            run.store.audit.append, run.client_id, "purchases.reconcile", "gaps", f"{len(missing)}"
        )
    await run.save(replace(run.state, last_reconciled=now))
    return ReconcileResult(run.client_id, len(listed), len(missing), run.added - before)


async def reconcile(
    store: Store, factory: KsefFactory, client_id: int, *, clock: Clock, days: int = RECONCILE_DAYS
) -> ReconcileResult:
    """KSeF numbers of the last `days` days diffed with the store; gaps fetched; the cursor untouched."""
    require(store, Action.SYNC)
    client = await asyncio.to_thread(store.clients.get, client_id)
    state = await _load_state(store, client_id, SUBJECT_BUYER)
    async with client_context(store, factory, client_id) as (_client, ksef):
        run = _Run(store, ksef, client, state, clock)
        return await _reconcile_with(run, days)


async def redownload(
    store: Store, factory: KsefFactory, client_id: int, start: date, end: date, *, clock: Clock
) -> int:
    """Every purchase invoice stored in KSeF from `start` to `end` (inclusive, Polish dates) fetched
    again; new ones stored, known ones skipped; the cursor untouched. Returns how many were new."""
    require(store, Action.SYNC)
    client = await asyncio.to_thread(store.clients.get, client_id)
    state = await _load_state(store, client_id, SUBJECT_BUYER)
    first = datetime.combine(start, time.min, WARSAW)
    last = min(datetime.combine(end, time.max, WARSAW), clock())
    async with client_context(store, factory, client_id) as (_client, ksef):
        run = _Run(store, ksef, client, state, clock)
        await run.window(first, last, ExportPurpose.REDOWNLOAD)
        return run.added


def list_purchases(
    store: Store, client_ids: Sequence[int] | None = None, since: date | None = None
) -> list[PurchaseRecord]:
    """Stored purchase invoices (provisional ones included), newest receipt first. Blocking."""
    return store.purchases.list(client_ids, since)


__all__ = [
    "ClientSyncResult",
    "ReconcileResult",
    "SyncProgress",
    "SyncReport",
    "list_purchases",
    "preview_new",
    "reconcile",
    "redownload",
    "sync_purchases",
]

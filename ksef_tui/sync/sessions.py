"""Session history: refresh a client's sessions from KSeF into the sealed store (API-NOTES §8, §16).

The store is the first place to look and KSeF the second. GET /sessions allows 60 calls an hour per
context (10 a minute), and one refresh costs at least two calls (online and batch listings are separate),
so a client may be refreshed once every REFRESH_INTERVAL; the time of the next allowed refresh is kept in
the store, so it survives a restart. Invoice lists (GET /sessions/{ref}/invoices, 20 a minute, 200 an
hour) are fetched for at most INVOICE_LISTS_PER_REFRESH changed sessions per refresh; the rest are
fetched when a session is opened.

No textual here. Store calls run in a thread (asyncio.to_thread) so SQLite never blocks the loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ksef_tui.core.clock import WARSAW, Clock
from ksef_tui.core.i18n import _
from ksef_tui.core.ksef_sessions import SessionFilter, SessionInvoiceRecord, SessionRecord
from ksef_tui.core.models import Client, Credential, CredentialKind, CredentialStatus, SyncState
from ksef_tui.core.operators import Action
from ksef_tui.ksef.apilog import redact_text
from ksef_tui.ksef.client import KsefClient
from ksef_tui.ksef.errors import AuthenticationError, KsefHttpError
from ksef_tui.ksef.retry import retry_operation
from ksef_tui.store import DamagedValueError, Store
from ksef_tui.sync.damage import DamagedCredentialError, login_damaged, record_skip
from ksef_tui.sync.permissions import require

KsefFactory = Callable[[Client], AbstractAsyncContextManager[Any]]

REFRESH_INTERVAL = timedelta(minutes=5)  # ≤ 12 refreshes × ~2 calls an hour: well inside 60/h
INVOICE_LISTS_PER_REFRESH = 10  # GET /sessions/{ref}/invoices allows 20 a minute
DEFAULT_PERIOD = timedelta(days=7)
USABLE = {CredentialStatus.ACTIVE, CredentialStatus.PENDING}


class RefreshTooSoon(Exception):
    def __init__(self, next_allowed: datetime) -> None:
        self.next_allowed = next_allowed
        super().__init__(
            _("Sessions were refreshed recently; the next refresh is allowed at {at}.").format(
                # Polish time, as the screen's header says it (not the machine's zone).
                at=f"{next_allowed.astimezone(WARSAW):%H:%M:%S}"
            )
        )


class NoCredential(Exception):
    def __init__(self) -> None:
        super().__init__(_("This client has no usable credential to log in to KSeF."))


@dataclass
class RefreshResult:
    client_id: int
    sessions: int  # sessions listed by KSeF in the period
    invoice_lists: int  # invoice lists fetched
    next_allowed: datetime


# --- conversions from the API models --------------------------------------------------------------


def session_from_api(client_id: int, item: Any, kind: str) -> SessionRecord:
    """A `SessionSummary` (listing) as the store keeps it."""
    total = item.total_invoice_count or 0
    accepted = item.successful_invoice_count or 0
    failed = item.failed_invoice_count or 0
    return SessionRecord(
        client_id=client_id,
        reference=item.reference_number,
        kind=str(item.session_type or kind),
        status_code=int(item.status.code or 0),
        opened=item.date_created,
        updated=item.date_updated,
        status_description=item.status.description or "",
        status_details=list(item.status.details or []),
        valid_until=item.valid_until,
        invoices_total=total,
        invoices_accepted=accepted,
        invoices_rejected=failed,
    )


def invoice_from_api(client_id: int, session_id: int, item: Any) -> SessionInvoiceRecord:
    return SessionInvoiceRecord(
        session_id=session_id,
        client_id=client_id,
        reference=item.reference_number,
        status_code=int(item.status.code or 0),
        ordinal=item.ordinal_number,
        invoice_number=item.invoice_number,
        ksef_number=item.ksef_number,
        status_description=item.status.description or "",
        status_details=list(item.status.details or []),
        extensions=dict(item.status.extensions or {}),
        acquired=item.acquisition_date,
        stored=item.permanent_storage_date,
        invoicing_date=item.invoicing_date,
        invoice_hash=item.invoice_hash,
        file_name=item.invoice_file_name,
        mode=str(item.invoicing_mode) if item.invoicing_mode else None,
    )


# --- logging in -------------------------------------------------------------------------------------


def _credential_order(cred: Credential) -> tuple[int, int]:
    """The order the demo's seeded session history assumes (demo/sessions.py): tokens first."""
    kind_rank = {CredentialKind.KSEF_TOKEN: 0}.get(cred.kind, 1)
    return (0 if cred.status is CredentialStatus.ACTIVE else 1, kind_rank)


# Issue 11: the client's own certificate, then the office certificate (under the client's grant), then
# a token (tokens stop working after 2026-12-31).
_KIND_RANK = {
    CredentialKind.KSEF_CERTIFICATE: 0,
    CredentialKind.OFFICE_CERTIFICATE: 1,
    CredentialKind.KSEF_TOKEN: 2,
}


def _login_order(cred: Credential) -> tuple[int, int]:
    return (0 if cred.status is CredentialStatus.ACTIVE else 1, _KIND_RANK.get(cred.kind, 3))


@asynccontextmanager
async def client_context(
    store: Store, factory: KsefFactory, client_id: int, clock: Clock | None = None
) -> AsyncIterator[tuple[Client, Any]]:
    """(client, KsefClient authenticated in the client's context), trying its credentials best first.
    `clock` stamps a re-census after a refused permission (default: the store's clock)."""
    # deferred: sync.grants reads the office profile (sync.office -> sync.upo -> this module).
    from ksef_tui.sync.grants import grant_refused, office_granted, recensus_client

    client: Client = await asyncio.to_thread(store.clients.get, client_id)
    creds: list[Credential] = await asyncio.to_thread(store.credentials.for_client, client_id)
    damaged = [c for c in creds if login_damaged(client, c)]  # never sent to KSeF: docs/SECURITY.md
    if damaged:
        await record_skip(store, client_id, "sessions.login", damaged[0])
    creds = [c for c in creds if not login_damaged(client, c)]
    # The office certificate, in any client's context under the grant the client gave the office; only
    # where the latest census found one (else it would only earn a 415).
    if not client.login_damaged and await asyncio.to_thread(office_granted, store, client.nip):
        office = await asyncio.to_thread(store.office_certificate.get)
        if office is not None and not office.damaged:
            creds.append(office)
    usable = sorted((c for c in creds if c.status in USABLE and c.secret), key=_login_order)
    if not usable:
        raise DamagedCredentialError if damaged else NoCredential
    async with factory(client) as ksef:
        ctx = ksef.for_context(client.nip)
        last: Exception | None = None
        for cred in usable:
            try:
                if cred.kind is CredentialKind.KSEF_TOKEN:
                    await ctx.authenticate_with_token(client.nip, cred.secret)
                else:
                    if not cred.certificate_pem:
                        continue
                    await ctx.authenticate_with_certificate(client.nip, cred.certificate_pem, cred.secret)
            except (AuthenticationError, KsefHttpError, ValueError) as err:
                last = err
                # The credential was used, and refused: recorded too (the kind and the error's class,
                # never the message, which may quote what was sent).
                detail = f"{cred.kind.value}: {type(err).__name__}"
                await asyncio.to_thread(store.audit.append, client_id, "sessions.login", "failed", detail)
                continue
            await asyncio.to_thread(store.audit.append, client_id, "sessions.login", "ok", cred.kind.value)
            try:
                yield client, ctx
            except KsefHttpError as err:
                if grant_refused(err):  # 403 missing-permissions or 21301: re-run this client's census
                    await recensus_client(store, factory, client, clock or store.clock)
                raise
            return
        if last is not None:
            raise last
        raise NoCredential


# --- refreshing -----------------------------------------------------------------------------------


async def next_refresh_allowed(store: Store, client_id: int) -> datetime | None:
    _last, allowed = await asyncio.to_thread(store.ksef_sessions.refresh_times, client_id)
    return allowed


async def refresh_sessions(
    store: Store,
    factory: KsefFactory,
    client_id: int,
    clock: Clock,
    *,
    since: datetime | None = None,
    force: bool = False,
    invoice_lists: int = INVOICE_LISTS_PER_REFRESH,
) -> RefreshResult:
    """List the client's online and batch sessions opened since `since` (default: 7 days) and store them,
    with the invoice lists of up to `invoice_lists` sessions that changed. Raises RefreshTooSoon
    unless `force` (the rate limits still apply inside the KSeF client).

    Every attempt that reaches the login is recorded in the client's sync state (what "Synchronizacja"
    on the client screen and the "last sync failed" health reason read): a success as its last success,
    a failure as its last error. A refresh not yet due is no attempt; a cancelled one records nothing."""
    require(store, Action.SYNC)
    now = clock()
    allowed = await next_refresh_allowed(store, client_id)
    if not force and allowed is not None and now < allowed:
        raise RefreshTooSoon(allowed)
    since = since or (now - DEFAULT_PERIOD)
    try:
        async with client_context(store, factory, client_id, clock) as (_client, ksef):
            # Only reads and upserts: repeated whole while KSeF fails transiently (ksef/retry.py).
            result: RefreshResult = await retry_operation(
                lambda: refresh_with(store, ksef, client_id, clock, since=since, invoice_lists=invoice_lists),
                ksef.core.retry,
                ksef.core.timing,
                what="session refresh",
            )
    except Exception as err:  # recorded, then raised as before (cancellation is not an attempt's end)
        await asyncio.to_thread(record_sync_attempt, store, client_id, now, clock(), error=failure_words(err))
        raise
    await asyncio.to_thread(record_sync_attempt, store, client_id, now, clock())
    return result


SYNC_ERROR_CAP = 300  # characters of the last error kept: one line on the client screen and the board


def failure_words(err: BaseException) -> str:
    """Why a sync failed, as the user is told: the exception's own words (KSeF errors and ours are
    translated), redacted like the API log, on one line; the exception's type when it has none."""
    words = " ".join(redact_text(str(err)).split()) or type(err).__name__
    return words if len(words) <= SYNC_ERROR_CAP else words[: SYNC_ERROR_CAP - 1] + "…"


def record_sync_attempt(
    store: Store, client_id: int, attempted: datetime, finished: datetime, *, error: str = ""
) -> None:
    """Record one sync attempt: a success (`error` empty) at `finished`, or a failure with its words.

    A failure keeps the last success, so the board can say since when nothing has succeeded. A sync
    state whose sealed error no longer authenticates is left as it is: nothing is written over a
    damaged value but by the user (docs/DECISIONS.md), and the damage keeps the client red anyway."""
    previous = store.sync_state.get(client_id)
    if previous is not None and previous.damaged:
        return
    last_success = previous.last_success if previous is not None else None
    if not error:
        last_success = finished
    try:
        store.sync_state.set(SyncState(client_id, attempted, last_success, error))
    except DamagedValueError:
        # The client's own key no longer authenticates: nothing can be sealed for it, and the board
        # already shows it red with "damaged in the store". The refresh's outcome stays the news.
        return


async def refresh_with(
    store: Store, ksef: KsefClient, client_id: int, clock: Clock, *, since: datetime, invoice_lists: int
) -> RefreshResult:
    """The refresh itself, on an authenticated KsefClient."""
    records: list[SessionRecord] = []
    for kind in ("Online", "Batch"):
        async for page in ksef.iter_sessions(kind, page_size=1000, date_created_from=since):
            records += [session_from_api(client_id, item, kind) for item in page.sessions]
    before = {}
    for rec in records:
        known = await asyncio.to_thread(store.ksef_sessions.find, client_id, rec.reference)
        before[rec.reference] = known
    await asyncio.to_thread(store.ksef_sessions.upsert, records)
    changed = [
        r
        for r in records
        if r.invoices_total
        and (
            (old := before.get(r.reference)) is None
            or old.invoices_fetched is None
            or old.status_code != r.status_code
            or old.invoices_total != r.invoices_total
        )
    ]
    fetched = 0
    for rec in changed[:invoice_lists]:
        assert rec.id is not None
        await fetch_invoices_with(store, ksef, rec)
        fetched += 1
    now = clock()
    next_allowed = now + REFRESH_INTERVAL
    await asyncio.to_thread(store.ksef_sessions.record_refresh, client_id, now, next_allowed)
    return RefreshResult(client_id, len(records), fetched, next_allowed)


async def fetch_invoices_with(
    store: Store, ksef: KsefClient, record: SessionRecord
) -> list[SessionInvoiceRecord]:
    assert record.id is not None
    items = await ksef.all_session_invoices(record.reference)
    invoices = [invoice_from_api(record.client_id, record.id, item) for item in items]
    await asyncio.to_thread(store.ksef_sessions.replace_invoices, record.id, invoices)
    # The status may have moved on since the listing (a session that finished processing).
    status = await ksef.get_session_status(record.reference)
    if status.status.code is not None and int(status.status.code) != record.status_code:
        record.status_code = int(status.status.code)
        record.status_description = status.status.description or ""
        record.status_details = list(status.status.details or [])
        record.updated = status.date_updated or record.updated
        record.invoices_total = status.invoice_count or record.invoices_total
        record.invoices_accepted = status.successful_invoice_count or 0
        record.invoices_rejected = status.failed_invoice_count or 0
        await asyncio.to_thread(store.ksef_sessions.upsert, [record])
    return invoices


async def fetch_session_invoices(
    store: Store, factory: KsefFactory, record: SessionRecord
) -> list[SessionInvoiceRecord]:
    """Fetch one session's invoices from KSeF (when they are not in the store, or on request)."""
    await asyncio.to_thread(require, store, Action.SYNC, record.client_id)
    async with client_context(store, factory, record.client_id) as (_client, ksef):
        return await retry_operation(
            lambda: fetch_invoices_with(store, ksef, record),
            ksef.core.retry,
            ksef.core.timing,
            what="session invoices",
        )


async def find_or_fetch_session(
    store: Store, factory: KsefFactory | None, client_id: int, reference: str
) -> SessionRecord | None:
    """A session by reference: from the store, else (one GET /sessions call per type) from KSeF."""
    found = await asyncio.to_thread(store.ksef_sessions.find, client_id, reference)
    if found is not None or factory is None:
        return found
    await asyncio.to_thread(require, store, Action.SYNC, client_id)
    async with client_context(store, factory, client_id) as (_client, ksef):
        for kind in ("Online", "Batch"):
            page = await ksef.list_sessions(kind, reference_number=reference, page_size=10)
            if page.sessions:
                record = session_from_api(client_id, page.sessions[0], kind)
                await asyncio.to_thread(store.ksef_sessions.upsert, [record])
                return record
    return None


# --- use cases the screens and the CLI share ----------------------------------------------------------


@dataclass
class RefreshSummary:
    """What refreshing many clients came to; each client is in exactly one of the three groups."""

    total: int
    refreshed: list[int] = field(default_factory=list)
    too_soon: dict[int, RefreshTooSoon] = field(default_factory=dict)  # client id -> when it is allowed
    failed: dict[int, str] = field(default_factory=dict)  # client id -> why, in the order they failed


RefreshStep = Callable[[int, int], object]  # (clients done, clients in all), before each client


async def refresh_clients(
    store: Store,
    factory: KsefFactory,
    client_ids: list[int],
    clock: Clock,
    *,
    since: datetime | None = None,
    progress: RefreshStep | None = None,
) -> RefreshSummary:
    """Refresh each client's sessions in turn (within the pacing: a client refreshed less than
    REFRESH_INTERVAL ago is left for later). One client's failure never stops the others."""
    require(store, Action.SYNC)
    summary = RefreshSummary(total=len(client_ids))
    for done, client_id in enumerate(client_ids):
        if progress is not None:
            progress(done, len(client_ids))
        try:
            await refresh_sessions(store, factory, client_id, clock, since=since)
        except RefreshTooSoon as err:
            summary.too_soon[client_id] = err
        except Exception as err:  # one client's trouble must not stop the rest (cancellation still does)
            summary.failed[client_id] = failure_words(err)
        else:
            summary.refreshed.append(client_id)
    return summary


@dataclass
class SessionsPage:
    """The first page of sessions a filter selects, with what the sessions screen shows around it."""

    clients: dict[int, Client]
    total: int
    records: list[SessionRecord]
    next_allowed: datetime | None  # the one client's next allowed refresh (None for every client)


def _read_page(
    store: Store, flt: SessionFilter, size: int, clients: dict[int, Client] | None
) -> SessionsPage:
    if not clients:
        if flt.client_id is not None:
            clients = {flt.client_id: store.clients.get(flt.client_id)}
        else:
            clients = {c.id: c for c in store.clients.list() if c.id is not None}
    total, records = store.ksef_sessions.count_and_page(flt, size)
    allowed = store.ksef_sessions.refresh_times(flt.client_id)[1] if flt.client_id is not None else None
    return SessionsPage(clients, total, records, allowed)


async def load_sessions(
    store: Store, flt: SessionFilter, size: int, clients: dict[int, Client] | None = None
) -> SessionsPage:
    """The first `size` sessions `flt` selects, newest first, from the store (in a thread). The clients
    are read too unless the caller already has them (`clients`)."""
    return await asyncio.to_thread(_read_page, store, flt, size, clients)


async def more_sessions(store: Store, flt: SessionFilter, offset: int, size: int) -> list[SessionRecord]:
    """The next page of sessions from `offset` (in a thread)."""
    return await asyncio.to_thread(store.ksef_sessions.page, flt, offset, size)


@dataclass
class SessionView:
    """One session with its client and its invoices, as the session screen shows it."""

    client: Client
    record: SessionRecord
    invoices: list[SessionInvoiceRecord]


def _read_session(store: Store, record: SessionRecord, client: Client | None) -> SessionView:
    assert record.id is not None
    client = client or store.clients.get(record.client_id)
    fresh = store.ksef_sessions.get(record.id) or record
    return SessionView(client, fresh, store.ksef_sessions.invoices(record.id))


async def load_session(store: Store, record: SessionRecord, client: Client | None = None) -> SessionView:
    """The session as the store has it now (in a thread); `client` saves reading it again."""
    return await asyncio.to_thread(_read_session, store, record, client)

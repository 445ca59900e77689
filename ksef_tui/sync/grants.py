"""The office in 2027 (issue 11 items 3-5): the grant census, the per-client probe, readiness rows and
the grant request. Shared by the screens and `ksef-tui readiness`.

- Census: logged in with the office certificate in the office's OWN context, page
  `POST /permissions/query/entities/grants` (100 a page: 300 clients = 3 calls), optionally cross-check
  with `personal/grants`; per client NIP read / write / canDelegate / since. All or nothing: a census
  interrupted by faults stores nothing, so the previous census stands (a fault never turns a client red).
- Probe: the office certificate's login in a client's context: 200 works, 415 no grant, 460/480/...
  explained (core/readiness.py `probe_words`). An inconclusive probe (KSeF unreachable) is not recorded.
- `readiness_rows(store, clock)`: the readiness of every client from what the store holds.

No textual here. Store calls run in a thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, suppress
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ksef_tui.core.clock import WARSAW, Clock
from ksef_tui.core.i18n import _
from ksef_tui.core.models import Client, Credential, Environment
from ksef_tui.core.nip import InvalidNip, normalize_nip
from ksef_tui.core.operators import Action
from ksef_tui.core.readiness import (
    Census,
    GrantChange,
    OfficeCertificateSummary,
    OfficeGrant,
    Probe,
    Readiness,
    Ready,
    census_changes,
    client_readiness,
    grant_request_text,
    not_clients,
    office_certificate_summary,
    readiness_counts,
    still_not_granted,
)
from ksef_tui.core.safe_paths import safe_component, write_private_file
from ksef_tui.ksef.errors import (
    AuthenticationError,
    KsefError,
    KsefHttpError,
    MissingPermissions,
)
from ksef_tui.ksef.retry import retry_operation
from ksef_tui.store import Store
from ksef_tui.sync.permissions import require

KsefFactory = Callable[[Client], AbstractAsyncContextManager[Any]]
Progress = Callable[[int, int], object]
CENSUS_PAGE = 100
REFUSED_CODE = 21301


class OfficeNotReady(Exception):
    """The office cannot log in on its own: no NIP in the profile, or no office certificate."""


def grant_refused(err: BaseException) -> bool:
    """A KSeF answer saying the grant changed: 403 missing-permissions, or 21301 (refused)."""
    return isinstance(err, MissingPermissions) or (
        isinstance(err, KsefHttpError) and REFUSED_CODE in err.codes
    )


def office_granted(store: Store, nip: str) -> bool:
    """Whether the latest census found a grant from `nip` to the office (blocking)."""
    latest = store.grant_censuses.latest(1)
    if not latest:
        return False
    grant = latest[0].grant_for(nip)
    return grant.read or grant.write


# The office profile's setting (sync/office.py PROFILE_SETTING; read here directly because sync.office
# imports sync.upo, which imports sync.sessions, which calls this module).
_PROFILE_SETTING = "office.profile"


def _office_identity(store: Store) -> tuple[str, str, Environment]:
    """(NIP or "", name, environment) from the office profile. Blocking."""
    raw = store.settings.get(_PROFILE_SETTING)
    raw = raw if isinstance(raw, dict) else {}
    try:
        nip = normalize_nip(str(raw.get("nip") or "")) if raw.get("nip") else ""
    except InvalidNip:
        nip = ""
    try:
        environment = Environment(str(raw.get("environment") or Environment.PROD.value))
    except ValueError:
        environment = Environment.PROD
    return nip, str(raw.get("name") or ""), environment


def office_client(store: Store) -> Client:
    """The office itself as a KSeF context (its NIP, its default environment). Blocking."""
    nip, name, environment = _office_identity(store)
    if not nip:
        raise OfficeNotReady(_("Set the office's NIP first (ksef-tui office set nip ...)."))
    return Client(name or _("Office"), "BIURO", [nip], environment, id=0)


def _office_credential(store: Store) -> Credential:
    cred = store.office_certificate.get()
    if cred is None or not cred.certificate_pem or not cred.secret:
        raise OfficeNotReady(_("The office has no KSeF certificate: import or enrol one first."))
    if cred.damaged:
        raise OfficeNotReady(_("The office certificate is damaged in the store: import it again."))
    return cred


@asynccontextmanager
async def office_session(store: Store, factory: KsefFactory) -> AsyncIterator[tuple[Client, Any]]:
    """A KSeF client logged in with the office certificate in the office's own context."""
    office = await asyncio.to_thread(office_client, store)
    cred = await asyncio.to_thread(_office_credential, store)
    async with factory(office) as ksef:
        ctx = ksef.for_context(office.nip)
        assert cred.certificate_pem is not None
        try:
            await ctx.authenticate_with_certificate(office.nip, cred.certificate_pem, cred.secret)
        except Exception as err:
            await asyncio.to_thread(
                store.audit.append, None, "office_certificate.login", "failed", type(err).__name__
            )
            raise
        await asyncio.to_thread(store.audit.append, None, "office_certificate.login", "ok", cred.serial or "")
        yield office, ctx


# --- the census ---------------------------------------------------------------------------------------------


@dataclass
class CensusResult:
    census: Census
    previous: Census | None
    changes: list[GrantChange]
    not_clients: list[str]  # NIPs that granted the office but are not clients: offer to add them
    only_in_personal: list[str] = field(default_factory=list)  # the cross-check's disagreements
    calls: int = 0  # entities/grants pages read


async def read_entity_grants(ctx: Any, now: datetime, client_nip: str | None = None) -> tuple[Census, int]:
    """Every page of entities/grants (100 a page) as one Census; (census, pages read)."""
    rows: dict[str, dict[str, Any]] = {}
    offset = pages = 0
    while True:
        page = await ctx.query_entity_grants(client_nip, page_offset=offset, page_size=CENSUS_PAGE)
        pages += 1
        for item in page.permissions:
            nip = item.context_identifier.value if item.context_identifier else None
            if not nip:
                continue
            row = rows.setdefault(
                nip, {"read": False, "write": False, "delegate": False, "since": None, "ids": []}
            )
            if item.permission_scope == "InvoiceRead":
                row["read"] = True
            elif item.permission_scope == "InvoiceWrite":
                row["write"] = True
            row["delegate"] = row["delegate"] or bool(item.can_delegate)
            if item.start_date and (row["since"] is None or item.start_date < row["since"]):
                row["since"] = item.start_date
            if item.id:
                row["ids"].append(item.id)
        if not page.has_more or offset > 1000:
            break
        offset += 1
    grants = {
        nip: OfficeGrant(nip, r["read"], r["write"], r["delegate"], r["since"], tuple(r["ids"]))
        for nip, r in rows.items()
    }
    return Census(now, grants), pages


async def run_census(
    store: Store,
    factory: KsefFactory,
    clock: Clock,
    *,
    client_nip: str | None = None,
    cross_check: bool = True,
) -> CensusResult:
    """Take the census (of every client, or of `client_nip` alone, merged into the latest one), store it
    sealed and return it with the changes since the previous census. Raises when KSeF cannot be read
    (nothing is stored then)."""
    require(store, Action.OFFICE)
    previous_list = await asyncio.to_thread(store.grant_censuses.latest, 1)
    previous = previous_list[0] if previous_list else None
    async with office_session(store, factory) as (office, ctx):

        async def whole() -> tuple[Census, int, list[str]]:
            census, pages = await read_entity_grants(ctx, clock(), client_nip)
            only: list[str] = []
            if cross_check:
                filters: dict[str, Any] = {
                    "permissionTypes": ["InvoiceRead", "InvoiceWrite"],
                    "permissionState": "Active",
                }
                if client_nip:
                    filters["contextIdentifier"] = {"type": "Nip", "value": client_nip}
                personal = await ctx.all_personal_permissions(filters)
                seen = {
                    p.context_identifier.value
                    for p in personal
                    if p.context_identifier and p.context_identifier.value not in (None, office.nip)
                }
                only = sorted(n for n in seen if n and n not in census.grants)
            return census, pages, only

        census, pages, only = await retry_operation(
            whole, ctx.core.retry, ctx.core.timing, what="grant census"
        )
    if client_nip is not None:
        merged = dict(previous.grants) if previous is not None else {}
        merged.pop(client_nip, None)
        merged.update(census.grants)
        census = Census(census.taken_at, merged)
    await asyncio.to_thread(store.grant_censuses.record, census, client_nip)
    clients = await asyncio.to_thread(store.clients.list)
    changes = census_changes(previous, census)
    if client_nip is not None:
        changes = [c for c in changes if c.nip == client_nip]
    await asyncio.to_thread(
        store.audit.append,
        None,
        "grants.census",
        "ok",
        f"{len(census.grants)} grants, {len(changes)} changes",
    )
    return CensusResult(
        census,
        previous,
        changes,
        not_clients(census, (n for c in clients for n in c.nips)),
        only,
        pages,
    )


async def recensus_client(store: Store, factory: KsefFactory, client: Client, clock: Clock) -> None:
    """Re-run the census for one client after KSeF refused a permission (best effort: a failure here
    must not hide the refusal being reported). `clock` stamps the census (the caller's, never the
    system's: tests and the demo run on their own time)."""
    with suppress(Exception):
        require(store, Action.OFFICE)  # the census is the office's: an operator's run skips it
        await run_census(store, factory, clock, client_nip=client.nip, cross_check=False)


# --- the probe ----------------------------------------------------------------------------------------------


async def probe_one(ksef: Any, client: Client, cred: Credential, now: Callable[[], datetime]) -> Probe:
    """The office certificate's login in the client's context; status None when KSeF could not say."""
    ctx = ksef.for_context(client.nip)
    assert cred.certificate_pem is not None
    try:
        await ctx.authenticate_with_certificate(client.nip, cred.certificate_pem, cred.secret)
    except AuthenticationError as err:
        if err.code in (500, 550) or err.code is None:
            return Probe(now(), None, str(err)[:200])
        return Probe(now(), err.code, str(err)[:200])
    except KsefError as err:
        return Probe(now(), None, str(err)[:200])
    return Probe(now(), 200, _("Authenticated in KSeF."))


async def probe_clients(
    store: Store,
    factory: KsefFactory,
    clock: Clock,
    client_ids: list[int],
    progress: Progress | None = None,
    concurrency: int = 8,
) -> dict[int, Probe]:
    """Probe these clients with the office certificate (at most `concurrency` at once; cancellable).
    Conclusive results are stored per client; inconclusive ones (KSeF unreachable) are returned only."""
    require(store, Action.CHECK)
    cred = await asyncio.to_thread(_office_credential, store)
    gate = asyncio.Semaphore(concurrency)
    results: dict[int, Probe] = {}
    done = failed = 0
    clients = [await asyncio.to_thread(store.clients.get, cid) for cid in client_ids]
    if not clients:
        return results

    async with factory(clients[0]) as ksef:

        async def one(client: Client) -> None:
            nonlocal done, failed
            async with gate:
                probe = await probe_one(ksef, client, cred, clock)
                results[client.id or 0] = probe
                if probe.status is not None:
                    await asyncio.to_thread(store.client_office.record_probe, client.id or 0, probe)
                result = "ok" if probe.status == 200 else "failed"
                status = str(probe.status) if probe.status is not None else "unknown"
                await asyncio.to_thread(
                    store.audit.append, client.id, "office_certificate.probe", result, status
                )
                if probe.status != 200:
                    failed += 1
                done += 1
                if progress is not None:
                    progress(done, failed)

        await asyncio.gather(*(one(c) for c in clients if not c.login_damaged))
    return results


# --- readiness and the grant request -----------------------------------------------------------------------

_ORDER = {Ready.NO: 0, Ready.PARTLY: 1, Ready.YES: 2}


def readiness_rows(store: Store, clock: Clock) -> list[Readiness]:
    """Every client's readiness for 2027-01-01 from what the store holds (blocking): not ready first,
    then partly, then ready; by name within each."""
    now = clock()
    office = store.office_certificate.get(with_secrets=False)
    latest = store.grant_censuses.latest(1)
    census = latest[0] if latest else None
    states = store.client_office.all()
    rows = []
    for row in store.board_rows():
        client = row.client
        state = states.get(client.id or 0)
        rows.append(
            client_readiness(
                client,
                row.credentials,
                office,
                census,
                now,
                probe=state.probe if state else None,
                grant_requested=state.grant_requested if state else None,
            )
        )
    rows.sort(key=lambda r: (_ORDER[r.ready], r.client.name.lower()))
    return rows


async def load_readiness(store: Store, clock: Clock) -> list[Readiness]:
    return await asyncio.to_thread(readiness_rows, store, clock)


def mark_grant_requested(store: Store, client_id: int, day: date | None) -> None:
    """Record that the office asked the client for the grant on `day` (None clears it). Blocking."""
    require(store, Action.CLIENTS, client_id)
    store.client_office.set_grant_requested(client_id, day)
    store.audit.append(client_id, "grants.requested", "ok", day.isoformat() if day else "cleared")


def grant_request_for(store: Store, client_id: int) -> str:
    """The step-by-step grant request for one client, with the office's NIP and name. Blocking."""
    nip, name, _environment = _office_identity(store)
    if not nip:
        raise OfficeNotReady(_("Set the office's NIP first (ksef-tui office set nip ...)."))
    return grant_request_text(nip, name, store.clients.get(client_id))


# --- the readiness screen's view ---------------------------------------------------------------------------

NOT_GRANTED_DAYS = 7  # "still has not granted" after this many days since the office asked


def clients_still_not_granted(store: Store, clock: Clock, days: int = NOT_GRANTED_DAYS) -> list[Client]:
    """Clients the office asked for the grant at least `days` ago that still have none in the latest
    census, by name (blocking)."""
    latest = store.grant_censuses.latest(1)
    clients = {c.id or 0: c for c in store.clients.list()}
    ids = still_not_granted(
        store.client_office.all().values(),
        latest[0] if latest else None,
        {cid: c.nip for cid, c in clients.items()},
        clock(),
        days,
    )
    return sorted((clients[i] for i in ids if i in clients), key=lambda c: c.name.lower())


@dataclass(frozen=True)
class ReadinessView:
    """What the readiness screen shows, read in one go."""

    rows: list[Readiness]
    counts: dict[Ready, int]
    office: OfficeCertificateSummary
    census_at: datetime | None  # the latest census (None: never taken)
    previous_at: datetime | None  # the one before it
    changes: list[GrantChange]  # between the two
    not_clients: list[str]  # NIPs that granted the office but are not clients
    still_not_granted: list[Client]  # asked `days` ago or earlier, still no grant
    requested: dict[int, date]  # client id -> the day the office asked for the grant
    days: int = NOT_GRANTED_DAYS


def read_readiness_view(store: Store, clock: Clock, days: int = NOT_GRANTED_DAYS) -> ReadinessView:
    """The readiness screen's data (blocking: call it in a thread, or use `load_readiness_view`)."""
    now = clock()
    rows = readiness_rows(store, clock)
    office = store.office_certificate.get(with_secrets=False)
    board = store.board_rows()
    summary = office_certificate_summary(
        office, {r.client.id or 0: r.credentials for r in board}, [r.client.id or 0 for r in board], now
    )
    latest = store.grant_censuses.latest(2)
    census = latest[0] if latest else None
    previous = latest[1] if len(latest) > 1 else None
    changes = census_changes(previous, census) if census is not None else []
    nips = [n for r in board for n in r.client.nips]
    requested = {
        cid: state.grant_requested
        for cid, state in store.client_office.all().items()
        if state.grant_requested is not None
    }
    return ReadinessView(
        rows,
        readiness_counts(rows),
        summary,
        census.taken_at if census else None,
        previous.taken_at if previous else None,
        changes,
        not_clients(census, nips) if census is not None else [],
        clients_still_not_granted(store, clock, days),
        requested,
        days,
    )


async def load_readiness_view(store: Store, clock: Clock, days: int = NOT_GRANTED_DAYS) -> ReadinessView:
    return await asyncio.to_thread(read_readiness_view, store, clock, days)


def grant_request_file_name(short_code: str, day: date, attempt: int = 1) -> str:
    """ "prosba-o-uprawnienie-KOWALSKI-2026-11-21.txt" (then -2, -3 ...): a safe name, one component."""
    suffix = f"-{attempt}" if attempt > 1 else ""
    return safe_component(f"prosba-o-uprawnienie-{short_code}-{day.isoformat()}{suffix}.txt")


def save_grant_request(store: Store, client_id: int, folder: Path, now: datetime) -> Path:
    """Write the client's grant request as a text file in `folder` (0600, never over an existing file:
    -2, -3 ... are added) and record that the office asked today. Returns the file. Blocking."""
    require(store, Action.CLIENTS, client_id)
    text = grant_request_for(store, client_id)
    client = store.clients.get(client_id)
    day = now.astimezone(WARSAW).date()
    for attempt in range(1, 1000):
        name = grant_request_file_name(client.short_code, day, attempt)
        if not (folder / name).exists() and not (folder / name).is_symlink():
            break
    else:  # pragma: no cover - a thousand requests on one day
        raise FileExistsError(name)
    path = write_private_file(folder, [name], text.encode("utf-8"))
    mark_grant_requested(store, client_id, day)
    return path

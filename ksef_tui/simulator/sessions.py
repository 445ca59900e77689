"""Session history and status: GET /sessions, /sessions/{ref}, its invoices and UPOs (API-NOTES §8-§9)."""

from __future__ import annotations

from datetime import datetime, timedelta

from starlette.responses import Response

from ksef_tui.core.clock import WARSAW
from ksef_tui.core.ksef_number import PATTERN as KSEF_PATTERN
from ksef_tui.simulator import statuses
from ksef_tui.simulator.errors import ApiError, validation
from ksef_tui.simulator.faults import damage_upo
from ksef_tui.simulator.model import Invoice, Session
from ksef_tui.simulator.refs import iso, sha256_b64
from ksef_tui.simulator.routing import Ctx, json_response, page_by_continuation, route
from ksef_tui.simulator.upo import invoice_upo, make_pages, session_upo

READ_PERMS = ("InvoiceWrite", "Introspection", "PefInvoiceWrite", "EnforcementOperations")
LIST_PERMS = ("InvoiceWrite", "Introspection", "EnforcementOperations")
DOWNLOAD_LIFETIME = timedelta(days=3)


def sees_all(ctx: Ctx) -> bool:
    return ctx.has_any("Introspection", "EnforcementOperations")


def visible(ctx: Ctx, session: Session) -> bool:
    """Introspection sees every session of the context; InvoiceWrite only the caller's own."""
    assert ctx.op is not None
    if session.context_nip != ctx.context_nip:
        return False
    return sees_all(ctx) or session.opened_by == ctx.op.subject


def settle(ctx: Ctx, session: Session, *, poll: bool) -> None:
    """A closed session is 'processing' (170/150) for a few status polls, then gets its final state."""
    if session.final_status is None:
        return
    if poll and session.status_polls_after_close > 0:
        session.status_polls_after_close -= 1
        return
    if session.status_polls_after_close > 0:
        return
    session.status_code = session.final_status
    session.final_status = None
    session.updated = max(session.updated, ctx.now())
    if session.status_code == 200 and session.accepted and not session.upo_pages:
        session.upo_pages = make_pages(session, ctx.world.runtime_rng)


def _table(session: Session) -> dict[int, str]:
    return statuses.ONLINE_SESSION if session.kind == "Online" else statuses.BATCH_SESSION


def _status(session: Session) -> dict:
    return statuses.status(_table(session), session.status_code, session.status_details)


def _parse_dt(raw: str | None, name: str) -> datetime | None:
    if raw is None or raw == "":
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise validation(f"Parametr {name} nie jest poprawną datą.") from exc
    if value.tzinfo is None:
        value = value.replace(tzinfo=WARSAW)
    return value


def _in(value: datetime | None, lo: datetime | None, hi: datetime | None) -> bool:
    if lo is None and hi is None:
        return True
    if value is None:
        return False
    return (lo is None or value >= lo) and (hi is None or value <= hi)


@route("GET", "/sessions", permissions=LIST_PERMS)
async def list_sessions(ctx: Ctx) -> Response:
    q = ctx.request.query_params
    kind = q.get("sessionType")
    if kind not in ("Online", "Batch"):
        raise validation("Parametr sessionType jest wymagany (Online|Batch).")
    page_size = ctx.query_int("pageSize", 10, 10, 1000)
    wanted = q.getlist("statuses")
    if any(s not in ("InProgress", "Succeeded", "Failed", "Cancelled") for s in wanted):
        raise validation("Nieprawidłowa wartość parametru statuses.")
    ref = q.get("referenceNumber")
    bounds = {
        n: _parse_dt(q.get(n), n)
        for n in (
            "dateCreatedFrom",
            "dateCreatedTo",
            "dateClosedFrom",
            "dateClosedTo",
            "dateModifiedFrom",
            "dateModifiedTo",
        )
    }
    tp = ctx.world.taxpayer(ctx.context_nip)
    out = []
    for s in tp.sessions if tp else []:
        if s.kind != kind or not visible(ctx, s):
            continue
        settle(ctx, s, poll=False)
        if ref and s.reference != ref:
            continue
        if wanted and statuses.session_filter(s.status_code) not in wanted:
            continue
        if not (
            _in(s.created, bounds["dateCreatedFrom"], bounds["dateCreatedTo"])
            and _in(s.closed, bounds["dateClosedFrom"], bounds["dateClosedTo"])
            and _in(s.updated, bounds["dateModifiedFrom"], bounds["dateModifiedTo"])
        ):
            continue
        out.append(s)
    out.sort(key=lambda s: s.created, reverse=True)
    page, token = page_by_continuation(ctx, f"sessions:{ctx.context_nip}:{kind}", out, page_size)
    items = [
        {
            "referenceNumber": s.reference,
            "status": _status(s),
            "dateCreated": iso(s.created),
            "dateUpdated": iso(s.updated),
            "validUntil": iso(s.valid_until) if s.valid_until else None,
            "totalInvoiceCount": len(s.invoices),
            "successfulInvoiceCount": len(s.accepted),
            "failedInvoiceCount": len(s.failed),
        }
        for s in page
    ]
    return json_response({"continuationToken": token, "sessions": items})


def find_session(ctx: Ctx) -> Session:
    ref = ctx.request.path_params["referenceNumber"]
    session = ctx.world.sessions.get(ref)
    if session is None or not visible(ctx, session):
        raise ApiError(21173, f"Sesja o numerze referencyjnym {ref} nie została znaleziona.")
    return session


def storage_url(ctx: Ctx, path: str) -> str:
    """A pre-signed, unauthenticated download link served by the simulator (outside /v2)."""
    return f"{ctx.base_url()}{path}?sig={ctx.sim.sign(path)}"


@route("GET", "/sessions/{referenceNumber}", permissions=READ_PERMS)
async def get_session(ctx: Ctx) -> Response:
    session = find_session(ctx)
    settle(ctx, session, poll=True)
    body: dict = {
        "status": _status(session),
        "dateCreated": iso(session.created),
        "dateUpdated": iso(session.updated),
        "invoiceCount": len(session.invoices),
        "successfulInvoiceCount": len(session.accepted),
        "failedInvoiceCount": len(session.failed),
    }
    if session.valid_until:
        body["validUntil"] = iso(session.valid_until)
    if session.upo_pages:
        expires = iso(ctx.now() + DOWNLOAD_LIFETIME)
        body["upo"] = {
            "pages": [
                {
                    "referenceNumber": p.reference,
                    "downloadUrl": storage_url(ctx, f"/_sim/storage/upo/{session.reference}/{p.reference}"),
                    "downloadUrlExpirationDate": expires,
                }
                for p in session.upo_pages
            ]
        }
    return json_response(body)


def invoice_json(ctx: Ctx, session: Session, inv: Invoice) -> dict:
    out: dict = {
        "ordinalNumber": inv.ordinal,
        "referenceNumber": inv.reference,
        "invoiceHash": inv.hash,
        "invoicingDate": iso(inv.invoicing_date),
        "status": statuses.status(statuses.INVOICE, inv.status_code, inv.status_details),
    }
    if inv.invoice_number:
        out["invoiceNumber"] = inv.invoice_number
    if inv.file_name:
        out["invoiceFileName"] = inv.file_name
    if inv.status_extensions:
        out["status"]["extensions"] = dict(inv.status_extensions)
    if inv.accepted:
        out["ksefNumber"] = inv.ksef_number
        out["acquisitionDate"] = iso(inv.acquisition_date)  # type: ignore[arg-type]  # set on acceptance
        if inv.permanent_storage_date:
            out["permanentStorageDate"] = iso(inv.permanent_storage_date)
        out["invoicingMode"] = inv.invoicing_mode
        out["upoDownloadUrl"] = storage_url(
            ctx, f"/_sim/storage/invoice-upo/{session.reference}/{inv.ksef_number}"
        )
        out["upoDownloadUrlExpirationDate"] = iso(ctx.now() + DOWNLOAD_LIFETIME)
    return out


async def _invoices(ctx: Ctx, failed_only: bool) -> Response:
    session = find_session(ctx)
    page_size = ctx.query_int("pageSize", 10, 10, 1000)
    items = session.failed if failed_only else list(session.invoices)
    scope = f"{'failed' if failed_only else 'invoices'}:{session.reference}"
    page, token = page_by_continuation(ctx, scope, items, page_size)
    return json_response(
        {"continuationToken": token, "invoices": [invoice_json(ctx, session, i) for i in page]}
    )


@route("GET", "/sessions/{referenceNumber}/invoices", permissions=READ_PERMS)
async def list_session_invoices(ctx: Ctx) -> Response:
    return await _invoices(ctx, failed_only=False)


@route("GET", "/sessions/{referenceNumber}/invoices/failed", permissions=READ_PERMS)
async def list_failed_invoices(ctx: Ctx) -> Response:
    return await _invoices(ctx, failed_only=True)


def _invoice_by_ref(ctx: Ctx, session: Session) -> Invoice:
    ref = ctx.request.path_params["invoiceReferenceNumber"]
    inv = next((i for i in session.invoices if i.reference == ref), None)
    if inv is None:
        raise validation(
            f"Faktura o numerze referencyjnym {ref} nie została znaleziona w sesji {session.reference}."
        )
    return inv


@route(
    "GET",
    "/sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}",
    permissions=READ_PERMS,
)
async def get_session_invoice(ctx: Ctx) -> Response:
    session = find_session(ctx)
    return json_response(invoice_json(ctx, session, _invoice_by_ref(ctx, session)))


def xml_response(body: bytes, damage: str | None = None) -> Response:
    """The XML with its x-ms-meta-hash; `damage` (faults.DAMAGE_KINDS) serves it damaged that way."""
    hashed = body
    if damage:
        body, hashed = damage_upo(body, damage)
    return Response(body, media_type="application/xml", headers={"x-ms-meta-hash": sha256_b64(hashed)})


def _upo_ready(ctx: Ctx, key: str) -> bool:
    n = ctx.faults.upo_not_ready_requests
    return n <= 0 or ctx.sim.fault_state.count("upo", key) >= n


@route(
    "GET",
    "/sessions/{referenceNumber}/invoices/ksef/{ksefNumber}/upo",
    permissions=READ_PERMS,
)
async def get_invoice_upo_by_ksef(ctx: Ctx) -> Response:
    session = find_session(ctx)
    number = ctx.request.path_params["ksefNumber"]
    if not KSEF_PATTERN.match(number):
        raise validation(f"Nieprawidłowy numer KSeF: {number}.")
    inv = next((i for i in session.accepted if i.ksef_number == number), None)
    if inv is None or not _upo_ready(ctx, f"{session.reference}:{number}"):
        raise ApiError(
            21178,
            f"UPO o numerze KSeF {number} i numerze referencyjnym sesji {session.reference} "
            "nie zostało znalezione.",
        )
    return xml_response(invoice_upo(session, inv), ctx.faults.upo_damage(number, session.reference))


@route(
    "GET",
    "/sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}/upo",
    permissions=READ_PERMS,
)
async def get_invoice_upo_by_ref(ctx: Ctx) -> Response:
    session = find_session(ctx)
    inv = _invoice_by_ref(ctx, session)
    if not inv.accepted or not _upo_ready(ctx, f"{session.reference}:{inv.ksef_number}"):
        raise ApiError(
            21178, f"UPO faktury {inv.reference} w sesji {session.reference} nie zostało znalezione."
        )
    return xml_response(
        invoice_upo(session, inv), ctx.faults.upo_damage(inv.ksef_number, inv.reference, session.reference)
    )


@route("GET", "/sessions/{referenceNumber}/upo/{upoReferenceNumber}", permissions=READ_PERMS)
async def get_session_upo(ctx: Ctx) -> Response:
    session = find_session(ctx)
    ref = ctx.request.path_params["upoReferenceNumber"]
    page = next((p for p in session.upo_pages if p.reference == ref), None)
    if page is None or not _upo_ready(ctx, f"{session.reference}:{ref}"):
        raise ApiError(
            21178, f"UPO o numerze referencyjnym {ref} dla sesji {session.reference} nie zostało znalezione."
        )
    return xml_response(session_upo(session, page), ctx.faults.upo_damage(ref, session.reference))

"""Pre-signed storage links (outside /v2, no bearer, not rate-limited), like KSeF's blob URLs.

UPO downloads, export parts and batch part uploads. Each link carries an HMAC `sig` bound to its path.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ksef_tui.simulator.faults import damage_upo
from ksef_tui.simulator.refs import sha256_b64
from ksef_tui.simulator.state import SimState
from ksef_tui.simulator.upo import invoice_upo, session_upo


def _denied() -> Response:
    body = '<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code></Error>'
    return Response(body, status_code=403, media_type="application/xml")


def _missing() -> Response:
    body = '<?xml version="1.0" encoding="utf-8"?><Error><Code>BlobNotFound</Code></Error>'
    return Response(body, status_code=404, media_type="application/xml")


def _upo_response(request: Request, body: bytes, *references: str | None) -> Response:
    hashed = body
    damage = request.app.state.faults.upo_damage(*references)
    if damage:
        body, hashed = damage_upo(body, damage)
    return Response(body, media_type="application/xml", headers={"x-ms-meta-hash": sha256_b64(hashed)})


def _sim(request: Request) -> SimState | None:
    sim: SimState = request.app.state.sim
    if not sim.check_signature(request.url.path, request.query_params.get("sig", "")):
        return None
    return sim


async def session_upo_blob(request: Request) -> Response:
    sim = _sim(request)
    if sim is None:
        return _denied()
    session = sim.world.sessions.get(request.path_params["session"])
    page = (
        next((p for p in session.upo_pages if p.reference == request.path_params["upo"]), None)
        if session
        else None
    )
    if session is None or page is None:
        return _missing()
    return _upo_response(request, session_upo(session, page), page.reference, session.reference)


async def invoice_upo_blob(request: Request) -> Response:
    sim = _sim(request)
    if sim is None:
        return _denied()
    session = sim.world.sessions.get(request.path_params["session"])
    number = request.path_params["ksef"]
    inv = next((i for i in session.accepted if i.ksef_number == number), None) if session else None
    if session is None or inv is None:
        return _missing()
    return _upo_response(request, invoice_upo(session, inv), number, session.reference)


async def export_part_blob(request: Request) -> Response:
    sim = _sim(request)
    if sim is None:
        return _denied()
    export = sim.exports.get(request.path_params["ref"])
    n = int(request.path_params["n"])
    if export is None or not 1 <= n <= len(export.parts):
        return _missing()
    return Response(export.parts[n - 1], media_type="application/octet-stream")


async def batch_part_blob(request: Request) -> Response:
    sim = _sim(request)
    if sim is None:
        return _denied()
    session = sim.world.sessions.get(request.path_params["ref"])
    n = int(request.path_params["n"])
    if (
        session is None
        or session.kind != "Batch"
        or not any(p.get("ordinalNumber") == n for p in session.batch_declared)
    ):
        return _missing()
    if session.status_code != 100 or session.final_status is not None:
        return Response(status_code=409)
    session.batch_parts[n] = await request.body()
    return Response(status_code=201)


ROUTES = [
    Route("/_sim/storage/upo/{session}/{upo}", session_upo_blob, methods=["GET"]),
    Route("/_sim/storage/invoice-upo/{session}/{ksef}", invoice_upo_blob, methods=["GET"]),
    Route("/_sim/storage/exports/{ref}/{n:int}", export_part_blob, methods=["GET"]),
    Route("/_sim/storage/batch/{ref}/{n:int}", batch_part_blob, methods=["PUT"]),
]

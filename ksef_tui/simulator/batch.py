"""Batch sessions: open (declare parts, get upload links), upload parts, close and process (API-NOTES §7).

Processing happens at close, synchronously: check and decrypt the parts, join them, check the whole
archive's size and hash, unpack it and receive every XML file as an invoice. The session then reports
150 (processing) for a few polls before its final state, like an online session after close.
"""

from __future__ import annotations

import base64
import hashlib

from starlette.responses import Response

from ksef_tui.simulator.errors import ApiError, validation
from ksef_tui.simulator.keys import aes_cbc_decrypt
from ksef_tui.simulator.model import Session
from ksef_tui.simulator.online import close, form_code, new_session, symmetric_key
from ksef_tui.simulator.packages import unpack
from ksef_tui.simulator.processing import receive
from ksef_tui.simulator.routing import Ctx, json_response, route
from ksef_tui.simulator.sessions import find_session, storage_url

BATCH_PERMS = ("InvoiceWrite", "EnforcementOperations")
MAX_PARTS = 50
MAX_PART_BYTES = 100 * 1000 * 1000
MAX_INVOICES = 10_000


def _sha(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def _parts(batch_file: object) -> tuple[dict, list[dict]]:
    if not isinstance(batch_file, dict):
        raise validation("Pole batchFile jest wymagane.")
    size, digest, parts = batch_file.get("fileSize"), batch_file.get("fileHash"), batch_file.get("fileParts")
    if not isinstance(size, int) or not 1 <= size <= 5_000_000_000 or not isinstance(digest, str):
        raise validation("Pola batchFile.fileSize i batchFile.fileHash są wymagane.")
    if batch_file.get("compressionType") not in (None, "Zip", "TarGz"):
        raise validation("Nieprawidłowa wartość compressionType.")
    if not isinstance(parts, list) or not parts:
        raise validation("Pole batchFile.fileParts jest wymagane.")
    if len(parts) > MAX_PARTS:
        raise ApiError(21161, f"Liczba części {len(parts)} przekracza dozwolone {MAX_PARTS}.")
    seen = set()
    for p in parts:
        if not isinstance(p, dict) or not isinstance(p.get("ordinalNumber"), int) or p["ordinalNumber"] < 1:
            raise validation("Każda część wymaga ordinalNumber, fileSize i fileHash.")
        if (
            not isinstance(p.get("fileSize"), int)
            or p["fileSize"] < 1
            or not isinstance(p.get("fileHash"), str)
        ):
            raise validation("Każda część wymaga ordinalNumber, fileSize i fileHash.")
        if p["fileSize"] > MAX_PART_BYTES + 16:
            raise ApiError(21157, f"Rozmiar części {p['ordinalNumber']} przekroczył dozwolony rozmiar 100MB.")
        if p["ordinalNumber"] in seen:
            raise validation(f"Powtórzony numer części {p['ordinalNumber']}.")
        seen.add(p["ordinalNumber"])
    return batch_file, sorted(parts, key=lambda p: p["ordinalNumber"])


@route("POST", "/sessions/batch", permissions=BATCH_PERMS)
async def open_batch(ctx: Ctx) -> Response:
    data = await ctx.json()
    form = form_code(data)
    batch_file, parts = _parts(data.get("batchFile"))
    key, iv = symmetric_key(ctx, data.get("encryption"))
    session = new_session(ctx, "Batch", form)
    session.symmetric_key, session.iv = key, iv
    session.batch_file = {**batch_file, "offlineMode": bool(data.get("offlineMode", False))}
    session.batch_declared = parts
    if key is None:
        session.status_code = 415
        session.closed = session.updated
    uploads = [
        {
            "ordinalNumber": p["ordinalNumber"],
            "method": "PUT",
            "url": storage_url(ctx, f"/_sim/storage/batch/{session.reference}/{p['ordinalNumber']}"),
            "headers": {"x-ms-blob-type": "BlockBlob"},
        }
        for p in parts
    ]
    return json_response({"referenceNumber": session.reference, "partUploadRequests": uploads}, 201)


def _fail(ctx: Ctx, session: Session, code: int) -> None:
    session.closed = session.updated = ctx.now()
    session.status_code = code


@route("POST", "/sessions/batch/{referenceNumber}/close", permissions=BATCH_PERMS)
async def close_batch(ctx: Ctx) -> Response:
    session = find_session(ctx)
    assert ctx.op is not None
    if session.kind != "Batch" or session.opened_by != ctx.op.subject:
        raise ApiError(21173, f"Sesja o numerze referencyjnym {session.reference} nie została znaleziona.")
    if session.status_code != 100 or session.final_status is not None:
        raise ApiError(21180, f"Status sesji {session.status_code} uniemożliwia jej zamknięcie.")
    for p in session.batch_declared:
        n = p["ordinalNumber"]
        if n not in session.batch_parts:
            raise ApiError(21205, f"Nie przesłano zadeklarowanej '{n}' części pliku.")
        if len(session.batch_parts[n]) != p["fileSize"]:
            raise ApiError(21157, f"Zadeklarowany rozmiar części '{n}' nie zgadza się z rzeczywistym.")
    if any(_sha(session.batch_parts[p["ordinalNumber"]]) != p["fileHash"] for p in session.batch_declared):
        _fail(ctx, session, 405)
        return Response(status_code=204)
    try:
        assert session.symmetric_key is not None and session.iv is not None
        plain = b"".join(
            aes_cbc_decrypt(session.symmetric_key, session.iv, session.batch_parts[p["ordinalNumber"]])
            for p in session.batch_declared
        )
    except Exception:
        _fail(ctx, session, 435)
        return Response(status_code=204)
    declared = session.batch_file
    if len(plain) != declared["fileSize"] or _sha(plain) != declared["fileHash"]:
        _fail(ctx, session, 405)
        return Response(status_code=204)
    try:
        files = [
            (name, data)
            for name, data in unpack(plain, declared.get("compressionType"))
            if name.endswith(".xml")
        ]
    except ValueError:
        _fail(ctx, session, 430)
        return Response(status_code=204)
    if len(files) > MAX_INVOICES:
        _fail(ctx, session, 420)
        return Response(status_code=204)
    now = ctx.now()
    for name, xml in files:
        receive(
            ctx.world, session, xml, now, offline=declared.get("offlineMode", False), file_name=name[-128:]
        )
    close(ctx, session, processing_code=150)
    if session.status_code == 440:
        session.status_details = ["Nie przesłano faktur"]
    return Response(status_code=204)

"""Invoice exports: POST /invoices/exports, GET /invoices/exports/{ref}, encrypted parts (API-NOTES §12).

The package is built when the export finishes: `{ksefNumber}.xml` files plus `_metadata.json`
(`{"invoices": [InvoiceMetadata...]}`), zipped (or tar.gz), split into parts and each part
encrypted with the client's AES key. Parts are downloaded from pre-signed simulator URLs.
"""

from __future__ import annotations

import json
from datetime import timedelta

from starlette.responses import Response

from ksef_tui.simulator import statuses
from ksef_tui.simulator.errors import ApiError, Gone, validation
from ksef_tui.simulator.invoices import hwm, metadata_json, parse_filters, result_cap, select
from ksef_tui.simulator.keys import aes_cbc_encrypt
from ksef_tui.simulator.online import symmetric_key
from ksef_tui.simulator.packages import pack, split
from ksef_tui.simulator.refs import iso, reference, sha256_b64
from ksef_tui.simulator.routing import Ctx, json_response, route
from ksef_tui.simulator.sessions import storage_url
from ksef_tui.simulator.state import Export

MAX_RUNNING = 10
PART_SIZE = 50 * 1024 * 1024
RETENTION = timedelta(days=7)
PACKAGE_LIFETIME = timedelta(hours=1)


@route("POST", "/invoices/exports", permissions=("InvoiceRead",))
async def start_export(ctx: Ctx) -> Response:
    data = await ctx.json()
    if not isinstance(data.get("filters"), dict):
        raise validation("Pole filters jest wymagane.")
    compression = data.get("compressionType") or "Zip"
    if compression not in ("Zip", "TarGz"):
        raise validation("Nieprawidłowa wartość compressionType.")
    key, iv = symmetric_key(ctx, data.get("encryption"))
    running = [
        e for e in ctx.sim.exports.values() if e.context_nip == ctx.context_nip and e.status_code == 100
    ]
    if len(running) >= MAX_RUNNING:
        raise ApiError(
            21182,
            f"Dla uwierzytelnionego podmiotu w bieżącym kontekście osiągnięto maksymalny limit {MAX_RUNNING} "
            "równoczesnych eksportów faktur. Spróbuj ponownie później.",
        )
    status = 100
    try:
        parse_filters(ctx, data["filters"])
    except ApiError as exc:
        if exc.code != 21183:
            raise
        status = 420  # beyond the HWM: reported by the export's status, not by this call
    now = ctx.now()
    export = Export(
        reference=reference(ctx.world.runtime_rng, now, "EH"),
        context_nip=ctx.context_nip,
        created=now,
        filters=data["filters"],
        only_metadata=bool(data.get("onlyMetadata", False)),
        compression=compression,
        key=key,
        iv=iv,
        status_code=415 if key is None else status,
    )
    ctx.sim.exports[export.reference] = export
    return json_response({"referenceNumber": export.reference}, 201)


def _build(ctx: Ctx, export: Export) -> None:
    query = parse_filters(ctx, export.filters)
    matched = select(ctx, query)
    cap = result_cap(ctx)
    chosen = matched[:cap]
    truncated = len(matched) > cap
    files: list = []
    if not export.only_metadata:
        files = [(f"{i.ksef_number}.xml", i.body, i.invoicing_date) for i in chosen]
    metadata = json.dumps({"invoices": [metadata_json(i) for i in chosen]}, ensure_ascii=False).encode()
    files.append(("_metadata.json", metadata, ctx.now()))
    archive = pack(files, export.compression)
    assert export.key is not None and export.iv is not None
    chunks = split(archive, PART_SIZE)
    export.parts = [aes_cbc_encrypt(export.key, export.iv, c) for c in chunks]
    now = ctx.now()
    export.completed = now
    suffix = "tar.gz" if export.compression == "TarGz" else "zip"
    parts = []
    for n, (chunk, encrypted) in enumerate(zip(chunks, export.parts, strict=True), 1):
        parts.append(
            {
                "ordinalNumber": n,
                "partName": f"{export.reference}-{n:03d}.{suffix}.aes",
                "method": "GET",
                "url": storage_url(ctx, f"/_sim/storage/exports/{export.reference}/{n}"),
                "partSize": max(1, len(chunk)),
                "partHash": sha256_b64(chunk),
                "encryptedPartSize": len(encrypted),
                "encryptedPartHash": sha256_b64(encrypted),
                "expirationDate": iso(now + PACKAGE_LIFETIME),
            }
        )
    package: dict = {
        "invoiceCount": len(chosen),
        "size": len(archive),
        "parts": parts,
        "isTruncated": truncated,
        "permanentStorageHwmDate": iso(hwm(ctx)),
    }
    if truncated and chosen:
        last = chosen[-1]
        if query.date_type == "Issue":
            package["lastIssueDate"] = last.issue_date.isoformat()
        elif query.date_type == "Invoicing":
            package["lastInvoicingDate"] = iso(last.invoicing_date)
        else:
            # Exports hold accepted invoices only, and acceptance sets the storage date.
            package["lastPermanentStorageDate"] = iso(last.permanent_storage_date)  # type: ignore[arg-type]
    export.package = package
    export.status_code = 200


@route("GET", "/invoices/exports/{referenceNumber}", permissions=("InvoiceRead",))
async def export_status(ctx: Ctx) -> Response:
    ref = ctx.request.path_params["referenceNumber"]
    export = ctx.sim.exports.get(ref)
    if export is None or export.context_nip != ctx.context_nip:
        raise ApiError(21175)
    now = ctx.now()
    if now - export.created > RETENTION:
        raise Gone()
    if export.status_code == 100:
        export.polls += 1
        if export.polls > ctx.faults.export_processing_polls:
            _build(ctx, export)
    if export.status_code == 200 and export.completed and now > export.completed + PACKAGE_LIFETIME:
        export.status_code = 210
    body: dict = {"status": statuses.status(statuses.EXPORT, export.status_code)}
    if export.status_code == 420:
        body["status"]["details"] = [
            "Parametr dateRange.from jest późniejszy niż PermanentStorageHwmDate przy włączonym "
            "restrictToPermanentStorageHwmDate."
        ]
    if export.completed:
        body["completedDate"] = iso(export.completed)
        body["packageExpirationDate"] = iso(export.completed + PACKAGE_LIFETIME)
    if export.status_code == 200:
        body["package"] = export.package
    return json_response(body)

"""Invoice exports: POST /invoices/exports, GET /invoices/exports/{ref}, encrypted parts (API-NOTES §12).

The package is built when the export finishes: `{ksefNumber}.xml` files plus `_metadata.json`
(`{"invoices": [InvoiceMetadata...]}`), zipped (or tar.gz), split into parts and each part
encrypted with the client's AES key. Parts are downloaded from pre-signed simulator URLs.

Lifecycle: 100 while processing (forever under the `export_stuck` fault; the 11th running export of a
context is refused with 21182), 200 with the package, 210 once the package's lifetime is over, 410 when
the export is older than 7 days (RETENTION), 420 when `from` lies beyond the HWM with
restrictToPermanentStorageHwmDate. All of them follow the simulator's clock (movable: /_sim/clock).
The export faults (faults.py) shape the package; they are read when the package is built.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta

from starlette.responses import Response

from ksef_tui.simulator import statuses
from ksef_tui.simulator.errors import ApiError, Gone, TooManyRequests, validation
from ksef_tui.simulator.faults import Faults
from ksef_tui.simulator.invoices import RESULT_CAP, hwm, metadata_json, parse_filters, select
from ksef_tui.simulator.keys import aes_cbc_encrypt
from ksef_tui.simulator.model import Invoice
from ksef_tui.simulator.online import symmetric_key
from ksef_tui.simulator.packages import Entry, Zeros, pack, split
from ksef_tui.simulator.refs import iso, reference, sha256_b64
from ksef_tui.simulator.routing import Ctx, json_response, route
from ksef_tui.simulator.sessions import storage_url
from ksef_tui.simulator.state import Export

MAX_RUNNING = 10
PART_SIZE = 50 * 1024 * 1024
RETENTION = timedelta(days=7)
PACKAGE_LIFETIME = timedelta(hours=1)
BOMB_BYTES = 64 * 1024 * 1024  # the "bomb" entry: zeros (8x a sane per-entry cap), ~64 KiB compressed


@route("POST", "/invoices/exports", permissions=("InvoiceRead",))
async def start_export(ctx: Ctx) -> Response:
    data = await ctx.json()
    if not isinstance(data.get("filters"), dict):
        raise validation("Pole filters jest wymagane.")
    compression = data.get("compressionType") or "Zip"
    if compression not in ("Zip", "TarGz"):
        raise validation("Nieprawidłowa wartość compressionType.")
    key, iv = symmetric_key(ctx, data.get("encryption"))
    refused = ctx.faults.export_429_starts
    if refused > 0:
        k = ctx.sim.fault_state.count("export-start", ctx.context_nip)
        if k < refused:
            retry = 2 ** min(k, 16)
            raise TooManyRequests(
                retry, f"Przekroczono limit eksportów faktur. Spróbuj ponownie po {retry} sekundach."
            )
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


def _export_cap(faults: Faults) -> int:
    cap = faults.export_truncate_at
    return cap if cap is not None and cap > 0 else RESULT_CAP


def _entries(
    chosen: list[Invoice], export: Export, faults: Faults, metadata: bytes, when: datetime
) -> list[Entry]:
    """The archive's entries, made hostile when `export_hostile` says so (faults.py)."""
    hostile = faults.export_hostile
    files: list[Entry] = []
    if not export.only_metadata:
        files = [(f"{i.ksef_number}.xml", i.body, i.invoicing_date) for i in chosen]
    if hostile == "traversal":
        files.append(("../evil.xml", b"<?xml version='1.0'?><evil/>", export.created))
    elif hostile == "bomb":
        if files:
            name, _body, stamp = files[0]
            files[0] = (name, Zeros(BOMB_BYTES), stamp)
        else:
            files.append(("bomb.xml", Zeros(BOMB_BYTES), export.created))
    elif hostile == "bad-metadata":
        metadata = metadata[: max(1, len(metadata) // 2)] + b"\x00not json"
    elif hostile == "hash-mismatch" and files:
        name, body, stamp = files[0]
        assert isinstance(body, bytes)
        files[0] = (name, body.replace(b"</Faktura>", b"<!-- changed --></Faktura>"), stamp)
    files.append(("_metadata.json", metadata, when))
    return files


def _build(ctx: Ctx, export: Export) -> None:
    faults = ctx.faults
    query = parse_filters(ctx, export.filters)
    matched = select(ctx, query)
    cap = _export_cap(faults)
    chosen = matched[:cap]
    truncated = len(matched) > cap
    metadata = json.dumps({"invoices": [metadata_json(i) for i in chosen]}, ensure_ascii=False).encode()
    archive = pack(_entries(chosen, export, faults, metadata, ctx.now()), export.compression)
    assert export.key is not None and export.iv is not None
    chunks = split(archive, PART_SIZE)
    export.parts = [aes_cbc_encrypt(export.key, export.iv, c) for c in chunks]
    declared = [sha256_b64(p) for p in export.parts]
    if faults.export_part_damaged:
        # After partHash (of the plain chunk) was taken: flip one byte in the middle of the ciphertext;
        # storage reports the hash of what it holds, so encryptedPartHash matches the damaged bytes.
        damaged = bytearray(export.parts[0])
        damaged[len(damaged) // 2] ^= 0x5A
        export.parts[0] = bytes(damaged)
        declared[0] = sha256_b64(export.parts[0])
    if faults.export_part_hash_wrong:
        declared[0] = sha256_b64(export.parts[0] + b"\x00")
    now = ctx.now()
    export.completed = now
    suffix = "tar.gz" if export.compression == "TarGz" else "zip"
    parts = []
    for n, (chunk, encrypted, encrypted_hash) in enumerate(
        zip(chunks, export.parts, declared, strict=True), 1
    ):
        parts.append(
            {
                "ordinalNumber": n,
                "partName": f"{export.reference}-{n:03d}.{suffix}.aes",
                "method": "GET",
                "url": storage_url(ctx, f"/_sim/storage/exports/{export.reference}/{n}"),
                "partSize": max(1, len(chunk)),
                "partHash": sha256_b64(chunk),
                "encryptedPartSize": len(encrypted),
                "encryptedPartHash": encrypted_hash,
                "expirationDate": iso(now + PACKAGE_LIFETIME),
            }
        )
    package: dict = {
        "invoiceCount": len(chosen),
        "size": len(archive),
        "parts": parts,
        "isTruncated": truncated,
    }
    if not faults.export_omit_hwm:
        package["permanentStorageHwmDate"] = iso(hwm(ctx))
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
    if export.status_code == 100 and not ctx.faults.export_stuck:
        export.polls += 1
        if export.polls > ctx.faults.export_processing_polls:
            try:
                _build(ctx, export)
            except ApiError as exc:
                if exc.code != 21183:
                    raise
                export.status_code = 420  # the HWM fell below `from` meanwhile (a late invoice)
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

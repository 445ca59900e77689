"""Batch session round trip: declare parts, upload them to the pre-signed links, close, process."""

from __future__ import annotations

import io
import zipfile

from ksef_tui.core.fa.generate import generate_invoice
from tests.simulator import kit
from tests.simulator.conftest import NOW, own_certificate

FORM = {"systemCode": "FA (3)", "schemaVersion": "1-0E", "value": "FA"}


def _archive(nip: str, name: str, count: int) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for n in range(count):
            body = generate_invoice(
                nip, name, "5261040828", "Nabywca", f"FV/B/{n}", NOW.date(), lines=3, seed=n
            )
            zf.writestr(f"faktura_{n}.xml", body)
    return buf.getvalue()


async def _open(http, h, archive: bytes, parts: int = 2):  # type: ignore[no-untyped-def]
    enc, key, iv = await kit.encryption(http)
    size = -(-len(archive) // parts)
    chunks = [kit.aes_encrypt(key, iv, archive[i : i + size]) for i in range(0, len(archive), size)]
    body = {
        "formCode": FORM,
        "batchFile": {
            "fileSize": len(archive),
            "fileHash": kit.sha(archive),
            "fileParts": [
                {"ordinalNumber": n, "fileSize": len(c), "fileHash": kit.sha(c)}
                for n, c in enumerate(chunks, 1)
            ],
        },
        "encryption": enc,
    }
    r = await http.post("/sessions/batch", json=body, headers=h)
    assert r.status_code == 201, r.text
    return r.json(), chunks


async def test_batch_round_trip(app, http, world):  # type: ignore[no-untyped-def]
    nip, cert = own_certificate(world, "cert_600")
    x = await kit.login_xades(http, nip, cert.certificate_pem, cert.private_key_pem)
    h = kit.bearer(x["accessToken"]["token"])
    archive = _archive(nip, world.taxpayers[nip].name, 3)
    opened, chunks = await _open(http, h, archive)
    ref = opened["referenceNumber"]
    async with kit.client(app) as bare:
        for upload, chunk in zip(opened["partUploadRequests"], chunks, strict=True):
            r = await bare.request(upload["method"], upload["url"], content=chunk, headers=upload["headers"])
            assert r.status_code == 201
    assert (await http.post(f"/sessions/batch/{ref}/close", headers=h)).status_code == 204
    assert (await http.get(f"/sessions/{ref}", headers=h)).json()["status"]["code"] == 150
    status = (await http.get(f"/sessions/{ref}", headers=h)).json()
    assert (
        status["status"]["code"] == 200 and status["successfulInvoiceCount"] == 3 and status["upo"]["pages"]
    )
    invoices = (await http.get(f"/sessions/{ref}/invoices", headers=h)).json()["invoices"]
    assert sorted(i["invoiceFileName"] for i in invoices) == [f"faktura_{n}.xml" for n in range(3)]
    listed = await http.get("/sessions", params={"sessionType": "Batch", "statuses": "Succeeded"}, headers=h)
    assert ref in {s["referenceNumber"] for s in listed.json()["sessions"]}


async def test_batch_missing_part_and_bad_hash(app, http, world):  # type: ignore[no-untyped-def]
    nip, cert = own_certificate(world, "cert_600")
    x = await kit.login_xades(http, nip, cert.certificate_pem, cert.private_key_pem)
    h = kit.bearer(x["accessToken"]["token"])
    opened, chunks = await _open(http, h, _archive(nip, "Firma", 2))
    ref = opened["referenceNumber"]
    async with kit.client(app) as bare:
        first = opened["partUploadRequests"][0]
        await bare.put(first["url"], content=chunks[0])
        assert (await bare.put(first["url"].split("?")[0], content=chunks[0])).status_code == 403  # unsigned
    r = await http.post(f"/sessions/batch/{ref}/close", headers=h)
    assert r.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21205
    async with kit.client(app) as bare:
        second = opened["partUploadRequests"][1]
        await bare.put(second["url"], content=bytes(reversed(chunks[1])))
    assert (await http.post(f"/sessions/batch/{ref}/close", headers=h)).status_code == 204
    assert (await http.get(f"/sessions/{ref}", headers=h)).json()["status"]["code"] == 405

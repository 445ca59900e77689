"""A full client flow against the simulator; every response is checked against the official spec.

The `conformance` event hook (kit.Conformance) validates each body against the schema for its path,
method, status and media type, and fails on undocumented statuses or paths.
"""

from __future__ import annotations

import io
import json
import zipfile

from lxml import etree

from ksef_tui.core.fa.generate import generate_invoice
from ksef_tui.simulator.faults import Faults
from ksef_tui.simulator.xsd import fa3_schema, upo_schema
from tests.simulator import kit
from tests.simulator.conftest import NOW, by_profile, office_token, own_certificate


async def test_full_flow(app, http, world, conformance):  # type: ignore[no-untyped-def]
    app.state.faults = Faults(metadata_truncate_at=15)
    # Auth by token.
    nip, token = office_token(world, "token_and_cert")
    tokens = await kit.login_token(http, nip, token)
    h = kit.bearer(tokens["accessToken"]["token"])
    refreshed = await http.post("/auth/token/refresh", headers=kit.bearer(tokens["refreshToken"]["token"]))
    assert refreshed.status_code == 200
    # Sessions: both kinds, paging by continuation token.
    seen = []
    cont = None
    while True:
        r = await http.get(
            "/sessions",
            params={"sessionType": "Online", "pageSize": 10},
            headers={**h, **({"x-continuation-token": cont} if cont else {})},
        )
        assert r.status_code == 200
        seen += r.json()["sessions"]
        cont = r.json().get("continuationToken")
        if not cont:
            break
    tp = by_profile(world, "token_and_cert")
    assert {s["referenceNumber"] for s in seen} == {s.reference for s in tp.sessions if s.kind == "Online"}
    assert (await http.get("/sessions", params={"sessionType": "Batch"}, headers=h)).status_code == 200
    # One session with rejected invoices: status, invoices, failed, single invoice, UPOs.
    session = next(s for s in tp.sessions if s.status_code == 200 and s.failed and s.accepted)
    ref = session.reference
    status = (await http.get(f"/sessions/{ref}", headers=h)).json()
    assert status["failedInvoiceCount"] == len(session.failed)
    invoices = (await http.get(f"/sessions/{ref}/invoices", headers=h)).json()["invoices"]
    failed = (await http.get(f"/sessions/{ref}/invoices/failed", headers=h)).json()["invoices"]
    assert {i["referenceNumber"] for i in failed} == {i.reference for i in session.failed}
    one = await http.get(f"/sessions/{ref}/invoices/{invoices[0]['referenceNumber']}", headers=h)
    assert one.json()["referenceNumber"] == invoices[0]["referenceNumber"]
    upo_ref = status["upo"]["pages"][0]["referenceNumber"]
    upo = await http.get(f"/sessions/{ref}/upo/{upo_ref}", headers=h)
    assert upo.headers["x-ms-meta-hash"] == kit.sha(upo.content)
    assert upo_schema().validate(etree.fromstring(upo.content))
    accepted = next(i for i in invoices if i.get("ksefNumber"))
    by_ksef = await http.get(f"/sessions/{ref}/invoices/ksef/{accepted['ksefNumber']}/upo", headers=h)
    by_ref = await http.get(f"/sessions/{ref}/invoices/{accepted['referenceNumber']}/upo", headers=h)
    assert by_ksef.content == by_ref.content
    assert by_ksef.headers["x-ms-meta-hash"] == kit.sha(by_ksef.content)
    # The pre-signed link (no bearer) serves the same document.
    async with kit.client(app) as bare:
        linked = await bare.get(status["upo"]["pages"][0]["downloadUrl"])
    assert linked.content == upo.content
    # Metadata query: purchases, paging, truncation at the (fault-lowered) cap.
    filters = {
        "subjectType": "Subject2",
        "dateRange": {"dateType": "PermanentStorage", "from": "2026-01-01T00:00:00Z", "to": NOW.isoformat()},
    }
    page0 = (
        await http.post("/invoices/query/metadata", params={"pageSize": 10}, json=filters, headers=h)
    ).json()
    page1 = (
        await http.post(
            "/invoices/query/metadata", params={"pageSize": 10, "pageOffset": 1}, json=filters, headers=h
        )
    ).json()
    assert len([p for p in tp.purchases if p.visible(NOW)]) > 15
    assert page0["hasMore"] and not page0["isTruncated"]
    assert page1["hasMore"] and page1["isTruncated"] and len(page1["invoices"]) == 5
    # Download one invoice: XML, hash header equals the metadata's invoiceHash, valid FA(3).
    meta = page0["invoices"][0]
    xml = await http.get(f"/invoices/ksef/{meta['ksefNumber']}", headers=h)
    assert xml.headers["x-ms-meta-hash"] == meta["invoiceHash"] == kit.sha(xml.content)
    assert fa3_schema().validate(etree.fromstring(xml.content))
    # Export round trip.
    enc, key, iv = await kit.encryption(http)
    app.state.faults = Faults()
    started = await http.post("/invoices/exports", json={"encryption": enc, "filters": filters}, headers=h)
    assert started.status_code == 201
    export_ref = started.json()["referenceNumber"]
    first = (await http.get(f"/invoices/exports/{export_ref}", headers=h)).json()
    assert first["status"]["code"] == 100
    done = (await http.get(f"/invoices/exports/{export_ref}", headers=h)).json()
    assert done["status"]["code"] == 200
    archive = b""
    async with kit.client(app) as bare:
        for part in done["package"]["parts"]:
            blob = (await bare.get(part["url"])).content
            assert kit.sha(blob) == part["encryptedPartHash"]
            archive += kit.aes_decrypt(key, iv, blob)
    with zipfile.ZipFile(io.BytesIO(archive)) as zf:
        names = set(zf.namelist())
        exported = json.loads(zf.read("_metadata.json"))["invoices"]
    assert {f"{m['ksefNumber']}.xml" for m in exported} | {"_metadata.json"} == names
    listed = [p for p in tp.purchases if p.visible(NOW)]  # the demo month continues after NOW
    assert len(exported) == len(listed) == done["package"]["invoiceCount"]
    # Tokens, permissions, limits.
    listed = (await http.get("/tokens", headers=h)).json()["tokens"]
    assert listed
    assert (await http.get(f"/tokens/{listed[0]['referenceNumber']}", headers=h)).status_code == 200
    perms = (await http.post("/permissions/query/personal/grants", json={}, headers=h)).json()
    assert {p["permissionScope"] for p in perms["permissions"]} == set(world.token_for(nip).permissions)
    assert (await http.get("/rate-limits", headers=h)).json()["invoiceMetadata"] == {
        "perSecond": 8,
        "perMinute": 16,
        "perHour": 20,
    }
    assert (await http.get("/limits/context", headers=h)).status_code == 200
    # Online session: one valid invoice and one duplicate.
    enc, key, iv = await kit.encryption(http)
    form = {"systemCode": "FA (3)", "schemaVersion": "1-0E", "value": "FA"}
    opened = await http.post("/sessions/online", json={"formCode": form, "encryption": enc}, headers=h)
    assert opened.status_code == 201
    sref = opened.json()["referenceNumber"]
    body = generate_invoice(nip, tp.name, "5261040828", "Nabywca Sp. z o.o.", "FV/TEST/1", NOW.date(), seed=7)
    refs = []
    for _ in range(2):
        encrypted = kit.aes_encrypt(key, iv, body)
        sent = await http.post(
            f"/sessions/online/{sref}/invoices",
            json={
                "invoiceHash": kit.sha(body),
                "invoiceSize": len(body),
                "encryptedInvoiceHash": kit.sha(encrypted),
                "encryptedInvoiceSize": len(encrypted),
                "encryptedInvoiceContent": kit.b64(encrypted),
            },
            headers=h,
        )
        assert sent.status_code == 202
        refs.append(sent.json()["referenceNumber"])
    first_status = (await http.get(f"/sessions/{sref}/invoices/{refs[0]}", headers=h)).json()
    dup_status = (await http.get(f"/sessions/{sref}/invoices/{refs[1]}", headers=h)).json()
    assert first_status["status"]["code"] == 200
    assert dup_status["status"]["code"] == 440
    assert dup_status["status"]["extensions"] == {
        "originalSessionReferenceNumber": sref,
        "originalKsefNumber": first_status["ksefNumber"],
    }
    assert (await http.post(f"/sessions/online/{sref}/close", headers=h)).status_code == 204
    assert (await http.get(f"/sessions/{sref}", headers=h)).json()["status"]["code"] == 170
    closed = (await http.get(f"/sessions/{sref}", headers=h)).json()
    assert closed["status"]["code"] == 200 and closed["upo"]["pages"]
    # XAdES (own KSeF certificate), token CRUD, and logout.
    cnip, cert = own_certificate(world, "token_and_cert")
    x = await kit.login_xades(http, cnip, cert.certificate_pem, cert.private_key_pem)
    xh = kit.bearer(x["accessToken"]["token"])
    created = await http.post(
        "/tokens", json={"permissions": ["InvoiceRead"], "description": "Token testowy"}, headers=xh
    )
    assert created.status_code == 202
    new_ref = created.json()["referenceNumber"]
    assert (await http.get(f"/tokens/{new_ref}", headers=xh)).json()["status"] == "Pending"
    assert (await http.get(f"/tokens/{new_ref}", headers=xh)).json()["status"] == "Active"
    assert (await http.delete(f"/tokens/{new_ref}", headers=xh)).status_code == 204
    assert (await http.get(f"/tokens/{new_ref}", headers=xh)).json()["status"] == "Revoked"
    assert (await http.delete("/auth/sessions/current", headers=xh)).status_code == 204
    # Every response above was checked; make sure that covered the endpoints the brief names.
    covered = {(m, p) for m, p, _ in conformance.checked}
    for must in [
        ("post", "/auth/challenge"),
        ("post", "/auth/ksef-token"),
        ("post", "/auth/xades-signature"),
        ("get", "/auth/{referenceNumber}"),
        ("post", "/auth/token/redeem"),
        ("post", "/auth/token/refresh"),
        ("get", "/sessions"),
        ("get", "/sessions/{referenceNumber}/invoices/failed"),
        ("get", "/sessions/{referenceNumber}/upo/{upoReferenceNumber}"),
        ("post", "/invoices/query/metadata"),
        ("get", "/invoices/ksef/{ksefNumber}"),
        ("get", "/invoices/exports/{referenceNumber}"),
        ("post", "/tokens"),
        ("delete", "/tokens/{referenceNumber}"),
        ("post", "/permissions/query/personal/grants"),
        ("post", "/sessions/online/{referenceNumber}/invoices"),
    ]:
        assert must in covered, must

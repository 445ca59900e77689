"""Endpoint families against the fake KSeF (spec examples + real behaviour where it matters)."""

from __future__ import annotations

import base64
import datetime as dt
import json

import httpx
import pytest

from ksef_tui.ksef import errors
from ksef_tui.ksef.crypto import aes_cbc_decrypt
from ksef_tui.ksef.invoices import InvoiceQueryFilters
from ksef_tui.ksef.models import SessionType, SubjectType, TokenStatus
from tests.ksef.fakes import FakeKsef, example, json_response

FROM = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


async def test_sessions_list_follows_continuation_tokens(authed, fake: FakeKsef) -> None:
    pages = [
        {"continuationToken": "page-2", "sessions": example("GET_sessions__response_200.json")["sessions"]},
        {"continuationToken": None, "sessions": example("GET_sessions__response_200.json")["sessions"][:1]},
    ]
    seen_tokens: list[str | None] = []

    def paged(request: httpx.Request) -> httpx.Response:
        seen_tokens.append(request.headers.get("x-continuation-token"))
        return json_response(200, pages[len(seen_tokens) - 1])

    fake.overrides[("GET", "/sessions")] = paged
    got = [p async for p in authed.iter_sessions(SessionType.BATCH, statuses=["Succeeded", "Failed"])]
    assert [len(p.sessions) for p in got] == [2, 1]
    assert seen_tokens == [None, "page-2"]
    first = fake.requests[0]
    assert first.url.params["sessionType"] == "Batch"
    assert first.url.params.get_list("statuses") == ["Succeeded", "Failed"]
    assert got[0].sessions[0].session_type is SessionType.BATCH
    assert got[0].sessions[0].status.code == 200 and got[0].sessions[0].total_invoice_count == 2


async def test_session_status_and_invoices(authed, fake: FakeKsef) -> None:
    ref = "20250918-SO-3789A40000-20373E1269-A3"
    status = await authed.get_session_status(ref)
    assert status.upo and status.upo.pages[0].reference_number == "20250918-EU-2EBD6FA000-242EB9B66D-43"
    page = await authed.list_session_invoices(ref)
    assert page.continuation_token and page.invoices[1].status.code == 440
    assert page.invoices[1].status.extensions["originalKsefNumber"].startswith("5265877635")
    failed = await authed.list_session_invoices(ref, failed_only=True)
    assert fake.requests[-1].url.path.endswith("/invoices/failed")
    assert failed.invoices
    one = await authed.get_session_invoice(ref, "20250918-EE-2F15D39000-242207E5C4-1B")
    assert one.reference_number == "20250626-EE-2F20AD2000-242386DF86-52"  # the example the fake serves
    assert one.status.code == 440


async def test_upo_endpoints_verify_hash(authed, fake: FakeKsef) -> None:
    ref = "20250918-SO-3789A40000-20373E1269-A3"
    a = await authed.get_session_upo(ref, "20250918-EU-2EBD6FA000-242EB9B66D-43")
    b = await authed.get_invoice_upo_by_ksef_number(ref, "5265877635-20250826-0100001AF629-AF")
    c = await authed.get_invoice_upo_by_reference(ref, "20250918-EE-2F15D39000-242207E5C4-1B")
    assert a.content == b.content == c.content == fake.upo_xml
    paths = [r.url.path for r in fake.requests]
    assert paths[-3:] == [
        f"/v2/sessions/{ref}/upo/20250918-EU-2EBD6FA000-242EB9B66D-43",
        f"/v2/sessions/{ref}/invoices/ksef/5265877635-20250826-0100001AF629-AF/upo",
        f"/v2/sessions/{ref}/invoices/20250918-EE-2F15D39000-242207E5C4-1B/upo",
    ]


async def test_upo_hash_mismatch_raises(authed, fake: FakeKsef) -> None:
    fake.overrides[("GET", "/sessions/{referenceNumber}/upo/{upoReferenceNumber}")] = lambda r: (
        httpx.Response(
            200,
            content=b"<Potwierdzenie/>",
            headers={"x-ms-meta-hash": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="},
        )
    )
    with pytest.raises(errors.IntegrityError):
        await authed.get_session_upo(
            "20250918-SO-3789A40000-20373E1269-A3", "20250918-EU-2EBD6FA000-242EB9B66D-43"
        )


async def test_presigned_upo_url_gets_no_authorization(authed, fake: FakeKsef) -> None:
    fake.storage["/upo/1.xml"] = fake.upo_xml
    upo = await authed.download_upo_url("https://storage.test/upo/1.xml?sig=abcdefSECRET")
    assert upo.content == fake.upo_xml
    assert "authorization" not in fake.requests[-1].headers
    entry = authed.api_log.recent(authed.context_nip, 1)[0]
    assert "abcdefSECRET" not in repr(entry)


async def test_invoice_download_verifies_hash(authed, fake: FakeKsef) -> None:
    doc = await authed.download_invoice("5265877635-20250826-0100001AF629-AF")
    assert doc.content == fake.invoice_xml
    fake.overrides[("GET", "/invoices/ksef/{ksefNumber}")] = lambda r: httpx.Response(
        200, content=b"<x/>", headers={"x-ms-meta-hash": "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="}
    )
    with pytest.raises(errors.IntegrityError):
        await authed.download_invoice("5265877635-20250826-0100001AF629-AF")


def _meta(n: int, when: str) -> dict:
    item = dict(example("POST_invoices_query_metadata__response_200.json")["invoices"][0])
    item["ksefNumber"] = f"5555555555-20250828-{n:012X}-00"
    item["permanentStorageDate"] = when
    return item


async def test_metadata_query_pages_and_truncation(authed, fake: FakeKsef) -> None:
    answers = [
        {"hasMore": True, "isTruncated": False, "invoices": [_meta(1, "2026-01-02T00:00:00+00:00")]},
        {"hasMore": True, "isTruncated": True, "invoices": [_meta(2, "2026-01-03T00:00:00+00:00")]},
        # After truncation the range restarts at the last date: record 2 comes back and is not repeated.
        {
            "hasMore": False,
            "isTruncated": False,
            "permanentStorageHwmDate": "2026-01-05T00:00:00+00:00",
            "invoices": [_meta(2, "2026-01-03T00:00:00+00:00"), _meta(3, "2026-01-04T00:00:00+00:00")],
        },
    ]
    bodies: list[dict] = []

    def paged(request: httpx.Request) -> httpx.Response:
        bodies.append({"params": dict(request.url.params), "body": json.loads(request.content)})
        return json_response(200, answers[len(bodies) - 1])

    fake.overrides[("POST", "/invoices/query/metadata")] = paged
    filters = InvoiceQueryFilters(SubjectType.BUYER, date_from=FROM, restrict_to_hwm=True)
    pages = [p async for p in authed.iter_invoice_metadata(filters, page_size=100)]
    numbers = [m.ksef_number for p in pages for m in p.invoices]
    assert numbers == [f"5555555555-20250828-{n:012X}-00" for n in (1, 2, 3)]
    assert [b["params"]["pageOffset"] for b in bodies] == ["0", "1", "0"]
    assert bodies[2]["body"]["dateRange"]["from"] == "2026-01-03T00:00:00+00:00"
    assert bodies[0]["body"]["dateRange"]["restrictToPermanentStorageHwmDate"] is True
    assert pages[-1].permanent_storage_hwm_date == dt.datetime(2026, 1, 5, tzinfo=dt.UTC)


async def test_export_round_trip(authed, fake: FakeKsef) -> None:
    result = await authed.export_invoices(InvoiceQueryFilters(date_from=FROM))
    assert result.files == {"5265877635-20250826-0100001AF629-AF.xml": fake.invoice_xml}
    assert result.metadata and result.metadata[0].seller.nip == "5555555555"
    assert fake.counts["GET /invoices/exports/{referenceNumber}"] == 2  # running, then done
    part_requests = [r for r in fake.requests if r.url.host == "storage.test"]
    assert len(part_requests) == 2 and all("authorization" not in r.headers for r in part_requests)


async def test_export_part_hash_mismatch_raises(authed, fake: FakeKsef) -> None:
    started, key = await authed.start_export(InvoiceQueryFilters(date_from=FROM))
    status = await authed.wait_for_export(started.reference_number)
    fake.storage[f"/{started.reference_number}/part1"] = b"\x00" * 32
    with pytest.raises(errors.IntegrityError):
        await authed.download_export(started.reference_number, key, status.package)


async def test_tokens_generate_list_get_revoke(authed, fake: FakeKsef) -> None:
    generated = await authed.generate_token(["InvoiceRead", "InvoiceWrite"], "Biuro rachunkowe")
    assert generated.reference_number and generated.token
    assert generated.token not in repr(generated)
    page = await authed.list_tokens(statuses=["Active", "Pending"])
    assert page.tokens and fake.requests[-1].url.params.get_list("status") == ["Active", "Pending"]
    info = await authed.get_token("20251001-EC-220B0CE000-E228129563-96")
    assert info.status is TokenStatus.PENDING and "InvoiceRead" in info.requested_permissions
    await authed.revoke_token("20251001-EC-220B0CE000-E228129563-96")
    assert fake.requests[-1].method == "DELETE"


async def test_personal_permissions_and_rate_limits(authed, fake: FakeKsef) -> None:
    perms = await authed.all_personal_permissions({"permissionState": "Active"})
    assert [p.permission_scope for p in perms] == ["InvoiceWrite"]
    assert fake.requests[-1].url.params["pageOffset"] == "0"
    limits = await authed.apply_rate_limits()
    assert limits["sessionList"].per_hour == 60
    assert authed.scheduler.limits["sessionList"].per_minute == 10


async def test_online_session_open_send_close(authed, fake: FakeKsef) -> None:
    session = await authed.open_online_session()
    assert session.reference_number in fake.sessions
    invoice = "<?xml version='1.0' encoding='UTF-8'?><Faktura>zażółć</Faktura>".encode()
    sent = await authed.send_invoice(session, invoice)
    assert sent.reference_number
    assert fake.sessions[session.reference_number]["invoices"] == [invoice]
    body = json.loads(fake.requests[-1].content)
    encrypted = base64.b64decode(body["encryptedInvoiceContent"])
    assert aes_cbc_decrypt(session.key.key, session.key.iv, encrypted) == invoice  # no IV prefix
    await authed.close_online_session(session)
    assert fake.sessions[session.reference_number]["closed"]
    with pytest.raises(ValueError):
        await authed.send_invoice(session, b"\xef\xbb\xbf<Faktura/>")

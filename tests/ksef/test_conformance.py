"""Every request the client sends validates against the official OpenAPI request schemas."""

from __future__ import annotations

import datetime as dt
import json

import httpx

from ksef_tui.ksef.invoices import InvoiceQueryFilters
from ksef_tui.ksef.models import SessionType
from tests.ksef.conftest import make_client
from tests.ksef.fakes import KSEF_TOKEN, NIP, FakeKsef, FakeTime, make_client_certificate
from tests.ksef.openapi_schema import parameters_for, route_for, validator_for

REF = "20250918-SO-3789A40000-20373E1269-A3"


async def _exercise_everything(fake: FakeKsef, ftime: FakeTime) -> None:
    client = make_client(fake.transport(), ftime)
    await client.authenticate_with_token(NIP, KSEF_TOKEN)
    cert_pem, key_pem = make_client_certificate()
    await client.for_context(NIP).authenticate_with_certificate(
        NIP, cert_pem, key_pem, verify_certificate_chain=True
    )
    since = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    await client.list_sessions(
        SessionType.ONLINE, page_size=10, statuses=["Succeeded"], date_created_from=since
    )
    await client.list_sessions(SessionType.BATCH, continuation_token="abc")
    await client.get_session_status(REF)
    await client.list_session_invoices(REF)
    await client.list_session_invoices(REF, failed_only=True, continuation_token="t")
    await client.get_session_invoice(REF, "20250918-EE-2F15D39000-242207E5C4-1B")
    await client.get_session_upo(REF, "20250918-EU-2EBD6FA000-242EB9B66D-43")
    await client.get_invoice_upo_by_ksef_number(REF, "5265877635-20250826-0100001AF629-AF")
    await client.get_invoice_upo_by_reference(REF, "20250918-EE-2F15D39000-242207E5C4-1B")
    filters = InvoiceQueryFilters(
        date_from=since,
        date_to=since + dt.timedelta(days=30),
        restrict_to_hwm=True,
        seller_nip="5265877635",
        currency_codes=["PLN"],
        invoice_types=["Vat", "Kor"],
        extra={"amount": {"type": "Brutto", "from": 10, "to": 100}},
    )
    await client.query_invoice_metadata(filters, page_size=250, sort_order="Desc")
    await client.download_invoice("5265877635-20250826-0100001AF629-AF")
    await client.export_invoices(InvoiceQueryFilters(date_from=since), only_metadata=True)
    await client.generate_token(
        ["InvoiceRead", "InvoiceWrite", "Introspection"], "Token dla biura rachunkowego"
    )
    await client.list_tokens(statuses=["Active"], description="biuro", page_size=10)
    await client.get_token("20251001-EC-220B0CE000-E228129563-96")
    await client.revoke_token("20251001-EC-220B0CE000-E228129563-96")
    await client.query_personal_permissions({"permissionState": "Active", "permissionTypes": ["InvoiceRead"]})
    await client.query_person_grants(filters={"permissionState": "Active"})
    await client.query_entity_grants("5265877635", page_size=10)
    await client.get_rate_limits()
    session = await client.open_online_session()
    await client.send_invoice(session, b"<Faktura/>", offline_mode=True)
    await client.close_online_session(session)
    await client.logout()


async def test_every_request_validates_against_the_spec(fake: FakeKsef, ftime: FakeTime) -> None:
    await _exercise_everything(fake, ftime)
    checked: set[str] = set()
    problems: list[str] = []
    for request in fake.requests:
        if request.url.host == "storage.test":
            assert "authorization" not in request.headers
            continue
        path = request.url.path.removeprefix("/v2")
        template = route_for(request.method, path)
        assert template, f"{request.method} {path} is not a spec operation"
        op = f"{request.method} {template}"
        checked.add(op)
        declared = parameters_for(template, request.method)
        for name in request.url.params:
            if name not in declared:
                problems.append(f"{op}: undeclared query parameter {name}")
        for name, param in declared.items():
            if param.get("required") and name not in request.url.params:
                problems.append(f"{op}: missing required query parameter {name}")
        ctype = request.headers.get("content-type", "")
        if request.content and "json" in ctype:
            validator = validator_for(template, request.method, request=True)
            assert validator is not None, f"{op} has no JSON request schema"
            for err in validator.iter_errors(json.loads(request.content)):
                problems.append(f"{op}: {err.json_path}: {err.message}")
        elif request.content:
            assert validator_for(template, request.method, request=True, content_type=ctype) is not None or (
                ctype == "application/xml"
            ), op
    assert problems == []
    # The scenario covers every operation the client implements.
    expected = {
        "POST /auth/challenge",
        "POST /auth/ksef-token",
        "POST /auth/xades-signature",
        "GET /auth/{referenceNumber}",
        "POST /auth/token/redeem",
        "GET /security/public-key-certificates",
        "GET /sessions",
        "GET /sessions/{referenceNumber}",
        "GET /sessions/{referenceNumber}/invoices",
        "GET /sessions/{referenceNumber}/invoices/failed",
        "GET /sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}",
        "GET /sessions/{referenceNumber}/upo/{upoReferenceNumber}",
        "GET /sessions/{referenceNumber}/invoices/ksef/{ksefNumber}/upo",
        "GET /sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}/upo",
        "POST /invoices/query/metadata",
        "GET /invoices/ksef/{ksefNumber}",
        "POST /invoices/exports",
        "GET /invoices/exports/{referenceNumber}",
        "POST /tokens",
        "GET /tokens",
        "GET /tokens/{referenceNumber}",
        "DELETE /tokens/{referenceNumber}",
        "POST /permissions/query/personal/grants",
        "POST /permissions/query/persons/grants",
        "POST /permissions/query/entities/grants",
        "GET /rate-limits",
        "POST /sessions/online",
        "POST /sessions/online/{referenceNumber}/invoices",
        "POST /sessions/online/{referenceNumber}/close",
        "DELETE /auth/sessions/current",
    }
    assert expected <= checked, expected - checked


def test_the_conformance_check_can_fail() -> None:
    """A body missing a required field, or of the wrong type, is caught by the same validator."""
    v = validator_for("/auth/ksef-token", "post", request=True)
    good = {
        "challenge": "20250625-CR-20F5EE4000-DA48AE4124-46",
        "contextIdentifier": {"type": "Nip", "value": "5265877635"},
        "encryptedToken": "QUJD",
    }
    assert not list(v.iter_errors(good))
    assert list(v.iter_errors({k: good[k] for k in ("challenge", "contextIdentifier")}))
    assert list(v.iter_errors({**good, "contextIdentifier": {"type": "Pesel", "value": "1"}}))
    v2 = validator_for("/sessions/online/{referenceNumber}/invoices", "post", request=True)
    assert list(v2.iter_errors({"invoiceHash": "x", "invoiceSize": "12"}))


def test_request_capture_sees_headers() -> None:
    r = httpx.Request("GET", "https://ksef.test/v2/sessions?sessionType=Online", headers={"x": "1"})
    assert route_for(r.method, r.url.path.removeprefix("/v2")) == "/sessions"
    assert route_for("GET", "/sessions/abc/invoices/failed") == "/sessions/{referenceNumber}/invoices/failed"

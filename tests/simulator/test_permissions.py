"""Permissions are enforced per endpoint, with the spec's 403 body."""

from __future__ import annotations

from tests.simulator import kit
from tests.simulator.conftest import office_token, own_certificate


async def _token_headers(http, world, profile):  # type: ignore[no-untyped-def]
    nip, token = office_token(world, profile)
    tokens = await kit.login_token(http, nip, token)
    return nip, kit.bearer(tokens["accessToken"]["token"])


async def test_missing_invoice_read_is_403_naming_the_permissions(http, world):  # type: ignore[no-untyped-def]
    nip, h = await _token_headers(http, world, "no_invoice_read")
    body = {"subjectType": "Subject2", "dateRange": {"dateType": "Issue", "from": "2026-02-01T00:00:00Z"}}
    r = await http.post("/invoices/query/metadata", json=body, headers=h)
    assert r.status_code == 403
    problem = r.json()
    assert problem["reasonCode"] == "missing-permissions"
    assert problem["security"]["requiredAnyOfPermissions"] == ["InvoiceRead"]
    assert set(problem["security"]["presentPermissions"]) == set(world.token_for(nip).permissions)
    some = next(iter(world.taxpayers[nip].purchases))
    assert (await http.get(f"/invoices/ksef/{some.ksef_number}", headers=h)).status_code == 403
    assert (await http.post("/invoices/exports", json={}, headers=h)).status_code == 403


async def test_without_introspection_only_own_sessions(http, world):  # type: ignore[no-untyped-def]
    nip, h = await _token_headers(http, world, "missing_introspection")
    tp = world.taxpayers[nip]
    token = world.token_for(nip)
    r = await http.get("/sessions", params={"sessionType": "Online", "pageSize": 1000}, headers=h)
    own = {s["referenceNumber"] for s in r.json()["sessions"]}
    expected = {
        s.reference for s in tp.sessions if s.kind == "Online" and s.opened_by == f"Token:{token.reference}"
    }
    assert own == expected
    # The same client's certificate has Introspection: it sees every session of the context.
    cnip, cert = own_certificate(world, "missing_introspection")
    x = await kit.login_xades(http, cnip, cert.certificate_pem, cert.private_key_pem)
    r = await http.get(
        "/sessions",
        params={"sessionType": "Online", "pageSize": 1000},
        headers=kit.bearer(x["accessToken"]["token"]),
    )
    every = {s["referenceNumber"] for s in r.json()["sessions"]}
    assert every == {s.reference for s in tp.sessions if s.kind == "Online"} and own < every
    # Someone else's session is "not found" without Introspection.
    foreign = next(s for s in tp.sessions if s.reference not in own)
    r = await http.get(f"/sessions/{foreign.reference}", headers=h)
    assert r.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21173


async def test_missing_write_cannot_open_a_session(http, world):  # type: ignore[no-untyped-def]
    nip, cert = own_certificate(world, "missing_write")
    x = await kit.login_xades(http, nip, cert.certificate_pem, cert.private_key_pem)
    h = kit.bearer(x["accessToken"]["token"])
    enc, _, _ = await kit.encryption(http)
    form = {"systemCode": "FA (3)", "schemaVersion": "1-0E", "value": "FA"}
    r = await http.post("/sessions/online", json={"formCode": form, "encryption": enc}, headers=h)
    assert r.status_code == 403 and "InvoiceWrite" in r.json()["security"]["requiredAnyOfPermissions"]


async def test_tokens_visibility_follows_credentials_permissions(http, world):  # type: ignore[no-untyped-def]
    # A token without CredentialsRead sees only itself.
    nip2, token2 = office_token(world, "token_sunset")
    limited = world.token_for(nip2)
    limited.permissions = frozenset({"InvoiceRead", "InvoiceWrite"})
    tokens = await kit.login_token(http, nip2, token2)
    h2 = kit.bearer(tokens["accessToken"]["token"])
    listed = (await http.get("/tokens", headers=h2)).json()["tokens"]
    assert [t["referenceNumber"] for t in listed] == [limited.reference]
    other = next(t for t in world.taxpayers[nip2].tokens if t is not limited)
    assert (await http.get(f"/tokens/{other.reference}", headers=h2)).status_code == 403
    assert (await http.delete(f"/tokens/{other.reference}", headers=h2)).status_code == 403
    # With CredentialsRead: every token of the context, paged by continuation token.
    cnip, cert = own_certificate(world, "token_and_cert")
    x = await kit.login_xades(http, cnip, cert.certificate_pem, cert.private_key_pem)
    xh = kit.bearer(x["accessToken"]["token"])
    listed = (await http.get("/tokens", headers=xh)).json()["tokens"]
    assert {t["referenceNumber"] for t in listed} == {t.reference for t in world.taxpayers[cnip].tokens}
    # Token-authenticated callers may not generate tokens; nobody may grant what they lack.
    r = await http.post(
        "/tokens", json={"permissions": ["InvoiceRead"], "description": "Nowy token"}, headers=h2
    )
    assert r.status_code == 403 and r.json()["reasonCode"] == "auth-method-not-allowed"
    r = await http.post(
        "/tokens", json={"permissions": ["CredentialsManage"], "description": "Nowy token"}, headers=xh
    )
    assert r.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 26001

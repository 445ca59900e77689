"""Authentication outcomes: token statuses, challenges, keys, XAdES certificates, token kinds."""

from __future__ import annotations

import base64

import pytest

from ksef_tui.core.models import CredentialKind
from ksef_tui.simulator.keys import SimKeys
from tests.simulator import kit
from tests.simulator.conftest import NOW, by_profile, office_token, own_certificate


@pytest.mark.parametrize(
    ("profile", "code", "detail"),
    [
        ("token_sunset", 200, None),
        ("revoked", 450, "Token unieważniony"),
        ("auth_failed", 450, "Nieprawidłowy token"),
        ("pending_token", 450, "Token nieaktywny"),
    ],
)
async def test_token_status_decides_the_outcome(http, world, profile, code, detail):  # type: ignore[no-untyped-def]
    nip, token = office_token(world, profile)
    init = await kit.start_token_auth(http, nip, token)
    status = await kit.auth_status(http, init)
    assert status["status"]["code"] == code
    assert status["authenticationMethodInfo"]["category"] == "Token"
    if detail:
        assert status["status"]["details"] == [detail]
        r = await http.post("/auth/token/redeem", headers=kit.bearer(init["authenticationToken"]["token"]))
        assert r.status_code == 400
        assert r.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21301
    else:
        assert (await kit.redeem(http, init))["accessToken"]["token"]


async def test_wrong_timestamp_wrong_context_and_unknown_token(http, world):  # type: ignore[no-untyped-def]
    nip, token = office_token(world, "token_sunset")
    init = await kit.start_token_auth(http, nip, token, stamp_delta=1)
    assert (await kit.auth_status(http, init))["status"]["details"] == ["Nieprawidłowy czas tokena"]
    other = by_profile(world, "cert_600").nip
    init = await kit.start_token_auth(http, other, token)
    assert (await kit.auth_status(http, init))["status"]["details"] == ["Nieprawidłowy token"]
    init = await kit.start_token_auth(http, nip, token.replace("a", "b"))
    assert (await kit.auth_status(http, init))["status"]["code"] == 450


async def test_challenge_is_single_use_and_expires(app, http, world):  # type: ignore[no-untyped-def]
    nip, token = office_token(world, "token_sunset")
    key, _ = await kit.public_key(http, "KsefTokenEncryption")
    ch = (await http.post("/auth/challenge")).json()
    body = {
        "challenge": ch["challenge"],
        "contextIdentifier": {"type": "Nip", "value": nip},
        "encryptedToken": kit.b64(key.encrypt(f"{token}|{ch['timestampMs']}".encode(), kit.OAEP)),
    }
    assert (await http.post("/auth/ksef-token", json=body)).status_code == 202
    again = await http.post("/auth/ksef-token", json=body, headers={"X-Error-Format": "problem-details"})
    assert again.status_code == 400
    assert again.headers["content-type"].startswith("application/problem+json")
    assert again.json()["errors"][0]["code"] == 21111
    # Ten minutes later a fresh challenge is dead too.
    ch = (await http.post("/auth/challenge")).json()
    app.state.sim.clock = lambda: NOW.replace(minute=45)
    body["challenge"] = ch["challenge"]
    late = await http.post("/auth/ksef-token", json=body)
    assert late.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21111


async def test_unknown_public_key_id_is_21470(http, world):  # type: ignore[no-untyped-def]
    nip, _ = office_token(world, "token_sunset")
    ch = (await http.post("/auth/challenge")).json()
    r = await http.post(
        "/auth/ksef-token",
        json={
            "challenge": ch["challenge"],
            "contextIdentifier": {"type": "Nip", "value": nip},
            "encryptedToken": kit.b64(b"x" * 256),
            "publicKeyId": base64.b64encode(b"\0" * 32).decode(),
        },
    )
    assert r.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21470


async def test_redeem_once_refresh_and_logout(http, world):  # type: ignore[no-untyped-def]
    nip, token = office_token(world, "token_sunset")
    init = await kit.start_token_auth(http, nip, token)
    await kit.auth_status(http, init)
    tokens = await kit.redeem(http, init)
    again = await http.post("/auth/token/redeem", headers=kit.bearer(init["authenticationToken"]["token"]))
    assert again.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21301
    refresh = kit.bearer(tokens["refreshToken"]["token"])
    assert (await http.post("/auth/token/refresh", headers=refresh)).status_code == 200
    status = await kit.auth_status(http, init)
    assert status["isTokenRedeemed"] is True and status["lastTokenRefreshDate"]
    # Revoking the KSeF token stops refreshes (21301); the access token lives on until it expires.
    world.token_for(nip).status = "Revoked"
    r = await http.post("/auth/token/refresh", headers=refresh)
    assert r.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21301
    access = kit.bearer(tokens["accessToken"]["token"])
    assert (await http.get("/rate-limits", headers=access)).status_code == 200
    world.token_for(nip).status = "Active"
    assert (await http.delete("/auth/sessions/current", headers=refresh)).status_code == 204
    assert (await http.post("/auth/token/refresh", headers=refresh)).status_code == 400
    assert (await kit.auth_status(http, init))["status"]["code"] == 425


async def test_each_endpoint_takes_its_own_token_kind(http, world):  # type: ignore[no-untyped-def]
    nip, token = office_token(world, "token_sunset")
    init = await kit.start_token_auth(http, nip, token)
    await kit.auth_status(http, init)
    tokens = await kit.redeem(http, init)
    operation = kit.bearer(init["authenticationToken"]["token"])
    access = kit.bearer(tokens["accessToken"]["token"])
    refresh = kit.bearer(tokens["refreshToken"]["token"])
    assert (await http.get("/rate-limits", headers=operation)).status_code == 401
    assert (await http.get("/rate-limits", headers=refresh)).status_code == 401
    assert (await http.get(f"/auth/{init['referenceNumber']}", headers=access)).status_code == 401
    assert (await http.post("/auth/token/refresh", headers=access)).status_code == 401
    r = await http.get("/rate-limits")
    assert r.status_code == 401 and r.json()["title"] == "Unauthorized"
    assert (await http.get("/rate-limits", headers=kit.bearer("garbage"))).status_code == 401


async def test_access_token_expires(app, http, world):  # type: ignore[no-untyped-def]
    nip, token = office_token(world, "token_sunset")
    tokens = await kit.login_token(http, nip, token)
    access = kit.bearer(tokens["accessToken"]["token"])
    app.state.sim.clock = lambda: NOW.replace(minute=46)
    assert (await http.get("/rate-limits", headers=access)).status_code == 401
    refreshed = await http.post("/auth/token/refresh", headers=kit.bearer(tokens["refreshToken"]["token"]))
    assert (
        await http.get("/rate-limits", headers=kit.bearer(refreshed.json()["accessToken"]["token"]))
    ).status_code == 200


async def test_xades_certificates(http, world):  # type: ignore[no-untyped-def]
    # Expired certificate: 460.
    nip, cert = own_certificate(world, "expired")
    init = await kit.start_xades(http, nip, cert.certificate_pem, cert.private_key_pem)
    status = await kit.auth_status(http, init)
    assert status["status"]["code"] == 460 and status["status"]["details"] == ["Nieważny certyfikat"]
    # Revoked certificate: 460.
    nip, cert = own_certificate(world, "cert_600")
    cert.revoked = True
    init = await kit.start_xades(http, nip, cert.certificate_pem, cert.private_key_pem)
    assert (await kit.auth_status(http, init))["status"]["details"] == ["Certyfikat odwołany"]
    cert.revoked = False
    # A certificate the simulator did not issue: 460, untrusted chain.
    stranger = SimKeys(999, NOW)
    c, k = stranger.issue(
        subject_nip=nip,
        subject_name="Obcy",
        valid_from=NOW.replace(year=2025),
        valid_to=NOW.replace(year=2027),
        serial=12345,
        key_label="x",
    )
    from tests.simulator.test_auth_helpers import pems

    cpem, kpem = pems(c, k)
    init = await kit.start_xades(http, nip, cpem, kpem)
    assert (await kit.auth_status(http, init))["status"]["details"] == ["Niezaufany łańcuch certyfikatów"]


async def test_office_certificate_works_in_the_clients_context_only(http, world):  # type: ignore[no-untyped-def]
    client = by_profile(world, "office_cert")
    cert = world.certificate_for(client.nip, CredentialKind.OFFICE_CERTIFICATE)
    assert cert.subject_nip == world.office_nip
    tokens = await kit.login_xades(http, client.nip, cert.certificate_pem, cert.private_key_pem)
    h = kit.bearer(tokens["accessToken"]["token"])
    grants = (await http.post("/permissions/query/personal/grants", json={}, headers=h)).json()["permissions"]
    assert {g["authorizedIdentifier"]["value"] for g in grants} == {world.office_nip}
    assert {g["contextIdentifier"]["value"] for g in grants} == {client.nip}
    # In a context that granted the office nothing: 415.
    other = by_profile(world, "cert_600").nip
    init = await kit.start_xades(http, other, cert.certificate_pem, cert.private_key_pem)
    status = await kit.auth_status(http, init)
    assert status["status"]["code"] == 415


async def test_group_certificate_serves_every_nip_of_the_group(http, world):  # type: ignore[no-untyped-def]
    entry = next(e for e in world.roster if e.profile == "group")
    cert = world.certificate_for(entry.nip, CredentialKind.KSEF_CERTIFICATE)
    for nip in entry.nips:
        await kit.login_xades(http, nip, cert.certificate_pem, cert.private_key_pem)


async def test_tampered_signature_and_missing_signature(http, world):  # type: ignore[no-untyped-def]
    nip, cert = own_certificate(world, "cert_600")
    ch = (await http.post("/auth/challenge")).json()
    body = kit.sign_auth_request(ch["challenge"], nip, cert.certificate_pem, cert.private_key_pem)
    other = by_profile(world, "office_cert").nip
    tampered = body.replace(f"<Nip>{nip}</Nip>".encode(), f"<Nip>{other}</Nip>".encode())
    r = await http.post(
        "/auth/xades-signature", content=tampered, headers={"Content-Type": "application/xml"}
    )
    assert r.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 9105
    unsigned = (
        '<AuthTokenRequest xmlns="http://ksef.mf.gov.pl/auth/token/2.1">'
        f"<Challenge>{ch['challenge']}</Challenge><ContextIdentifier><Nip>{nip}</Nip></ContextIdentifier>"
        "<SubjectIdentifierType>certificateSubject</SubjectIdentifierType></AuthTokenRequest>"
    )
    r = await http.post(
        "/auth/xades-signature", content=unsigned, headers={"Content-Type": "application/xml"}
    )
    assert r.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 9102
    r = await http.post(
        "/auth/xades-signature", content=b"<not-xml", headers={"Content-Type": "application/xml"}
    )
    assert r.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21001


async def test_auth_sessions_list_and_revoke(http, world):  # type: ignore[no-untyped-def]
    nip, token = office_token(world, "token_sunset")
    first = await kit.login_token(http, nip, token)
    second = await kit.login_token(http, nip, token)
    h = kit.bearer(second["accessToken"]["token"])
    items = (await http.get("/auth/sessions", headers=h)).json()["items"]
    assert len(items) == 2 and sum(i["isCurrent"] for i in items) == 1
    other = next(i for i in items if not i["isCurrent"])
    assert (await http.delete(f"/auth/sessions/{other['referenceNumber']}", headers=h)).status_code == 204
    assert len((await http.get("/auth/sessions", headers=h)).json()["items"]) == 1
    r = await http.post("/auth/token/refresh", headers=kit.bearer(first["refreshToken"]["token"]))
    assert r.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21301


def test_package_exports() -> None:
    """The package's lazy re-exports hand out the implementing objects, and nothing else."""
    import ksef_tui.simulator as sim
    from ksef_tui.simulator import app, faults, ratelimit, world

    assert sim.__all__ == ["Faults", "RateLimitConfig", "World", "build_world", "create_app"]
    assert sim.build_world is world.build_world and sim.World is world.World
    assert sim.create_app is app.create_app
    assert sim.Faults is faults.Faults and sim.RateLimitConfig is ratelimit.RateLimitConfig
    with pytest.raises(AttributeError):
        sim.not_exported  # noqa: B018

"""Authentication: KSeF token and certificate paths, refresh, re-authentication, 21470, failure codes."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from lxml import etree

from ksef_tui.ksef import errors
from ksef_tui.ksef.xades import NS, build_auth_token_request, load_schema
from tests.ksef.conftest import make_client
from tests.ksef.fakes import KSEF_TOKEN, NIP, FakeKsef, FakeTime, make_client_certificate


async def test_token_auth_full_flow(client, fake: FakeKsef, ftime: FakeTime) -> None:
    fake.auth_polls_in_progress = 2
    status = await client.authenticate_with_token(NIP, KSEF_TOKEN)
    assert status.status.code == 200
    assert client.is_authenticated and client.context_nip == NIP
    # The fake decrypted `token|timestampMs` with its private key: the OAEP-SHA256 wrapping is right.
    assert fake.last_token == KSEF_TOKEN
    calls = [f"{r.method} {r.url.path}" for r in fake.requests]
    assert calls[0] == "POST /v2/auth/challenge"
    assert "GET /v2/security/public-key-certificates" in calls
    assert sum(c.startswith("GET /v2/auth/2026") for c in calls) == 3  # 100, 100, 200
    assert calls[-1] == "POST /v2/auth/token/redeem"
    # Polling waited with backoff (growing, cancellable sleeps), not a busy loop.
    assert ftime.sleeps[:2] == [0.5, 0.8]
    body = json.loads(next(r for r in fake.requests if r.url.path.endswith("/auth/ksef-token")).content)
    assert body["publicKeyId"] == fake.public_key_id
    assert body["contextIdentifier"] == {"type": "Nip", "value": NIP}
    token = await client.access_token()
    assert fake.issued[token] == "access"


async def test_wrong_token_is_auth_failed_450(client, fake: FakeKsef) -> None:
    with pytest.raises(errors.AuthInvalidToken) as info:
        await client.authenticate_with_token(
            NIP, "20251010-EC-0000000000-0000000000-00|nip-1|deadbeefdeadbeef"
        )
    assert info.value.code == 450
    assert "deadbeefdeadbeef" not in str(info.value)


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (415, errors.AuthNoPermissions),
        (425, errors.AuthRevokedByUser),
        (460, errors.AuthCertificateError),
        (470, errors.AuthDeceased),
        (480, errors.AuthBlocked),
        (500, errors.AuthUnknownError),
        (550, errors.AuthCancelled),
    ],
)
async def test_auth_status_codes_become_typed_errors(client, fake: FakeKsef, code: int, cls: type) -> None:
    fake.auth_failure = code
    with pytest.raises(cls) as info:
        await client.authenticate_with_token(NIP, KSEF_TOKEN)
    assert info.value.code == code
    assert info.value.explanation  # a sentence, not just a number
    assert KSEF_TOKEN not in str(info.value) and KSEF_TOKEN not in repr(info.value)


async def test_auth_poll_times_out(client, fake: FakeKsef) -> None:
    fake.auth_polls_in_progress = 10_000
    with pytest.raises(errors.AuthTimeout):
        await client.authenticate_with_token(NIP, KSEF_TOKEN)


async def test_retired_public_key_21470_refetches_keys(client, fake: FakeKsef) -> None:
    fake.retired_key_once = True
    await client.authenticate_with_token(NIP, KSEF_TOKEN)
    assert fake.counts["GET /security/public-key-certificates"] == 2
    assert fake.counts["POST /auth/ksef-token"] == 2
    assert client.public_keys.fetches == 2


async def test_public_keys_are_cached_across_contexts(client, fake: FakeKsef) -> None:
    await client.authenticate_with_token(NIP, KSEF_TOKEN)
    other = client.for_context("1111111111")
    fake.tokens["tok-2-abcdefgh"] = "1111111111"
    await other.authenticate_with_token("1111111111", "tok-2-abcdefgh")
    assert fake.counts["GET /security/public-key-certificates"] == 1
    assert other.core is client.core


async def test_access_token_refreshed_before_valid_until(client, fake: FakeKsef, ftime: FakeTime) -> None:
    await client.authenticate_with_token(NIP, KSEF_TOKEN)
    first = await client.access_token()
    ftime.advance(13 * 60)  # 15-minute token, still 2 minutes left: no refresh yet
    assert await client.access_token() == first
    ftime.advance(60 + 30)  # inside the 60 s margin
    second = await client.access_token()
    assert second != first and fake.issued[second] == "access"
    assert fake.counts.get("POST /auth/token/refresh") == 1
    assert client.auth.full_authentications == 1


async def test_expired_refresh_token_means_full_reauth(client, fake: FakeKsef, ftime: FakeTime) -> None:
    await client.authenticate_with_token(NIP, KSEF_TOKEN)
    ftime.advance(dt.timedelta(days=8).total_seconds())
    await client.access_token()
    assert fake.counts.get("POST /auth/token/refresh") is None
    assert client.auth.full_authentications == 2
    assert fake.counts["POST /auth/token/redeem"] == 2


async def test_revoked_refresh_token_21301_means_full_reauth(client, fake: FakeKsef, ftime: FakeTime) -> None:
    await client.authenticate_with_token(NIP, KSEF_TOKEN)
    fake.revoked_refresh = True
    ftime.advance(20 * 60)
    token = await client.access_token()
    assert fake.issued[token] == "access"
    assert fake.counts["POST /auth/token/refresh"] == 1
    assert client.auth.full_authentications == 2


async def test_401_on_a_call_refreshes_once_and_repeats(authed, fake: FakeKsef) -> None:
    calls = {"n": 0}

    def first_401(request):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 1:
            return __import__("httpx").Response(401, json={"title": "Unauthorized", "status": 401})
        return None

    fake.overrides[("GET", "/rate-limits")] = first_401
    limits = await authed.get_rate_limits()
    assert limits["invoiceMetadata"].per_hour == 20
    assert fake.counts["POST /auth/token/refresh"] == 1


async def test_unauthenticated_call_raises(client) -> None:
    with pytest.raises(errors.NotAuthenticated):
        await client.get_rate_limits()


# --- certificate (XAdES) ------------------------------------------------------------------------------


def test_auth_token_request_is_valid_against_xsd() -> None:
    schema = load_schema()
    doc = build_auth_token_request("20250625-CR-20F5EE4000-DA48AE4124-46", NIP)
    assert schema.validate(doc), schema.error_log
    with_ips = build_auth_token_request(
        "20250625-CR-20F5EE4000-DA48AE4124-46",
        NIP,
        subject_identifier_type="certificateFingerprint",
        allowed_ips={
            "ip4Addresses": ["192.0.2.1"],
            "ip4Ranges": ["10.0.0.1-10.0.0.9"],
            "ip4Masks": ["10.0.0.0/8"],
        },
    )
    assert schema.validate(with_ips), schema.error_log
    # The check can fail: a malformed challenge is rejected by the same schema.
    assert not schema.validate(build_auth_token_request("not-a-challenge", NIP))


async def test_certificate_auth_signs_xades_and_authenticates(fake: FakeKsef, ftime: FakeTime) -> None:
    cert_pem, key_pem = make_client_certificate()
    client = make_client(fake.transport(), ftime)
    status = await client.authenticate_with_certificate(
        NIP, cert_pem, key_pem, verify_certificate_chain=False
    )
    assert status.status.code == 200 and client.is_authenticated
    req = next(r for r in fake.requests if r.url.path.endswith("/auth/xades-signature"))
    assert req.headers["content-type"] == "application/xml"
    assert req.url.params["verifyCertificateChain"] == "false"
    # The fake verified the signature with signxml; check the signed document's content and schema too.
    root = etree.fromstring(req.content)
    assert root.findtext(f"{{{NS}}}Challenge") == fake.last_challenge
    assert (
        root.find(".//{http://uri.etsi.org/01903/v1.3.2#}SignedProperties") is not None
    )  # XAdES, not plain DSig
    for sig in root.findall("{http://www.w3.org/2000/09/xmldsig#}Signature"):
        root.remove(sig)
    assert load_schema().validate(root)
    assert key_pem.split("\n")[1] not in req.content.decode()  # the private key never leaves


async def test_tampered_xades_is_rejected_by_verifier() -> None:
    from signxml.exceptions import InvalidSignature
    from signxml.xades import XAdESVerifier

    from ksef_tui.ksef.xades import sign_xades

    cert_pem, key_pem = make_client_certificate()
    signed = sign_xades(
        build_auth_token_request("20250625-CR-20F5EE4000-DA48AE4124-46", NIP), cert_pem, key_pem
    )
    XAdESVerifier().verify(signed, x509_cert=cert_pem)
    tampered = signed.replace(NIP.encode(), b"1111111111")
    with pytest.raises(InvalidSignature):
        XAdESVerifier().verify(tampered, x509_cert=cert_pem)

"""check_credential: OK / AUTH_FAILED / REVOKED / ERROR, never raising for KSeF-level failures."""

from __future__ import annotations

import datetime as dt

import httpx

from ksef_tui.core.models import CheckOutcome, Credential, CredentialKind
from ksef_tui.ksef.live_check import check_credential
from tests.ksef.conftest import make_client
from tests.ksef.fakes import KSEF_TOKEN, NIP, FakeKsef, FakeTime, example, exception_response, json_response

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def token_credential(secret: str = KSEF_TOKEN) -> Credential:
    return Credential(client_id=7, kind=CredentialKind.KSEF_TOKEN, secret=secret, id=3)


async def test_ok_reads_permissions_and_token_status(client, fake: FakeKsef) -> None:
    fake.overrides[("GET", "/tokens/{referenceNumber}")] = lambda r: json_response(
        200, {**example("GET_tokens_referenceNumber__response_200.json"), "status": "Active"}
    )
    check = await check_credential(client, NIP, token_credential(), NOW)
    assert check.outcome is CheckOutcome.OK
    assert (check.client_id, check.credential_id, check.checked_at) == (7, 3, NOW)
    assert check.permissions == frozenset({"InvoiceWrite"})
    assert check.token_status == "Active"
    # The token's own reference (from the token text) was asked about.
    assert any(r.url.path.endswith("/tokens/20251010-EC-2B0C8AB000-4A3D8E9C3B-8D") for r in fake.requests)
    assert not client.is_authenticated  # the check used a sibling client; the passed one is untouched


async def test_bad_token_is_auth_failed_450(client, fake: FakeKsef) -> None:
    check = await check_credential(
        client, NIP, token_credential("20251010-EC-0000000000-0000000000-00|x|ffff0000"), NOW
    )
    assert check.outcome is CheckOutcome.AUTH_FAILED and check.ksef_code == 450
    assert check.message and "ffff0000" not in check.message


async def test_21301_is_auth_failed(client, fake: FakeKsef) -> None:
    fake.overrides[("POST", "/auth/ksef-token")] = lambda r: exception_response(21301, "Brak autoryzacji")
    check = await check_credential(client, NIP, token_credential(), NOW)
    assert check.outcome is CheckOutcome.AUTH_FAILED and check.ksef_code == 21301


async def test_revoked_token_status(client, fake: FakeKsef) -> None:
    fake.overrides[("GET", "/tokens/{referenceNumber}")] = lambda r: json_response(
        200, {**example("GET_tokens_referenceNumber__response_200.json"), "status": "Revoked"}
    )
    check = await check_credential(client, NIP, token_credential(), NOW)
    assert check.outcome is CheckOutcome.REVOKED and check.token_status == "Revoked"


async def test_revoked_by_user_425(client, fake: FakeKsef) -> None:
    fake.auth_failure = 425
    check = await check_credential(client, NIP, token_credential(), NOW)
    assert check.outcome is CheckOutcome.REVOKED and check.ksef_code == 425


async def test_server_errors_are_error_not_auth_failed(client, fake: FakeKsef) -> None:
    fake.overrides[("POST", "/auth/challenge")] = lambda r: httpx.Response(503)
    check = await check_credential(client, NIP, token_credential(), NOW)
    assert check.outcome is CheckOutcome.ERROR
    assert fake.counts["POST /auth/challenge"] > 1  # retried before giving up


async def test_network_down_is_error(ftime: FakeTime) -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("no route", request=request)

    check = await check_credential(
        make_client(httpx.MockTransport(down), ftime), NIP, token_credential(), NOW
    )
    assert check.outcome is CheckOutcome.ERROR and check.ksef_code is None


async def test_permissions_forbidden_still_ok(client, fake: FakeKsef) -> None:
    fake.overrides[("POST", "/permissions/query/personal/grants")] = lambda r: json_response(
        403,
        {
            "title": "Forbidden",
            "status": 403,
            "detail": "x",
            "reasonCode": "missing-permissions",
            "security": {"requiredAnyOfPermissions": ["CredentialsRead"], "presentPermissions": []},
            "timestamp": "2026-03-02T09:00:00Z",
        },
    )
    check = await check_credential(client, NIP, token_credential(), NOW)
    assert check.outcome is CheckOutcome.OK


async def test_certificate_credential(client, fake: FakeKsef) -> None:
    from tests.ksef.fakes import make_client_certificate

    cert_pem, key_pem = make_client_certificate()
    cred = Credential(
        client_id=7, kind=CredentialKind.KSEF_CERTIFICATE, secret=key_pem, certificate_pem=cert_pem
    )
    check = await check_credential(client, NIP, cred, NOW)
    assert check.outcome is CheckOutcome.OK and check.token_status is None
    assert (
        fake.counts["POST /auth/xades-signature"] == 1 and "GET /tokens/{referenceNumber}" not in fake.counts
    )
    broken = Credential(
        client_id=7, kind=CredentialKind.OFFICE_CERTIFICATE, secret="not a key", certificate_pem=cert_pem
    )
    bad = await check_credential(client, NIP, broken, NOW)
    assert bad.outcome is CheckOutcome.AUTH_FAILED and "not a key" not in bad.message

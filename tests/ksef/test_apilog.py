"""The API log records every call, and no secret reaches entries, log records, exceptions or reprs."""

from __future__ import annotations

import logging

import httpx
import pytest

from ksef_tui.ksef import errors
from ksef_tui.ksef.apilog import (
    ApiLog,
    ApiLogEntry,
    RedactingFilter,
    install_log_redaction,
    redact,
    redact_text,
)
from tests.ksef.conftest import make_client
from tests.ksef.fakes import KSEF_TOKEN, NIP, FakeKsef, FakeTime, exception_response

SECRET_PART = KSEF_TOKEN.split("|")[-1]
UNSEEN_TOKEN = "20251111-EC-1111111111-2222222222-33|nip-1111111111|abcdef0123456789abcdef0123456789"


def _all_secrets(fake: FakeKsef) -> list[str]:
    return [SECRET_PART, KSEF_TOKEN, *fake.issued]


async def test_everything_logged_and_nothing_leaks(fake: FakeKsef, ftime: FakeTime, caplog) -> None:
    sunk: list[ApiLogEntry] = []
    log = ApiLog(sink=sunk.append)
    client = make_client(fake.transport(), ftime, api_log=log)
    logging.getLogger("ksef_tui").setLevel(logging.DEBUG)
    install_log_redaction()
    caplog.set_level(logging.DEBUG)
    logger = logging.getLogger("ksef_tui.ksef.test")
    logger.addFilter(RedactingFilter())

    await client.authenticate_with_token(NIP, KSEF_TOKEN)
    await client.generate_token(["InvoiceRead"], "Token dla biura")  # a second secret, shown once
    await client.export_invoices(
        {"subjectType": "Subject2", "dateRange": {"dateType": "Issue", "from": "2026-01-01"}}
    )
    fake.overrides[("GET", "/rate-limits")] = lambda r: exception_response(21301, f"zły {KSEF_TOKEN}")
    with pytest.raises(errors.KsefError) as info:
        await client.get_rate_limits()
    logger.warning("token was %s, bearer %s", KSEF_TOKEN, next(iter(fake.issued)))

    entries = log.recent(NIP, 500)
    assert len(entries) == len(fake.requests) == len(sunk)
    routes = {e.route for e in entries}
    assert {"/auth/ksef-token", "/auth/token/redeem", "/tokens", "/invoices/exports"} <= routes
    assert all(e.context_nip == NIP for e in entries)
    assert all(e.duration_ms >= 0 and e.timestamp.tzinfo for e in entries)
    failed = next(e for e in entries if e.route == "/rate-limits")
    assert failed.status == 400 and failed.ksef_codes == (21301,)

    generated_secret = next(e for e in entries if e.route == "/tokens" and e.method == "POST").response_body[
        "token"
    ]
    assert generated_secret == "***"
    haystacks = [repr(e) for e in entries] + [str(e.__dict__) for e in sunk]
    haystacks += [r.getMessage() for r in caplog.records] + [caplog.text]
    haystacks += [str(info.value), repr(info.value), repr(client), repr(client.auth)]
    for secret in _all_secrets(fake):
        for text in haystacks:
            assert secret not in text
    assert "sig=S3CRETSIG" not in " ".join(haystacks)  # pre-signed export URLs
    # The redaction did keep what is useful: the token's reference identifies it without opening it.
    ksef_token_entry = next(e for e in entries if e.route == "/auth/ksef-token")
    assert ksef_token_entry.request_body["encryptedToken"] == "***"
    assert ksef_token_entry.request_body["contextIdentifier"]["value"] == NIP


def test_redact_json_keys_and_text_shapes() -> None:
    data = {
        "accessToken": {"token": "eyJhbGciOiJIUzI1NiJ9.eyJhIjoxfQ.abc", "validUntil": "2026-01-01T00:00:00Z"},
        "encryption": {"encryptedSymmetricKey": "AAAA", "initializationVector": "BBBB"},
        "encryptedInvoiceContent": "CCCC",
        "items": [{"Authorization": "Bearer xyz"}],
        "note": f"uses {UNSEEN_TOKEN}",
    }
    out = redact(data)
    assert out["accessToken"] == {"token": "***", "validUntil": "2026-01-01T00:00:00Z"}
    assert out["encryption"]["encryptedSymmetricKey"] == "***"
    assert out["encryptedInvoiceContent"] == "***"
    assert out["items"][0]["Authorization"] == "***"
    # Recognised by shape (never registered): the secret part goes, the reference stays.
    assert "abcdef0123456789abcdef" not in out["note"] and UNSEEN_TOKEN.split("|")[0] in out["note"]
    assert data["encryptedInvoiceContent"] == "CCCC"  # a copy, the input is untouched
    assert redact_text("Authorization: Bearer abc.def") == "Authorization: Bearer ***"
    assert "sig=***" in redact_text("https://x/y?sv=1&sig=abc%2Fdef&se=2")


def test_registered_secrets_are_masked_anywhere() -> None:
    from ksef_tui.ksef.apilog import register_secret

    register_secret("plain-looking-secret-42")
    assert redact_text("a plain-looking-secret-42 b") == "a *** b"


def test_logging_filter_scrubs_tracebacks(caplog) -> None:
    logger = logging.getLogger("ksef_tui.ksef.tb")
    logger.addFilter(RedactingFilter())
    caplog.set_level(logging.ERROR)
    try:
        raise RuntimeError(f"boom with {KSEF_TOKEN}")
    except RuntimeError:
        logger.exception("failed")
    assert SECRET_PART not in caplog.text and "boom" in caplog.text


def test_ring_buffer_per_context() -> None:
    import datetime as dt

    log = ApiLog(capacity_per_context=3)
    t0 = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for i in range(5):
        for nip in ("1111111111", "2222222222"):
            log.record(ApiLogEntry(t0 + dt.timedelta(seconds=i), "GET", f"/x/{i}", "/x", 200, 1.0, nip))
    recent = log.recent("1111111111", 10)
    assert [e.path for e in recent] == ["/x/4", "/x/3", "/x/2"]
    assert len(log.recent(None, 100)) == 6
    assert log.recent("3333333333") == []


def test_broken_sink_does_not_break_calls() -> None:
    import datetime as dt

    def bad(entry: ApiLogEntry) -> None:
        raise OSError("disk full")

    log = ApiLog(sink=bad)
    log.record(ApiLogEntry(dt.datetime(2026, 1, 1, tzinfo=dt.UTC), "GET", "/x", "/x", 200, 1.0, None))
    assert len(log.recent()) == 1


async def test_network_error_text_is_redacted(fake: FakeKsef, ftime: FakeTime) -> None:
    def boom(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"cannot reach {request.url}", request=request)

    client = make_client(httpx.MockTransport(boom), ftime)
    with pytest.raises(errors.KsefNetworkError) as info:
        await client.download_upo_url("https://storage.test/u.xml?sig=TOPSECRETSIG")
    assert "TOPSECRETSIG" not in str(info.value)
    assert all("TOPSECRETSIG" not in repr(e) for e in client.api_log.recent(None))

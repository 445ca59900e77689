"""Issue 17 item 6: every part of a credential that is secret is masked, also when it is echoed alone,
and third-party loggers (httpx, httpcore's child loggers, uvicorn) are scrubbed like ours.

KSeF (or a proxy) echoing a token's secret part alone in an error detail must not carry it into the API
log, the live check's message, `ksef-tui status`, or any log record."""

from __future__ import annotations

import json
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ksef_tui.core.models import CheckOutcome, Client, Credential, CredentialKind
from ksef_tui.ksef.apilog import MASK, ApiLog, redact, redact_text, register_secret, secret_parts
from ksef_tui.ksef.live_check import check_credential
from tests.ksef.conftest import make_client
from tests.ksef.fakes import NIP, TOKEN_REF, FakeKsef, FakeTime, exception_response

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def fresh_token() -> tuple[str, str]:
    """(a KSeF token no other test registered, its secret part)."""
    secret = secrets.token_hex(32)
    return f"{TOKEN_REF}|nip-{NIP}|{secret}", secret


# --- what is registered, what is masked --------------------------------------------------------


def test_a_tokens_secret_part_is_masked_alone_in_every_setting() -> None:
    token, secret = fresh_token()
    register_secret(token)
    for text in (
        f"Nieprawidłowy token {secret}.",  # end of a sentence
        f"token={secret}&x=1",
        f'{{"detail": "{secret}"}}',
        f"({secret})",
        f"nip-{NIP}|{secret}",
        f"token: {secret}...",
        secret,
    ):
        out = redact_text(text)
        assert secret not in out and MASK in out, (text, out)
    assert secret[:20] not in redact_text(f"Token {secret} jest nieaktywny")
    # What only identifies stays readable: the token's reference and the NIP.
    kept = redact_text(f"Token {TOKEN_REF} dla NIP {NIP} i nip-{NIP}: odrzucony.")
    assert kept == f"Token {TOKEN_REF} dla NIP {NIP} i nip-{NIP}: odrzucony."


def test_secret_parts_of_a_token_never_include_what_only_identifies() -> None:
    token, secret = fresh_token()
    parts = secret_parts(token)
    assert token in parts and secret in parts and f"nip-{NIP}|{secret}" in parts
    assert TOKEN_REF not in parts and f"nip-{NIP}" not in parts and NIP not in parts


def test_a_private_key_pem_is_masked_whole_and_line_by_line() -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    body_lines = [line for line in pem.splitlines() if line and not line.startswith("-----")]
    register_secret(pem.encode())  # as bytes, the way the certificate login gets it
    echoed = "Błąd podpisu: " + " ".join(body_lines[3:6]) + f". Klucz: {''.join(body_lines)}."
    out = redact_text(echoed)
    assert not any(line in out for line in body_lines), out
    assert redact_text(pem).count(MASK) >= len(body_lines)
    # The public half of a certificate is not a secret and is not masked.
    assert redact_text("-----BEGIN CERTIFICATE-----") == "-----BEGIN CERTIFICATE-----"


def test_opaque_access_and_refresh_tokens_are_masked_by_value() -> None:
    # Registered on redeem/refresh (ksef/auth.py); an opaque (non-JWT) one must go by value.
    opaque = secrets.token_urlsafe(40)
    register_secret(opaque)
    assert opaque not in redact_text(f"refresh token {opaque} expired.")


def test_masking_a_run_is_one_pass_whatever_is_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each place a secret may start is looked up once, whatever the secrets' number and lengths: a long
    dotted run with many registered secrets costs one lookup per start (it used to be every pair of
    separators, quadratic)."""
    from ksef_tui.ksef import apilog

    for n in range(200):
        register_secret("k" * (10 + n) + f".{n:04d}")

    class Counting(dict):  # type: ignore[type-arg]
        lookups = 0

        def get(self, key: Any, default: Any = None) -> Any:
            Counting.lookups += 1
            return super().get(key, default)

    monkeypatch.setattr(apilog, "_by_head", Counting(apilog._by_head))
    text = "a." * 20_000 + "k" * 15 + ".0005 end"
    out = redact_text(text)
    assert out == "a." * 20_000 + MASK + " end"
    assert Counting.lookups <= text.count(".") + 2


# --- a fake KSeF that echoes the secret part alone --------------------------------------------


def _echoing(fake: FakeKsef, secret: str) -> None:
    """KSeF refuses the token, echoing its secret part alone in the error detail and description."""
    fake.overrides[("POST", "/auth/ksef-token")] = lambda r: exception_response(
        21301, f"Brak autoryzacji dla {secret}", details=[f"Nieprawidłowy token {secret}."]
    )


async def test_echoed_secret_reaches_neither_api_log_nor_check_message_nor_logs(
    fake: FakeKsef, ftime: FakeTime, caplog: pytest.LogCaptureFixture
) -> None:
    token, secret = fresh_token()
    _echoing(fake, secret)
    api_log = ApiLog()
    client = make_client(fake.transport(), ftime, api_log=api_log)
    caplog.set_level(logging.DEBUG)
    credential = Credential(client_id=7, kind=CredentialKind.KSEF_TOKEN, secret=token, id=3)

    check = await check_credential(client, NIP, credential, NOW)
    # httpcore logs through child loggers (httpcore.http11, httpcore.connection), httpx through its own;
    # with a real socket they log at DEBUG what they send and receive. Nothing of it may leak either.
    logging.getLogger("httpcore.http11").debug("receive_response_body.complete return_value=%r", secret)
    logging.getLogger("httpcore.connection").debug("answer: Nieprawidłowy token %s.", secret)
    logging.getLogger("httpx").info("HTTP Request: %s %s", "POST", f"https://x/y?token={secret}")
    logging.getLogger("uvicorn.access").info('%s - "%s %s HTTP/%s" %d', "1.2.3.4", "GET", secret, "1.1", 400)

    assert check.outcome is CheckOutcome.AUTH_FAILED and check.ksef_code == 21301
    assert check.message and MASK in check.message and secret not in check.message
    entries = api_log.recent(None, 100)
    assert any(e.route == "/auth/ksef-token" for e in entries)
    assert secret not in json.dumps([redact(e.__dict__) for e in entries], default=str)
    assert secret not in " ".join(repr(e) for e in entries)
    records = [r for r in caplog.records if r.name.startswith(("httpcore", "httpx", "uvicorn"))]
    assert len(records) >= 4
    for record in caplog.records:
        assert secret not in record.getMessage(), record.name
    assert secret not in caplog.text
    # uvicorn's access formatter unpacks the args: they stay a tuple, masked.
    access = next(r for r in caplog.records if r.name == "uvicorn.access")
    assert isinstance(access.args, tuple) and access.args[2] == MASK


def test_status_prints_no_echoed_secret(
    fake: FakeKsef, ftime: FakeTime, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The live check's message is what `status` prints as the reason: recorded masked, printed masked."""
    import asyncio

    from ksef_tui.__main__ import cli
    from ksef_tui.store import KdfLimits, Store
    from ksef_tui.sync.live_checks import check_one

    token, secret = fresh_token()
    _echoing(fake, secret)
    home = tmp_path / "home"
    store = Store.create(home, "pass phrase 1", kdf=KdfLimits.FAST_FOR_TESTS)
    try:
        client = store.clients.add(Client("Zielona", "ZIELONA_218", [NIP]))
        store.credentials.add(
            Credential(
                client.id,
                CredentialKind.KSEF_TOKEN,
                secret=token,
                reference=TOKEN_REF,
                valid_until=datetime.now(UTC) + timedelta(days=300),
            )
        )

        @asynccontextmanager
        async def factory(_client: Any) -> AsyncIterator[Any]:
            async with make_client(fake.transport(), ftime) as ksef:
                yield ksef

        checks = asyncio.run(check_one(store, factory, client.id, ftime.clock))
    finally:
        store.close()
    assert [c.outcome for c in checks] == [CheckOutcome.AUTH_FAILED]

    monkeypatch.setenv("KSEF_TUI_HOME", str(home))
    monkeypatch.setenv("KSEF_TUI_PASSPHRASE", "pass phrase 1")
    for fmt in ("table", "json"):
        result = CliRunner().invoke(cli, ["status", "--format", fmt])
        assert result.exit_code == 2, result.output
        assert "Nieprawidłowy token" in result.output  # the reason is there...
        assert secret not in result.output  # ...without the secret
        assert secret[:16] not in result.output

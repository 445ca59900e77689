from __future__ import annotations

import datetime as dt

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from ksef_tui.ksef.auth import AuthManager, PollPolicy
from ksef_tui.ksef.client import KsefClient
from ksef_tui.ksef.models import AuthTokens, TokenInfo
from ksef_tui.ksef.retry import RetryPolicy
from tests.ksef.fakes import BASE, FakeKsef, FakeTime


@pytest.fixture(scope="session")
def ksef_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def ftime() -> FakeTime:
    return FakeTime()


@pytest.fixture
def fake(ksef_key: rsa.RSAPrivateKey, ftime: FakeTime) -> FakeKsef:
    return FakeKsef(ksef_key, now=ftime.clock)


def make_client(transport, ftime: FakeTime, **kw) -> KsefClient:  # type: ignore[no-untyped-def]
    kw.setdefault("retry", RetryPolicy())
    kw.setdefault("poll", PollPolicy(first_delay=0.5, timeout=30))
    ftime.seed = 1
    return KsefClient(BASE, transport=transport, timing=ftime.timing(), **kw)


@pytest.fixture
def client(fake: FakeKsef, ftime: FakeTime) -> KsefClient:
    return make_client(fake.transport(), ftime)


def preauth(client: KsefClient, fake: FakeKsef, nip: str = "5265877635") -> KsefClient:
    """Skip the auth flow: give the client a valid access token the fake accepts."""
    far = dt.datetime(2030, 1, 1, tzinfo=dt.UTC)
    client.context_nip = nip
    client._auth = AuthManager(
        client.core,
        nip,
        tokens=AuthTokens(TokenInfo(fake.jwt("access"), far), TokenInfo(fake.jwt("refresh"), far)),
    )
    return client


@pytest.fixture
def authed(client: KsefClient, fake: FakeKsef) -> KsefClient:
    return preauth(client, fake)

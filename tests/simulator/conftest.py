"""Shared fixtures: one world per session (built once, ~0.1 s), a fresh app per test."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from ksef_tui.core.models import CredentialKind
from ksef_tui.simulator.app import create_app
from ksef_tui.simulator.ratelimit import RateLimitConfig
from ksef_tui.simulator.world import World, build_world
from tests.simulator import kit

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


@pytest.fixture
def world() -> World:
    return build_world(seed=2026, now=NOW)


@pytest.fixture
def app(world: World):  # type: ignore[no-untyped-def]
    return create_app(world, rate_limits=RateLimitConfig(enabled=False), clock=lambda: NOW)


@pytest.fixture
def conformance() -> kit.Conformance:
    return kit.Conformance()


@pytest.fixture
async def http(app, conformance):  # type: ignore[no-untyped-def]
    async with kit.client(app, conformance) as client:
        yield client


def by_profile(world: World, profile: str):  # type: ignore[no-untyped-def]
    return next(tp for tp in world.taxpayers.values() if tp.profile == profile)


def office_token(world: World, profile: str) -> tuple[str, str]:
    tp = by_profile(world, profile)
    token = world.token_for(tp.nip)
    assert token is not None
    return tp.nip, token.token


def own_certificate(world: World, profile: str):  # type: ignore[no-untyped-def]
    tp = by_profile(world, profile)
    cert = world.certificate_for(tp.nip, CredentialKind.KSEF_CERTIFICATE)
    assert cert is not None
    return tp.nip, cert

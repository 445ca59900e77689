"""Pieces for the sessions pilot and snapshot tests: a store with the demo roster (with the simulator's
certificates), the demo's session history, and a KSeF factory talking to the in-process simulator."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from ksef_tui.core.clock import Timing, fixed_clock
from ksef_tui.core.demo_roster import make_roster
from ksef_tui.demo import build_world, seed_store
from ksef_tui.demo.sessions import seed_sessions

from .helpers import NOW, PASSPHRASE, fast_kdf


def make_session_store(home: Path) -> tuple[Any, Any]:
    from ksef_tui.store import Store

    store = Store.create(home, PASSPHRASE, kdf=fast_kdf(), clock=fixed_clock(NOW))
    roster = make_roster(NOW, 2026)
    world = build_world(NOW, roster)
    seed_store(store, roster, world, NOW)
    seed_sessions(store, world, NOW)
    return store, world


def simulator_factory(world: Any, **app_kwargs: Any) -> Any:
    import httpx

    from ksef_tui.ksef.client import KsefClient
    from ksef_tui.simulator.app import create_app
    from ksef_tui.simulator.ratelimit import RateLimitConfig

    app_kwargs.setdefault("rate_limits", RateLimitConfig(enabled=False))
    app_kwargs.setdefault("clock", fixed_clock(NOW))
    app = create_app(world, **app_kwargs)

    @asynccontextmanager
    async def connect(_client: Any) -> AsyncIterator[KsefClient]:
        async with KsefClient(
            "http://ksef-simulator/v2",
            transport=httpx.ASGITransport(app=app),
            timing=Timing(clock=fixed_clock(NOW)),
        ) as ksef:
            yield ksef

    connect.app = app  # type: ignore[attr-defined]
    return connect

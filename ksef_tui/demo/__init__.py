"""The built-in demo: a fresh temporary store seeded from the demo roster, and the simulator in-process.

No textual here: `ksef-tui status --demo` uses it headless too.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from ksef_tui.core.clock import Timing
from ksef_tui.core.demo_roster import RosterEntry, make_roster
from ksef_tui.core.models import (
    CheckOutcome,
    Client,
    Credential,
    CredentialKind,
    Environment,
    LiveCheck,
    SyncState,
)
from ksef_tui.i18n import _

DEMO_PASSPHRASE = "demo"
DEMO_SEED = 2026
SIMULATOR_URL = "http://ksef-simulator/v2"  # in-process: the host name is never resolved


@dataclass
class Demo:
    home: Path
    roster: list[RosterEntry]
    world: Any  # ksef_tui.simulator.world.World
    now: datetime

    def cleanup(self) -> None:
        shutil.rmtree(self.home, ignore_errors=True)

    def ksef_factory(self, timing: Timing | None = None, **app_kwargs: Any) -> Any:
        """Connections to the in-process simulator (one ASGI app; every environment maps to it).

        `timing`: run the clients — and the simulator's latency faults and rate-limit windows — on this
        timeline (a `VirtualTime` in tests: seconds of retries and pacing pass at once)."""
        import httpx

        from ksef_tui.ksef.client import KsefClient
        from ksef_tui.simulator.app import create_app
        from ksef_tui.simulator.ratelimit import RateLimitConfig
        from ksef_tui.sync.connections import KsefConnections

        if timing is not None:
            app_kwargs.setdefault("sleep", timing.sleep)
            app_kwargs.setdefault("rate_limits", RateLimitConfig(monotonic=timing.monotonic))
        app = create_app(self.world, **app_kwargs)

        def make(_environment: Any, api_log: Any) -> KsefClient:
            return KsefClient(
                SIMULATOR_URL, transport=httpx.ASGITransport(app=app), api_log=api_log, timing=timing
            )

        return KsefConnections(make)


def build_world(now: datetime, roster: list[RosterEntry]) -> Any:
    from ksef_tui.simulator.world import build_world as simulator_world

    return simulator_world(seed=DEMO_SEED, now=now, roster=roster)


def seed_store(store: Any, roster: list[RosterEntry], world: Any, now: datetime) -> None:
    """What the office knows about each demo client: its credentials and their last live check."""
    for entry in roster:
        client = store.clients.add(
            Client(entry.name, entry.short_code, list(entry.nips), Environment.DEMO, entry.notes)
        )
        for spec in entry.credentials:
            known_perms = spec.permissions if spec.last_check_at is not None else frozenset()
            if spec.kind is CredentialKind.KSEF_TOKEN:
                cred = Credential(
                    client.id,
                    spec.kind,
                    secret=spec.token,
                    reference=spec.token_reference,
                    permissions=known_perms,
                    created=spec.created,
                    valid_until=spec.valid_until,
                    status=spec.stored_status,
                    label=_("token from the client"),
                )
            else:
                sim = world.certificate_for(entry.nip, spec.kind) if world is not None else None
                cred = Credential(
                    client.id,
                    spec.kind,
                    secret=sim.private_key_pem if sim else "",
                    certificate_pem=sim.certificate_pem if sim else None,
                    serial=sim.serial if sim else None,
                    permissions=known_perms,
                    created=spec.created,
                    valid_from=spec.valid_from,
                    valid_until=spec.valid_until,
                    status=spec.stored_status,
                )
            cred = store.credentials.add(cred)
            if spec.last_check_at is not None:
                store.checks.record(
                    LiveCheck(
                        client.id,
                        spec.last_check_at,
                        spec.last_check_outcome,
                        credential_id=cred.id,
                        permissions=spec.permissions
                        if spec.last_check_outcome is CheckOutcome.OK
                        else frozenset(),
                        ksef_code=spec.last_check_code,
                        message=spec.last_check_message,
                    )
                )
        if entry.sync_failed:
            store.sync_state.set(
                SyncState(
                    client.id,
                    last_attempt=now - timedelta(hours=2),
                    last_success=now - timedelta(days=3),
                    last_error=_("KSeF did not answer in time"),
                )
            )


def prepare_demo(now: datetime, *, kdf: Any = None, home: Path | None = None) -> Demo:
    """Create and seed a fresh demo store (passphrase "demo"); return it locked-closed on disk."""
    from ksef_tui.store import Store

    home = home or Path(tempfile.mkdtemp(prefix="ksef-tui-demo-"))
    roster = make_roster(now, DEMO_SEED)
    world = build_world(now, roster)
    kwargs = {"kdf": kdf} if kdf is not None else {}
    store = Store.create(home, DEMO_PASSPHRASE, **kwargs)
    try:
        seed_store(store, roster, world, now)
        from ksef_tui.demo.sessions import seed_sessions

        seed_sessions(store, world, now)  # the Sessions screen is not empty on first open
    finally:
        store.close()
    return Demo(home, roster, world, now)

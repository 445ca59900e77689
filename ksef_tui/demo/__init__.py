"""The built-in demo: a fresh temporary store seeded from the demo roster, and the simulator in-process.

No textual here: `ksef-tui status --demo` uses it headless too.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import stat
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from ksef_tui.core.clock import Clock, Timing
from ksef_tui.core.demo_roster import RosterEntry, make_roster
from ksef_tui.core.i18n import _
from ksef_tui.core.models import (
    CheckOutcome,
    Client,
    Credential,
    CredentialKind,
    Environment,
    LiveCheck,
    SyncState,
)
from ksef_tui.demo.bookings import add_standout_invoices, seed_bookings
from ksef_tui.demo.office import seed_office
from ksef_tui.demo.operators import seed_operator
from ksef_tui.demo.profiles import seed_profiles
from ksef_tui.demo.sessions import seed_sessions
from ksef_tui.ksef.client import KsefClient
from ksef_tui.simulator.faults import Faults
from ksef_tui.simulator.ratelimit import RateLimitConfig
from ksef_tui.simulator.world import build_world as simulator_world
from ksef_tui.store import Store
from ksef_tui.sync.connections import KsefConnections

DEMO_PASSPHRASE = "demo"
DEMO_SEED = 2026
SIMULATOR_URL = "http://ksef-simulator/v2"  # in-process: the host name is never resolved

# Temporary demo folders (docs/SECURITY.md "Files outside the store"): `<tmp>/ksef-tui-demo-*`, each with
# a lock file naming the pid of the run that uses it and held locked (flock) while it runs. A run killed
# before its cleanup leaves its folder behind; the next demo start removes such stale folders.
DEMO_PREFIX = "ksef-tui-demo-"
LOCK_NAME = ".ksef-tui-demo.lock"
# A folder without a lock file (made by a version before the lock, or caught between its creation and
# its lock) is only removed once it is clearly abandoned.
UNLOCKED_MAX_AGE = 24 * 3600.0

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: the pid alone says whether the run is alive
    fcntl = None  # type: ignore[assignment]


def _pid_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but another user's (EPERM): alive
        return True
    return True


def _lock_demo_folder(home: Path) -> int:
    """Create the folder's lock file (exclusively, no link followed), write our pid, and hold it locked."""
    fd = os.open(
        home / LOCK_NAME,
        os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0),
        0o600,
    )
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    os.write(fd, str(os.getpid()).encode("ascii"))
    return fd


def _stale(folder: Path, now: float) -> bool:
    """True when `folder` is a demo folder of ours that no live run uses."""
    st = folder.lstat()
    if not stat.S_ISDIR(st.st_mode) or (hasattr(os, "geteuid") and st.st_uid != os.geteuid()):
        return False  # a link, a file, or another user's: never ours to remove
    lock = folder / LOCK_NAME
    try:
        fd = os.open(lock, os.O_RDWR | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0))
    except FileNotFoundError:
        return now - st.st_mtime > UNLOCKED_MAX_AGE
    except OSError:
        return False
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                return False  # a live run holds it
        try:
            pid = int(os.read(fd, 32).decode("ascii").strip() or "0")
        except (ValueError, UnicodeDecodeError):
            pid = 0
        # Unlocked with a live pid: the owner is between creating and locking it (or the pid was
        # reused); either way leave it for a later start.
        return not _pid_alive(pid)
    finally:
        os.close(fd)


def clean_stale_demos(tmp_dir: Path | None = None, clock: Callable[[], float] = time.time) -> list[Path]:
    """Remove demo folders left behind by killed runs (ours, unused); returns what was removed.
    Never raises: a folder that cannot be checked or removed is left alone."""
    base = Path(tmp_dir or tempfile.gettempdir())
    removed: list[Path] = []
    now = clock()
    try:
        candidates = sorted(base.glob(DEMO_PREFIX + "*"))
    except OSError:
        return removed
    for folder in candidates:
        try:
            if _stale(folder, now):
                shutil.rmtree(folder)
                removed.append(folder)
        except OSError:
            continue
    return removed


@dataclass
class Demo:
    home: Path
    roster: list[RosterEntry]
    world: Any  # ksef_tui.simulator.world.World
    now: datetime
    lock_fd: int | None = field(default=None, repr=False)  # held while this run uses a temporary home

    def cleanup(self) -> None:
        shutil.rmtree(self.home, ignore_errors=True)
        if self.lock_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.lock_fd)
            self.lock_fd = None

    def ksef_factory(self, timing: Timing | None = None, **app_kwargs: Any) -> Any:
        """Connections to the in-process simulator (one ASGI app; every environment maps to it).

        `timing`: run the clients — and the simulator's latency faults and rate-limit windows — on this
        timeline (a `VirtualTime` in tests: seconds of retries and pacing pass at once)."""
        # deferred: the simulator's web app (Starlette), ~190-300 ms (python -X importtime, on top of
        # `ksef_tui.cli`, median of 5 runs); every headless command imports this module, only the demo's
        # KSeF connections need it.
        from ksef_tui.simulator.app import create_app

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


# How far back the demo's purchase sync starts: the demo world holds about a month of each client's
# purchases, so the first sync needs one window, not the nine months since KSeF 2.0 went live.
DEMO_PURCHASE_DAYS = 45


def running_clock(start: datetime) -> Clock:
    """A clock that reads `start` now and moves on with real time (the simulator's exports take
    polls to finish, which a frozen clock would never let happen)."""
    origin = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - origin)


def sync_demo_purchases(store: Any, demo: Demo, clock: Clock) -> Any:
    """Every demo client's purchase invoices, fetched from the demo's simulator through the real use
    case (exports, packages, the store's commit and cursor): what `invoices --demo` and the TUI demo show.
    Clients whose credentials KSeF refuses fail as they would in an office. Returns the SyncReport."""
    # deferred: the use case loads the KSeF client; only the demo's purchases need it here.
    from ksef_tui.core.purchases import SUBJECTS  # Subject2 and Subject3: the client as a third party too
    from ksef_tui.sync.purchases import sync_purchases

    # The demo's exports are ready at the first poll: a user waits for the demo, not for KSeF's realism.
    factory = demo.ksef_factory(clock=clock, faults=Faults(export_processing_polls=0))
    since = (demo.now - timedelta(days=DEMO_PURCHASE_DAYS)).date()

    async def run() -> Any:
        try:
            return await sync_purchases(
                store, factory, None, clock=clock, since=since, force=True, subjects=SUBJECTS
            )
        finally:
            await factory.aclose()

    return asyncio.run(run())


def prepare_demo(
    now: datetime,
    *,
    kdf: Any = None,
    home: Path | None = None,
    tmp_dir: Path | None = None,
    purchases: bool = False,
    clock: Clock | None = None,
    standouts: bool = False,
) -> Demo:
    """Create and seed a fresh demo store (passphrase "demo"); return it locked-closed on disk.

    Without `home`: a new temporary folder (`tmp_dir`, else the system's), locked for this run, after
    removing the folders earlier runs left behind when they were killed (clean_stale_demos).

    `purchases`: also sync every demo client's purchase invoices from the simulator (the real
    `sync_purchases`), on `clock` (default: one starting at `now` and moving with real time). Call it
    outside a running event loop."""
    lock_fd = None
    if home is None:
        clean_stale_demos(tmp_dir)
        home = Path(tempfile.mkdtemp(prefix=DEMO_PREFIX, dir=tmp_dir))
        try:
            lock_fd = _lock_demo_folder(home)
        except BaseException:
            shutil.rmtree(home, ignore_errors=True)
            raise
    demo = Demo(home, make_roster(now, DEMO_SEED), None, now, lock_fd)
    try:
        demo.world = build_world(now, demo.roster)
        kwargs = {"kdf": kdf} if kdf is not None else {}
        store = Store.create(home, DEMO_PASSPHRASE, **kwargs)
        try:
            seed_store(store, demo.roster, demo.world, now)
            seed_sessions(store, demo.world, now)  # the Sessions screen is not empty on first open
            seed_office(store, demo.roster, demo.world, now)  # issue 11: readiness for 2027
            seed_profiles(store, demo.roster)  # issue 14: what JPK and EDI++ need of each client
            seed_operator(store, demo.roster)  # issue 15: an accountant limited to three clients
            if purchases or standouts:  # invoices that must catch the accountant's eye in the queue
                add_standout_invoices(demo.world, now)
            if purchases:  # the purchase invoice list and the approval queue are not empty on first open
                sync_demo_purchases(store, demo, clock or running_clock(now))
                seed_bookings(store, now)  # issue 13: an office mid-month
        finally:
            store.close()
    except BaseException:
        if lock_fd is not None:  # our own temporary folder: leave nothing behind
            demo.cleanup()
        raise
    return demo

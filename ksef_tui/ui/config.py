"""What the app is given: where the store lives, the clock, health settings, the KSeF connection, the
office profile.

The App only wires these together; tests and the demo pass their own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ksef_tui.core.clock import Clock, system_clock
from ksef_tui.core.health import HealthSettings
from ksef_tui.core.models import Environment
from ksef_tui.sync.office import OfficeProfile

if TYPE_CHECKING:
    from ksef_tui.store import KdfLimits, Store


@dataclass
class AppConfig:
    home: Path
    clock: Clock = system_clock
    health: HealthSettings = field(default_factory=HealthSettings)
    kdf: KdfLimits | None = None  # None: the store's default (libsodium MODERATE)
    idle_timeout: timedelta = timedelta(minutes=15)
    passphrase_hint: str | None = None  # shown on the unlock screen (the demo's "demo")
    demo: bool = False
    # Start fetching every client's purchase invoices when the board first opens (the demo: the sync and
    # its progress are part of what it shows, and the app opens at once instead of after it).
    sync_purchases_on_start: bool = False
    # Run in a thread with the store after that first fetch (the demo: decides last month's bookings
    # through the real use cases, so the approval queue looks like an office's mid-month).
    after_start_sync: Callable[[Store], object] | None = None
    # True from the board's first fetch until `after_start_sync` is done (the demo's queue is still being
    # prepared): the queue says so, and the board reloads an open queue when it is ready.
    queue_preparing: bool = False
    # Makes a KSeF connection for a client (the live check); None when KSeF is not configured.
    ksef_factory: Callable[..., Any] | None = None
    store: Store | None = None
    # Who unlocks (`ksef-tui --operator LOGIN`, or chosen on the unlock screen); None: the administrator.
    operator: str | None = None
    # Called with the store right after it is created on first run (the demo seeds it here).
    on_created: Callable[[Store], None] | None = None
    # The office profile (sealed in the store, so known once it is unlocked): `use_office` applies it.
    office: OfficeProfile = field(default_factory=OfficeProfile)

    def use_office(self, profile: OfficeProfile) -> None:
        """From now on: the office's health thresholds, idle lock and default environment for new
        clients."""
        self.office = profile
        self.health = profile.health(self.health)
        self.idle_timeout = profile.idle_timeout
        if self.store is not None:
            self.store.idle_timeout = profile.idle_timeout

    @property
    def default_environment(self) -> Environment:
        return self.office.environment

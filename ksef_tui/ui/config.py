"""What the app is given: where the store lives, the clock, health settings, the KSeF connection.

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
    # Makes a KSeF connection for a client (the live check); None when KSeF is not configured.
    ksef_factory: Callable[..., Any] | None = None
    store: Store | None = None
    # Called with the store right after it is created on first run (the demo seeds it here).
    on_created: Callable[[Store], None] | None = None

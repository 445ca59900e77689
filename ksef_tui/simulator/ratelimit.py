"""Rate limits per (context, endpoint group), as KSeF enforces them (API-NOTES §16).

Every group has per-second, per-minute and per-hour sliding windows that apply at once; the first
one breached answers 429 with `Retry-After` (whole seconds until the request would pass).
`RateLimitConfig.scale` compresses time for tests: scale=100 makes the windows 100× shorter, so an
hour-long block lasts 36 s. The limits (counts) themselves stay the production values.
"""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from ksef_tui.core.rate_limits import LIMITS, OTHER

# Production limits per group: (per second, per minute, per hour); None = no limit in that window. The
# table (and which route is in which group) is core/rate_limits.py, shared with the client.
GROUPS: dict[str, tuple[int | None, int | None, int | None]] = {g: lim.counts() for g, lim in LIMITS.items()}
WINDOWS = (1.0, 60.0, 3600.0)
WINDOW_NAMES = ("sekundę", "minutę", "godzinę")


@dataclass
class RateLimitConfig:
    scale: float = 1.0
    enabled: bool = True
    limits: dict[str, tuple[int | None, int | None, int | None]] = field(default_factory=lambda: dict(GROUPS))
    monotonic: Callable[[], float] = time.monotonic


@dataclass
class Breach:
    retry_after: int  # seconds, at least 1
    limit: int
    window: str

    @property
    def detail(self) -> str:
        return (
            f"Przekroczono limit {self.limit} żądań na {self.window}. "
            f"Spróbuj ponownie po {self.retry_after} sekundach."
        )


class RateLimiter:
    def __init__(self, config: RateLimitConfig) -> None:
        self.config = config
        self._hits: dict[tuple[str, str], deque[float]] = {}
        self._lock = threading.Lock()

    def limits(self, group: str) -> tuple[int | None, int | None, int | None]:
        return self.config.limits.get(group, self.config.limits[OTHER])

    def hit(self, context: str, group: str) -> Breach | None:
        """Record a request; a Breach (and nothing recorded) when a window is full."""
        if not self.config.enabled:
            return None
        now = self.config.monotonic()
        scale = self.config.scale if self.config.scale > 0 else 1.0
        limits = self.limits(group)
        with self._lock:
            hits = self._hits.setdefault((context, group), deque())
            longest = (
                max(w / scale for w, lim in zip(WINDOWS, limits, strict=True) if lim) if any(limits) else 0
            )
            while hits and hits[0] <= now - longest:
                hits.popleft()
            worst: Breach | None = None
            for window, limit, name in zip(WINDOWS, limits, WINDOW_NAMES, strict=True):
                if not limit:
                    continue
                span = window / scale
                in_window = [t for t in hits if t > now - span] if len(hits) >= limit else []
                if len(in_window) >= limit:
                    # The request passes once enough of the oldest hits have left the window.
                    wait = in_window[len(in_window) - limit] + span - now
                    breach = Breach(max(1, math.ceil(wait)), limit, name)
                    if worst is None or breach.retry_after > worst.retry_after:
                        worst = breach
            if worst is None:
                hits.append(now)
            return worst

"""Shared pieces for pilot and snapshot tests: a fixed clock and quickly-made stores."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from ksef_tui.core.clock import fixed_clock
from ksef_tui.core.demo_roster import make_roster
from ksef_tui.demo import seed_store
from ksef_tui.ui.config import AppConfig

NOW = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
PASSPHRASE = "correct horse battery"


def fast_kdf():  # type: ignore[no-untyped-def]
    from ksef_tui.store import KdfLimits

    return KdfLimits.FAST_FOR_TESTS


def make_store(home: Path, *, roster: bool = True, extra_healthy: int = 4):  # type: ignore[no-untyped-def]
    """A store on disk seeded from the demo roster (no simulator: certificates without PEMs)."""
    from ksef_tui.store import Store

    store = Store.create(home, PASSPHRASE, kdf=fast_kdf(), clock=fixed_clock(NOW))
    if roster:
        seed_store(store, make_roster(NOW, 2026, extra_healthy=extra_healthy), None, NOW)
    return store


def services(home: Path, store=None, **kw) -> AppConfig:  # type: ignore[no-untyped-def]
    return AppConfig(home=home, clock=fixed_clock(NOW), kdf=fast_kdf(), store=store, **kw)


async def settle(pilot) -> None:  # type: ignore[no-untyped-def]
    """Wait for workers and the screen to catch up."""
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def screen_text(app) -> str:  # type: ignore[no-untyped-def]
    """The visible screen as plain text, line by line (what a user reads)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join(strip.text for strip in strips)


async def wait_for_text(pilot, text: str, timeout: float = 5.0) -> bool:  # type: ignore[no-untyped-def]
    """Poll the screen until `text` shows (work done in threads, like the palette's search)."""
    for _ in range(int(timeout / 0.05)):
        if text in screen_text(pilot.app):
            return True
        await pilot.pause(0.05)
    return text in screen_text(pilot.app)

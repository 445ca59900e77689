"""Shared pieces for pilot and snapshot tests: a fixed clock and quickly-made stores."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

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


# How many times `until` lets the app run before it gives up. Each pause is at least one Textual idle
# check (~20 ms), so this is seconds of real time on any machine and more on a loaded one: a bound on
# work, never a deadline that decides an outcome on a fast machine.
UNTIL_PAUSES = 1000


async def until(
    pilot: Pilot[Any], condition: Callable[[], object], what: str, *, pauses: int = UNTIL_PAUSES
) -> None:
    """Let the app run (`pilot.pause()`, no delay) until `condition()` holds; fail naming `what` if it
    has not after `pauses` pauses. For work the app finishes on its own time: timers, worker threads."""
    for _ in range(pauses):
        if condition():
            return
        await pilot.pause()
    if not condition():
        raise AssertionError(f"still waiting after {pauses} pauses for: {what}")


async def wait_for_text(pilot, text: str) -> bool:  # type: ignore[no-untyped-def]
    """Let the app run until `text` shows on the screen (work done in threads, like the palette's search)."""
    try:
        await until(pilot, lambda: text in screen_text(pilot.app), f"{text!r} on the screen")
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n--- the screen ---\n{screen_text(pilot.app)}") from None
    return True

"""A KSeF API 2.0 simulator (Starlette ASGI) for the demo and the tests (DESIGN.md "The simulator").

Public API:
- `world.build_world(*, seed=2026, now, roster=None) -> World`: the seeded KSeF state built from the demo
  roster (taxpayers, tokens, issued certificates, grants, sessions, invoices, purchases);
  `World.certificate_for(nip, kind)`, `World.token_for(nip)`, `World.taxpayers[nip]`.
- `app.create_app(world, *, rate_limits=RateLimitConfig(), faults=None, clock=None) -> Starlette`:
  the API under `/v2`; fault control under `/_sim/faults`; pre-signed storage links under `/_sim/storage`.
- `faults.Faults`, `ratelimit.RateLimitConfig`: fault injection and rate-limit settings.
- `cli.simulator_command`: `ksef-tui simulator --port N --seed S --world-file F ...` (uvicorn).

This package imports `ksef_tui.core`, never the client (`ksef_tui.ksef`) and never `textual`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["Faults", "RateLimitConfig", "World", "build_world", "create_app"]


def __getattr__(name: str) -> Any:
    # deferred: lazy re-exports, so `import ksef_tui.simulator.<module>` does not load the Starlette app
    # (~190-300 ms, python -X importtime on top of `ksef_tui.cli`, median of 5 runs) with the package.
    if name in ("World", "build_world"):
        from ksef_tui.simulator import world

        return getattr(world, name)
    if name == "create_app":
        from ksef_tui.simulator.app import create_app

        return create_app
    if name == "Faults":
        from ksef_tui.simulator.faults import Faults

        return Faults
    if name == "RateLimitConfig":
        from ksef_tui.simulator.ratelimit import RateLimitConfig

        return RateLimitConfig
    raise AttributeError(name)

"""The demo office (issue 11: its certificate, a census, every readiness state) in the app, against the
in-process simulator, on the fixed clock of the tests."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from ksef_tui.core.clock import VirtualTime, fixed_clock
from ksef_tui.demo import Demo, prepare_demo
from ksef_tui.ui.app import KsefApp
from ksef_tui.ui.config import AppConfig

from .helpers import NOW, fast_kdf


def demo_app(
    tmp_path: Path, *, export_folder: Path | None = None, virtual: bool = True, **factory_kwargs: Any
) -> tuple[KsefApp, Demo, Any]:
    """(app, demo, store): the demo store opened on NOW, KSeF = the demo's simulator. `virtual`: the KSeF
    client's waits (polls, pacing, retries) pass at once on a virtual timeline, so no test waits on a
    real second (and none depends on how fast the machine is)."""
    from ksef_tui.store import Store
    from ksef_tui.sync.office import read_profile, write_profile

    demo = prepare_demo(NOW, kdf=fast_kdf(), home=tmp_path / "demo")
    store = Store.open(demo.home, "demo", clock=fixed_clock(NOW))
    if export_folder is not None:
        write_profile(store, dataclasses.replace(read_profile(store), export_folder=str(export_folder)))
    if virtual:
        factory_kwargs.setdefault("timing", VirtualTime(NOW, frozen_wall=True).timing())
    factory = demo.ksef_factory(clock=lambda: NOW, **factory_kwargs)
    services = AppConfig(home=demo.home, clock=fixed_clock(NOW), store=store, ksef_factory=factory)
    return KsefApp(services), demo, store


def code_of(demo: Demo, profile: str, n: int = 0) -> str:
    return [e for e in demo.roster if e.profile == profile][n].short_code


def nip_of(demo: Demo, profile: str, n: int = 0) -> str:
    return [e for e in demo.roster if e.profile == profile][n].nip

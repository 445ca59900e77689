"""A seeded office for the sync reliability tests: a store kept as a template folder (each run copies it)
and the simulated KSeF world its credentials belong to, on a fixed date."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from ksef_tui.core.demo_roster import RosterEntry, make_roster
from ksef_tui.demo import Demo, seed_store
from ksef_tui.simulator.world import World, build_world
from ksef_tui.store import KdfLimits, Store

NOW = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
PASSPHRASE = "pass phrase"


@dataclass
class Office:
    template: Path
    roster: list[RosterEntry]
    world: World

    def fresh_store(self, where: Path) -> Store:
        shutil.copytree(self.template, where)
        return Store.open(where, PASSPHRASE, clock=lambda: NOW)

    def demo(self, home: Path) -> Demo:
        return Demo(home, self.roster, self.world, NOW)


def seeded_office(tmp_path_factory: pytest.TempPathFactory, extra_healthy: int = 0) -> Office:
    roster = make_roster(NOW, 2026, extra_healthy=extra_healthy)
    world = build_world(seed=2026, now=NOW, roster=roster)
    template = tmp_path_factory.mktemp("office") / "store"
    store = Store.create(template, PASSPHRASE, kdf=KdfLimits.FAST_FOR_TESTS, clock=lambda: NOW)
    seed_store(store, roster, world, NOW)
    store.close()
    return Office(template, roster, world)

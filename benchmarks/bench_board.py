"""Issue 2 speed: the client board at 500 clients.

1. Process start to board painted, against a bare Textual app painting a DataTable with the same 500
   rows, both measured in this run as child processes (median of N). Unlock's KDF (Argon2id MODERATE)
   is timed inside the child and subtracted, and reported apart. Target: ratio ≤ 1.5.
2. A filter keystroke at 500 clients, via the pilot: median of 50 keystrokes. Target: < 50 ms.

Run: .venv/bin/python benchmarks/bench_board.py [--runs N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

PASSPHRASE = "benchmark passphrase"
N_CLIENTS = 500


def make_store(home: Path):  # type: ignore[no-untyped-def]
    from ksef_tui.core.demo_roster import make_roster
    from ksef_tui.demo import seed_store
    from ksef_tui.store import Store

    now = datetime.now(UTC)
    store = Store.create(home, PASSPHRASE)  # libsodium MODERATE, as users get
    roster = make_roster(now, 7, extra_healthy=N_CLIENTS - 21)[:N_CLIENTS]
    seed_store(store, roster, None, now)
    return store


def board_rows_as_strings(store) -> list[list[str]]:  # type: ignore[no-untyped-def]
    from ksef_tui.core.board import build_board

    rows = [(r.client, r.credentials, r.checks, r.sync) for r in store.board_rows()]
    return [
        [
            e.health.glyph,
            e.client.short_code,
            e.client.name,
            e.nip_formatted,
            e.expires_words,
            e.health.reason,
        ]
        for e in build_board(rows, datetime.now(UTC))
    ]


def timed_child(args: list[str]) -> tuple[float, float]:
    t0 = time.perf_counter()
    out = subprocess.run(
        [sys.executable, str(HERE / "_board_child.py"), *args], capture_output=True, text=True, check=True
    )
    wall = time.perf_counter() - t0
    kdf = 0.0
    for line in out.stdout.splitlines():
        if line.startswith("kdf="):
            kdf = float(line[4:])
    return wall, kdf


async def filter_keystrokes(home: Path, n: int = 50) -> tuple[list[float], list[float], list[float]]:
    """Per keystroke: (a) the filter's work plus a full repaint of the screen, timed inside the app;
    (b) pilot press+pause as a user-level latency; (c) the same pilot press+pause on a bare app with one
    Input, which is the harness's own floor (its idle detection waits tens of ms by itself)."""
    from textual.app import App, ComposeResult
    from textual.widgets import Input

    from ksef_tui.screens.clients import ClientsScreen
    from ksef_tui.store import Store
    from ksef_tui.ui.app import KsefApp
    from ksef_tui.ui.config import AppConfig

    store = Store.open(home, PASSPHRASE)
    app = KsefApp(AppConfig(home=home, store=store))
    work: list[float] = []
    pilot_times: list[float] = []
    typed = ["k", "ka", "kan", "ka", "k", "", "p", "pi", "pie", "pi", "p", "", "1", "12", "1", ""]
    async with app.run_test(size=(80, 24)) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ClientsScreen) and len(screen.entries) == N_CLIENTS
        await pilot.press("slash")
        await pilot.pause()
        field = screen.query_one("#filter")
        for i in range(n):
            with field.prevent(field.Changed):
                field.value = typed[i % len(typed)]
            t0 = time.perf_counter()
            screen._apply_filter()
            screen._compositor.render_strips()  # repaint every line of the screen
            work.append(time.perf_counter() - t0)
        keys = ["k", "backspace", "a", "backspace", "s", "backspace", "1", "backspace", "z", "backspace"]
        field.value = ""
        for i in range(n):
            t0 = time.perf_counter()
            await pilot.press(keys[i % len(keys)])
            await pilot.pause()
            pilot_times.append(time.perf_counter() - t0)
    store.close()

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield Input()

    floor: list[float] = []
    async with Bare().run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for i in range(n):
            t0 = time.perf_counter()
            await pilot.press(keys[i % len(keys)])
            await pilot.pause()
            floor.append(time.perf_counter() - t0)
    return work, pilot_times, floor


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "store"
        store = make_store(home)
        rows = board_rows_as_strings(store)
        store.close()
        rows_file = Path(tmp) / "rows.json"
        rows_file.write_text(json.dumps(rows), encoding="utf-8")

        bare, ours, kdfs = [], [], []
        for _ in range(args.runs):  # interleaved so machine noise hits both alike
            bare.append(timed_child(["bare", str(rows_file)])[0])
            wall, kdf = timed_child(["ours", str(home), PASSPHRASE])
            ours.append(wall - kdf)
            kdfs.append(kdf)
        b, o, k = statistics.median(bare), statistics.median(ours), statistics.median(kdfs)
        print(f"clients: {N_CLIENTS}, runs: {args.runs}")
        print(f"bare DataTable app, start to painted: {b * 1000:.0f} ms (median)")
        print(f"ksef-tui board, start to painted (KDF excluded): {o * 1000:.0f} ms (median)")
        print(f"unlock KDF (Argon2id MODERATE), reported apart: {k * 1000:.0f} ms (median)")
        print(f"ratio ours/bare: {o / b:.2f}  (target ≤ 1.5)")

        work, pilot_times, floor = asyncio.run(filter_keystrokes(home))
        print(f"filter keystroke at {N_CLIENTS} clients, filter + full repaint: {_ms(work)} (target < 50 ms)")
        print(f"  pilot press+pause on the board: {_ms(pilot_times)}")
        print(f"  pilot press+pause on a bare one-Input app (the harness's floor): {_ms(floor)}")


def _ms(values: list[float]) -> str:
    p90 = sorted(values)[int(len(values) * 0.9)]
    return f"median {statistics.median(values) * 1000:.1f} ms, p90 {p90 * 1000:.1f} ms (n={len(values)})"


if __name__ == "__main__":
    main()

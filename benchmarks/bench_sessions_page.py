"""Sessions screen, first page: ours (sealed store, 5,000 sessions for one client) vs a bare DataTable
painting the same first page from a plain list, in the same run (issue 4, "Speed": ratio ≤ 1.5).

One headless app at 80×24 (the store unlocked) pushes either screen in turn; the clock runs from the push
until the first refresh after the rows are in the table. Runs alternate (ours, bare, ours, …) after one
warm-up pair, so that noise hits both alike; the medians are compared.

    .venv/bin/python benchmarks/bench_sessions_page.py [--runs 7] [--sessions 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

NOW = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)


def build_store(home: Path, count: int):  # type: ignore[no-untyped-def]
    from ksef_tui.core.clock import fixed_clock
    from ksef_tui.core.ksef_sessions import SessionRecord
    from ksef_tui.core.models import Client, Environment
    from ksef_tui.store import KdfLimits, Store

    store = Store.create(home, "benchmark passphrase", kdf=KdfLimits.FAST_FOR_TESTS, clock=fixed_clock(NOW))
    client = store.clients.add(Client("Piekarnia Bench", "BENCH", ["5260250274"], Environment.DEMO))
    codes = [200] * 8 + [445, 440]
    records = [
        SessionRecord(
            client_id=client.id,  # type: ignore[arg-type]
            reference=f"2026{(i % 12) + 1:02d}01-SO-{i:010X}-{i * 7919 % 16**10:010X}-{i % 256:02X}",
            kind="Online" if i % 5 else "Batch",
            status_code=codes[i % len(codes)],
            opened=NOW - timedelta(minutes=37 * i),
            updated=NOW - timedelta(minutes=37 * i - 5),
            status_description="Sesja interaktywna przetworzona pomyślnie",
            invoices_total=i % 9 + 1,
            invoices_accepted=i % 9,
            invoices_rejected=1 if i % 9 < 8 and i % 3 == 0 else 0,
        )
        for i in range(count)
    ]
    store.ksef_sessions.upsert(records)
    return store, client.id


async def measure(store, client_id: int, rows: list[list[str]], runs: int) -> tuple[list[float], list[float]]:  # type: ignore[no-untyped-def]
    """In one running app (the store unlocked), push either screen and time push → first paint with rows."""
    from textual.app import ComposeResult
    from textual.screen import Screen
    from textual.widgets import DataTable

    from ksef_tui.core.clock import fixed_clock
    from ksef_tui.screens.sessions import SessionsScreen
    from ksef_tui.ui.app import KsefApp
    from ksef_tui.ui.config import AppConfig

    done = asyncio.Event()

    class Timed(SessionsScreen):
        CSS_PATH = str(Path(sys.modules[SessionsScreen.__module__].__file__ or "").with_name("sessions.tcss"))

        def _loaded(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
            super()._loaded(*args, **kwargs)
            self.call_after_refresh(done.set)

    class Bare(Screen[None]):
        def compose(self) -> ComposeResult:
            yield DataTable()

        def on_mount(self) -> None:
            table = self.query_one(DataTable)
            table.add_columns("Otwarta", "Zmiana", "Typ", "Nr referencyjny", "Status", "Fakt.")
            table.add_rows(rows)
            self.call_after_refresh(done.set)

    services = AppConfig(home=store.home, clock=fixed_clock(NOW), store=store)

    class Host(Screen[None]):
        def compose(self) -> ComposeResult:
            yield DataTable()

    app = KsefApp(services, initial_screen=Host)
    ours: list[float] = []
    bare: list[float] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for i in range(runs * 2 + 2):  # the first pair warms up (CSS parsing, imports) and is dropped
            screen = Timed(services, client_id) if i % 2 == 0 else Bare()
            done.clear()
            start = time.perf_counter()
            await app.push_screen(screen)
            await done.wait()
            elapsed = time.perf_counter() - start
            if i >= 2:
                (ours if i % 2 == 0 else bare).append(elapsed)
            if i % 2 == 0:
                assert len(screen.query_one("SessionTable").records) == len(rows)  # type: ignore[attr-defined]
            await app.pop_screen()
            await pilot.pause()
    return ours, bare


def first_page_rows(store, client_id: int) -> list[list[str]]:  # type: ignore[no-untyped-def]
    from ksef_tui.core.ksef_sessions import SessionFilter
    from ksef_tui.screens.sessions import PAGE

    page = store.ksef_sessions.page(
        SessionFilter(client_id=client_id, since=NOW - timedelta(days=3650)), 0, PAGE
    )
    return [
        [
            f"{r.opened:%d.%m %H:%M}",
            f"{r.updated:%H:%M}",
            r.kind,
            r.reference[-12:],
            str(r.status_code),
            f"{r.invoices_total}/{r.invoices_accepted}/{r.invoices_rejected}",
        ]
        for r in page
    ]


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--sessions", type=int, default=5000)
    args = parser.parse_args()
    from ksef_tui.screens import sessions as sessions_screen

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        store, client_id = build_store(Path(tmp) / "home", args.sessions)
        print(f"store: {args.sessions} sessions for one client written in {time.perf_counter() - t0:.2f} s")
        # The screen's default period is 7 days; show every session so the first page is full either way.
        sessions_screen.PERIODS = ((3650, "all"), *sessions_screen.PERIODS)  # type: ignore[assignment]
        rows = first_page_rows(store, client_id)
        ours, bare = await measure(store, client_id, rows, args.runs)
        store.close()
    o, b = statistics.median(ours), statistics.median(bare)
    print(f"first page: {len(rows)} rows")
    ours_ms, bare_ms = [round(x * 1000) for x in ours], [round(x * 1000) for x in bare]
    print(f"ours (sessions screen, from the sealed store): median {o * 1000:.1f} ms  runs {ours_ms}")
    print(f"bare DataTable (plain list):                   median {b * 1000:.1f} ms  runs {bare_ms}")
    print(f"ratio ours/bare: {o / b:.2f} (target ≤ 1.5)")


if __name__ == "__main__":
    asyncio.run(main())

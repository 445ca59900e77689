"""The approval queue screen with 20,000 open bookings across 300 clients (issue 13, "Speed"):

1. first page: a key pushes the queue screen → its rows on screen, vs a bare line table painting the same
   page from a plain list of strings, in the same run (target: ratio ≤ 1.5). Two moments are timed from
   the screen's creation, for both screens alike: the end of the first frame that shows the rows, and
   "settled" (the screen idle after its last paint: `call_after_refresh` once the rows are in, which
   includes Textual's pacing of later frames at 60 per second, the same for both). The screen is pushed
   the way the app's keys push it (not awaited: an awaited push asks for one more layout pass);
2. a filter keystroke: one character typed in `/` → the table repainted with the rows that match
   (target: < 50 ms).

A REAL store on disk (`Store.create` with FAST_FOR_TESTS key derivation only; every booking sealed with
the real XChaCha20-Poly1305, put with `store.bookings.put_many`) and the real use case
(`sync.bookings.load_queue`), so this measures the screen and the store together: SQL, unsealing,
filtering, the table, the detail and the header. Runs alternate (ours, bare) after a warm-up pair;
medians are compared. Prints figures, asserts nothing about time.

    .venv/bin/python benchmarks/bench_queue_screen.py [--runs 5] [--bookings 20000] [--clients 300]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def bookings(count: int, clients: int) -> tuple[list[Any], dict[int, tuple[str, str]]]:
    from tests.tui.queue_helpers import needs_review, proposed

    out = []
    for i in range(count):
        client = i % clients + 1
        hours = (count - i) * 0.01
        out.append(
            needs_review(client, i, hours=hours) if i % 7 == 0 else proposed(client, i, hours=hours, known=i)
        )
    codes = {c: (f"KLIENT_{c:03d}", f"52{c:08d}") for c in range(1, clients + 1)}
    return out, codes


def build_store(home: Path, count: int, clients: int) -> Any:
    """A real store: `clients` clients, `count` open bookings put in one `put_many`."""
    from ksef_tui.core.clock import fixed_clock
    from ksef_tui.store import KdfLimits, Store

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "store"))
    from store_helpers import client

    from tests.tui.helpers import NOW

    store = Store.create(home, "bench pass", kdf=KdfLimits.FAST_FOR_TESTS, clock=fixed_clock(NOW))
    ids = [store.clients.add(client(n)).id for n in range(clients)]
    items, _codes = bookings(count, clients)
    store.bookings.put_many(replace(b, client_id=ids[b.client_id - 1]) for b in items)
    return store


async def measure(store: Any, runs: int) -> tuple[list[float], ...]:
    from textual.app import ComposeResult
    from textual.screen import Screen
    from textual.widgets import Input

    from ksef_tui.core.clock import fixed_clock
    from ksef_tui.screens.queue import QueueScreen
    from ksef_tui.sync import bookings as booking_sync
    from ksef_tui.sync.bookings import QueueFilter
    from ksef_tui.ui.app import KsefApp
    from ksef_tui.ui.config import AppConfig
    from ksef_tui.widgets.line_table import Cell, LineTable
    from ksef_tui.widgets.queue_table import queue_columns
    from tests.tui.helpers import NOW

    done = asyncio.Event()
    warmed = asyncio.Event()
    loop = asyncio.get_running_loop()
    warm_queue = booking_sync.warm_queue

    def timed_warm(store: Any, flt: Any) -> None:  # runs in the screen's worker thread
        try:
            warm_queue(store, flt)
        finally:
            loop.call_soon_threadsafe(warmed.set)

    booking_sync.warm_queue = timed_warm  # type: ignore[assignment]

    class Timed(QueueScreen):
        CSS_PATH = str(Path(sys.modules[QueueScreen.__module__].__file__ or "").with_name("queue.tcss"))

        # Not a handler of QueueLoaded: Textual calls every class's `on_queue_loaded` along the MRO, so an
        # override calling super() ran the screen's twice (an appended page was appended twice).
        def _update_header(self) -> None:  # the rows of a (re)load are in the table
            super()._update_header()
            self.call_after_refresh(done.set)

    page = booking_sync.load_queue(store, QueueFilter(), fixed_clock(NOW))
    plain_rows = [
        {
            "age": f"{row.age_hours:.0f} h",
            "client": row.client_code,
            "seller": row.booking.seller_name,
            "gross": str(row.booking.gross),
            "status": f"{row.booking.confidence}%",
            "proposal": row.booking.vat_register,
        }
        for row in page.rows
    ]

    class BareTable(LineTable):
        @property
        def row_count(self) -> int:
            return len(plain_rows)

        def row_cells(self, index: int) -> Mapping[str, Cell]:
            return {k: (v, None) for k, v in plain_rows[index].items()}

    class Bare(Screen[None]):
        def compose(self) -> ComposeResult:
            yield BareTable()

        def on_mount(self) -> None:
            self.query_one(BareTable).set_columns(queue_columns(80), 80)
            self.call_after_refresh(done.set)

    class Host(Screen[None]):
        def compose(self) -> ComposeResult:
            yield Input()

    services = AppConfig(home=Path(tempfile.gettempdir()), clock=fixed_clock(NOW), store=store)
    app = KsefApp(services, initial_screen=Host)
    ours: list[float] = []
    bare: list[float] = []
    ours_frame: list[float] = []
    bare_frame: list[float] = []
    keystrokes: list[float] = []
    warm_ups: list[float] = []
    painted: dict[Screen[Any], float] = {}  # a screen -> the end of its first frame
    compositor_refresh = Screen._compositor_refresh

    def timed_refresh(self: Screen[Any]) -> None:
        compositor_refresh(self)
        if self is app.screen and self not in painted:
            painted[self] = time.perf_counter()

    Screen._compositor_refresh = timed_refresh  # type: ignore[method-assign]
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        for i in range(runs * 2 + 2):  # the first pair warms up (CSS, imports) and is dropped
            done.clear()
            warmed.clear()
            start = time.perf_counter()
            screen: Screen[Any] = Timed(services) if i % 2 == 0 else Bare()
            app.push_screen(screen)  # as a key does (an awaited push adds a layout pass)
            await done.wait()
            elapsed = time.perf_counter() - start
            if i >= 2:
                (ours if i % 2 == 0 else bare).append(elapsed)
                (ours_frame if i % 2 == 0 else bare_frame).append(painted[screen] - start)
            if i % 2 == 0:  # the screen unseals the rest for the filter after its first page
                start = time.perf_counter()
                await warmed.wait()
                if i >= 2:
                    warm_ups.append(time.perf_counter() - start)
            if i % 2 == 0 and i >= 2 and len(keystrokes) < runs * 5:
                await pilot.press("slash")
                await pilot.pause()
                field = screen.query_one("#filter", Input)
                for char in "orlen":  # every keystroke narrows: 20,000 → a few thousand
                    done.clear()
                    start = time.perf_counter()
                    # What a typed key does (pilot.press would add its own idle waits to the time).
                    field.insert_text_at_cursor(char)
                    await done.wait()
                    keystrokes.append(time.perf_counter() - start)
                    await pilot.pause()
            await app.pop_screen()
            await pilot.pause()
    painted.clear()
    return ours, bare, ours_frame, bare_frame, keystrokes, warm_ups


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--bookings", type=int, default=20000)
    parser.add_argument("--clients", type=int, default=300)
    args = parser.parse_args()
    from ksef_tui.core.clock import fixed_clock
    from ksef_tui.sync import bookings as booking_sync
    from ksef_tui.sync.bookings import QueueFilter
    from tests.tui.helpers import NOW

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        store = build_store(Path(tmp) / "home", args.bookings, args.clients)
        built = time.perf_counter() - t0
        print(f"{args.bookings} open bookings across {args.clients} clients stored in {built:.2f} s")
        try:
            use_case = []
            for text in ("", "o", "or", "orl", "orle", "orlen", ""):
                start = time.perf_counter()
                page = booking_sync.load_queue(store, QueueFilter(text=text), fixed_clock(NOW), limit=500)
                use_case.append((text, page.total, time.perf_counter() - start))
            print("the real load_queue alone (first page of 500):")
            for text, total, took in use_case:
                print(f"  text {text!r:9} → {total:5} rows: {took * 1000:.0f} ms")
            ours, bare, ours_frame, bare_frame, keys, warm_ups = await measure(store, args.runs)
        finally:
            store.close()
    for moment, mine, theirs in (("settled", ours, bare), ("first frame", ours_frame, bare_frame)):
        o, b = statistics.median(mine), statistics.median(theirs)
        for who, median, times in (("ours", o, mine), ("bare line table", b, theirs)):
            each = [round(x * 1000) for x in times]
            print(f"first page, {moment}: {who} median {median * 1000:.0f} ms  {each}")
        print(f"first page, {moment}: ratio ours/bare {o / b:.2f} (target ≤ 1.5)")
    w = statistics.median(warm_ups)
    print(f"warm-up after the first page (unsealing every candidate in a thread): median {w * 1000:.0f} ms")
    k = statistics.median(keys)
    print(f"filter keystroke: median {k * 1000:.0f} ms, max {max(keys) * 1000:.0f} ms", end="")
    print(f" over {len(keys)} keystrokes, typed after the warm-up (target < 50 ms)")


if __name__ == "__main__":
    asyncio.run(main())

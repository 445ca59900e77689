"""Child process for bench_board.py: paints either our board or a bare DataTable, then exits.

Usage: python _board_child.py ours HOME PASSPHRASE | bare ROWS_JSON
Prints `kdf=<seconds>` (ours only) so the parent can report unlock's KDF apart.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path


def bare(rows_path: str) -> None:
    from textual.app import App, ComposeResult
    from textual.widgets import DataTable

    rows = json.loads(Path(rows_path).read_text(encoding="utf-8"))

    class Bare(App[None]):
        def compose(self) -> ComposeResult:
            yield DataTable()

        def on_mount(self) -> None:
            table = self.query_one(DataTable)
            table.add_columns(" ", "Code", "Client", "NIP", "Expires", "Reason")
            table.add_rows(rows)
            self.call_after_refresh(self.exit)

    Bare().run(headless=True, size=(80, 24))


def ours(home: str, passphrase: str) -> None:
    from pathlib import Path

    from ksef_tui.screens.clients import ClientsScreen
    from ksef_tui.store import Store
    from ksef_tui.ui.app import KsefApp
    from ksef_tui.ui.config import AppConfig

    t0 = time.perf_counter()
    store = Store.open(Path(home), passphrase)
    print(f"kdf={time.perf_counter() - t0:.4f}")
    original = ClientsScreen._loaded

    def loaded_then_exit(self, entries):  # type: ignore[no-untyped-def]
        original(self, entries)
        self.app.call_after_refresh(self.app.exit)

    ClientsScreen._loaded = loaded_then_exit  # type: ignore[method-assign]
    KsefApp(AppConfig(home=Path(home), store=store)).run(headless=True, size=(80, 24))


if __name__ == "__main__":
    if sys.argv[1] == "bare":
        bare(sys.argv[2])
    else:
        ours(sys.argv[2], sys.argv[3])

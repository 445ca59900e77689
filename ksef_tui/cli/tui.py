"""`ksef-tui` (the app on the user's own store) and `ksef-tui demo`.

Textual is imported inside the functions: a headless command (`status` from cron) never pays for it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import click

from ksef_tui import demo  # its attributes are looked up at call time: tests replace prepare_demo
from ksef_tui.core.i18n import _
from ksef_tui.store import default_home
from ksef_tui.sync.connections import configured_connections
from ksef_tui.ui.config import AppConfig


def store_config(home: Path | None = None, operator: str | None = None) -> AppConfig:
    """What the app gets on the user's own store: its home and one KSeF connection for the process (the
    official URL of each client's environment, or $KSEF_TUI_KSEF_URL), shared by every screen and worker
    and closed by the app when it exits."""
    return AppConfig(home=home or default_home(), ksef_factory=configured_connections(), operator=operator)


def run_app(operator: str | None = None) -> int:
    """The app on the user's own store; its exit code."""
    # deferred: Textual, ~950 ms (python -X importtime, on top of `ksef_tui.cli`, median of 5 runs); the
    # headless commands (`status` from cron) never pay for it. tests/test_one_source.py checks.
    from ksef_tui.ui.app import KsefApp

    return int(KsefApp(store_config(operator=operator)).run() or 0)


@click.command("demo")
def demo_command() -> None:
    """Start the app on the built-in demo (simulator + seeded store; passphrase "demo")."""
    # deferred: Textual, ~950 ms (python -X importtime, on top of `ksef_tui.cli`, median of 5 runs); the
    # headless commands (`status` from cron) never pay for it. tests/test_one_source.py checks.
    from ksef_tui.ui.app import KsefApp

    click.echo(_("Preparing the demo…"))
    setup = demo.prepare_demo(datetime.now(UTC), standouts=True)
    try:
        config = AppConfig(
            home=setup.home,
            passphrase_hint=demo.DEMO_PASSPHRASE,
            demo=True,
            ksef_factory=setup.ksef_factory(),
            # The board opens at once and fetches every demo client's purchases in the background, with
            # its progress line: the real sync against the demo's simulator, not a pre-seeded list.
            sync_purchases_on_start=True,
            # ... then last month's bookings are decided as an accountant would have (the rules learn),
            # so the approval queue opens mid-month, while the board is already in use.
            after_start_sync=lambda store: demo.seed_bookings(store, setup.now),
        )
        KsefApp(config).run()
    finally:
        if config.store is not None:
            config.store.close()
        setup.cleanup()

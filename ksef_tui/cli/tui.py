"""`ksef-tui` (the app on the user's own store) and `ksef-tui demo`.

Textual is imported inside the functions: a headless command (`status` from cron) never pays for it.
"""

from __future__ import annotations

from datetime import UTC, datetime

import click

from ksef_tui.core.i18n import _


def run_app() -> int:
    """The app on the user's own store; its exit code."""
    from ksef_tui.store import default_home
    from ksef_tui.ui.app import KsefApp  # Textual: only when the TUI starts
    from ksef_tui.ui.config import AppConfig

    return int(KsefApp(AppConfig(home=default_home())).run() or 0)


@click.command("demo")
def demo_command() -> None:
    """Start the app on the built-in demo (simulator + seeded store; passphrase "demo")."""
    from ksef_tui.demo import DEMO_PASSPHRASE, prepare_demo
    from ksef_tui.ui.app import KsefApp  # Textual: only when the TUI starts
    from ksef_tui.ui.config import AppConfig

    click.echo(_("Preparing the demo…"))
    setup = prepare_demo(datetime.now(UTC))
    try:
        config = AppConfig(
            home=setup.home, passphrase_hint=DEMO_PASSPHRASE, demo=True, ksef_factory=setup.ksef_factory()
        )
        KsefApp(config).run()
    finally:
        if config.store is not None:
            config.store.close()
        setup.cleanup()

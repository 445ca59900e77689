"""`ksef-tui inspect FILE`: one FA(3)/FA(2) invoice, in the inspector or printed as text or JSON."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ksef_tui.cli.tui import store_config
from ksef_tui.core.fa.report import exit_code, inspect_file, render_json, render_text


@click.command("inspect")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "text"]),
    default=None,
    help="Print the invoice instead of opening the TUI.",
)
@click.option("--max-bytes", type=int, default=3_000_000, show_default=True, help="Refuse larger files.")
def inspect_command(file: Path, fmt: str | None, max_bytes: int) -> None:
    """Read an FA(3)/FA(2) invoice: check it and show it (TUI), or print it (--format).

    Exit code 0 when valid with no problems, 1 with warnings only, 2 when invalid or unreadable.
    """
    report = inspect_file(file, max_bytes=max_bytes)
    if fmt is not None:
        click.echo(render_json(report) if fmt == "json" else render_text(report))
        sys.exit(exit_code(report))
    # deferred: Textual, ~950 ms (python -X importtime, on top of `ksef_tui.cli`, median of 5 runs); the
    # headless commands and `inspect --format` never pay for it. tests/test_one_source.py checks.
    from ksef_tui.screens.invoice import InvoiceScreen
    from ksef_tui.ui.app import KsefApp

    app = KsefApp(store_config(), initial_screen=lambda: InvoiceScreen(report))
    app.run()
    sys.exit(exit_code(report))

"""`ksef-tui inspect FILE`: one FA(3)/FA(2) invoice, in the inspector or printed as text or JSON; a UPO
file goes to the UPO viewer (or is printed) instead of failing as an invoice."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from ksef_tui.cli.tui import store_config
from ksef_tui.core.display_text import safe_display
from ksef_tui.core.fa.findings import FaParseError
from ksef_tui.core.fa.report import (
    EXIT_INVALID,
    EXIT_OK,
    InspectReport,
    exit_code,
    inspect_bytes,
    render_json,
    render_text,
)
from ksef_tui.core.fa.secure_xml import read_capped
from ksef_tui.core.upo import UpoError, is_upo, parse_upo, upo_json, upo_text


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

    A UPO file (Potwierdzenie) is shown in the UPO viewer, or printed, instead.

    Exit code 0 when valid with no problems, 1 with warnings only, 2 when invalid or unreadable.
    """
    try:
        data = read_capped(file, max_bytes)  # read once: FILE may be a pipe
    except FaParseError as exc:
        report = InspectReport(source=str(file), invoice=None, valid=False, problems=(exc.finding,))
    else:
        if is_upo(data):
            _show_upo(data, fmt)
        report = inspect_bytes(data, source=str(file), max_bytes=max_bytes)
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


def _show_upo(data: bytes, fmt: str | None) -> None:
    """A UPO file: printed (--format) or shown in the UPO viewer; exit 0 when read, 2 when not."""
    try:
        receipt = parse_upo(data)
    except UpoError as exc:  # a Potwierdzenie that is not a readable UPO (no session, too large)
        click.echo(str(exc), err=True)
        sys.exit(EXIT_INVALID)
    if fmt is not None:
        click.echo(
            json.dumps(upo_json(receipt), ensure_ascii=False, indent=2)
            if fmt == "json"
            else safe_display(upo_text(receipt), newlines=True)
        )
        sys.exit(EXIT_OK)
    from ksef_tui.screens.upo_viewer import UpoViewerScreen  # deferred: Textual (see above)
    from ksef_tui.ui.app import KsefApp

    KsefApp(store_config(), initial_screen=lambda: UpoViewerScreen([receipt])).run()
    sys.exit(EXIT_OK)

"""`ksef-tui clients import|export`: the client list from and to a spreadsheet (CSV or .xlsx).

`import` prints one line per row (what is done, or what is wrong) and imports nothing while any row is
invalid, unless `--skip-invalid`. Exit codes, like `inspect`'s verdicts: 0 every row imported (or would
be, with `--dry-run`), 1 imported with invalid rows skipped, 2 invalid rows and nothing imported,
3 could not run (no store, unreadable file, no header). No line ever shows a token.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from ksef_tui.cli.common import CliError, opened_store, report_damage
from ksef_tui.core.client_import import describe_plan
from ksef_tui.core.clock import system_clock
from ksef_tui.core.display_text import safe_display
from ksef_tui.core.i18n import _
from ksef_tui.sync.client_import import ImportProblem, apply_import, export_clients, prepare_import

EXIT_SKIPPED = 1
EXIT_INVALID = 2

_PASSPHRASE_FILE = click.option(
    "--passphrase-file", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)


@click.group("clients")
def clients_group() -> None:
    """The client list: import it from a spreadsheet, export it to one."""


@clients_group.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--skip-invalid", is_flag=True, help="Import the valid rows even if some are invalid.")
@click.option("--dry-run", is_flag=True, help="Check every row and report; write nothing.")
@_PASSPHRASE_FILE
def import_command(file: Path, skip_invalid: bool, dry_run: bool, passphrase_file: Path | None) -> None:
    """Import clients (and their KSeF tokens) from a CSV or .xlsx file with a header row."""
    with opened_store(False, passphrase_file) as (store, _ksef):
        try:
            plan = prepare_import(store, file)
        except ImportProblem as err:
            raise CliError(str(err)) from None
        for line in describe_plan(plan):
            click.echo(safe_display(line))
        report_damage(store, read_board=False)
        if plan.file_problems:
            raise CliError(_("Nothing was imported."))
        if plan.invalid and not skip_invalid:
            click.echo(
                _(
                    "Nothing was imported: {n} rows have errors. Correct them, or use --skip-invalid"
                    " to import the other rows."
                ).format(n=len(plan.invalid)),
                err=True,
            )
            sys.exit(EXIT_INVALID)
        if dry_run:
            click.echo(_("Dry run: nothing was written."))
        else:
            try:
                result = apply_import(store, plan, system_clock, skip_invalid=skip_invalid)
            except ImportProblem as err:
                raise CliError(str(err)) from None
            click.echo(result.summary())
    sys.exit(EXIT_SKIPPED if plan.invalid else 0)


@clients_group.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@_PASSPHRASE_FILE
def export_command(file: Path, passphrase_file: Path | None) -> None:
    """Write the client list to FILE.csv or FILE.xlsx: no tokens or keys; health, expiry and
    credential kind for each client."""
    with opened_store(False, passphrase_file) as (store, _ksef):
        try:
            count = export_clients(store, file, datetime.now(UTC))
        except ImportProblem as err:
            raise CliError(str(err)) from None
        report_damage(store)
    click.echo(_("Exported {n} clients to {path} (without tokens or keys).").format(n=count, path=file))

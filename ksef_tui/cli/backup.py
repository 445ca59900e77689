"""Headless `ksef-tui backup FILE` and `ksef-tui restore FILE` (issue 17 item 10).

Self-contained on purpose (a later refactor moves the CLI modules): the passphrase is read like the
other headless commands' (`--passphrase-file`, `$KSEF_TUI_PASSPHRASE`, a prompt) and a command that
cannot run exits 3 (cli_common.EXIT_ERROR).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ksef_tui.cli.common import EXIT_DAMAGED, CliError, opened_store, read_passphrase, report_damage
from ksef_tui.core.i18n import _
from ksef_tui.store import StoreError, default_home
from ksef_tui.store.backup import backup_store, restore_store

_PASSPHRASE_FILE = click.option(
    "--passphrase-file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Read the passphrase from this file (chmod 600).",
)


@click.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--force", is_flag=True, help="Replace FILE if it already exists.")
@_PASSPHRASE_FILE
def backup_command(file: Path, force: bool, passphrase_file: Path | None) -> None:
    """Write a consistent copy of the store to FILE, also while ksef-tui runs.

    The copy stays sealed: it opens with the passphrase the store has now. It is created readable only
    by you (0600); an existing FILE is refused unless --force.
    """
    with opened_store(False, passphrase_file) as (store, _ksef):
        clients = store.count_clients()
        try:
            backup_store(store, file, overwrite=force)
        except StoreError as err:
            raise CliError(str(err)) from None
        except OSError as err:
            reason = err.strerror or str(err)
            raise CliError(_("Cannot write the backup: {reason}").format(reason=reason)) from None
        click.echo(
            _(
                "Backup written to {path} ({n} clients). It opens with the passphrase the store has now."
            ).format(path=file, n=clients)
        )
        # The copy holds what the store holds, damaged values included: say so, and never exit 0.
        damaged = report_damage(store)
    if damaged:
        sys.exit(EXIT_DAMAGED)


@click.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@_PASSPHRASE_FILE
def restore_command(file: Path, passphrase_file: Path | None) -> None:
    """Replace the store with the backup FILE (asks for the backup's passphrase).

    The backup is checked and opened with the passphrase before anything is replaced; the current store
    is kept beside it as ksef-tui.db.before-restore-<time>. Refused while ksef-tui has the store open.
    """
    home = default_home()
    if not file.is_file():
        raise CliError(_("There is no backup file at {path}.").format(path=file))
    passphrase = read_passphrase(passphrase_file)
    try:
        result = restore_store(home, file, passphrase)
    except StoreError as err:
        raise CliError(str(err)) from None
    except OSError as err:
        raise CliError(_("Cannot restore: {reason}").format(reason=err.strerror or str(err))) from None
    click.echo(_("Store restored from {path} ({n} clients).").format(path=file, n=result.clients))
    if result.side_copy is not None:
        click.echo(_("The store it replaced is kept as {path}.").format(path=result.side_copy))

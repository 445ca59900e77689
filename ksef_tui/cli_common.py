"""What every headless command shares: the error exit code and how the passphrase is read."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from ksef_tui.i18n import _

# Exit codes 0/1/2 mean green/yellow/red (status) or valid/warnings/invalid (inspect). When the command
# itself cannot run (no store, wrong passphrase, bad arguments), it exits 3, so that cron and monitoring
# never mistake "could not check" for a colour (monitoring plugins call it UNKNOWN).
EXIT_ERROR = 3


class CliError(click.ClickException):
    exit_code = EXIT_ERROR


def read_passphrase(passphrase_file: Path | None) -> str:
    if passphrase_file is not None:
        from ksef_tui.store import StoreError, read_passphrase_file

        try:
            return read_passphrase_file(passphrase_file)  # refuses a file others can read
        except StoreError as err:
            raise CliError(str(err)) from None
    if env := os.environ.get("KSEF_TUI_PASSPHRASE"):
        return env
    if sys.stdin.isatty():
        return click.prompt(_("Passphrase"), hide_input=True)
    raise CliError(_("No passphrase: use --passphrase-file FILE (or run in a terminal)."))

"""`ksef-tui init`: create the store without the TUI (for a script, a server, or a rehearsal).

The passphrase comes from `--passphrase-file` or `$KSEF_TUI_PASSPHRASE` (or is typed twice in a
terminal), under the first-run screen's rules (`core.passphrase`). An existing store is never touched.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from ksef_tui.cli.common import CliError, read_passphrase
from ksef_tui.core.i18n import _
from ksef_tui.core.passphrase import MIN_LENGTH, strength
from ksef_tui.store import KdfLimits, Store, StoreError, default_home

# What a new store's key slot costs to unlock (the first-run screen's default). Tests replace it.
KDF = KdfLimits.MODERATE


def _passphrase(passphrase_file: Path | None) -> str:
    if passphrase_file is None and not os.environ.get("KSEF_TUI_PASSPHRASE") and sys.stdin.isatty():
        return str(
            click.prompt(_("Passphrase"), hide_input=True, confirmation_prompt=_("Repeat the passphrase"))
        )
    return read_passphrase(passphrase_file)


@click.command("init")
@click.option(
    "--passphrase-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file (readable only by you) holding the new office passphrase.",
)
@click.option(
    "--no-recovery-key",
    is_flag=True,
    help="Do not make the recovery key now (the operators screen can make it later, once).",
)
def init_command(passphrase_file: Path | None, no_recovery_key: bool) -> None:
    """Create a new store (in $KSEF_TUI_HOME or the default folder). Refuses if one exists (exit 3)."""
    home = default_home()
    if Store.exists(home):
        raise CliError(_("A store already exists at {path}: init leaves it as it is.").format(path=home))
    passphrase = _passphrase(passphrase_file)
    if len(passphrase) < MIN_LENGTH:
        raise CliError(_("The passphrase must have at least {n} characters.").format(n=MIN_LENGTH))
    click.echo(_("Passphrase strength: {words}").format(words=strength(passphrase).words))
    try:
        store = Store.create(home, passphrase, kdf=KDF)
    except StoreError as err:
        raise CliError(str(err)) from None
    try:
        words = [] if no_recovery_key else store.create_recovery_key()
    finally:
        store.close()
    click.echo(_("Store created at {path}. Next: ksef-tui clients import FILE").format(path=home))
    if words:
        from ksef_tui.cli.operators import print_recovery_words

        print_recovery_words(words)

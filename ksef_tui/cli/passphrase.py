"""`ksef-tui passphrase`: change the office passphrase (one key slot is rewrapped, nothing else)."""

from __future__ import annotations

import click

from ksef_tui.cli.common import CliError
from ksef_tui.core.i18n import _
from ksef_tui.core.passphrase import MIN_LENGTH, strength
from ksef_tui.store import Store, StoreError, default_home


@click.command("passphrase")
def passphrase_command() -> None:
    """Change the office passphrase (asks for the current one, then the new one twice)."""
    home = default_home()
    if not Store.exists(home):
        raise CliError(_("No store at {path}: run ksef-tui first.").format(path=home))
    current = click.prompt(_("Current passphrase"), hide_input=True)
    try:
        store = Store.open(home, current)
    except StoreError as err:
        raise CliError(str(err)) from None
    try:
        new = click.prompt(_("New passphrase"), hide_input=True)
        if len(new) < MIN_LENGTH:
            raise CliError(_("The passphrase must have at least {n} characters.").format(n=MIN_LENGTH))
        click.echo(strength(new).words)
        if click.prompt(_("Repeat the passphrase"), hide_input=True) != new:
            raise CliError(_("The two passphrases differ. Type them again."))
        store.change_passphrase(current, new)
        store.audit.append(None, "passphrase.change", "ok")
    except StoreError as err:
        raise CliError(str(err)) from None
    finally:
        store.close()
    click.echo(_("Passphrase changed. Every value stays readable with the new one."))

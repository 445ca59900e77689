"""`ksef-tui passphrase`: change the office passphrase (one key slot is rewrapped, nothing else)."""

from __future__ import annotations

import click

from ksef_tui.cli.common import CliError, ask_new_passphrase, current_operator, operator_option
from ksef_tui.core.i18n import _
from ksef_tui.store import Store, StoreError, default_home


@click.command("passphrase", params=[operator_option()])
def passphrase_command() -> None:
    """Change your passphrase (asks for the current one, then the new one twice); an operator names
    themselves with --operator LOGIN."""
    home = default_home()
    if not Store.exists(home):
        raise CliError(_("No store at {path}: run ksef-tui first.").format(path=home))
    current = click.prompt(_("Current passphrase"), hide_input=True)
    try:
        store = Store.open(home, current, operator=current_operator())
    except StoreError as err:
        raise CliError(str(err)) from None
    try:
        new = ask_new_passphrase()
        store.change_passphrase(current, new)
        store.audit.append(None, "passphrase.change", "ok")
    except StoreError as err:
        raise CliError(str(err)) from None
    finally:
        store.close()
    click.echo(_("Passphrase changed. Every value stays readable with the new one."))

"""The headless commands and the `ksef-tui` group: one module per command group, registered here.

- `tui`: the app itself (`ksef-tui`, `ksef-tui demo`)
- `status`: credential health for cron and monitoring
- `check`: live checks in KSeF for cron, then health as `status` prints it
- `inspect`: one invoice, in the TUI or as text/JSON
- `passphrase`: change the office passphrase
- `sessions`: `sessions` and `upo`
- `backup`: `backup` and `restore`
- `init`: create a store without the TUI
- `clients`: `clients import` and `clients export` (the client list as a spreadsheet)
- `office`: `office show` and `office set` (the office profile)
- `sync`: `sync` (purchase invoices from KSeF) and `invoices` (what the store holds)
- `queue`: `queue` (the approval queue) and `approve` (approve strong proposals in one step)
- `export`: `export` (approved bookings to the accounting program's files), `exports list|recreate|undo`
  (export batches) and `clients profile` (the taxpayer data JPK and EDI++ need)

- `readiness`: which clients will work on 2027-01-01, and through what
- `audit`: the office's audit log (text, JSON, CSV) and `audit verify` (its hash chain)

- `operators`: `operators list|add|assign|unassign|reset|remove|recovery-key`, and `recover` (issue 15);
  every command that opens the store takes `--operator LOGIN` (`common.add_operator_option`)
- the simulator's own command (`ksef_tui.simulator.cli`)

Exit codes are the contract in `common.py`: 0/1/2 colours or verdicts, 3 "could not run".
"""

from __future__ import annotations

import os
import sys

import click

from ksef_tui.cli.audit import audit_group
from ksef_tui.cli.backup import backup_command, restore_command
from ksef_tui.cli.check import check_command
from ksef_tui.cli.click_words import localize_help, route_click_messages
from ksef_tui.cli.clients import clients_group
from ksef_tui.cli.common import EXIT_ERROR, add_operator_option, current_operator, operator_option
from ksef_tui.cli.export import client_profile_command, export_command, exports_group
from ksef_tui.cli.init import init_command
from ksef_tui.cli.inspect import inspect_command
from ksef_tui.cli.offboard import grants_command, offboard_command
from ksef_tui.cli.office import office_group
from ksef_tui.cli.operators import operators_group, recover_command
from ksef_tui.cli.passphrase import passphrase_command
from ksef_tui.cli.queue import approve_command, queue_command
from ksef_tui.cli.readiness import readiness_command
from ksef_tui.cli.rules import rules_command
from ksef_tui.cli.sessions import sessions_command, upo_command
from ksef_tui.cli.status import status_command
from ksef_tui.cli.sync import invoices_command, sync_command
from ksef_tui.cli.tui import demo_command, run_app
from ksef_tui.core.display_text import safe_display
from ksef_tui.core.i18n import SUPPORTED, _, resolve_language, set_language
from ksef_tui.ksef.apilog import install_log_redaction
from ksef_tui.simulator.cli import simulator_command

route_click_messages()  # "Usage:", "Error:", "Missing option"... in our language (cli/click_words.py)


def choose_language(lang: str | None) -> str | None:
    """The UI language from --lang, else $KSEF_TUI_LANG (any case or locale form, core.i18n
    resolve_language), else Polish; the commands' help follows it. Returns the notice for an
    unknown $KSEF_TUI_LANG (None when there is nothing to say)."""
    notice = None
    if lang:
        language = lang.lower()
    else:
        language, notice = resolve_language(os.environ.get("KSEF_TUI_LANG"))
    set_language(language)
    localize_help(cli)
    return notice


def _lang_option(_ctx: click.Context, _param: click.Parameter, lang: str | None) -> str | None:
    # Eager: chosen before click reads the rest, so `--lang en --help` and usage errors speak English.
    choose_language(lang)
    return lang


@click.group(invoke_without_command=True, params=[operator_option()])
@click.option(
    "--lang",
    type=click.Choice(SUPPORTED, case_sensitive=False),
    default=None,
    is_eager=True,
    callback=_lang_option,
    help="UI language (default: pl, or $KSEF_TUI_LANG).",
)
@click.pass_context
def cli(ctx: click.Context, lang: str | None) -> None:
    """ksef-tui: KSeF credentials, sessions and invoices for an accounting office."""
    install_log_redaction()  # every logger, third-party ones included (docs/SECURITY.md)
    if not lang and (notice := resolve_language(os.environ.get("KSEF_TUI_LANG"))[1]):
        click.echo(safe_display(notice), err=True)  # once, here: the language itself was chosen already
    if ctx.invoked_subcommand is None:
        sys.exit(run_app(current_operator()))


for command in (
    demo_command,
    status_command,
    readiness_command,
    check_command,
    inspect_command,
    passphrase_command,
    sessions_command,
    upo_command,
    backup_command,
    restore_command,
    init_command,
    clients_group,
    office_group,
    sync_command,
    invoices_command,
    queue_command,
    approve_command,
    export_command,
    exports_group,
    rules_command,
    audit_group,
    operators_group,
    recover_command,
    simulator_command,
):
    cli.add_command(command)
clients_group.add_command(client_profile_command)
clients_group.add_command(offboard_command)
clients_group.add_command(grants_command)
for command in cli.commands.values():
    add_operator_option(command)


def main() -> None:
    choose_language(None)  # before click reads anything: `ksef-tui --help` is answered before --lang
    try:
        cli.main(prog_name="ksef-tui", standalone_mode=False)
    except click.exceptions.Exit as done:  # --help, --version
        sys.exit(done.exit_code)
    except click.exceptions.Abort:
        click.echo(_("Interrupted."), err=True)
        sys.exit(EXIT_ERROR)
    except click.ClickException as err:  # bad arguments included: never 1 or 2, which mean colours
        err.show()
        sys.exit(EXIT_ERROR)

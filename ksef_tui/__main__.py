"""Command line: `ksef-tui`, `ksef-tui demo`, `status`, `inspect`, `simulator`, ..."""

from __future__ import annotations

import os
import sys
from datetime import UTC, datetime
from pathlib import Path

import click

from ksef_tui.cli_common import EXIT_DAMAGED, EXIT_ERROR, CliError, opened_store, report_damage
from ksef_tui.i18n import DEFAULT_LANGUAGE, SUPPORTED, _, set_language


@click.group(invoke_without_command=True)
@click.option(
    "--lang", type=click.Choice(SUPPORTED), default=None, help="UI language (default: pl, or $KSEF_TUI_LANG)."
)
@click.pass_context
def cli(ctx: click.Context, lang: str | None) -> None:
    """ksef-tui: KSeF credentials, sessions and invoices for an accounting office."""
    from ksef_tui.ksef.apilog import install_log_redaction

    install_log_redaction()  # every logger, third-party ones included (docs/SECURITY.md)
    set_language(lang or os.environ.get("KSEF_TUI_LANG") or DEFAULT_LANGUAGE)
    if ctx.invoked_subcommand is None:
        from ksef_tui.app import KsefApp
        from ksef_tui.services import Services
        from ksef_tui.store import default_home

        sys.exit(KsefApp(Services(home=default_home())).run() or 0)


@cli.command()
def demo() -> None:
    """Start the app on the built-in demo (simulator + seeded store; passphrase "demo")."""
    from ksef_tui.app import KsefApp
    from ksef_tui.demo import DEMO_PASSPHRASE, prepare_demo
    from ksef_tui.services import Services

    click.echo(_("Preparing the demo…"))
    setup = prepare_demo(datetime.now(UTC))
    try:
        services = Services(
            home=setup.home, passphrase_hint=DEMO_PASSPHRASE, demo=True, ksef_factory=setup.ksef_factory()
        )
        KsefApp(services).run()
    finally:
        if services.store is not None:
            services.store.close()
        setup.cleanup()


@cli.command()
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option("--demo", "use_demo", is_flag=True, help="Report on a fresh demo store.")
@click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def status(fmt: str, use_demo: bool, passphrase_file: Path | None) -> None:
    """Every client's credential health in urgency order. Exit 0 green, 1 yellow, 2 red (or values
    damaged in the store, listed on stderr)."""
    from ksef_tui.core.board import build_board
    from ksef_tui.status_report import as_json, as_table, exit_code

    now = datetime.now(UTC)
    with opened_store(use_demo, passphrase_file) as (store, _ksef):
        rows = [(r.client, r.credentials, r.checks, r.sync) for r in store.board_rows()]
        entries = build_board(rows, now)
        click.echo(as_json(entries) if fmt == "json" else as_table(entries))
        damaged = report_damage(store, read_board=False)
    sys.exit(EXIT_DAMAGED if damaged else exit_code(entries))


@cli.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["json", "text"]),
    default=None,
    help="Print the invoice instead of opening the TUI.",
)
@click.option("--max-bytes", type=int, default=3_000_000, show_default=True, help="Refuse larger files.")
def inspect(file: Path, fmt: str | None, max_bytes: int) -> None:
    """Read an FA(3)/FA(2) invoice: check it and show it (TUI), or print it (--format).

    Exit code 0 when valid with no problems, 1 with warnings only, 2 when invalid or unreadable.
    """
    from ksef_tui.core.fa.report import exit_code, inspect_file, render_json, render_text

    report = inspect_file(file, max_bytes=max_bytes)
    if fmt is not None:
        click.echo(render_json(report) if fmt == "json" else render_text(report))
        sys.exit(exit_code(report))
    from ksef_tui.app import KsefApp
    from ksef_tui.screens.invoice import InvoiceScreen
    from ksef_tui.services import Services
    from ksef_tui.store import default_home

    app = KsefApp(Services(home=default_home()), initial_screen=lambda: InvoiceScreen(report))
    app.run()
    sys.exit(exit_code(report))


@cli.command()
def passphrase() -> None:
    """Change the office passphrase (asks for the current one, then the new one twice)."""
    from ksef_tui.core.passphrase import MIN_LENGTH, strength
    from ksef_tui.store import Store, StoreError, default_home

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


def _register_commands() -> None:
    """Commands that live beside their own layer."""
    from ksef_tui.cli_backup import backup_command, restore_command
    from ksef_tui.cli_sessions import sessions_command, upo_command
    from ksef_tui.simulator.cli import simulator_command

    cli.add_command(simulator_command, name="simulator")
    cli.add_command(sessions_command)
    cli.add_command(upo_command)
    cli.add_command(backup_command)
    cli.add_command(restore_command)


_register_commands()


def main() -> None:
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


if __name__ == "__main__":
    main()

"""What every headless command shares: the error exit code and how the passphrase is read."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from ksef_tui import demo  # its attributes are looked up at call time: tests replace prepare_demo
from ksef_tui.core.display_text import safe_display
from ksef_tui.core.i18n import _
from ksef_tui.core.nip import is_valid_nip
from ksef_tui.store import Store, StoreError, default_home, describe_damage, read_passphrase_file
from ksef_tui.sync.connections import configured_connections

# Exit codes 0/1/2 mean green/yellow/red (status) or valid/warnings/invalid (inspect). When the command
# itself cannot run (no store, wrong passphrase, bad arguments), it exits 3, so that cron and monitoring
# never mistake "could not check" for a colour (monitoring plugins call it UNKNOWN).
EXIT_ERROR = 3
# Values the store could not authenticate (tampered or corrupted): `status`, `sessions` and `upo` list them
# on stderr and exit 2, the "red" code, whatever else happened: damage is never good news.
EXIT_DAMAGED = 2


class CliError(click.ClickException):
    exit_code = EXIT_ERROR


# -- who is unlocking (issue 15): `ksef-tui --operator LOGIN ...` or `ksef-tui COMMAND --operator LOGIN` --

_OPERATOR = "ksef_tui.operator"  # in click's ctx.meta, which every nested context shares


def _remember_operator(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value:
        ctx.meta[_OPERATOR] = value


def operator_option() -> click.Option:
    return click.Option(
        ["--operator"],
        metavar="LOGIN",
        expose_value=False,
        is_eager=True,
        callback=_remember_operator,
        help="Unlock as this operator (default: the administrator; or $KSEF_TUI_OPERATOR).",
    )


def add_operator_option(command: click.Command) -> None:
    """Give `--operator` to every command (and subcommand) that opens the store with a passphrase: one
    place, so no command can forget it."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            add_operator_option(sub)
    names = {p.name for p in command.params}
    if "passphrase_file" in names and "operator" not in names:
        command.params.append(operator_option())


def current_operator() -> str | None:
    """The login given with --operator (on the command or on `ksef-tui` itself), else $KSEF_TUI_OPERATOR;
    None: the administrator."""
    ctx = click.get_current_context(silent=True)
    given = ctx.meta.get(_OPERATOR) if ctx is not None else None
    return given or os.environ.get("KSEF_TUI_OPERATOR") or None


def open_as_operator(home: Path, passphrase: str, operator: str | None) -> Store:
    """Store.open as `operator`, then the initial passphrase's change when the store says it must be
    changed: asked for in a terminal, refused (exit 3, saying how) in a script."""
    try:
        store = Store.open(home, passphrase, operator=operator)
    except StoreError as err:
        raise CliError(str(err)) from None
    if not store.must_change_passphrase:
        return store
    try:
        if not sys.stdin.isatty():
            raise CliError(
                _(
                    "Operator {login} must change the initial passphrase first: run"
                    " ksef-tui passphrase --operator {login} in a terminal."
                ).format(login=store.operator)
            )
        click.echo(_("This is an initial passphrase set by an administrator: choose your own now."))
        new = ask_new_passphrase()
        store.change_passphrase(passphrase, new)
    except BaseException:
        store.close()
        raise
    return store


def ask_new_passphrase() -> str:
    """A new passphrase typed twice, under the first-run screen's rules (CliError otherwise)."""
    from ksef_tui.core.passphrase import MIN_LENGTH, strength

    new = str(click.prompt(_("New passphrase"), hide_input=True))
    if len(new) < MIN_LENGTH:
        raise CliError(_("The passphrase must have at least {n} characters.").format(n=MIN_LENGTH))
    click.echo(strength(new).words)
    if click.prompt(_("Repeat the passphrase"), hide_input=True) != new:
        raise CliError(_("The two passphrases differ. Type them again."))
    return new


def read_passphrase(passphrase_file: Path | None) -> str:
    if passphrase_file is not None:
        try:
            return read_passphrase_file(passphrase_file)  # refuses a file others can read
        except StoreError as err:
            raise CliError(str(err)) from None
    if env := os.environ.get("KSEF_TUI_PASSPHRASE"):
        return env
    if sys.stdin.isatty():
        return click.prompt(_("Passphrase"), hide_input=True)
    raise CliError(_("No passphrase: use --passphrase-file FILE (or run in a terminal)."))


@contextmanager
def opened_store(
    use_demo: bool,
    passphrase_file: Path | None,
    *,
    with_ksef: bool = False,
    demo_purchases: bool = False,
) -> Iterator[tuple[Any, Any]]:
    """(store, KSeF factory or None) for a fresh demo or the user's own store; both closed afterwards.

    The factory is made only when asked for: the demo's one starts the simulator. `demo_purchases`: the
    fresh demo store holds its clients' purchase invoices, synced from the demo's simulator.
    """
    setup = None
    factory = None
    try:
        if use_demo:
            # Only asked for when wanted: tests replace prepare_demo with fakes that know no `purchases`.
            if demo_purchases:
                setup = demo.prepare_demo(datetime.now(UTC), purchases=True)
            else:
                setup = demo.prepare_demo(datetime.now(UTC))
            home, passphrase = setup.home, demo.DEMO_PASSPHRASE
            if with_ksef:
                factory = setup.ksef_factory()
        else:
            home = default_home()
            if not Store.exists(home):
                raise CliError(_("No store at {path}: run ksef-tui first.").format(path=home))
            passphrase = read_passphrase(passphrase_file)
            if with_ksef:
                factory = configured_connections()
        store = open_as_operator(home, passphrase, None if use_demo else current_operator())
        try:
            yield store, factory
        finally:
            store.close()
    finally:
        if setup is not None:
            setup.cleanup()


def report_damage(store: Any, *, read_board: bool = True) -> bool:
    """Print the store's damage list to stderr, one line per damaged value in the user's language
    (table, row, column, the client's short code; never a value). True when there is any.

    `read_board` reads every client's record, credentials (secrets checked intact without being
    opened), newest checks and sync state first, so damage is found even where the command itself
    did not look (`status` has just read them and passes False)."""
    if read_board:
        store.board_rows()
    entries = store.damage_report()
    for entry in entries:
        click.echo(describe_damage(entry), err=True)
    return bool(entries)


def resolve_clients(store: Any, wanted: Sequence[str]) -> list[int]:
    """Client ids for `--client` values, in the order given, each once; every client when none is given.

    A value is a NIP in any spelling (`526-025-02-74`, `PL5260250274`, spaces; the store normalises it)
    or a client's short code (any case). An unknown value stops the command (exit 3) naming it."""
    if not wanted:
        return [c.id for c in store.clients.list()]
    ids: list[int] = []
    for value in wanted:
        client = store.clients.find_by_nip(value) or store.clients.find_by_short_code(value)
        if client is None:
            shown = safe_display(value.strip())
            if is_valid_nip(value):
                raise CliError(_("No client with NIP {nip}.").format(nip=shown))
            raise CliError(_("No client with NIP or short code {value}.").format(value=shown))
        if client.id not in ids:
            ids.append(client.id)
    return ids

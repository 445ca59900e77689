"""`ksef-tui operators list|add|assign|unassign|reset|remove` and `ksef-tui recover` (issue 15).

Every operators command is for an administrator (the use cases refuse anyone else, exit 3). A new
operator's passphrase, and a reset one, must be changed at first use. `recover` opens the store with
the recovery key's 24 words and sets a new administrator passphrase (docs/SECURITY.md, "Lost
passphrase and departures").
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from ksef_tui.cli.common import (
    CliError,
    ask_new_passphrase,
    opened_store,
    operator_option,
    resolve_clients,
)
from ksef_tui.core.i18n import _
from ksef_tui.core.operators import parse_role, role_label
from ksef_tui.store import Store, StoreError, default_home, read_passphrase_file
from ksef_tui.sync import operators as ops

_PASSPHRASE_FILE = click.option(
    "--passphrase-file", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Your passphrase."
)
_NEW_PASSPHRASE_FILE = click.option(
    "--new-passphrase-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file (readable only by you) with the operator's initial passphrase; else it is asked for.",
)


@click.group("operators")
def operators_group() -> None:
    """Operators: who may unlock the store, with which role, for which clients (administrators only)."""


def _initial_passphrase(path: Path | None) -> str:
    if path is not None:
        try:
            return read_passphrase_file(path)
        except (StoreError, ops.StoreProblem) as err:
            raise CliError(str(err)) from None
    return ask_new_passphrase()


def _run(action: object) -> None:
    try:
        action()  # type: ignore[operator]
    except (StoreError, ops.StoreProblem) as err:
        raise CliError(str(err)) from None


@operators_group.command("list")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
@_PASSPHRASE_FILE
def list_command(fmt: str, passphrase_file: Path | None) -> None:
    """Every operator: login, name, role, how many clients, whether the passphrase must be changed."""
    with opened_store(False, passphrase_file) as (store, _ksef):
        try:
            found = ops.list_operators(store)
            total = store.count_clients()
        except (StoreError, ops.StoreProblem) as err:
            raise CliError(str(err)) from None
    if fmt == "json":
        rows = [
            {
                "login": o.login,
                "name": o.name,
                "role": o.role.value,
                "clients": None if o.client_ids is None else list(o.client_ids),
                "must_change_passphrase": o.must_change,
            }
            for o in found
        ]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for o in found:
        clients = _("all ({n})").format(n=total) if o.client_ids is None else str(len(o.client_ids))
        flag = _("  must change the passphrase") if o.must_change else ""
        click.echo(f"{o.login:<20} {o.name:<30} {role_label(o.role):<14} {clients:>8}{flag}")


@operators_group.command("add")
@click.argument("login")
@click.option("--name", required=True, help="The operator's full name.")
@click.option("--role", "role_text", default="accountant", show_default=True, help="accountant or read-only.")
@click.option("--client", "wanted", multiple=True, help="A client (NIP or short code) to assign; repeatable.")
@_NEW_PASSPHRASE_FILE
@_PASSPHRASE_FILE
def add_command(
    login: str,
    name: str,
    role_text: str,
    wanted: tuple[str, ...],
    new_passphrase_file: Path | None,
    passphrase_file: Path | None,
) -> None:
    """Add an operator (their initial passphrase must be changed at first use)."""
    try:
        role = parse_role(role_text)
    except ValueError as err:
        raise CliError(str(err)) from None
    with opened_store(False, passphrase_file) as (store, _ksef):
        ids = resolve_clients(store, wanted) if wanted else []
        initial = _initial_passphrase(new_passphrase_file)
        try:
            info = ops.add_operator(store, login, name, initial, role, ids)
        except (StoreError, ops.StoreProblem) as err:
            raise CliError(str(err)) from None
    click.echo(
        _(
            "Operator {login} added ({role}, {n} clients); the passphrase must be changed at first use."
        ).format(login=info.login, role=role_label(info.role), n=len(info.client_ids or ()))
    )


@operators_group.command("assign")
@click.argument("login")
@click.option("--client", "wanted", multiple=True, required=True, help="NIP or short code; repeatable.")
@_PASSPHRASE_FILE
def assign_command(login: str, wanted: tuple[str, ...], passphrase_file: Path | None) -> None:
    """Give an operator these clients (their keys are rewrapped for the operator)."""
    with opened_store(False, passphrase_file) as (store, _ksef):
        ids = resolve_clients(store, wanted)
        _run(lambda: ops.assign_clients(store, login, ids))
    click.echo(_("Assigned {n} clients to {login}.").format(n=len(ids), login=login))


@operators_group.command("unassign")
@click.argument("login")
@click.option("--client", "wanted", multiple=True, required=True, help="NIP or short code; repeatable.")
@_PASSPHRASE_FILE
def unassign_command(login: str, wanted: tuple[str, ...], passphrase_file: Path | None) -> None:
    """Take clients away from an operator (their wrapped keys are deleted)."""
    with opened_store(False, passphrase_file) as (store, _ksef):
        ids = resolve_clients(store, wanted)
        _run(lambda: ops.unassign_clients(store, login, ids))
    click.echo(_("Took {n} clients from {login}.").format(n=len(ids), login=login))


@operators_group.command("reset")
@click.argument("login")
@_NEW_PASSPHRASE_FILE
@_PASSPHRASE_FILE
def reset_command(login: str, new_passphrase_file: Path | None, passphrase_file: Path | None) -> None:
    """Reset a forgotten passphrase: new key material, the new passphrase to be changed at next use."""
    with opened_store(False, passphrase_file) as (store, _ksef):
        initial = _initial_passphrase(new_passphrase_file)
        _run(lambda: ops.reset_passphrase(store, login, initial))
    click.echo(_("Passphrase of {login} reset; it must be changed at the next unlock.").format(login=login))


@operators_group.command("remove")
@click.argument("login")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@_PASSPHRASE_FILE
def remove_command(login: str, yes: bool, passphrase_file: Path | None) -> None:
    """Remove an operator: their slot and every client key wrapped for them are deleted."""
    if not yes and not click.confirm(_("Remove operator {login}?").format(login=login)):
        raise CliError(_("Nothing was changed."))
    with opened_store(False, passphrase_file) as (store, _ksef):
        _run(lambda: ops.remove_operator(store, login))
    click.echo(_("Operator {login} removed.").format(login=login))


@operators_group.command("recovery-key")
@_PASSPHRASE_FILE
def recovery_key_command(passphrase_file: Path | None) -> None:
    """Make the store's recovery key (once; shown once, never stored)."""
    with opened_store(False, passphrase_file) as (store, _ksef):
        try:
            words = ops.create_recovery_key(store)
        except (StoreError, ops.StoreProblem) as err:
            raise CliError(str(err)) from None
    print_recovery_words(words)


def _read_words(path: Path) -> str:
    """The whole file (the words may be on several lines), refused like a loose passphrase file."""
    try:
        mode = path.stat().st_mode & 0o077
        text = path.read_text(encoding="utf-8")
    except OSError:
        raise CliError(_("Cannot read the passphrase file.")) from None
    if mode:
        raise CliError(_("The passphrase file must be readable only by you (chmod 600)."))
    return text


def print_recovery_words(words: list[str]) -> None:
    click.echo(_("RECOVERY KEY: write these 24 words down and keep them in the office safe."))
    click.echo(_("They are shown only now and are not stored anywhere; with them the store can be opened."))
    for row in range(0, len(words), 6):
        click.echo("  " + "  ".join(f"{row + i + 1:>2}. {w}" for i, w in enumerate(words[row : row + 6])))


@click.command("recover", params=[operator_option()])
@click.option(
    "--words-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file (readable only by you) with the 24 words; else they are asked for.",
)
@click.option(
    "--new-passphrase-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A file (readable only by you) with the new administrator passphrase; else it is asked for.",
)
def recover_command(words_file: Path | None, new_passphrase_file: Path | None) -> None:
    """Open the store with the recovery key and set a new administrator passphrase."""
    from ksef_tui.cli.common import current_operator

    home = default_home()
    if not Store.exists(home):
        raise CliError(_("No store at {path}: run ksef-tui first.").format(path=home))
    if words_file is not None:
        words = _read_words(words_file)
    else:
        words = str(click.prompt(_("The 24 words of the recovery key"), hide_input=True))
    new = _initial_passphrase(new_passphrase_file)
    try:
        store = Store.recover(home, words, new, operator=current_operator())
    except (StoreError, ops.StoreProblem) as err:
        raise CliError(str(err)) from None
    login = store.operator
    store.close()
    click.echo(
        _("The passphrase of administrator {login} is set. Unlock with it from now on.").format(login=login)
    )

"""`ksef-tui clients offboard CLIENT` and `ksef-tui clients grants CLIENT` (issue 15 item 3).

`offboard` prints the plan (tokens to revoke, the office's grants from the client, the UPO copies and
export files to delete, what the shred takes), then, confirmed by the client's short code typed (or
`--yes`), runs it step by step and prints the text for the client. `--dry-run` prints the plan only.
Exit 0 done (or the dry run), 1 done with warnings, 2 refused or failed, 3 could not run.

`grants` shows who holds permissions in the client's context, as KSeF says now (`--format json`).
Exit 0 read, 2 KSeF would not tell (no credential may read the client's permissions), 3 could not run.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import click

from ksef_tui.cli.common import CliError, opened_store, resolve_clients
from ksef_tui.core.clock import system_clock
from ksef_tui.core.display_text import json_dumps, safe_display
from ksef_tui.core.i18n import _
from ksef_tui.store import Store, StoreError
from ksef_tui.sync.grant_holders import GrantHolders, describe_holders, read_grant_holders
from ksef_tui.sync.offboarding import (
    EXIT_FAILED,
    OffboardingPlan,
    OffboardingResult,
    Step,
    StepResult,
    describe_plan,
    look_at_grants,
    offboarding_plan,
    run_offboarding,
    step_title,
)
from ksef_tui.sync.upo import upo_folder

_PASSPHRASE_FILE = click.option(
    "--passphrase-file", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
_DEMO = click.option("--demo", "use_demo", is_flag=True, help="Work on a fresh demo store.")


def _one_client(store: Store, value: str) -> int:
    return int(resolve_clients(store, [value])[0])


def _echo_step(step: StepResult) -> None:
    click.echo(f"[{step.outcome.value}] {safe_display(step_title(step.step))}")
    if step.step is not Step.PLAN:  # the plan was printed in full before asking
        for line in step.lines:
            click.echo("    " + safe_display(line))


def _confirmed(plan: OffboardingPlan, yes: bool) -> bool:
    if yes:
        return True
    if not sys.stdin.isatty():
        click.echo(_("Not confirmed: run it in a terminal, or add --yes."), err=True)
        return False
    typed = click.prompt(
        _("To confirm, type the short code {code}").format(code=plan.client.short_code), default=""
    )
    if typed.strip().upper() != plan.client.short_code.upper():
        click.echo(_("The code does not match: nothing was done."), err=True)
        return False
    return True


@click.command("offboard")
@click.argument("client")
@click.option("--dry-run", is_flag=True, help="Print the plan; change nothing.")
@click.option("--yes", is_flag=True, help="Do not ask for the short code.")
@_DEMO
@_PASSPHRASE_FILE
def offboard_command(
    client: str, dry_run: bool, yes: bool, use_demo: bool, passphrase_file: Path | None
) -> None:
    """Offboard CLIENT (NIP or short code): revoke its KSeF tokens, delete its UPO copies and exports,
    crypto-shred its data; print the text asking it to revoke the office's grants. Exit 0 done, 1 done
    with warnings, 2 refused or failed, 3 could not run."""
    with opened_store(use_demo, passphrase_file, with_ksef=True) as (store, factory):
        client_id = _one_client(store, client)
        try:
            plan = offboarding_plan(store, client_id, upo_folder(store, store.home, use_demo))
        except StoreError as err:
            raise CliError(str(err)) from None
        if not dry_run:

            async def look() -> None:
                try:
                    await look_at_grants(store, factory, plan, system_clock)
                finally:
                    await factory.aclose()  # each asyncio.run has its own loop: new connections

            asyncio.run(look())
        for line in describe_plan(plan):
            click.echo(safe_display(line))
        if dry_run:
            click.echo(_("Dry run: nothing was changed."))
            return
        if not _confirmed(plan, yes):
            sys.exit(EXIT_FAILED)

        async def run() -> OffboardingResult:
            try:
                return await run_offboarding(store, factory, plan, system_clock, _echo_step)
            finally:
                await factory.aclose()

        result = asyncio.run(run())
        if result.client_text:
            click.echo("")
            click.echo(_("--- Text for the client ---"))
            for line in result.client_text.splitlines():
                click.echo(safe_display(line))
    sys.exit(result.exit_code)


@click.command("grants")
@click.argument("client")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text")
@_DEMO
@_PASSPHRASE_FILE
def grants_command(client: str, fmt: str, use_demo: bool, passphrase_file: Path | None) -> None:
    """Who holds permissions in CLIENT's context (NIP or short code), as KSeF says now. Exit 0 read,
    2 no credential the office holds may read them, 3 could not run."""
    with opened_store(use_demo, passphrase_file, with_ksef=True) as (store, factory):
        client_id = _one_client(store, client)

        async def run() -> GrantHolders:
            try:
                return await read_grant_holders(store, factory, client_id)
            finally:
                await factory.aclose()

        result = asyncio.run(run())
    if fmt == "json":
        click.echo(json_dumps(result.to_json(), indent=2))
    else:
        for line in describe_holders(result):
            click.echo(safe_display(line))
    sys.exit(0 if result.read else EXIT_FAILED)

"""`ksef-tui check`: live checks in KSeF for cron, then every checked client's health as `status` prints it.

The checks are the board's `c` (`sync.live_checks.run_live_checks`): several clients at once, each
request paced by the KSeF client within KSeF's limits (`ksef/ratelimit.py`), each client's result sealed
into the store as soon as it is known. Ctrl-C stops the run; what finished is kept (see `run_checks`).
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import click

from ksef_tui.cli.common import (
    EXIT_DAMAGED,
    EXIT_ERROR,
    CliError,
    opened_store,
    report_damage,
    resolve_clients,
)
from ksef_tui.cli.status import as_json, as_table, exit_code, health_entries
from ksef_tui.core.i18n import _
from ksef_tui.sync.live_checks import run_live_checks

# Clients checked at once. The KSeF client paces every request (per context, and the challenge per IP)
# whatever this is; more at once would only queue behind the pacing.
CHECK_CONCURRENCY = 8


def _now() -> datetime:
    return datetime.now(UTC)


class ProgressLine:
    """One line on a terminal, rewritten in place as clients finish; nothing at all when not a terminal
    (cron mails, pipes and logs get only the result)."""

    def __init__(self, total: int, stream: TextIO) -> None:
        self.total = total
        self.stream = stream
        self.width = 0

    @classmethod
    def for_stream(cls, total: int, stream: TextIO) -> ProgressLine | None:
        isatty = getattr(stream, "isatty", None)
        return cls(total, stream) if isatty is not None and isatty() else None

    def __call__(self, done: int, failed: int) -> None:
        text = _("Checked {done} of {total} clients in KSeF (refused or not checked: {failed})…").format(
            done=done, total=self.total, failed=failed
        )
        self.stream.write("\r" + text.ljust(self.width))
        self.stream.flush()
        self.width = max(self.width, len(text))

    def close(self) -> None:
        if self.width:
            self.stream.write("\n")
            self.stream.flush()


async def _check(
    store: Any,
    factory: Any,
    ids: list[int],
    progress: Callable[[int, int], object] | None,
    finished: Callable[[int], object],
) -> None:
    try:
        await run_live_checks(
            store, factory, ids, _now, progress, concurrency=CHECK_CONCURRENCY, finished=finished
        )
    except KeyboardInterrupt:
        # Raised inside a check rather than delivered as asyncio.run's cancellation: the run has already
        # stopped on it. Ending quietly lets asyncio.run finish its shutdown, which waits for the store
        # writes still running in their threads (re-raising here would skip that wait).
        return
    finally:  # on Ctrl-C too: the HTTP connections are closed, not left to the garbage collector
        aclose = getattr(factory, "aclose", None)
        if aclose is not None:
            await aclose()


def run_checks(
    store: Any, factory: Any, ids: list[int], progress: Callable[[int, int], object] | None = None
) -> tuple[list[int], bool]:
    """Check these clients: (the clients whose results are recorded, in the order they finished; whether
    the run was interrupted).

    Ctrl-C (KeyboardInterrupt) cancels the checks still running; asyncio.run waits for the store writes
    already under way in their threads, so every result recorded so far stays; a check cancelled before
    KSeF answered leaves no result (nothing false is recorded about a credential)."""
    checked: list[int] = []
    try:
        asyncio.run(_check(store, factory, ids, progress, checked.append))
    except KeyboardInterrupt:
        return checked, True
    return checked, False


@click.command("check")
@click.option(
    "--client", "wanted", multiple=True, help="Only this client (NIP or short code); may be repeated."
)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option("--demo", "use_demo", is_flag=True, help="Check a fresh demo store against the simulator.")
@click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def check_command(wanted: tuple[str, ...], fmt: str, use_demo: bool, passphrase_file: Path | None) -> None:
    """Check every client's credentials live in KSeF (or only --client ones), store the results, then
    print their health like `status`. Exit 0 green, 1 yellow, 2 red (or values damaged in the store,
    listed on stderr), 3 when the checks could not run or were interrupted (Ctrl-C: the clients checked
    so far are printed, and their results are kept)."""
    with opened_store(use_demo, passphrase_file, with_ksef=True) as (store, factory):
        if factory is None:
            raise CliError(_("KSeF is not configured for this store."))
        ids = resolve_clients(store, wanted)
        progress = ProgressLine.for_stream(len(ids), sys.stderr)
        try:
            checked, interrupted = run_checks(store, factory, ids, progress)
        finally:
            if progress is not None:
                progress.close()
        shown = set(checked) if interrupted else set(ids)
        entries = [e for e in health_entries(store, _now()) if e.client.id in shown]
        click.echo(as_json(entries) if fmt == "json" else as_table(entries))
        damaged = report_damage(store, read_board=False)
    if interrupted:
        click.echo(
            _("Interrupted: {done} of {total} clients checked; their results are saved.").format(
                done=len(checked), total=len(ids)
            ),
            err=True,
        )
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_DAMAGED if damaged else exit_code(entries))

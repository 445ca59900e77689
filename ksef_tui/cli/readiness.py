"""`ksef-tui readiness`: which clients will work in KSeF on 1 January 2027, and through what (issue 11).

Exit 0 when every client is ready, 1 when some are only partly ready (none not ready), 2 when some are
not ready (or values are damaged in the store), 3 when the command cannot run. `--census` takes a fresh
grant census first (logged in with the office certificate)."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from ksef_tui.cli.common import EXIT_DAMAGED, CliError, opened_store, report_damage
from ksef_tui.cli.status import clip
from ksef_tui.core.clock import system_clock
from ksef_tui.core.display_text import json_dumps, safe_display
from ksef_tui.core.i18n import _
from ksef_tui.core.nip import format_nip
from ksef_tui.core.readiness import Readiness, Ready, readiness_counts, readiness_exit_code
from ksef_tui.ksef.errors import KsefError
from ksef_tui.sync.grants import OfficeNotReady, readiness_rows, run_census

READY_WORDS = {Ready.YES: "✔", Ready.PARTLY: "◐", Ready.NO: "✖"}
TABLE_CAPS = (2, 16, 40, 13, 18, 26, 160)


def as_json(rows: Sequence[Readiness]) -> str:
    return json_dumps([r.to_json() for r in rows], indent=2)


def as_table(rows: Sequence[Readiness]) -> str:
    header = [" ", _("Code"), _("Client"), _("NIP"), _("Via"), _("Missing"), _("Reason")]
    via = {"own_certificate": _("own certificate"), "office_certificate": _("office certificate")}
    body = [
        [
            safe_display(str(cell))
            for cell in (
                READY_WORDS[r.ready],
                r.client.short_code,
                r.client.name,
                format_nip(r.client.nip),
                via.get(r.via.value, "—") if r.via else "—",
                ", ".join(r.missing) or "—",
                r.reason,
            )
        ]
        for r in rows
    ]
    body = [[clip(c, cap) for c, cap in zip(row, TABLE_CAPS, strict=True)] for row in body]
    widths = [max(len(r[i]) for r in [header, *body]) for i in range(len(header) - 1)]
    lines = [
        "  ".join([*(c.ljust(widths[i]) for i, c in enumerate(row[:-1])), row[-1]]).rstrip()
        for row in [header, *body]
    ]
    counts = readiness_counts(rows)
    lines.append("")
    lines.append(
        _("Ready: {yes}, partly: {partly}, not ready: {no}.").format(
            yes=counts[Ready.YES], partly=counts[Ready.PARTLY], no=counts[Ready.NO]
        )
    )
    return "\n".join(lines)


@click.command("readiness")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option("--demo", "use_demo", is_flag=True, help="Report on a fresh demo store.")
@click.option("--census", "take_census", is_flag=True, help="Take a fresh grant census in KSeF first.")
@click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def readiness_command(fmt: str, use_demo: bool, take_census: bool, passphrase_file: Path | None) -> None:
    """Readiness of every client for 2027-01-01 (KSeF tokens gone). Exit 0 all ready, 1 some partly
    ready, 2 some not ready, 3 could not run."""
    with opened_store(use_demo, passphrase_file, with_ksef=take_census) as (store, factory):
        if take_census:
            try:
                asyncio.run(run_census(store, factory, system_clock))
            except (OfficeNotReady, KsefError) as err:
                raise CliError(str(err)) from None
        rows = readiness_rows(store, system_clock)
        click.echo(as_json(rows) if fmt == "json" else as_table(rows))
        damaged = report_damage(store)
    sys.exit(EXIT_DAMAGED if damaged else readiness_exit_code(rows))

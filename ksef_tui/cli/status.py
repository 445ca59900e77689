"""`ksef-tui status`: every client's credential health, for people (table) and machines (JSON)."""

from __future__ import annotations

import sys
import textwrap
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from ksef_tui.cli.common import EXIT_DAMAGED, opened_store, report_damage
from ksef_tui.core.board import BoardEntry
from ksef_tui.core.clock import WARSAW
from ksef_tui.core.display_text import json_dumps, safe_display
from ksef_tui.core.health import GLYPHS, Level, NextStep
from ksef_tui.core.i18n import N_, _
from ksef_tui.sync.clients import board_entries
from ksef_tui.sync.office import read_profile

# Display widths of the table's columns (glyph, code, client, NIP, expires; the reason's under them).
# Every row is padded to the widest cell, so one huge value (a 10 MB name in an old store) would
# otherwise be printed once per client (issue 17 item 9); with these caps a row fits 80 columns
# (issue 16 item 7). JSON keeps whole values: the store caps what it accepts.
TABLE_CAPS = (1, 16, 30, 13, 10, 160)
TABLE_WIDTH = 80
REASON_INDENT = "   "
# The next step a health reason asks for, as a shell command (the app says its key instead).
CLI_STEPS = {NextStep.CHECK: N_("Run: ksef-tui check")}


def clip(text: str, width: int) -> str:
    """At most `width` characters; a cut value ends with "…" so nobody takes it for the whole."""
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def exit_code(entries: Sequence[BoardEntry]) -> int:
    """0 when all are green, 1 when any is yellow and none red, 2 when any is red (for cron/monitoring)."""
    levels = {e.level for e in entries}
    if Level.RED in levels:
        return 2
    if Level.YELLOW in levels:
        return 1
    return 0


def health_entries(store: Any, now: datetime) -> list[BoardEntry]:
    """Every client's board entry, most urgent first: what `status` prints (and `check` after checking),
    judged by the office's own thresholds, as the board does."""
    return board_entries(store, now, read_profile(store).health())


def as_json(entries: Sequence[BoardEntry]) -> str:
    rows = [
        {
            "short_code": e.client.short_code,
            "name": e.client.name,
            "nip": e.client.nip,
            "nips": e.client.nips,
            "level": e.level.key,
            "reason": e.health.reason,
            "expires": e.health.expires.astimezone(WARSAW).date().isoformat() if e.health.expires else None,
            "credential": e.health.credential.kind.value if e.health.credential else None,
            "ready_2027": e.readiness.ready.value if e.readiness else None,
        }
        for e in entries
    ]
    return json_dumps(rows, indent=2)  # control and bidi characters as \uXXXX, never raw


def as_table(entries: Sequence[BoardEntry]) -> str:
    """One line per client (glyph, code, name, NIP, expiry), its reason wrapped under it, and a summary
    of counts: at most TABLE_WIDTH columns whatever the store holds (cron mails, an 80-column terminal)."""
    header = [" ", _("Code"), _("Client"), _("NIP"), _("Expires")]
    rows = [
        [
            safe_display(cell)  # names and reasons come from outside: no control or bidi characters
            for cell in (
                e.health.glyph,
                e.client.short_code,
                e.client.name,
                e.nip_formatted,
                e.health.expires.astimezone(WARSAW).date().isoformat() if e.health.expires else "—",
            )
        ]
        for e in entries
    ]
    rows = [[clip(str(cell), cap) for cell, cap in zip(row, TABLE_CAPS, strict=False)] for row in rows]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(header)).rstrip()]
    for row, entry in zip(rows, entries, strict=True):
        lines.append("  ".join(str(cell).ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        reason = clip(safe_display(entry.health.said(CLI_STEPS)), TABLE_CAPS[-1])
        lines += textwrap.wrap(
            reason, TABLE_WIDTH, initial_indent=REASON_INDENT, subsequent_indent=REASON_INDENT
        )
    lines.append(summary(entries))
    return "\n".join(lines)


def summary(entries: Sequence[BoardEntry]) -> str:
    counts = {level: sum(1 for e in entries if e.level is level) for level in Level}
    return _(
        "Clients: {n} · {red_glyph} red: {red} · {yellow_glyph} yellow: {yellow} · "
        "{green_glyph} green: {green}"
    ).format(
        n=len(entries),
        red_glyph=GLYPHS[Level.RED],
        red=counts[Level.RED],
        yellow_glyph=GLYPHS[Level.YELLOW],
        yellow=counts[Level.YELLOW],
        green_glyph=GLYPHS[Level.GREEN],
        green=counts[Level.GREEN],
    )


@click.command("status")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option("--demo", "use_demo", is_flag=True, help="Report on a fresh demo store.")
@click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def status_command(fmt: str, use_demo: bool, passphrase_file: Path | None) -> None:
    """Every client's credential health in urgency order. Exit 0 green, 1 yellow, 2 red (or values
    damaged in the store, listed on stderr)."""
    now = datetime.now(UTC)
    with opened_store(use_demo, passphrase_file) as (store, _ksef):
        entries = health_entries(store, now)
        click.echo(as_json(entries) if fmt == "json" else as_table(entries))
        damaged = report_damage(store, read_board=False)
    sys.exit(EXIT_DAMAGED if damaged else exit_code(entries))

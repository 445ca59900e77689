"""`ksef-tui audit` (the office-wide audit log, filtered, as text, JSON or CSV) and `ksef-tui audit verify`
(the hash chain). Exit codes (the contract in `common.py`):

- `audit`: 0 listed; 2 the store holds damaged values (listed on stderr); 3 cannot run;
- `audit verify`: 0 the chain is intact; 2 it is broken (the place named); 3 cannot run.

CSV is UTF-8 with a BOM and `;` between cells, as Polish Excel opens it; JSON times are ISO 8601 with
the Warsaw offset; text shows Warsaw time.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

import click

from ksef_tui.cli.common import EXIT_DAMAGED, CliError, opened_store, report_damage, resolve_clients
from ksef_tui.core.clock import WARSAW
from ksef_tui.core.display_text import safe_display
from ksef_tui.core.i18n import _
from ksef_tui.sync import audit as audit_uc

EXIT_BROKEN = 2
_PAGE = 500
_PASSPHRASE_FILE = click.option(
    "--passphrase-file", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)
_DEMO = click.option("--demo", "use_demo", is_flag=True, help="Use a fresh demo store.")


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise CliError(
            _("{option} takes a date as YYYY-MM-DD, not {value}.").format(
                option=option, value=safe_display(value)
            )
        ) from None


@click.group("audit", invoke_without_command=True)
@click.option("--since", help="Entries from this day on (YYYY-MM-DD, Warsaw time).")
@click.option("--until", help="Entries up to and including this day (YYYY-MM-DD).")
@click.option("--client", "wanted", help="Only this client (NIP or short code; #ID for a removed client).")
@click.option("--operator", default="", help="Only entries by operators whose name contains this.")
@click.option(
    "--action", default="", help="Only actions starting with this (e.g. booking. or sessions.login)."
)
@click.option(
    "--format", "fmt", type=click.Choice(["text", "json", "csv"]), default="text", help="Output format."
)
@_DEMO
@_PASSPHRASE_FILE
@click.pass_context
def audit_group(
    ctx: click.Context,
    since: str | None,
    until: str | None,
    wanted: str | None,
    operator: str,
    action: str,
    fmt: str,
    use_demo: bool,
    passphrase_file: Path | None,
) -> None:
    """The office's audit log, newest first: who, when, which client, what, the result.
    `ksef-tui audit verify` checks that no entry was deleted, altered or moved."""
    if ctx.invoked_subcommand is not None:
        return
    first, last = _day(since, "--since"), _day(until, "--until")
    with opened_store(use_demo, passphrase_file) as (store, _factory):
        client = ""
        if wanted:
            if wanted.startswith("#") and wanted[1:].isdigit():
                client = wanted
            else:
                client = f"#{resolve_clients(store, [wanted])[0]}"
        query = audit_uc.AuditQuery(client=client, operator=operator, action=action, since=first, until=last)
        codes = audit_uc.client_codes(store)
        lines: list[audit_uc.AuditLine] = []
        before: int | None = None
        while True:
            page = audit_uc.load_lines(store, query, before, _PAGE, codes)
            lines += page.lines
            if page.next_before is None:
                break
            before = page.next_before
        if fmt == "json":
            click.echo(json.dumps([_as_json(line) for line in lines], ensure_ascii=False, indent=2))
        elif fmt == "csv":
            click.echo(_as_csv(lines).encode("utf-8-sig"), nl=False)
        else:
            for line in lines:
                click.echo(_as_text(line))
            if not lines:
                click.echo(_("No audit entries match."))
        if report_damage(store, read_board=False):
            sys.exit(EXIT_DAMAGED)


@audit_group.command("verify")
@click.option(
    "--anchor", help="ID:DIGEST noted from an earlier verify; the chain must still pass through it."
)
@_DEMO
@_PASSPHRASE_FILE
def verify_command(anchor: str | None, use_demo: bool, passphrase_file: Path | None) -> None:
    """Walk the audit log's hash chain: exit 0 intact, 2 broken (the place named), 3 cannot run. Prints
    the last entry's digest: note it outside the store."""
    noted: tuple[int, str] | None = None
    if anchor is not None:
        entry, _sep, digest = anchor.partition(":")
        if not entry.strip().isdigit() or len(digest.strip()) != 64:
            raise CliError(_("--anchor takes ID:DIGEST as `audit verify` printed them."))
        noted = (int(entry), digest.strip())
    with opened_store(use_demo, passphrase_file) as (store, _factory):
        report = store.audit.verify(noted)
    for line in audit_uc.describe_report(report):
        click.echo(line)
    if not report.intact:
        sys.exit(EXIT_BROKEN)


def _as_text(line: audit_uc.AuditLine) -> str:
    e = line.entry
    mark = " [" + _("redacted") + "]" if e.redacted else ""
    return safe_display(
        f"{e.id:>6}  {line.when}  {e.operator[:16]:<16} {line.client[:12]:<12} {e.action:<28} {e.result:<10}"
        f" {e.detail}{mark}"
    )


def _as_json(line: audit_uc.AuditLine) -> dict[str, Any]:
    e = line.entry
    return {
        "id": e.id,
        "at": e.at.astimezone(WARSAW).isoformat(),
        "operator": e.operator,
        "client_id": e.client_id,
        "client": line.client or None,
        "action": e.action,
        "result": e.result,
        "detail": e.detail,
        "redacted": e.redacted,
        "damaged": e.damaged,
    }


def _as_csv(lines: list[audit_uc.AuditLine]) -> str:
    buffer = io.StringIO()
    out = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    out.writerow([_("no."), _("time"), _("operator"), _("client"), _("action"), _("result"), _("detail")])
    for line in lines:
        e = line.entry
        out.writerow(
            _cell(v) for v in (str(e.id), line.when, e.operator, line.client, e.action, e.result, e.detail)
        )
    return buffer.getvalue()


def _cell(value: str) -> str:
    """A cell starting with = + - @ (or a tab or CR) would be run as a formula by a spreadsheet (CSV
    injection): it gets a leading apostrophe, which spreadsheets show as text."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value

"""Headless `ksef-tui sync` (purchase invoices from KSeF into the store) and `ksef-tui invoices` (what
the store holds), issue 12 item 8.

Exit codes (the contract in `common.py`): `sync` 0 when every client synced, 1 when some failed (one line
each on stderr: short code, NIP, why), 2 when the store holds damaged values (listed on stderr), 3 when it
cannot run (no store, wrong passphrase, KSeF not configured, an unknown client, a bad date, Ctrl-C).
`invoices` 0, 2 on damage, 3 when it cannot run.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
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
from ksef_tui.core.clock import WARSAW
from ksef_tui.core.display_text import json_dumps, safe_display
from ksef_tui.core.i18n import _
from ksef_tui.core.money_format import format_amount
from ksef_tui.core.purchases import SUBJECT_BUYER, SUBJECT_THIRD
from ksef_tui.sync import purchase_views as views
from ksef_tui.sync import purchases as purchase_sync
from ksef_tui.sync.sessions import failure_words


def _now() -> datetime:
    return datetime.now(UTC)


def parse_since(value: str | None, today: date) -> date | None:
    """`--since YYYY-MM-DD`; a clear message (exit 3) for anything else or a day after today."""
    if value is None:
        return None
    try:
        day = date.fromisoformat(value.strip())
    except ValueError:
        raise CliError(
            _("--since: {value} is not a date; write it as YYYY-MM-DD, e.g. 2026-02-01.").format(
                value=safe_display(value)
            )
        ) from None
    if day > today:
        raise CliError(_("--since: {day} is in the future.").format(day=day.isoformat()))
    return day


class ProgressLine:
    """One line on a terminal, rewritten as clients finish; nothing when stderr is not a terminal (cron
    mails and logs get only the result)."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.width = 0

    @classmethod
    def for_stream(cls, stream: TextIO) -> ProgressLine | None:
        isatty = getattr(stream, "isatty", None)
        return cls(stream) if isatty is not None and isatty() else None

    def __call__(self, progress: purchase_sync.SyncProgress) -> None:
        text = views.progress_words(progress, hint=False)
        self.stream.write("\r" + text.ljust(self.width))
        self.stream.flush()
        self.width = max(self.width, len(text))

    def close(self) -> None:
        if self.width:
            self.stream.write("\n")
            self.stream.flush()


async def _sync(
    store: Any,
    factory: Any,
    ids: Sequence[int] | None,
    since: date | None,
    progress: ProgressLine | None,
    force: bool = False,
    subjects: Sequence[str] = (SUBJECT_BUYER,),
    reconcile: bool = False,
) -> purchase_sync.SyncReport:
    try:
        return await purchase_sync.sync_purchases(
            store,
            factory,
            ids,
            clock=_now,
            since=since,
            force=force,
            subjects=subjects,
            on_progress=progress,
            reconcile_now=reconcile,
        )
    finally:  # on Ctrl-C too: the HTTP connections are closed, not left to the garbage collector
        aclose = getattr(factory, "aclose", None)
        if aclose is not None:
            await aclose()


def parse_period(value: str, today: date) -> tuple[date, date]:
    """`--redownload FROM..TO` (YYYY-MM-DD..YYYY-MM-DD, inclusive, Polish dates)."""
    first, sep, last = value.strip().partition("..")
    try:
        start, end = date.fromisoformat(first.strip()), date.fromisoformat(last.strip())
    except ValueError:
        sep = ""
    if not sep or start > end or start > today:
        raise CliError(
            _("--redownload: write the period as YYYY-MM-DD..YYYY-MM-DD, e.g. 2026-03-01..2026-03-31.")
        )
    return start, end


async def _redownload(
    store: Any, factory: Any, ids: Sequence[int], start: date, end: date
) -> purchase_sync.SyncReport:
    """Every chosen client's purchases stored in KSeF in the period fetched again: new ones stored,
    known ones skipped, the cursor untouched. One client's failure is its own line."""
    report = purchase_sync.SyncReport()
    try:
        for client_id in ids:
            client = await asyncio.to_thread(store.clients.get, client_id)
            try:
                added = await purchase_sync.redownload(store, factory, client_id, start, end, clock=_now)
            except Exception as err:  # reported per client, as the sync does
                report.results.append(
                    purchase_sync.ClientSyncResult(
                        client_id, client.short_code, client.nip, False, error=failure_words(err)
                    )
                )
            else:
                report.results.append(
                    purchase_sync.ClientSyncResult(
                        client_id, client.short_code, client.nip, True, added=added
                    )
                )
    finally:
        aclose = getattr(factory, "aclose", None)
        if aclose is not None:
            await aclose()
    return report


def _status(result: purchase_sync.ClientSyncResult) -> str:
    if not result.ok:
        return _("failed: {why}").format(why=result.error or _("no reason given"))
    if result.skipped:
        return _("skipped: {why}").format(why=result.skipped)
    return _("synced")


def sync_rows(report: purchase_sync.SyncReport) -> list[dict[str, object]]:
    return [
        {
            "client": r.short_code,
            "client_nip": r.nip,
            "ok": r.ok,
            "added": r.added,
            "known": r.known,
            "packages": r.packages,
            "skipped": r.skipped or None,
            "error": r.error or None,
        }
        for r in report.results
    ]


def sync_table(report: purchase_sync.SyncReport) -> str:
    head = (_("Client"), "NIP", _("New"), _("Known"), _("Packages"), _("Status"))
    rows = [
        (r.short_code, r.nip, str(r.added), str(r.known), str(r.packages), _status(r)) for r in report.results
    ]
    widths = [max(len(h), *(len(row[i]) for row in rows)) if rows else len(h) for i, h in enumerate(head)]
    lines = []
    for row in (head, *rows):
        cells = [row[0].ljust(widths[0]), row[1].ljust(widths[1])]
        cells += [row[i].rjust(widths[i]) for i in (2, 3, 4)]
        cells.append(row[5])
        lines.append(safe_display("  ".join(cells)))
    lines.append(views.report_words(report))
    return "\n".join(lines)


@click.command("sync")
@click.option("--demo", "use_demo", is_flag=True, help="Use a fresh demo store and the simulator.")
@click.option(
    "--client", "wanted", multiple=True, help="Only this client (NIP or short code); may be repeated."
)
@click.option(
    "--since",
    default=None,
    help="Where a client never synced starts (YYYY-MM-DD; default: the first day of the month before the "
    "client was added, "
    "never before 2026-02-01).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Sync even if the last one was less than 15 minutes ago (KSeF recommends at least 15 minutes "
    "between syncs; a Retry-After from KSeF is always honoured).",
)
@click.option(
    "--third-party",
    is_flag=True,
    help="Also invoices naming the client as a third party (Podmiot3); KSeF asks for this at most once a "
    "day, best at night.",
)
@click.option(
    "--reconcile",
    is_flag=True,
    help="Also compare the last 60 days with KSeF now and fetch any invoice missing (otherwise weekly).",
)
@click.option(
    "--redownload",
    "period",
    default=None,
    metavar="FROM..TO",
    help="Instead of syncing, fetch again every invoice stored in KSeF in this period "
    "(YYYY-MM-DD..YYYY-MM-DD); new ones are stored, the sync's position is not changed.",
)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def sync_command(
    use_demo: bool,
    wanted: tuple[str, ...],
    since: str | None,
    force: bool,
    third_party: bool,
    reconcile: bool,
    period: str | None,
    fmt: str,
    passphrase_file: Path | None,
) -> None:
    """Fetch purchase invoices (the client as buyer) from KSeF into the store: every client with a
    usable credential, or only the --client ones.

    Exit 0 when every client synced; 1 when some failed (one line each on stderr: short code, NIP,
    why); 2 when the store holds damaged values (listed on stderr); 3 when it cannot run (no store,
    wrong passphrase, KSeF not configured, an unknown client, a bad --since) or was interrupted."""
    today = _now().astimezone(WARSAW).date()
    start = parse_since(since, today)
    window = parse_period(period, today) if period is not None else None
    with opened_store(use_demo, passphrase_file, with_ksef=True) as (store, factory):
        if factory is None:
            raise CliError(_("KSeF is not configured for this store."))
        ids = resolve_clients(store, wanted) if wanted else None
        progress = ProgressLine.for_stream(sys.stderr)
        try:
            subjects = (SUBJECT_BUYER, SUBJECT_THIRD) if third_party else (SUBJECT_BUYER,)
            if window is not None:
                every = ids if ids is not None else [c.id for c in store.clients.list() if c.id is not None]
                report = asyncio.run(_redownload(store, factory, every, *window))
            else:
                report = asyncio.run(_sync(store, factory, ids, start, progress, force, subjects, reconcile))
        except KeyboardInterrupt:
            click.echo(
                _("Interrupted: what was committed stays; the next sync continues from there."), err=True
            )
            sys.exit(EXIT_ERROR)
        finally:
            if progress is not None:
                progress.close()
        damaged = report_damage(store)
    click.echo(json_dumps(sync_rows(report), indent=2) if fmt == "json" else sync_table(report))
    for result in report.failed:
        click.echo(
            safe_display(f"{result.short_code} {result.nip}: {result.error or _('no reason given')}"),
            err=True,
        )
    sys.exit(EXIT_DAMAGED if damaged else 1 if report.failed else 0)


def invoice_table(rows: Sequence[dict[str, Any]]) -> str:
    lines = []
    for row in rows:
        received = (row["acquisition_date"] or "")[:16].replace("T", " ")
        gross = format_amount(Decimal(row["gross"]) if row["gross"] else None, row["currency"])
        lines.append(
            safe_display(
                f"{received:<16}  {row['client'] or '':<12} {row['ksef_number']:<35}  "
                f"{row['seller_nip']:<10} {row['seller_name'][:28]:<28} {row['invoice_number'][:20]:<20} "
                f"{gross:>16}  {row['status_text']}"
            )
        )
    lines.append(_("{n} purchase invoices (times: Polish, Europe/Warsaw).").format(n=len(rows)))
    return "\n".join(lines)


@click.command("invoices")
@click.option("--demo", "use_demo", is_flag=True, help="Use a fresh demo store with its purchases synced.")
@click.option(
    "--client", "wanted", multiple=True, help="Only this client (NIP or short code); may be repeated."
)
@click.option("--since", default=None, help="Received (KSeF number given) on or after this day, YYYY-MM-DD.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def invoices_command(
    use_demo: bool, wanted: tuple[str, ...], since: str | None, fmt: str, passphrase_file: Path | None
) -> None:
    """List the purchase invoices in the store (provisional ones included), newest receipt first.

    Exit 0; 2 when the store holds damaged values (listed on stderr); 3 when it cannot run (no store,
    wrong passphrase, an unknown client, a bad --since)."""
    start = parse_since(since, _now().astimezone(WARSAW).date())
    with opened_store(use_demo, passphrase_file, demo_purchases=True) as (store, _factory):
        ids = resolve_clients(store, wanted) if wanted else None
        clients = {c.id: c for c in store.clients.list()}
        records = views.newest_first(purchase_sync.list_purchases(store, ids, start))
        rows = [views.purchase_row(r, clients.get(r.client_id)) for r in records]
        damaged = report_damage(store)
    click.echo(json_dumps(rows, indent=2) if fmt == "json" else invoice_table(rows))
    if damaged:
        sys.exit(EXIT_DAMAGED)

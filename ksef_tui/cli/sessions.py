"""Headless `ksef-tui sessions` and `ksef-tui upo` (issue 4, item 5)."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from ksef_tui.cli.common import EXIT_DAMAGED, CliError, opened_store, report_damage, resolve_clients
from ksef_tui.core.clock import WARSAW
from ksef_tui.core.display_text import json_dumps, safe_display
from ksef_tui.core.i18n import _
from ksef_tui.core.ksef_sessions import SessionFilter, kind_word
from ksef_tui.core.session_status import session_text
from ksef_tui.sync.upo import download_missing_upos

if TYPE_CHECKING:
    from ksef_tui.store import Store
    from ksef_tui.sync.sessions import KsefFactory


def _since(value: str | None, now: datetime, default_days: int) -> datetime:
    if not value:
        return now - timedelta(days=default_days)
    try:
        day = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(_("Use a date like 2026-11-01."), param_hint="--since") from None
    if day.tzinfo is None:
        day = (
            datetime.combine(day.date(), time.min, WARSAW) if len(value) <= 10 else day.replace(tzinfo=WARSAW)
        )
    return day


async def _refresh(store: Store, factory: KsefFactory, ids: list[int], since: datetime) -> dict[int, str]:
    """Refresh each client's sessions (where the pacing allows: a client not yet due keeps what the
    store has from its last refresh); {client id: why it failed}."""
    # Here, not at the top: every command (and the TUI) is registered through this module, and the use
    # case loads the KSeF client (~0.3 s, -X importtime) that only --refresh and `upo` need.
    from ksef_tui.sync.sessions import refresh_clients

    # The clock must be timezone-aware UTC like everything in the store: a naive local clock here
    # stored refresh times an hour off under TZ=Europe/Warsaw and broke every later run.
    summary = await refresh_clients(store, factory, ids, _now, since=since)
    return summary.failed


def failed_clients(refresh_problems: dict[int, str], client_errors: dict[int, list[str]]) -> dict[int, str]:
    """One reason per client that failed: its UPO download's, else its refresh's (a login that failed in
    the refresh fails in the UPO download too, with the same words)."""
    reasons: dict[int, str] = {}
    for client_id, errors in client_errors.items():
        if len(errors) == 1:
            reasons[client_id] = errors[0]
        else:
            reasons[client_id] = _("{n} UPO failed, first: {error}").format(n=len(errors), error=errors[0])
    for client_id, problem in refresh_problems.items():
        reasons.setdefault(client_id, problem)
    return reasons


def _now() -> datetime:
    return datetime.now(UTC)


@click.command("sessions")
@click.option("--demo", "use_demo", is_flag=True, help="Use a fresh demo store and the simulator.")
@click.option(
    "--client", "wanted", multiple=True, help="Only this client (NIP or short code); may be repeated."
)
@click.option("--since", default=None, help="Sessions opened on or after this date (default: 7 days ago).")
@click.option("--format", "fmt", type=click.Choice(["json", "table"]), default="table")
@click.option("--refresh", is_flag=True, help="Ask KSeF first (within the rate limits), then print.")
@click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def sessions_command(
    use_demo: bool,
    wanted: tuple[str, ...],
    since: str | None,
    fmt: str,
    refresh: bool,
    passphrase_file: Path | None,
) -> None:
    """Print KSeF sessions from the store (online and batch, newest first).

    Exit code 0; 1 when --refresh could not refresh some client (one line per such client on stderr,
    the sessions the store has are printed all the same)."""
    start = _since(since, _now(), 7)
    with opened_store(use_demo, passphrase_file, with_ksef=True) as (store, factory):
        ids = resolve_clients(store, wanted)
        problems: list[str] = []
        clients = {c.id: c for c in store.clients.list()}
        if refresh and factory is not None:
            failed = asyncio.run(_refresh(store, factory, ids, start))
            problems = [f"{clients[cid].short_code}: {why}" for cid, why in failed.items()]
        rows = []
        for client_id in ids:
            flt = SessionFilter(client_id=client_id, since=start)
            total = store.ksef_sessions.count(flt)
            offset = 0
            while offset < total:
                page = store.ksef_sessions.page(flt, offset, 500)
                offset += len(page) or total
                for r in page:
                    text = session_text(r.kind, r.status_code)
                    rows.append(
                        {
                            "client_nip": clients[client_id].nip,
                            "client": clients[client_id].short_code,
                            "reference": r.reference,
                            "type": r.kind,
                            "status_code": r.status_code,
                            "status_text": text.label,
                            "status_meaning": text.meaning,
                            "status_action": text.action,
                            "ksef_description": r.status_description,
                            "opened": r.opened.isoformat(),
                            "updated": r.updated.isoformat() if r.updated else None,
                            "invoices_total": r.invoices_total,
                            "invoices_accepted": r.invoices_accepted,
                            "invoices_rejected": r.invoices_rejected,
                            "upo_saved": r.upo_complete,
                        }
                    )
        rows.sort(key=lambda row: row["opened"], reverse=True)
        damaged = report_damage(store)
    if fmt == "json":
        click.echo(json_dumps(rows, indent=2))
    else:
        for row in rows:
            opened = datetime.fromisoformat(row["opened"]).astimezone(
                WARSAW
            )  # JSON keeps UTC with its offset
            click.echo(
                safe_display(
                    f"{opened:%Y-%m-%d %H:%M}  {row['client']:<12} {kind_word(row['type']):<12} "
                    f"{row['reference']}  "
                    f"{row['status_code']} {row['status_text']:<24} "
                    f"{row['invoices_total']}/{row['invoices_accepted']}/{row['invoices_rejected']}"
                )
            )
        click.echo(_("{n} sessions (times: Polish, Europe/Warsaw).").format(n=len(rows)))
    for problem in problems:
        click.echo(safe_display(problem), err=True)
    if damaged:
        sys.exit(EXIT_DAMAGED)
    if problems:
        sys.exit(1)


@click.command("upo")
@click.option("--demo", "use_demo", is_flag=True, help="Use a fresh demo store and the simulator.")
@click.option(
    "--client", "wanted", multiple=True, help="Only this client (NIP or short code); may be repeated."
)
@click.option("--since", default=None, help="Sessions opened on or after this date (default: 30 days ago).")
@click.option(
    "--out",
    "out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for the UPO files.",
)
@click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def upo_command(
    use_demo: bool, wanted: tuple[str, ...], since: str | None, out: Path, passphrase_file: Path | None
) -> None:
    """Download every missing UPO of closed sessions into OUT (<short code>/<YYYY-MM>/<reference>.xml).

    Exit code 0 when every client was refreshed (or not yet due) and every missing UPO arrived; 1 when
    any client failed (it could not log in, its refresh failed, or one of its UPOs did not arrive), with
    one line per failed client saying why; 2 when the store holds damaged values (listed on stderr)."""
    start = _since(since, _now(), 30)
    with opened_store(use_demo, passphrase_file, with_ksef=True) as (store, factory):
        if factory is None:
            raise CliError(_("KSeF is not configured for this store."))
        ids = resolve_clients(store, wanted)

        async def run() -> Any:
            problems = await _refresh(store, factory, ids, start)
            result = await download_missing_upos(
                store, factory, ids, out, _now, since=start, copy_existing=True
            )
            return problems, result

        problems, result = asyncio.run(run())
        codes = {c.id: c.short_code for c in store.clients.list()}
        damaged = report_damage(store)
    reasons = failed_clients(problems, result.client_errors)
    click.echo(
        _("UPO: fetched {fetched}, skipped {skipped}, failed {failed}.").format(
            fetched=result.fetched, skipped=result.skipped, failed=result.failed
        )
    )
    if reasons:
        click.echo(_("Clients that failed: {n} of {total}.").format(n=len(reasons), total=len(ids)))
    for client_id, why in sorted(reasons.items(), key=lambda item: codes.get(item[0], "")):
        click.echo(safe_display(f"{codes.get(client_id, client_id)}: {why}"))
    sys.exit(EXIT_DAMAGED if damaged else 1 if reasons or result.failed else 0)

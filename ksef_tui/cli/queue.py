"""Headless `ksef-tui queue` (the approval queue: proposed bookings of purchase invoices) and
`ksef-tui approve` (approve a client's strongly proposed bookings, for offices that trust their rules),
issue 13 item 6.

Exit codes (the contract in `common.py`): 0; 2 when the store holds damaged values (listed on stderr);
3 when it cannot run (no store, wrong passphrase, an unknown client, a bad option) or a booking changed
meanwhile.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import fields
from datetime import UTC, datetime
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any

import click

from ksef_tui.cli.common import EXIT_DAMAGED, CliError, opened_store, report_damage, resolve_clients
from ksef_tui.core.booking_queue import age_words
from ksef_tui.core.bookings import OPEN_STATUSES, Booking, BookingLine, BookingStatus, Strength
from ksef_tui.core.display_text import json_dumps, safe_display
from ksef_tui.core.i18n import _
from ksef_tui.core.money_format import format_amount
from ksef_tui.store import StoreError
from ksef_tui.sync import bookings as queue_uc

STATUS_CHOICES = [s.value for s in BookingStatus]
# The strengths `approve --min-strength` accepts, weakest first: a rule for the seller, or for the seller
# and the invoice's items. PATTERN (an office-wide rule or a name hint) is never enough on its own.
TRUSTED = {Strength.SELLER: 1, Strength.SELLER_ITEMS: 2}


def _now() -> datetime:
    return datetime.now(UTC)


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def line_json(line: BookingLine) -> dict[str, Any]:
    """Every BookingLine field; amounts as strings, never floats."""
    return {f.name: _plain(getattr(line, f.name)) for f in fields(line)}


def booking_json(row: queue_uc.QueueRow) -> dict[str, Any]:
    b = row.booking
    return {
        "ksef_number": b.ksef_number,
        "client": row.client_code,
        "client_nip": row.client_nip,
        "seller_nip": b.seller_nip,
        "seller_name": b.seller_name,
        "invoice_number": b.invoice_number,
        "doc_kind": b.doc_kind,
        "issue_date": b.issue_date.isoformat() if b.issue_date else None,
        "receipt_date": b.receipt_date.isoformat() if b.receipt_date else None,
        "vat_period": b.vat_period,
        "cost_period": b.cost_period,
        "vat_register": b.vat_register,
        "currency": b.currency,
        "fx_rate": _plain(b.fx_rate),
        "gross": str(b.gross),
        "status": b.status.value,
        "strength": b.strength.value,
        "confidence": b.confidence,
        "reason": b.reason,
        "review_reasons": [r.value for r in b.review_reasons],
        "age_hours": round(row.age_hours, 1),
        "past_sla": row.past_sla,
        "description": b.description,
        "note": b.note,
        "lines": [line_json(line) for line in b.lines],
    }


def queue_table(rows: Sequence[queue_uc.QueueRow], *, footer: str = "") -> str:
    lines = []
    for row in rows:
        b = row.booking
        age = ("!" if row.past_sla else " ") + age_words(row.age_hours)
        gross = format_amount(b.gross, "PLN")
        lines.append(
            safe_display(
                f"{age:>6}  {row.client_code[:12]:<12} {b.seller_nip:<10} {b.seller_name[:24]:<24} "
                f"{gross:>16}  {b.status.value:<12} {b.strength.value:<12} {b.confidence:>3}%  {b.reason}"
            )
        )
    if footer:
        lines.append(footer)
    return "\n".join(lines)


def _rows(store: Any, ids: Sequence[int] | None, statuses: frozenset[BookingStatus]) -> queue_uc.QueuePage:
    flt = queue_uc.QueueFilter(client_ids=ids, statuses=statuses)
    total = store.bookings.count(ids, statuses)
    return queue_uc.load_queue(store, flt, _now, limit=max(total, 1))


@click.command("queue")
@click.option("--demo", "use_demo", is_flag=True, help="Use a fresh demo store (an office mid-month).")
@click.option(
    "--client", "wanted", multiple=True, help="Only this client (NIP or short code); may be repeated."
)
@click.option(
    "--status",
    "statuses",
    multiple=True,
    type=click.Choice(STATUS_CHOICES),
    help="Only bookings in this status; may be repeated (default: new, proposed, needs_review).",
)
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def queue_command(
    use_demo: bool, wanted: tuple[str, ...], statuses: tuple[str, ...], fmt: str, passphrase_file: Path | None
) -> None:
    """The approval queue: the proposed booking of every purchase invoice still open, oldest first (the
    SLA age), with its strength, confidence and reason.

    Exit 0; 2 when the store holds damaged values (listed on stderr); 3 when it cannot run (no store,
    wrong passphrase, an unknown client)."""
    chosen = frozenset(BookingStatus(s) for s in statuses) if statuses else OPEN_STATUSES
    with opened_store(use_demo, passphrase_file, demo_purchases=True) as (store, _factory):
        ids = resolve_clients(store, wanted) if wanted else None
        page = _rows(store, ids, chosen)
        damaged = report_damage(store)
    if fmt == "json":
        click.echo(json_dumps([booking_json(r) for r in page.rows], indent=2))
    else:
        counts = ", ".join(f"{s.value}: {n}" for s, n in sorted(page.counts.items()))
        footer = _("{n} bookings ({counts}); past the SLA: {late}.").format(
            n=page.total, counts=counts or "0", late=page.past_sla
        )
        click.echo(queue_table(page.rows, footer=footer))
    if damaged:
        sys.exit(EXIT_DAMAGED)


def _eligible(booking: Booking, min_strength: Strength, min_confidence: int) -> bool:
    """PROPOSED only (never NEEDS_REVIEW), by a seller rule at least as strong as asked, confident
    enough."""
    return (
        booking.status is BookingStatus.PROPOSED
        and not booking.review_reasons
        and TRUSTED.get(booking.strength, 0) >= TRUSTED[min_strength]
        and booking.confidence >= min_confidence
    )


@click.command("approve")
@click.option("--demo", "use_demo", is_flag=True, help="Use a fresh demo store (an office mid-month).")
@click.option("--client", "wanted", multiple=True, help="The client (NIP or short code); may be repeated.")
@click.option(
    "--min-strength",
    type=click.Choice([s.value for s in TRUSTED]),
    default=Strength.SELLER.value,
    help="Approve only proposals from a rule for the seller (seller) or for the seller and the invoice's "
    "items (seller_items). Default: seller.",
)
@click.option(
    "--min-confidence",
    type=click.IntRange(0, 100),
    default=90,
    help="Approve only proposals at least this confident (0-100, default 90).",
)
@click.option("--dry-run", is_flag=True, help="Only list what would be approved; change nothing.")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@click.option("--passphrase-file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def approve_command(
    use_demo: bool,
    wanted: tuple[str, ...],
    min_strength: str,
    min_confidence: int,
    dry_run: bool,
    fmt: str,
    passphrase_file: Path | None,
) -> None:
    """Approve a client's PROPOSED bookings that meet the threshold, in one step (each audited). Never a
    booking that needs review (corrections, advances, a new seller, reverse charge, foreign currency,
    fixed assets, unusual amounts).

    Exit 0; 2 when the store holds damaged values (listed on stderr); 3 when it cannot run (no --client,
    an unknown client, no store, wrong passphrase) or a booking was changed meanwhile."""
    if not wanted:
        raise CliError(_("approve: name the client with --client NIP or short code."))
    strength = Strength(min_strength)
    with opened_store(use_demo, passphrase_file, demo_purchases=True) as (store, _factory):
        ids = resolve_clients(store, wanted)
        page = _rows(store, ids, frozenset({BookingStatus.PROPOSED}))
        chosen = [r for r in page.rows if _eligible(r.booking, strength, min_confidence)]
        if chosen and not dry_run:
            keys = [(r.booking.client_id, r.booking.ksef_number) for r in chosen]
            try:
                queue_uc.approve(store, keys, queue_uc.operator_name(store), _now)
            except StoreError as err:
                raise CliError(str(err)) from None
        damaged = report_damage(store)
    total = sum((r.booking.gross for r in chosen), Decimal("0.00"))
    if dry_run:
        summary = _("Would approve {n} bookings, {sum} in total; nothing was changed.")
    else:
        summary = _("Approved {n} bookings, {sum} in total.")
    summary = summary.format(n=len(chosen), sum=format_amount(total, "PLN"))
    if fmt == "json":
        click.echo(
            json_dumps(
                {
                    "dry_run": dry_run,
                    "approved": 0 if dry_run else len(chosen),
                    "gross": str(total),
                    "bookings": [booking_json(r) for r in chosen],
                },
                indent=2,
            )
        )
    else:
        click.echo(queue_table(chosen, footer=summary))
    if damaged:
        sys.exit(EXIT_DAMAGED)

"""Headless hand-over to the accounting program (issue 14 item 6): `ksef-tui export`, `ksef-tui exports
list|recreate|undo` and `ksef-tui clients profile` (the taxpayer data JPK and EDI++ need).

`export` runs per client: one line each with what was written (or why not), its warnings and problems
listed below it. Exit codes (the contract in `common.py`):

- 0 every client's files written (or nothing new to export);
- 1 written, with warnings (listed: open bookings of the period, values a format had to change, ...);
- 2 nothing exported for at least one client because something is wrong (listed: missing data, files
  that exist without --overwrite, a booking changed meanwhile), or the store holds damaged values;
- 3 cannot run: no store, wrong passphrase, a bad period, an unknown client or option.
"""

from __future__ import annotations

import sys
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import click

from ksef_tui.cli.common import EXIT_DAMAGED, CliError, opened_store, report_damage, resolve_clients
from ksef_tui.core.clock import WARSAW
from ksef_tui.core.display_text import safe_display
from ksef_tui.core.export_batch import ExportBatch
from ksef_tui.core.export_plan import PeriodError, parse_period, period_of
from ksef_tui.core.exports import (
    ExportFormat,
    ExportWarning,
    Ledger,
    PeriodKind,
    TaxpayerKind,
    TaxpayerProfile,
)
from ksef_tui.core.i18n import N_, _
from ksef_tui.core.money_format import format_amount
from ksef_tui.store import NotFound, StoreError
from ksef_tui.sync import exports as export_uc
from ksef_tui.sync.bookings import operator_name

EXIT_WARNINGS = 1
EXIT_NOT_EXPORTED = 2

CLIENT_HELP = "Only this client (NIP or short code); may be repeated."
_PASSPHRASE_FILE = click.option(
    "--passphrase-file", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)


def _now() -> datetime:
    return datetime.now(UTC)


def _listed(findings: tuple[ExportWarning, ...], mark: str) -> None:
    for finding in findings:
        click.echo(safe_display(f"  {mark} {finding.message}"))


def _written_line(code: str, result: export_uc.ExportResult) -> str:
    batch = result.batch
    assert batch is not None
    summary = result.plan.summary
    return _(
        "{client}: {n} bookings, {files} files written to {folder} (batch {id}); net {net}, VAT {vat}, "
        "VAT deducted {deductible}."
    ).format(
        client=code,
        n=summary.count,
        files=len(result.written),
        folder=result.plan.folder,
        id=batch.id,
        net=format_amount(summary.net, "PLN"),
        vat=format_amount(summary.vat, "PLN"),
        deductible=format_amount(summary.deductible, "PLN"),
    )


@click.command("export")
@click.option(
    "--format",
    "fmt",
    required=True,
    type=click.Choice([f.value for f in ExportFormat]),
    help="bundle (the invoices' XML, bookings.csv/.json, manifest), epp (EDI++ for Rewizor/Rachmistrz), "
    "jpk-v7m (JPK_V7M purchase part), jpk-pkpir (JPK_PKPIR expense rows).",
)
@click.option("--period", required=True, help="The month, YYYY-MM.")
@click.option(
    "--period-kind",
    type=click.Choice([k.value for k in PeriodKind]),
    default=PeriodKind.VAT.value,
    help="vat: the bookings' VAT period (default); cost: their cost period.",
)
@click.option("--client", "wanted", multiple=True, help=CLIENT_HELP)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="The folder to export under: files go to DIR/<short code>/<period>/.",
)
@click.option("--again", is_flag=True, help="Export bookings exported before again, too.")
@click.option("--overwrite", is_flag=True, help="Replace files that already exist in the target folder.")
@click.option("--demo", "use_demo", is_flag=True, help="Use a fresh demo store (last month approved).")
@_PASSPHRASE_FILE
def export_command(
    fmt: str,
    period: str,
    period_kind: str,
    wanted: tuple[str, ...],
    out: Path,
    again: bool,
    overwrite: bool,
    use_demo: bool,
    passphrase_file: Path | None,
) -> None:
    """Hand the approved bookings of a period over to the accounting program, per client: files under
    DIR/<short code>/<period>/, the bookings marked exported, the batch recorded (see `exports`).

    Exit 0 written; 1 written with warnings (listed); 2 nothing exported for a client because something
    is wrong (listed); 3 cannot run (no store, bad period, unknown client)."""
    try:
        month = parse_period(period)
    except PeriodError as err:
        raise CliError(str(err)) from None
    kind = PeriodKind(period_kind)
    export_format = ExportFormat(fmt)
    worst = 0
    with opened_store(use_demo, passphrase_file, demo_purchases=True) as (store, _factory):
        ids = resolve_clients(store, wanted)
        by = operator_name(store)
        for cid in ids:
            if not wanted and not any(period_of(b, kind) == month for b in store.bookings.list([cid])):
                continue  # every client by default: those with nothing in the period are not listed
            if (
                not wanted
                and export_format is ExportFormat.JPK_PKPIR
                and store.exports.profile(cid).ledger is not Ledger.KPIR
            ):
                continue  # not asked for by name: full books have no KPiR (named: a problem)
            try:
                plan = export_uc.plan_export(
                    store, cid, export_format, month, _now, period_kind=kind, again=again, out=out
                )
            except StoreError as err:  # e.g. the client's key is damaged: this client only
                click.echo(safe_display(f"#{cid}: {err}"))
                worst = max(worst, EXIT_NOT_EXPORTED)
                continue
            code = safe_display(plan.short_code)
            if plan.nothing_to_export:
                s = plan.summary
                click.echo(
                    _(
                        "{client}: nothing to export (exported before: {exported}, not approved yet: "
                        "{open}); --again exports them again."
                    ).format(client=code, exported=s.exported_before, open=s.not_approved)
                )
                continue
            try:
                result = export_uc.run_export(store, plan, by, overwrite=overwrite)
            except StoreError as err:
                result = export_uc.ExportResult(plan, problems=(ExportWarning("export.store", str(err)),))
            if result.batch is None:
                click.echo(_("{client}: nothing was exported:").format(client=code))
                _listed(result.problems, "-")
                worst = max(worst, EXIT_NOT_EXPORTED)
                continue
            click.echo(safe_display(_written_line(code, result)))
            _listed(result.warnings, "!")
            if result.warnings:
                worst = max(worst, EXIT_WARNINGS)
        damaged = report_damage(store)
    if damaged:
        worst = max(worst, EXIT_DAMAGED)
    if worst:
        sys.exit(worst)


# -- exports list / recreate / undo ----------------------------------------------------------------


STATUS_WORDS = {"done": N_("written"), "undone": N_("undone")}


def _batch_line(batch: ExportBatch, codes: dict[int, str]) -> str:
    when = batch.created_at.astimezone(WARSAW).strftime("%Y-%m-%d %H:%M")
    state = _(STATUS_WORDS.get(batch.status.value, batch.status.value))
    line = (
        f"{batch.id:>5}  {codes.get(batch.client_id, '?')[:12]:<12} {batch.format.value:<9} "
        f"{batch.period} {batch.period_kind.value:<4} {state:<12} {when}  {batch.created_by[:20]:<20} "
        + _("{n} bookings, {files} files").format(n=batch.booking_count, files=len(batch.files))
        + f"  {batch.folder}"
    )
    return safe_display(line)


@click.group("exports")
def exports_group() -> None:
    """Export batches: list them, write a batch's files again byte for byte, undo one."""


@exports_group.command("list")
@click.option("--client", "wanted", multiple=True, help=CLIENT_HELP)
@click.option("--demo", "use_demo", is_flag=True, help="Use a fresh demo store.")
@_PASSPHRASE_FILE
def list_command(wanted: tuple[str, ...], use_demo: bool, passphrase_file: Path | None) -> None:
    """Export batches, newest first: id, client, format, period, written or undone, when, by whom.
    Exit 0; 2 when the store holds damaged values; 3 when it cannot run."""
    with opened_store(use_demo, passphrase_file) as (store, _factory):
        codes = {c.id: c.short_code for c in store.clients.list() if c.id is not None}
        ids = resolve_clients(store, wanted) if wanted else None
        batches = [b for b in export_uc.list_batches(store) if ids is None or b.client_id in ids]
        for batch in batches:
            click.echo(_batch_line(batch, codes))
        if not batches:
            click.echo(_("No export batches yet."))
        damaged = report_damage(store)
    if damaged:
        sys.exit(EXIT_DAMAGED)


@exports_group.command("recreate")
@click.argument("batch_id", type=int)
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), required=True, help="The folder.")
@click.option("--overwrite", is_flag=True, help="Replace files that already exist in the folder.")
@_PASSPHRASE_FILE
def recreate_command(batch_id: int, out: Path, overwrite: bool, passphrase_file: Path | None) -> None:
    """Write a batch's files again, byte for byte, into DIR (checked against the SHA-256 the batch
    recorded; no booking changes). Exit 0 written; 2 not written (listed); 3 cannot run (no such batch)."""
    with opened_store(False, passphrase_file) as (store, _factory):
        try:
            result = export_uc.recreate_batch(store, batch_id, out, overwrite=overwrite)
        except (NotFound, StoreError) as err:
            raise CliError(str(err)) from None
        damaged = report_damage(store)
    if result.problems:
        click.echo(_("Batch {id} was not written again:").format(id=batch_id))
        _listed(result.problems, "-")
        sys.exit(EXIT_NOT_EXPORTED)
    click.echo(
        safe_display(
            _("Batch {id}: {n} files written again to {folder}, identical to the original.").format(
                id=batch_id, n=len(result.written), folder=result.folder
            )
        )
    )
    if damaged:
        sys.exit(EXIT_DAMAGED)


@exports_group.command("undo")
@click.argument("batch_id", type=int)
@_PASSPHRASE_FILE
def undo_command(batch_id: int, passphrase_file: Path | None) -> None:
    """Undo a batch: its bookings back to their state before it (approved), the batch marked undone; the
    files stay. Exit 0 undone; 2 refused (a newer batch holds its bookings, or it was undone already);
    3 cannot run (no such batch)."""
    with opened_store(False, passphrase_file) as (store, _factory):
        try:
            batch = export_uc.undo_batch(store, batch_id, operator_name(store), _now)
        except export_uc.BatchUndoRefused as err:
            click.echo(safe_display(str(err)))
            sys.exit(EXIT_NOT_EXPORTED)
        except (NotFound, StoreError) as err:
            raise CliError(str(err)) from None
        damaged = report_damage(store)
    click.echo(
        _("Batch {id} undone: {n} bookings are back in their state before it.").format(
            id=batch_id, n=batch.booking_count
        )
    )
    if damaged:
        sys.exit(EXIT_DAMAGED)


# -- clients profile ------------------------------------------------------------------------------------

PROFILE_LABELS: dict[str, str] = {
    "kind": N_("Taxpayer"),
    "full_name": N_("Full name"),
    "first_name": N_("First name"),
    "last_name": N_("Last name"),
    "birth_date": N_("Date of birth"),
    "email": N_("E-mail"),
    "phone": N_("Phone"),
    "tax_office_code": N_("Tax office code"),
    "ledger": N_("Ledger"),
    "country": N_("Country"),
    "voivodeship": N_("Voivodeship"),
    "county": N_("County"),
    "commune": N_("Commune"),
    "street": N_("Street"),
    "house_no": N_("House number"),
    "flat_no": N_("Flat number"),
    "city": N_("City"),
    "postcode": N_("Postcode"),
    "post_office": N_("Post office"),
}
VALUE_WORDS = {
    "company": N_("company (not a natural person)"),
    "person": N_("natural person"),
    "full": N_("full accounting (księgi rachunkowe)"),
    "kpir": N_("KPiR (podatkowa księga przychodów i rozchodów)"),
}


def profile_table(profile: TaxpayerProfile) -> str:
    rows = []
    for name, label in PROFILE_LABELS.items():
        value: Any = getattr(profile, name)
        if isinstance(value, date):
            text = value.isoformat()
        elif value is None or value == "":
            text = "—"
        else:
            text = _(VALUE_WORDS[value]) if value in VALUE_WORDS else str(value)
        rows.append((_(label), text))
    width = max(len(label) for label, _text in rows)
    return "\n".join(safe_display(f"{label.ljust(width)}  {text}") for label, text in rows)


def _text_option(name: str, help_text: str) -> Any:
    return click.option(f"--{name.replace('_', '-')}", name, default=None, help=help_text)


@click.command("profile")
@click.argument("client")
@click.option("--kind", type=click.Choice([k.value for k in TaxpayerKind]), help="company or person.")
@click.option("--ledger", type=click.Choice([x.value for x in Ledger]), default=None, help="full or kpir.")
@click.option("--tax-office", "tax_office_code", help="The tax office's 4-digit code (KodUrzedu).")
@click.option("--birth-date", default=None, help="A person's date of birth, YYYY-MM-DD (empty: none).")
@_text_option("full_name", "A company's full name (empty: the client's name).")
@_text_option("first_name", "A person's first name.")
@_text_option("last_name", "A person's last name.")
@_text_option("email", "E-mail address.")
@_text_option("phone", "Phone number.")
@_text_option("country", "Country code (PL).")
@_text_option("voivodeship", "Voivodeship.")
@_text_option("county", "County (powiat).")
@_text_option("commune", "Commune (gmina).")
@_text_option("street", "Street.")
@_text_option("house_no", "House number.")
@_text_option("flat_no", "Flat number.")
@_text_option("city", "City.")
@_text_option("postcode", "Postcode, 00-000.")
@_text_option("post_office", "Post office.")
@_PASSPHRASE_FILE
def client_profile_command(client: str, passphrase_file: Path | None, **given: str | None) -> None:
    """Show a client's taxpayer profile (what JPK headers and EDI++ need: tax office, e-mail, person or
    company, KPiR or full accounting, address), or change the fields given. Exit 0; 3 when a value is
    refused (nothing saved) or it cannot run."""
    changes: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    with opened_store(False, passphrase_file) as (store, _factory):
        (cid,) = resolve_clients(store, [client])
        profile = store.exports.profile(cid)
        if changes:
            if "kind" in changes:
                changes["kind"] = TaxpayerKind(changes["kind"])
            if "ledger" in changes:
                changes["ledger"] = Ledger(changes["ledger"])
            if "birth_date" in changes:
                raw = changes["birth_date"].strip()
                try:
                    changes["birth_date"] = date.fromisoformat(raw) if raw else None
                except ValueError:
                    raise CliError(_("The date of birth is written YYYY-MM-DD.")) from None
            try:
                profile = export_uc.save_profile(store, cid, _replace(profile, changes))
            except export_uc.ProfileError as err:
                raise CliError(_("{reason} Nothing was saved.").format(reason=err)) from None
        click.echo(profile_table(profile))
        damaged = report_damage(store)
    if damaged:
        sys.exit(EXIT_DAMAGED)


def _replace(profile: TaxpayerProfile, changes: dict[str, Any]) -> TaxpayerProfile:
    from dataclasses import replace

    return replace(profile, **changes)

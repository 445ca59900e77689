"""`ksef-tui office show|set`: the office profile without the TUI (issue 10 item 2)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ksef_tui.cli.common import EXIT_DAMAGED, CliError, opened_store, report_damage
from ksef_tui.core.display_text import json_dumps, safe_display
from ksef_tui.core.i18n import N_, _
from ksef_tui.core.nip import format_nip
from ksef_tui.sync.office import KEYS, OfficeProfile, OfficeSettingError, read_profile, set_value
from ksef_tui.sync.records import StoreProblem

LABELS = {
    "nip": N_("Office NIP"),
    "name": N_("Office name"),
    "environment": N_("Environment for new clients"),
    "upo_folder": N_("UPO folder"),
    "export_folder": N_("Export folder"),
    "red_days": N_("Red: days before expiry"),
    "yellow_days": N_("Yellow: days before expiry"),
    "check_stale_days": N_("Check is stale after (days)"),
    "sync_stale_days": N_("Sync is stale after (days)"),
    "idle_minutes": N_("Lock after idle (minutes)"),
}
_PASSPHRASE_FILE = click.option(
    "--passphrase-file", type=click.Path(exists=True, dir_okay=False, path_type=Path)
)


def effective(profile: OfficeProfile) -> dict[str, str | int]:
    """The values the app uses: the folders as paths (the default when none is set)."""
    values = profile.values()
    values["upo_folder"] = str(profile.upo_path())
    values["export_folder"] = str(profile.export_path())
    return values


def as_table(profile: OfficeProfile) -> str:
    values = effective(profile)
    if values["nip"]:
        values["nip"] = format_nip(str(values["nip"]))
    rows = [(key, _(LABELS[key]), safe_display(str(values[key]) or "—")) for key in KEYS]
    key_width = max(len(r[0]) for r in rows)
    label_width = max(len(r[1]) for r in rows)
    return "\n".join(f"{k.ljust(key_width)}  {label.ljust(label_width)}  {v}" for k, label, v in rows)


@click.group("office")
def office_group() -> None:
    """The office profile: NIP, name, default environment, folders, health thresholds, idle lock."""


@office_group.command("show")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table")
@_PASSPHRASE_FILE
def show_command(fmt: str, passphrase_file: Path | None) -> None:
    """Print the office profile (the folders as the app uses them). Exit 0, or 3 when it cannot run."""
    with opened_store(False, passphrase_file) as (store, _ksef):
        profile = read_profile(store)
        click.echo(json_dumps(effective(profile), indent=2) if fmt == "json" else as_table(profile))
        damaged = report_damage(store)  # like every headless command: listed on stderr, never exit 0
    if damaged:
        sys.exit(EXIT_DAMAGED)


@office_group.command("set")
@click.argument("key")
@click.argument("value")
@_PASSPHRASE_FILE
def set_command(key: str, value: str, passphrase_file: Path | None) -> None:
    """Set one value of the office profile. KEY is one of: nip, name, environment, upo_folder,
    export_folder, red_days, yellow_days, check_stale_days, idle_minutes. An empty folder means the
    default. Exit 0 when saved, 3 when the key or value is refused (nothing is saved)."""
    if key not in KEYS:
        raise CliError(_("Unknown setting {key}: use one of {keys}.").format(key=key, keys=", ".join(KEYS)))
    with opened_store(False, passphrase_file) as (store, _ksef):
        try:
            profile = set_value(store, key, value)
        except OfficeSettingError as err:
            raise CliError(_("{key}: {reason} Nothing was saved.").format(key=err.key, reason=err)) from None
        except StoreProblem as err:
            raise CliError(str(err)) from None
        shown = effective(profile)[key]
        click.echo(_("Saved: {key} = {value}").format(key=key, value=safe_display(str(shown)) or "—"))
        damaged = report_damage(store)
    if damaged:
        sys.exit(EXIT_DAMAGED)

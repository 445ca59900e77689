"""The office profile (issue 10 item 2): who the office is and how the app behaves for it.

Sealed in the store's settings like everything else: the profile under one key (`office.profile`), and
the UPO folder under the key the sessions screen has always used (`sync/upo.py` `UPO_FOLDER_SETTING`),
so that there is one UPO folder setting, not two. Both the settings screen and `ksef-tui office` call
these; every value is checked here (`parse_value`), with the reason in the user's language.

No textual here.
"""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from ksef_tui.core.health import HealthSettings
from ksef_tui.core.i18n import _
from ksef_tui.core.models import Environment
from ksef_tui.core.nip import InvalidNip, normalize_nip
from ksef_tui.core.operators import Action
from ksef_tui.core.safe_paths import default_upo_folder
from ksef_tui.store import DEFAULT_IDLE_TIMEOUT, Store, StoreError
from ksef_tui.sync.permissions import require
from ksef_tui.sync.records import StoreProblem
from ksef_tui.sync.upo import UPO_FOLDER_SETTING

PROFILE_SETTING = "office.profile"  # the store setting holding the profile (all but the UPO folder)
# The keys of `ksef-tui office set KEY VALUE`, in the order `office show` lists them.
KEYS = (
    "nip",
    "name",
    "environment",
    "upo_folder",
    "export_folder",
    "red_days",
    "yellow_days",
    "check_stale_days",
    "sync_stale_days",
    "idle_minutes",
)
NAME_MAX = 200  # as a client's name (core/client_form.py)
DAYS_MAX = 365
IDLE_MAX = 480  # 8 hours: a lock that never comes is no lock
_HEALTH = HealthSettings()


class OfficeSettingError(ValueError):
    """A value the profile cannot take; the message says why, in the user's language."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


@dataclass(frozen=True)
class OfficeProfile:
    nip: str = ""  # ten digits, or "" when not given
    name: str = ""
    environment: Environment = Environment.PROD  # the default for new clients
    upo_folder: str = ""  # "" = the default (~/KSeF/UPO)
    export_folder: str = ""  # "" = the default (~/KSeF/Eksport)
    red_days: int = _HEALTH.red_days
    yellow_days: int = _HEALTH.warn_days
    check_stale_days: int = _HEALTH.check_stale_days
    sync_stale_days: int = _HEALTH.sync_stale_days  # yellow when the last good sync is older
    idle_minutes: int = int(DEFAULT_IDLE_TIMEOUT.total_seconds() // 60)

    def health(self, base: HealthSettings = _HEALTH) -> HealthSettings:
        """`base` with this office's thresholds (the rest, such as the token sunset, kept)."""
        return dataclasses.replace(
            base,
            red_days=self.red_days,
            warn_days=self.yellow_days,
            check_stale_days=self.check_stale_days,
            sync_stale_days=self.sync_stale_days,
        )

    @property
    def idle_timeout(self) -> timedelta:
        return timedelta(minutes=self.idle_minutes)

    def upo_path(self) -> Path:
        return Path(self.upo_folder) if self.upo_folder else default_upo_folder()

    def export_path(self) -> Path:
        return Path(self.export_folder) if self.export_folder else default_export_folder()

    def values(self) -> dict[str, str | int]:
        """The profile as plain values (the environment by name), keyed as `KEYS`."""
        return {
            key: (value.value if isinstance(value, Environment) else value)
            for key, value in ((k, getattr(self, k)) for k in KEYS)
        }


def default_export_folder() -> Path:
    return Path.home() / "KSeF" / "Eksport"


# --- checking values ----------------------------------------------------------------------------------


def _days(key: str, raw: str, low: int, high: int) -> int:
    text = raw.strip()
    if not text.isascii() or not text.isdigit():
        raise OfficeSettingError(key, _("Enter a whole number of days."))
    value = int(text)
    if not low <= value <= high:
        raise OfficeSettingError(key, _("Enter a number from {low} to {high}.").format(low=low, high=high))
    return value


def _folder(key: str, raw: str) -> str:
    text = raw.strip()
    if not text:
        return ""  # back to the default
    if "\x00" in text or any(ord(ch) < 32 for ch in text):
        raise OfficeSettingError(key, _("The folder name contains control characters."))
    path = Path(text).expanduser()
    if not path.is_absolute():
        raise OfficeSettingError(key, _("Enter the full path of the folder (e.g. /home/biuro/KSeF/UPO)."))
    if path.exists() and not path.is_dir():
        raise OfficeSettingError(key, _("This is a file, not a folder."))
    return str(path)


def parse_value(key: str, raw: str) -> Any:
    """The value `raw` (as typed) gives `key`; OfficeSettingError saying why it cannot."""
    if key == "nip":
        if not raw.strip():
            return ""
        try:
            return normalize_nip(raw)
        except InvalidNip as err:
            raise OfficeSettingError(key, str(err)) from None
    if key == "name":
        name = " ".join(raw.split())
        if len(name) > NAME_MAX:
            raise OfficeSettingError(key, _("The name is too long (200 characters at most)."))
        return name
    if key == "environment":
        try:
            return Environment(raw.strip().lower())
        except ValueError:
            raise OfficeSettingError(key, _("The environment is one of: prod, test, demo.")) from None
    if key in ("upo_folder", "export_folder"):
        return _folder(key, raw)
    if key in ("red_days", "yellow_days"):
        return _days(key, raw, 0, DAYS_MAX)
    if key in ("check_stale_days", "sync_stale_days"):
        return _days(key, raw, 1, DAYS_MAX)
    if key == "idle_minutes":
        text = raw.strip()
        if not text.isascii() or not text.isdigit() or not 1 <= int(text) <= IDLE_MAX:
            raise OfficeSettingError(
                key, _("Enter a number of minutes from 1 to {high}.").format(high=IDLE_MAX)
            )
        return int(text)
    raise OfficeSettingError(
        key, _("Unknown setting {key}: use one of {keys}.").format(key=key, keys=", ".join(KEYS))
    )


def check_profile(profile: OfficeProfile) -> None:
    """What no single value shows: red must come before yellow."""
    if profile.red_days > profile.yellow_days:
        raise OfficeSettingError(
            "yellow_days",
            _("Yellow must start no later than red: yellow days at least {n}.").format(n=profile.red_days),
        )


def profile_from_values(values: dict[str, str]) -> OfficeProfile | dict[str, str]:
    """A profile from every field as typed (the settings screen), or {key: why} for each field refused."""
    parsed: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key in KEYS:
        try:
            parsed[key] = parse_value(key, values.get(key, ""))
        except OfficeSettingError as err:
            errors[key] = str(err)
    if "red_days" in parsed and "yellow_days" in parsed:
        try:
            check_profile(OfficeProfile(red_days=parsed["red_days"], yellow_days=parsed["yellow_days"]))
        except OfficeSettingError as err:
            errors[err.key] = str(err)
    if errors:
        return errors
    return OfficeProfile(**parsed)


def with_value(profile: OfficeProfile, key: str, raw: str) -> OfficeProfile:
    """`profile` with `key` set from `raw` (`ksef-tui office set`); OfficeSettingError saying why not."""
    changed = dataclasses.replace(profile, **{key: parse_value(key, raw)})
    check_profile(changed)
    return changed


# --- the store ----------------------------------------------------------------------------------------


def _stored(raw: object) -> dict[str, Any]:
    """The fields a stored profile gives; a value that no longer passes (a limit changed) is dropped, so
    the default stands for it."""
    fields: dict[str, Any] = {}
    if not isinstance(raw, dict):
        return fields
    for key in KEYS:
        if key in raw and key != "upo_folder":
            try:
                fields[key] = parse_value(key, str(raw[key]))
            except OfficeSettingError:
                continue
    return fields


def read_profile(store: Store) -> OfficeProfile:
    """The office profile (defaults where nothing was set). Blocking: call it from a thread, or use
    `load_office_profile`. A damaged value reads as its default and is listed in `store.damaged`."""
    fields = _stored(store.settings.get(PROFILE_SETTING))
    upo = store.settings.get(UPO_FOLDER_SETTING)
    if upo:
        fields["upo_folder"] = str(upo)
    profile = OfficeProfile(**fields)
    try:
        check_profile(profile)
    except OfficeSettingError:
        profile = dataclasses.replace(profile, red_days=_HEALTH.red_days, yellow_days=_HEALTH.warn_days)
    return profile


def write_profile(store: Store, profile: OfficeProfile) -> None:
    """Seal `profile` (checked first) and record the change in the audit trail (key names, no values).
    Blocking. StoreProblem when the store refuses."""
    require(store, Action.OFFICE)
    check_profile(profile)
    try:
        before = read_profile(store)
        values = profile.values()
        store.settings.set(PROFILE_SETTING, {k: v for k, v in values.items() if k != "upo_folder"})
        if profile.upo_folder:
            store.settings.set(UPO_FOLDER_SETTING, profile.upo_folder)
        else:
            store.settings.delete(UPO_FOLDER_SETTING)
        changed = [k for k, v in before.values().items() if values[k] != v]
        store.audit.append(None, "office.profile", "ok", ", ".join(changed))
    except StoreError as err:
        raise StoreProblem(str(err)) from None


def set_value(store: Store, key: str, raw: str) -> OfficeProfile:
    """Set one value of the stored profile from `raw`; the new profile. Blocking."""
    profile = with_value(read_profile(store), key, raw)
    write_profile(store, profile)
    return profile


async def load_office_profile(store: Store) -> OfficeProfile:
    return await asyncio.to_thread(read_profile, store)


async def save_office_profile(store: Store, profile: OfficeProfile) -> None:
    await asyncio.to_thread(write_profile, store, profile)

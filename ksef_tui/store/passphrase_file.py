"""Headless runs (`ksef-tui sync` from cron) unlock with a passphrase file the user points to."""

from __future__ import annotations

import stat
from pathlib import Path

from ksef_tui.core.i18n import _
from ksef_tui.store.errors import StoreError


def read_passphrase_file(path: Path) -> str:
    """The first line of `path`. Refused if other users could read it, like ssh refuses a loose key:
    a passphrase file readable by others is as good as no passphrase."""
    path = Path(path)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        text = path.read_text(encoding="utf-8")
    except OSError:
        raise StoreError(_("Cannot read the passphrase file.")) from None
    if mode & 0o077:
        raise StoreError(_("The passphrase file must be readable only by you (chmod 600)."))
    passphrase = text.splitlines()[0] if text else ""
    if not passphrase:
        raise StoreError(_("The passphrase file is empty."))
    return passphrase

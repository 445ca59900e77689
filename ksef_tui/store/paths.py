"""Where the store lives, and keeping that place private (folder 0700, files 0600)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

DB_FILENAME = "ksef-tui.db"
HOME_ENV = "KSEF_TUI_HOME"
FOLDER_MODE = 0o700
FILE_MODE = 0o600


def default_home() -> Path:
    """`$KSEF_TUI_HOME`, else `$XDG_DATA_HOME/ksef-tui`, else `~/.local/share/ksef-tui`."""
    explicit = os.environ.get(HOME_ENV)
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_DATA_HOME")
    # The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored.
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "share"
    return base / "ksef-tui"


def ensure_private_folder(home: Path) -> None:
    """Create `home` (and parents) and make it 0700, so other local users cannot even list it."""
    home.mkdir(parents=True, exist_ok=True, mode=FOLDER_MODE)
    _tighten(home, FOLDER_MODE)


def create_private_file(path: Path) -> None:
    """Create an empty 0600 file; fails if it exists, so we never adopt a file someone planted."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    os.close(fd)
    _tighten(path, FILE_MODE)  # the umask may have removed bits, never added them; be exact anyway


def tighten_existing(home: Path) -> None:
    """Repair modes loosened after creation (a copy, a restore from backup); only chmod when needed,
    so opening a healthy store changes nothing on disk, not even the ctime."""
    _tighten(home, FOLDER_MODE)
    for suffix in ("", "-wal", "-shm"):
        path = home / (DB_FILENAME + suffix)
        if path.exists():
            _tighten(path, FILE_MODE)


def _tighten(path: Path, mode: int) -> None:
    if stat.S_IMODE(path.stat().st_mode) != mode:
        path.chmod(mode)

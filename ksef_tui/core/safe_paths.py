"""Files the app writes outside the store (UPO copies): safe names, and private, race-free writing.

Names: nothing from KSeF or the user may climb out of the folder, hide itself, or be a name Windows
refuses. Writing (`write_private_file`, docs/SECURITY.md "Files outside the store"): folders 0700 and
files 0600 whatever the umask; no folder below the root and no file is ever reached through a symlink
(each level is opened with O_NOFOLLOW relative to its parent's descriptor); the content goes into a
fresh temporary file created exclusively (O_EXCL|O_NOFOLLOW, a random name) in the target folder and
replaces the file atomically with os.replace, so a link planted at the temporary or the final name
never redirects the write.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import stat
import tempfile
import unicodedata
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from ksef_tui.core.i18n import _

FOLDER_MODE = 0o700
FILE_MODE = 0o600

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")
_WINDOWS_RESERVED = {
    "CON",
    "PRN",
    "AUX",
    "NUL",
    *(f"COM{i}" for i in range(1, 10)),
    *(f"LPT{i}" for i in range(1, 10)),
}
MAX_COMPONENT = 120
_NO_DECOMPOSITION = str.maketrans({"Ł": "L", "ł": "l"})  # NFKD leaves these whole


def safe_component(text: str, fallback: str = "_") -> str:
    """One path component: ASCII letters, digits, `.`, `_` and `-` only; no leading dot; never empty,
    `.` or `..`; not a reserved Windows device name; at most 120 characters."""
    ascii_text = (
        unicodedata.normalize("NFKD", (text or "").translate(_NO_DECOMPOSITION))
        .encode("ascii", "ignore")
        .decode("ascii")
    )
    cleaned = _UNSAFE.sub("_", ascii_text).strip("._ ")
    cleaned = cleaned[:MAX_COMPONENT].rstrip("._ ")
    if not cleaned:
        cleaned = fallback
    if cleaned.split(".")[0].upper() in _WINDOWS_RESERVED:
        cleaned = "_" + cleaned
    return cleaned


def upo_parts(short_code: str, when: datetime | None, reference: str, page: int = 1) -> tuple[str, str, str]:
    """(`<short code>`, `<YYYY-MM>`, `<reference>.xml`) (a later page: `<reference>-p2.xml`)."""
    month = f"{when:%Y-%m}" if when is not None else "unknown-date"
    name = safe_component(reference, "upo")
    if page > 1:
        name = f"{name}-p{page}"
    return safe_component(short_code, "client"), month, f"{name}.xml"


def upo_path(root: Path, short_code: str, when: datetime | None, reference: str, page: int = 1) -> Path:
    """`<root>/<short code>/<YYYY-MM>/<reference>.xml` (a later page: `<reference>-p2.xml`)."""
    return Path(root).joinpath(*upo_parts(short_code, when, reference, page))


def default_upo_folder() -> Path:
    return Path.home() / "KSeF" / "UPO"


class UnsafeFolder(OSError):
    """A folder on the way to a file is a link, not a folder, or another user's: nothing was written."""


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_BINARY = getattr(os, "O_BINARY", 0)
# Descriptor-relative calls (POSIX): what makes the walk immune to links swapped in along the way.
_DIR_FD = _NOFOLLOW != 0 and {os.open, os.mkdir, os.rename, os.unlink} <= os.supports_dir_fd


def _owned(st: os.stat_result) -> bool:
    return not hasattr(os, "geteuid") or st.st_uid == os.geteuid()


def ensure_private_root(root: Path) -> Path:
    """Create `root` and its missing parents 0700 (an existing folder is left as the user set it)."""
    root = Path(root)
    missing: list[Path] = []
    probe = root
    while not probe.exists() and not probe.is_symlink() and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=FOLDER_MODE)
        except FileExistsError:
            continue  # made meanwhile by someone else: checked below like any existing folder
        os.chmod(folder, FOLDER_MODE)  # the umask may have taken bits away; be exact
    if not root.is_dir():
        raise UnsafeFolder(_("{path} is not a folder; nothing was written there.").format(path=root))
    return root


def write_private_file(root: Path, parts: Sequence[str], content: bytes) -> Path:
    """Write `content` to `root/parts[0]/.../parts[-1]`: folders below `root` 0700, the file 0600,
    atomically, never through a symlink (see the module docstring). Returns the file's path.

    `root` itself is the user's choice and may be a link (e.g. to another disk); it is created 0700
    when missing. Raises UnsafeFolder (an OSError) when a folder below it is a link, not a folder, or
    owned by another user; the message names the folder, never the content."""
    if not parts:
        raise ValueError("write_private_file needs at least a file name")
    for part in parts:
        if part in ("", ".", "..") or "/" in part or os.sep in part or (os.altsep and os.altsep in part):
            raise ValueError(f"unsafe path component: {part!r}")
    root = ensure_private_root(Path(root))
    if not _DIR_FD:  # pragma: no cover - Windows: no descriptor-relative calls
        return _write_by_path(root, parts, content)
    folders, name = parts[:-1], parts[-1]
    where = root
    fd = os.open(root, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
    try:
        for folder in folders:
            where = where / folder
            with contextlib.suppress(FileExistsError):
                os.mkdir(folder, FOLDER_MODE, dir_fd=fd)
            try:
                child = os.open(folder, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC, dir_fd=fd)
            except OSError:
                raise UnsafeFolder(
                    _("{path} is a link or not a folder; nothing was written there.").format(path=where)
                ) from None
            os.close(fd)
            fd = child
            _make_private(fd, where)
        _write_at(fd, name, content)
    finally:
        os.close(fd)
    return where / name


def _make_private(fd: int, where: Path) -> None:
    st = os.fstat(fd)
    if not _owned(st):
        raise UnsafeFolder(_("{path} belongs to another user; nothing was written there.").format(path=where))
    if stat.S_IMODE(st.st_mode) != FOLDER_MODE:
        os.fchmod(fd, FOLDER_MODE)  # new (umask) or made by an older version with 0755


def _write_at(dir_fd: int, name: str, content: bytes) -> None:
    for _attempt in range(16):
        tmp = f".{name}.{secrets.token_hex(8)}.part"
        try:
            fd = os.open(
                tmp,
                os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC | _BINARY,
                FILE_MODE,
                dir_fd=dir_fd,
            )
        except FileExistsError:
            continue
        break
    else:  # pragma: no cover - 16 collisions of 64 random bits
        raise FileExistsError(name)
    try:
        try:
            os.fchmod(fd, FILE_MODE)
            view = memoryview(content)
            while view:
                view = view[os.write(fd, view) :]
            os.fsync(fd)
        finally:
            os.close(fd)
        # rename() replaces a link at `name` itself, never what it points to.
        os.rename(tmp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp, dir_fd=dir_fd)
        raise
    with contextlib.suppress(OSError):  # some file systems refuse fsync on folders
        os.fsync(dir_fd)  # the rename itself survives a crash


def _write_by_path(root: Path, parts: Sequence[str], content: bytes) -> Path:  # pragma: no cover
    """The same without descriptor-relative calls: refuse links by checking each level, then
    mkstemp (exclusive, random name) in the target folder and os.replace."""
    where = root
    for folder in parts[:-1]:
        where = where / folder
        with contextlib.suppress(FileExistsError):
            where.mkdir(mode=FOLDER_MODE)
        if where.is_symlink() or not where.is_dir():
            raise UnsafeFolder(
                _("{path} is a link or not a folder; nothing was written there.").format(path=where)
            )
        os.chmod(where, FOLDER_MODE)
    target = where / parts[-1]
    fd, tmp = tempfile.mkstemp(prefix=f".{parts[-1]}.", suffix=".part", dir=where)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(content)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target

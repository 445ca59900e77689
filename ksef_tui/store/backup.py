"""Backups of the sealed store, and restoring one (issue 17 item 10; docs/SECURITY.md "Backups").

Copying only the `.db` of a running store loses whatever is still in its WAL. A backup here is taken
with SQLite's online backup API: one consistent snapshot, taken while other processes keep reading and
writing, written to a new 0600 file as a single self-contained database (rollback journal, no -wal).
It stays sealed exactly like the store: it opens with the passphrase the store had when it was taken.

Restoring copies the backup into a private staging folder beside the store, opens it there with the
passphrase (which proves it is a ksef-tui store, undamaged enough to unlock, and migrates it), and only
then puts it in place. The store it replaces is kept as `ksef-tui.db.before-restore-<UTC time>` (0600).
A store another process has open is never replaced: its keys are in that process's memory, and it would
go on writing under them into the restored file.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path

from ksef_tui.core.clock import Clock, system_clock
from ksef_tui.core.i18n import _
from ksef_tui.store.database import SQLITE_MAGIC, unreadable
from ksef_tui.store.errors import StoreDamaged, StoreError, StoreInUse
from ksef_tui.store.paths import DB_FILENAME, FILE_MODE, FOLDER_MODE, ensure_private_folder
from ksef_tui.store.store import Store

SIDE_COPY_MARK = ".before-restore-"


@dataclass(frozen=True)
class RestoreResult:
    clients: int  # how many clients the restored store holds
    side_copy: Path | None  # the store it replaced, kept aside; None when there was none


# -- backup ---------------------------------------------------------------------------------------------


def backup_store(store: Store, target: Path, *, overwrite: bool = False) -> None:
    """Write a consistent, sealed copy of `store` to `target` (0600). Refuses an existing `target`
    unless `overwrite`; even then the old file is replaced only once the new one is complete."""
    target = Path(target)
    if target.is_dir():
        raise StoreError(_("{path} is a folder; name the backup file.").format(path=target))
    if (target.exists() or target.is_symlink()) and not overwrite:
        raise StoreError(_("{path} already exists; add --force to replace it.").format(path=target))
    if not target.parent.is_dir():
        raise StoreError(_("The folder {path} does not exist.").format(path=target.parent))
    if target.resolve() == Path(store.db_path).resolve():
        raise StoreError(_("A backup cannot be written over the store itself."))
    part = _private_file(target.parent, f".{target.name}.", ".part")
    try:
        dest = sqlite3.connect(str(part), isolation_level=None)
        try:
            store.copy_to(dest)
            # One self-contained file: a backup must not depend on a -wal beside it.
            dest.execute("PRAGMA journal_mode = DELETE")
            if dest.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise StoreError(_("The backup could not be verified; nothing was written."))
        finally:
            dest.close()
        _fsync(part)
        _put_in_place(part, target, overwrite=overwrite)
        _fsync_folder(target.parent)
    finally:
        with suppress(FileNotFoundError):
            part.unlink()


# -- restore --------------------------------------------------------------------------------------------


def restore_store(home: Path, source: Path, passphrase: str, *, clock: Clock = system_clock) -> RestoreResult:
    """Replace the store in `home` (or create it) with the backup `source`. StoreError, with nothing
    changed, when `source` is not a ksef-tui store, is damaged, the passphrase does not open it, or
    another process has the store open."""
    home, source = Path(home), Path(source)
    live = home / DB_FILENAME
    if not source.is_file():
        raise StoreError(_("There is no backup file at {path}.").format(path=source))
    if live.exists() and source.resolve() == live.resolve():
        raise StoreError(_("That file is the store itself, not a backup."))
    _require_sqlite_header(source)
    if not home.exists():
        ensure_private_folder(home)
    staging = home / f".restore-{secrets.token_hex(6)}"
    staging.mkdir(mode=FOLDER_MODE)
    try:
        staged = staging / DB_FILENAME
        _copy_backup(source, staged)
        try:
            candidate = Store.open(staging, passphrase, clock=clock)  # proves it; migrates the copy
        except StoreDamaged:
            raise StoreError(_("The backup file is damaged and cannot be restored.")) from None
        try:
            if not candidate.integrity_check():
                raise StoreError(_("The backup file is damaged and cannot be restored."))
            clients = candidate.count_clients()
            candidate.audit.append(None, "store_restored", "ok")
        finally:
            candidate.close()
        for suffix in ("-wal", "-shm"):  # closed by its last connection: none should remain
            with suppress(FileNotFoundError):
                (staging / (DB_FILENAME + suffix)).unlink()
        side_copy = _replace_live(live, staged, clock) if live.exists() else None
        if side_copy is None:
            _put_first(staged, live)
        _fsync_folder(home)
        return RestoreResult(clients, side_copy)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _require_sqlite_header(source: Path) -> None:
    try:
        with source.open("rb") as fh:
            header = fh.read(len(SQLITE_MAGIC))
    except OSError:
        raise StoreError(_("Cannot read the backup file {path}.").format(path=source)) from None
    if header != SQLITE_MAGIC:
        raise StoreError(_("This file is not a ksef-tui store."))


def _copy_backup(source: Path, staged: Path) -> None:
    """The backup, copied through SQLite read-only (so a -wal beside it is included and the file itself
    is never written), into a new private file."""
    _create_exclusive(staged)
    src = dst = None
    try:
        src = sqlite3.connect(source.resolve().as_uri() + "?mode=ro", uri=True, isolation_level=None)
        dst = sqlite3.connect(str(staged), isolation_level=None)
        src.backup(dst)
    except sqlite3.DatabaseError as exc:
        problem = unreadable(exc)
        if isinstance(problem, StoreDamaged):
            raise StoreError(_("The backup file is damaged and cannot be restored.")) from None
        raise problem from None
    finally:
        for conn in (dst, src):
            if conn is not None:
                conn.close()


def _replace_live(live: Path, staged: Path, clock: Clock) -> Path:
    """Keep the current store aside, then put `staged` in its place; returns the side copy's path.

    An exclusive lock on the live database proves no other process has it open (in WAL mode every open
    connection holds a shared lock) and keeps anyone from opening it until it is replaced. A live file
    SQLite cannot read at all (the usual reason to restore) cannot be locked; it is set aside as bytes.
    """
    holder = sqlite3.connect(str(live), isolation_level=None, timeout=0)
    try:
        try:
            holder.execute("PRAGMA locking_mode = EXCLUSIVE")
            holder.execute("BEGIN EXCLUSIVE")
            holder.execute("SELECT count(*) FROM sqlite_master").fetchone()
            holder.execute("COMMIT")  # the lock stays: locking_mode = EXCLUSIVE
        except sqlite3.DatabaseError as exc:
            if _is_busy(exc):
                raise StoreInUse from None
            if not (isinstance(unreadable(exc), StoreDamaged) or _is_not_a_database(exc)):
                raise unreadable(exc) from None
            holder.close()
            return _replace_unreadable(live, staged, clock)
        side = _side_copy_path(live, clock)
        copy = sqlite3.connect(str(side), isolation_level=None)
        try:
            holder.backup(copy)
            copy.execute("PRAGMA journal_mode = DELETE")
        finally:
            copy.close()
        _fsync(side)
        # Fold the WAL into the old file and delete it: a stale -wal must never meet the new database.
        holder.execute("PRAGMA journal_mode = DELETE")
        # A -shm left behind is harmless: the next opener is the only one and rebuilds it.
        os.replace(staged, live)
        return side
    finally:
        holder.close()


def _replace_unreadable(live: Path, staged: Path, clock: Clock) -> Path:
    side = _side_copy_path(live, clock)
    _copy_bytes(live, side)
    wal = live.parent / (DB_FILENAME + "-wal")
    if wal.exists() and wal.stat().st_size:
        side_wal = side.parent / (side.name + "-wal")
        _create_exclusive(side_wal)
        _copy_bytes(wal, side_wal)
    for suffix in ("-wal", "-shm"):
        with suppress(FileNotFoundError):
            (live.parent / (DB_FILENAME + suffix)).unlink()
    os.replace(staged, live)
    return side


def _put_first(staged: Path, live: Path) -> None:
    """No store yet: put the restored one in place, never over a file that appeared meanwhile."""
    for suffix in ("-wal", "-shm"):  # leftovers without a database belong to nothing
        with suppress(FileNotFoundError):
            (live.parent / (DB_FILENAME + suffix)).unlink()
    _put_in_place(staged, live, overwrite=False)


def _is_busy(exc: sqlite3.DatabaseError) -> bool:
    return str(getattr(exc, "sqlite_errorname", "")).startswith(("SQLITE_BUSY", "SQLITE_LOCKED"))


def _is_not_a_database(exc: sqlite3.DatabaseError) -> bool:
    return getattr(exc, "sqlite_errorname", "") == "SQLITE_NOTADB"


# -- files ----------------------------------------------------------------------------------------------


def _side_copy_path(live: Path, clock: Clock) -> Path:
    moment = clock()
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    stamp = moment.strftime("%Y%m%dT%H%M%SZ")
    base = live.parent / f"{live.name}{SIDE_COPY_MARK}{stamp}"
    for n in range(1, 1000):
        path = base if n == 1 else base.with_name(f"{base.name}-{n}")
        try:
            _create_exclusive(path)
        except FileExistsError:
            continue
        return path
    raise StoreError(_("Too many earlier side copies beside the store; move some away."))


def _private_file(folder: Path, prefix: str, suffix: str) -> Path:
    while True:
        path = folder / f"{prefix}{secrets.token_hex(6)}{suffix}"
        try:
            _create_exclusive(path)
        except FileExistsError:
            continue
        return path


def _create_exclusive(path: Path) -> None:
    """A new, empty 0600 file; never follows a planted symlink, never adopts an existing file."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, FILE_MODE)
    try:
        os.fchmod(fd, FILE_MODE)  # exact, whatever the umask
    finally:
        os.close(fd)


def _copy_bytes(src: Path, dst: Path) -> None:
    """Into `dst`, already created 0600 by _create_exclusive (opened without following symlinks)."""
    fd = os.open(dst, os.O_WRONLY | os.O_TRUNC | os.O_NOFOLLOW)
    with os.fdopen(fd, "wb") as out, src.open("rb") as inp:
        shutil.copyfileobj(inp, out)
        out.flush()
        os.fsync(out.fileno())


def _put_in_place(part: Path, target: Path, *, overwrite: bool) -> None:
    if overwrite:
        os.replace(part, target)  # replaces a symlink itself, never the file it points to
        return
    try:
        os.link(part, target)  # atomic and exclusive: fails if the name exists (a symlink included)
    except FileExistsError:
        raise StoreError(_("{path} already exists; add --force to replace it.").format(path=target)) from None
    except OSError:
        # No hard links here (a FAT-formatted USB stick): claim the name exclusively, then move in.
        _create_exclusive(target)
        os.replace(part, target)
        return
    part.unlink()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    with suppress(OSError):  # not every platform or filesystem lets a folder be fsynced
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

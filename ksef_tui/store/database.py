"""The SQLite connection: WAL, busy timeout, foreign keys, and explicit IMMEDIATE write transactions."""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ksef_tui.core.i18n import _
from ksef_tui.store.errors import StoreBusy, StoreDamaged, StoreError

if TYPE_CHECKING:
    from sqlite_utils import Database

BUSY_TIMEOUT_MS = 15_000
SQLITE_MAGIC = b"SQLite format 3\x00"


class Connection:
    """The store's SQLite connection with the one convenience its queries use besides `execute`.

    sqlite-utils creates and migrates the schema (`schema_tools`); importing it costs ~50 ms, so an
    up-to-date store is opened without it, which keeps that off every start of the app.
    """

    __slots__ = ("conn",)

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, parameters: Any = ()) -> sqlite3.Cursor:
        return self.conn.execute(sql, parameters)

    def table_names(self) -> list[str]:
        rows = self.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
        return [row[0] for row in rows]

    def close(self) -> None:
        self.conn.close()


def schema_tools(db: Connection) -> Database:
    """sqlite-utils on the same connection, for creating and migrating the schema."""
    # deferred: sqlite-utils, ~275 ms (python -X importtime, on top of `ksef_tui.cli`, median of 5 runs),
    # is needed only to create or migrate a store, never by `status` on an up-to-date one.
    from sqlite_utils import Database

    return Database(db.conn, execute_plugins=False)


def connect(path: Path) -> Connection:
    # isolation_level=None: the driver opens no implicit transactions, so the BEGIN IMMEDIATE below is
    # the only way a write starts (sqlite-utils nests its own writes as savepoints inside it).
    # check_same_thread=False: the TUI calls the store from worker threads; Store serialises calls.
    conn = sqlite3.connect(
        str(path), isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000
    )
    db = Connection(conn)
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    db.execute("PRAGMA foreign_keys = ON")
    # Deleted rows (a removed client) are overwritten with zeros rather than left in free pages.
    db.execute("PRAGMA secure_delete = ON")
    # FULL: a credential the user typed in once must survive a power cut right after "saved".
    db.execute("PRAGMA synchronous = FULL")
    db.execute("PRAGMA trusted_schema = OFF")
    return db


def unreadable(exc: sqlite3.DatabaseError) -> StoreError:
    """What to tell the user when SQLite refuses to read a store file."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    if name == "SQLITE_NOTADB":
        return StoreError(_("This file is not a ksef-tui store."))
    if name in ("SQLITE_BUSY", "SQLITE_LOCKED") or name.startswith("SQLITE_BUSY_"):
        return StoreBusy()
    if name.startswith("SQLITE_CORRUPT") or name == "SQLITE_IOERR_SHORT_READ" or not name:
        return StoreDamaged()
    return StoreError(_("The store file cannot be read ({reason}).").format(reason=name))


def looks_truncated(db: Connection, path: Path) -> bool:
    """The file is shorter than the pages SQLite says the database has. SQLite itself only notices when
    it reaches a missing page, which may be long after opening. Asked through SQLite, never by opening
    the file: closing any descriptor of it would drop every POSIX lock this process holds on it (SQLite's
    included). Only conclusive while the WAL is empty (pages may live only in the WAL), and a commit or
    checkpoint elsewhere can show the same for a moment, so callers confirm with quick_check_ok()."""
    pages = int(db.execute("PRAGMA page_count").fetchone()[0])
    page_size = int(db.execute("PRAGMA page_size").fetchone()[0])
    wal = path.with_name(path.name + "-wal")
    if wal.exists() and wal.stat().st_size > 0:
        return False
    return path.stat().st_size < pages * page_size


def quick_check_ok(db: Connection) -> bool:
    """SQLite's own structural check (reads every page; no writes)."""
    try:
        return db.execute("PRAGMA quick_check").fetchone()[0] == "ok"
    except sqlite3.DatabaseError as exc:
        if isinstance(unreadable(exc), StoreDamaged):
            return False
        raise


def ensure_wal(db: Connection) -> None:
    """WAL unless it already is (asking is a read; switching is a write, done only once unlocked)."""
    if str(db.execute("PRAGMA journal_mode").fetchone()[0]).lower() != "wal":
        db.execute("PRAGMA journal_mode = WAL")


def checkpoint(db: Connection) -> None:
    """Copy the WAL into the database file and empty it, so the .db alone holds everything (someone
    copying just the .db must not lose the tail). Best effort: without waiting, since other processes
    reading or writing keep their frames, and they checkpoint when they close."""
    try:
        db.execute("PRAGMA busy_timeout = 0")
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
    except sqlite3.Error:
        pass
    finally:
        with contextlib.suppress(sqlite3.Error):
            db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")


@contextmanager
def write_transaction(db: Connection) -> Iterator[Connection]:
    """BEGIN IMMEDIATE takes the write lock up front, so two processes never both read-then-write
    on a stale snapshot (which in WAL mode would fail with SQLITE_BUSY_SNAPSHOT mid-way)."""
    try:
        db.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise StoreBusy from None
        raise
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.execute("ROLLBACK")
        raise
    else:
        db.execute("COMMIT")


@contextmanager
def read_snapshot(db: Connection) -> Iterator[Connection]:
    """One consistent view across several SELECTs (the board reads five tables)."""
    if db.conn.in_transaction:
        yield db
        return
    db.execute("BEGIN")
    try:
        yield db
    finally:
        if db.conn.in_transaction:
            db.execute("COMMIT")


def next_id(db: Connection, table: str) -> int:
    """The id the next row of `table` will get. Only valid inside a write transaction (we hold the
    write lock, so nobody else can take it). Sealing needs the row id before the INSERT, because the
    id is part of the associated data. AUTOINCREMENT's sqlite_sequence means a deleted client's id is
    never reused, so an old audit entry cannot be mistaken for a new client's."""
    row = db.execute(
        f"SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = ?), 0),"
        f" coalesce((SELECT max(id) FROM [{table}]), 0)) + 1",
        [table],
    ).fetchone()
    return int(row[0])

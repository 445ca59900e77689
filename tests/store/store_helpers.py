"""Helpers shared by the store tests (and importable by spawned processes)."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ksef_tui.core.models import CheckOutcome, Client, Credential, CredentialKind, Environment, LiveCheck
from ksef_tui.core.nip import checksum_digit

PASSPHRASE = "Żółta łódź 2026!"
FIXED_NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def nip(n: int) -> str:
    """A checksum-valid NIP derived from n (distinct for distinct n < 10**6)."""
    base = 123_000_000 + n * 20  # [1:3] never "00"; at most a few steps forward, always < 20
    while True:
        first_nine = str(base)
        if first_nine[1:3] != "00":
            digit = checksum_digit(first_nine)
            if digit is not None:
                return first_nine + str(digit)
        base += 1


def client(n: int, *, prefix: str = "K") -> Client:
    return Client(
        name=f"Przedsiębiorstwo Źródło {prefix}{n} Sp. z o.o.",
        short_code=f"{prefix}{n:05d}",
        nips=[nip(n + (ord(prefix) - ord("K")) * 10_000)],  # distinct per prefix
        environment=Environment.TEST,
        notes=f"notatka {prefix}{n}: księgowość od stycznia",
    )


def token_for(client_id: int, n: int) -> Credential:
    return Credential(
        client_id=client_id,
        kind=CredentialKind.KSEF_TOKEN,
        secret=f"20251010-EC-2B0C8AB000-4A3D8E9C3B-8D|nip-{n:010d}|sekretnytoken{n:06d}abcdef",
        reference="20251010-EC-2B0C8AB000-4A3D8E9C3B-8D",
        permissions=frozenset({"InvoiceRead", "InvoiceWrite"}),
        valid_until=datetime(2026, 12, 31, tzinfo=UTC),
        label=f"token {n}",
    )


def ok_check(client_id: int, credential_id: int, at: datetime) -> LiveCheck:
    return LiveCheck(
        client_id=client_id,
        checked_at=at,
        outcome=CheckOutcome.OK,
        credential_id=credential_id,
        permissions=frozenset({"InvoiceRead"}),
        message="uwierzytelniono",
    )


def raw(db_path: Path) -> sqlite3.Connection:
    """A plain connection for poking at the file the way an attacker with the file would."""
    conn = sqlite3.connect(db_path, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 5000")
    return conn


def add_clients_worker(home: str, prefix: str, count: int, in_step: Any = None) -> int:
    """Run in a separate process: open the shared store and add `count` clients with a token each.
    `in_step` (a multiprocessing Barrier shared with the other writer) starts every write of both
    processes at the same moment: they contend for SQLite's write lock on each one (the busy handler
    at work) and, whatever the machine's load, the writes interleave; no sleeping to make room."""
    from ksef_tui.store import Store

    store = Store.open(Path(home), PASSPHRASE)
    try:
        for n in range(count):
            if in_step is not None:
                in_step.wait()
            added = store.clients.add(client(n, prefix=prefix))
            assert added.id is not None
            store.credentials.add(token_for(added.id, n))
        return count
    finally:
        store.close()


def append_audit_worker(home: str, name: str, count: int, in_step: Any = None) -> int:
    """Run in a separate process: append `count` audit entries ("test.append", detail name+n), each write
    started at the same moment as the other writer's (see add_clients_worker)."""
    from ksef_tui.store import Store

    store = Store.open(Path(home), PASSPHRASE)
    try:
        for n in range(count):
            if in_step is not None:
                in_step.wait()
            store.audit.append(None, "test.append", "ok", f"{name}{n}")
        return count
    finally:
        store.close()


def keep_adding_clients_worker(home: str, prefix: str, started: Any, stop: Any) -> int:
    """Run in a separate process: add clients (with a token each) until `stop` is set; `started` is set
    once five are in, so the caller acts while this process is mid-way through its writes."""
    from ksef_tui.store import Store

    store = Store.open(Path(home), PASSPHRASE)
    n = 0
    try:
        while not stop.is_set() and n < 5_000:
            added = store.clients.add(client(n, prefix=prefix))
            assert added.id is not None
            store.credentials.add(token_for(added.id, n))
            n += 1
            if n == 5:
                started.set()
        return n
    finally:
        started.set()  # never leave the caller waiting, even if a write failed
        store.close()


def hold_store_worker(home: str, opened: Any, release: Any) -> None:
    """Run in a separate process: keep the store open (as a running ksef-tui does) until `release`."""
    from ksef_tui.store import Store

    store = Store.open(Path(home), PASSPHRASE)
    try:
        store.clients.list()
        opened.set()
        release.wait(120)
    finally:
        opened.set()
        store.close()

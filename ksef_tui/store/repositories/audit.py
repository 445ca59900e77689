"""The audit trail: who, when, which client, what, and the result; sealed like everything else, and
hash-chained (store/audit_chain.py) so that a deleted, altered or moved entry is found by `verify()`.

Entries about a client are sealed under that client's key (an operator limited to some clients can
later read exactly their trail). When a client is removed, its entries are re-sealed under the office
data key first, so the trail outlives the client and its destroyed key. Offboarding redacts them:
each entry's detail is replaced by a tombstone that keeps the detail's digest, so the chain still
verifies (docs/SECURITY.md "The audit chain").

Every entry is written by `write_entries`, inside the caller's write transaction: SQLite's write lock
(BEGIN IMMEDIATE) serialises appends across threads and processes, so each entry links to the one
before it and the chain stays linear.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum
from typing import Any

from ksef_tui.store.audit_chain import GENESIS, body_digest, chain_key, detail_digest, link
from ksef_tui.store.database import next_id
from ksef_tui.store.repositories.base import Repository
from ksef_tui.store.sealing import SealBroken, SecretKey, associated_data, unseal
from ksef_tui.store.vault import RowWriter, Vault, damaged_text, from_iso, to_iso

TABLE = "audit_log"
_FIELDS = ("operator", "action", "result", "detail")
_COLUMNS = "id, at, client_id, slot_id, sealed_by, operator, action, result, detail"
CHAIN_STARTED = "audit.chain_started"  # written once, when the entries before the chain are chained
_DAMAGED = object()  # a sealed value that did not open


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    operator: str
    client_id: int | None
    action: str
    result: str
    detail: str = ""
    damaged: bool = False
    redacted: bool = False  # the detail is an offboarding tombstone's summary


class BreakKind(Enum):
    DELETED = "deleted"  # entries are missing before `entry_id` (or after the last one)
    ALTERED = "altered"  # the entry at `entry_id` was changed (a plaintext column, its sealed body, digest)
    MOVED = "moved"  # the entry at `entry_id` was written as entry `original_id`
    REWRITTEN = "rewritten"  # the chain verifies, but not through the digest noted for `entry_id`


@dataclass(frozen=True)
class ChainBreak:
    entry_id: int
    kind: BreakKind
    original_id: int | None = None  # MOVED: the id the entry was written under
    next_id: int | None = None  # DELETED: the first entry still there after the gap (None: the tail)


@dataclass(frozen=True)
class ChainReport:
    entries: int  # entries checked before the break (all of them when intact)
    last_id: int | None  # the last entry that verified
    last_digest: str  # its digest, hex: an office notes it outside the file (docs/SECURITY.md)
    redacted: int  # tombstones accepted on the way
    broken: ChainBreak | None = None

    @property
    def intact(self) -> bool:
        return self.broken is None


@dataclass(frozen=True)
class AuditFilter:
    """What the office-wide audit shows. Every part optional; all given parts must match."""

    client_ids: frozenset[int] | None = None  # None: every client and the office's own entries
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive
    operator: str = ""  # case-insensitive part of the operator's name
    action: str = ""  # case-insensitive prefix of the action id ("booking." ...)

    def matches_sealed(self, operator: str, action: str) -> bool:
        if self.operator and self.operator.casefold() not in operator.casefold():
            return False
        return not self.action or action.casefold().startswith(self.action.casefold())


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    next_before: int | None  # pass as `before_id` for the next (older) page; None: nothing older


class AuditRepository(Repository):
    def append(self, client_id: int | None, action: str, result: str, detail: str = "") -> AuditEntry:
        with self._sessions._writing() as vault:
            return append_entry(vault, client_id, action, result, detail)

    def list(self, client_id: int | None = None, limit: int = 100) -> list[AuditEntry]:
        """Newest first; `client_id=None` lists every entry, office-level ones included."""
        with self._sessions._reading() as vault:
            scope, params = vault.scope()  # an operator reads the office's and the assigned clients' entries
            where = f"WHERE (client_id IS NULL OR {scope})"
            if client_id is not None:
                where, params = f"{where} AND client_id = ?", [*params, client_id]
            rows = vault.db.execute(
                f"SELECT {_COLUMNS} FROM {TABLE} {where} ORDER BY id DESC LIMIT ?",
                [*params, limit],
            ).fetchall()
            return [_entry(vault, row) for row in rows]

    def page(self, where: AuditFilter, before_id: int | None = None, limit: int = 50) -> AuditPage:
        """Up to `limit` entries older than `before_id` (newest first) that match. Client and period
        filter in SQL; operator and action are sealed, so they are matched after opening, scanning on
        in chunks until the page is full or the log ends."""
        with self._sessions._reading() as vault:
            return _page(vault, where, before_id, limit)

    def verify(self, anchor: tuple[int, str] | None = None) -> ChainReport:
        """Walk the chain from the first entry; the first broken place, if any (see module doc).
        `anchor`: (entry id, digest hex) noted outside the store earlier; the chain must pass through it
        (else REWRITTEN: someone holding the keys rewrote the chain, or the entry is gone)."""
        with self._sessions._reading() as vault:
            return verify_chain(vault, anchor)

    def redact_client(self, client_id: int, summary: str) -> int:
        """Offboarding: every entry of the client keeps its place, time, operator, action and result
        (re-sealed under the office data key); its detail becomes a tombstone holding `summary` and the
        detail's digest, so `verify()` still passes. Returns how many entries were redacted."""
        with self._sessions._writing() as vault:
            return redact_client(vault, client_id, summary)


# -- writing ---------------------------------------------------------------------------------------------


def append_entry(vault: Vault, client_id: int | None, action: str, result: str, detail: str) -> AuditEntry:
    return write_entries(vault, [(client_id, action, result, detail)])[0]


def write_entries(vault: Vault, entries: Sequence[tuple[int | None, str, str, str]]) -> list[AuditEntry]:
    """THE audit writer: entries (client id, action, result, detail), sealed and chained, in order. The
    caller holds the write lock (a `_writing()` vault), so the ids and the chain continue from the last
    committed entry and no other writer can come between."""
    if not entries:
        return []
    chained = _has_chain_column(vault)
    previous = _last_digest(vault) if chained else None
    key = chain_key(vault.keys.index) if chained else None
    first = next_id(vault.db, TABLE)
    slot_id, operator = vault.operator
    at = vault.now_iso()
    rows: list[tuple[Any, ...]] = []
    written: list[AuditEntry] = []
    moment = from_iso(at)  # `at` is the store clock's non-empty ISO text
    assert moment is not None
    try:
        for offset, (client_id, action, result, detail) in enumerate(entries):
            entry_id = first + offset
            client_key = vault.client_key(client_id) if client_id is not None else None
            seal_key, sealed_by = (
                (client_key, "client") if client_key is not None else (vault.keys.data, "office")
            )
            w = RowWriter(vault, seal_key, TABLE, entry_id)
            values = (operator, action, result, detail)
            row: list[Any] = [
                entry_id,
                at,
                client_id,
                slot_id,
                sealed_by,
                *(w.seal(f, v) for f, v in zip(_FIELDS, values, strict=True)),
            ]
            if key is not None and previous is not None:
                body = body_digest(key, operator, action, result, detail_digest(key, detail))
                previous = link(key, previous, entry_id, at, slot_id, client_id, body)
                row.append(previous)
            rows.append(tuple(row))
            written.append(AuditEntry(entry_id, moment, operator, client_id, action, result, detail))
    finally:
        if key is not None:
            key.wipe()
    columns = _COLUMNS + (", chain" if chained else "")
    marks = ", ".join("?" * len(rows[0]))
    vault.db.conn.executemany(f"INSERT INTO {TABLE} ({columns}) VALUES ({marks})", rows)
    return written


def _has_chain_column(vault: Vault) -> bool:
    """False only in a store older than migration 9 (tests build those to prove migrations)."""
    return any(row[1] == "chain" for row in vault.db.execute(f"PRAGMA table_info({TABLE})"))


def _last_digest(vault: Vault) -> bytes:
    row = vault.db.execute(f"SELECT chain FROM {TABLE} ORDER BY id DESC LIMIT 1").fetchone()
    if row is None:
        return GENESIS
    # No digest on the last entry: someone blanked it (the backlog is chained with migration 9).
    # Linking on from the start keeps appending possible; verify() reports the blank.
    return bytes(row[0]) if row[0] is not None else GENESIS


def chain_backlog(vault: Vault) -> int:
    """Migration 9's data step, in the migration's own transaction (it needs the keys, so Store.open
    passes it to `migrate`): chain the entries written before the chain existed, in id order, and
    record that in an `audit.chain_started` entry. It runs once, with the migration; a log that has
    chained entries is never chained afresh (blanked digests stay for verify() to report)."""
    if vault.db.execute(f"SELECT 1 FROM {TABLE} WHERE chain IS NOT NULL LIMIT 1").fetchone() is not None:
        return 0
    rows = vault.db.execute(f"SELECT {_COLUMNS} FROM {TABLE} ORDER BY id").fetchall()
    if not rows:
        return 0
    key = chain_key(vault.keys.index)
    try:
        previous = GENESIS
        digests: list[tuple[bytes, int]] = []
        for row in rows:
            # A damaged entry is chained with an empty body: verify() reports it as altered, as it is.
            body = _body(key, _open_row(vault, row))
            previous = link(key, previous, row[0], row[1], row[3], row[2], body or b"")
            digests.append((previous, row[0]))
    finally:
        key.wipe()
    vault.db.conn.executemany(f"UPDATE {TABLE} SET chain = ? WHERE id = ?", digests)
    append_entry(vault, None, CHAIN_STARTED, "ok", str(len(rows)))
    return len(rows)


def reseal_for_office(vault: Vault, client_id: int) -> None:
    """Move a client's entries from the client's key to the office data key (see module doc). The
    plaintext is unchanged, so the chain's digests stay valid."""
    rows = vault.db.execute(
        f"SELECT {_COLUMNS} FROM {TABLE} WHERE client_id = ? AND sealed_by = 'client'", [client_id]
    ).fetchall()
    for row in rows:
        opened = _open_row(vault, row)
        values = opened if opened is not None else _placeholders(vault, row)
        _rewrite(vault, row[0], values)


def redact_client(vault: Vault, client_id: int, summary: str) -> int:
    rows = vault.db.execute(f"SELECT {_COLUMNS} FROM {TABLE} WHERE client_id = ?", [client_id]).fetchall()
    key = chain_key(vault.keys.index)
    try:
        for row in rows:
            opened = _open_row(vault, row)
            if opened is None:
                # Damaged before redaction: no digest to keep; verify() goes on reporting this entry.
                operator, action, result, _detail = _placeholders(vault, row)
                kept: str | None = None
            else:
                operator, action, result, detail = opened
                tomb = _tombstone(detail)
                kept = tomb[1] if tomb is not None else detail_digest(key, detail).hex()
            tombstone = {"redacted": summary, "at": vault.now_iso(), "detail_digest": kept}
            _rewrite(vault, row[0], (operator, action, result, tombstone))
    finally:
        key.wipe()
    return len(rows)


def _rewrite(vault: Vault, entry_id: int, values: Sequence[Any]) -> None:
    w = RowWriter(vault, vault.keys.data, TABLE, entry_id)
    vault.db.execute(
        f"UPDATE {TABLE} SET sealed_by = 'office', operator = ?, action = ?, result = ?, detail = ?"
        " WHERE id = ?",
        [*(w.seal(f, v) for f, v in zip(_FIELDS, values, strict=True)), entry_id],
    )


# -- reading ---------------------------------------------------------------------------------------------


def _row_key(vault: Vault, row: Sequence[Any]) -> SecretKey | None:
    client_id, sealed_by = row[2], row[4]
    if sealed_by == "client":
        return vault.client_key(client_id) if client_id is not None else None
    return vault.keys.data if sealed_by == "office" else None


def _open_row(vault: Vault, row: Sequence[Any]) -> tuple[str, str, str, Any] | None:
    """(operator, action, result, detail) as sealed (the detail a str, or a tombstone dict); None
    when any of them does not open (damage recorded)."""
    key = _row_key(vault, row)
    values = [
        vault.open_json(key, TABLE, row[0], field, blob, _DAMAGED)[0]
        for field, blob in zip(_FIELDS, row[5:9], strict=True)
    ]
    operator, action, result, detail = values
    if not all(isinstance(v, str) for v in (operator, action, result)):
        return None
    if not isinstance(detail, str) and _tombstone(detail) is None:
        return None
    return operator, action, result, detail


def _placeholders(vault: Vault, row: Sequence[Any]) -> tuple[str, str, str, str]:
    key = _row_key(vault, row)
    values = []
    for field, blob in zip(_FIELDS, row[5:9], strict=True):
        value = vault.open_json(key, TABLE, row[0], field, blob, _DAMAGED)[0]
        values.append(value if isinstance(value, str) else damaged_text())
    return values[0], values[1], values[2], values[3]


def _tombstone(detail: Any) -> tuple[str, str | None] | None:
    """(summary, recorded detail digest hex or None) when `detail` is an offboarding tombstone."""
    if not isinstance(detail, dict) or not isinstance(detail.get("redacted"), str):
        return None
    kept = detail.get("detail_digest")
    return detail["redacted"], kept if isinstance(kept, str) else None


def _body(key: SecretKey, opened: tuple[str, str, str, Any] | None) -> bytes | None:
    """The entry's body digest, or None when it cannot be computed (damaged; a tombstone of a
    damaged entry)."""
    if opened is None:
        return None
    operator, action, result, detail = opened
    tomb = _tombstone(detail)
    if tomb is None:
        kept = detail_digest(key, detail)
    else:
        try:
            kept = bytes.fromhex(tomb[1] or "")
        except ValueError:
            return None
        if len(kept) != len(GENESIS):
            return None
    return body_digest(key, operator, action, result, kept)


def _entry(vault: Vault, row: Any) -> AuditEntry:
    entry_id, at, client_id = row[:3]
    key = _row_key(vault, row)
    values: list[Any] = []
    damaged = False
    for field, blob in zip(_FIELDS, row[5:9], strict=True):
        value, ok = vault.open_json(key, TABLE, entry_id, field, blob, _DAMAGED)
        damaged = damaged or not ok
        values.append(value)
    tomb = _tombstone(values[3])
    detail = tomb[0] if tomb is not None else values[3]
    texts = [v if isinstance(v, str) else damaged_text() for v in (*values[:3], detail)]
    return AuditEntry(
        id=entry_id,
        at=from_iso(at),  # type: ignore[arg-type]  # NOT NULL in the schema
        operator=texts[0],
        client_id=client_id,
        action=texts[1],
        result=texts[2],
        detail=texts[3],
        damaged=damaged or any(not isinstance(v, str) for v in (*values[:3], detail)),
        redacted=tomb is not None,
    )


_CHUNK = 200


def _page(vault: Vault, where: AuditFilter, before_id: int | None, limit: int) -> AuditPage:
    clauses: list[str] = []
    params: list[Any] = []
    if where.client_ids is not None:
        clauses.append("client_id IN (SELECT value FROM json_each(?))")
        params.append(json.dumps(sorted(where.client_ids)))
    if where.since is not None:
        clauses.append("at >= ?")
        params.append(to_iso(where.since))
    if where.until is not None:
        clauses.append("at < ?")
        params.append(to_iso(where.until))
    found: list[AuditEntry] = []
    cursor = before_id
    while len(found) < limit:
        bound = [*clauses, "id < ?"] if cursor is not None else clauses
        sql = f"SELECT {_COLUMNS} FROM {TABLE}"
        if bound:
            sql += " WHERE " + " AND ".join(bound)
        sql += " ORDER BY id DESC LIMIT ?"
        rows = vault.db.execute(sql, [*params, *([cursor] if cursor is not None else []), _CHUNK]).fetchall()
        for row in rows:
            cursor = row[0]
            if where.operator or where.action:
                key = _row_key(vault, row)
                operator = vault.open_json(key, TABLE, row[0], "operator", row[5], "")[0]
                action = vault.open_json(key, TABLE, row[0], "action", row[6], "")[0]
                if not where.matches_sealed(str(operator), str(action)):
                    continue
            found.append(_entry(vault, row))
            if len(found) == limit:
                older = vault.db.execute(
                    f"SELECT 1 FROM {TABLE} WHERE {' AND '.join([*clauses, 'id < ?'])} LIMIT 1",
                    [*params, row[0]],
                ).fetchone()
                # The sealed filters are not checked here: the next page may turn out empty (the end).
                return AuditPage(found, row[0] if older is not None else None)
        if len(rows) < _CHUNK:
            return AuditPage(found, None)
    return AuditPage(found, None)


# -- verifying -------------------------------------------------------------------------------------------


def verify_chain(vault: Vault, anchor: tuple[int, str] | None = None) -> ChainReport:
    key = chain_key(vault.keys.index)
    try:
        report = _walk(vault, key, anchor)
    finally:
        key.wipe()
    if anchor is not None and report.intact and (report.last_id or 0) < anchor[0]:
        return replace(report, broken=ChainBreak(anchor[0], BreakKind.REWRITTEN))
    return report


def _walk(vault: Vault, key: SecretKey, anchor: tuple[int, str] | None) -> ChainReport:
    previous, previous_id, checked, redacted = GENESIS, 0, 0, 0
    top = vault.db.execute(f"SELECT coalesce(max(id), 0) FROM {TABLE}").fetchone()[0]

    def report(broken: ChainBreak | None = None) -> ChainReport:
        return ChainReport(checked, previous_id or None, previous.hex(), redacted, broken)

    for row in _rows_in_order(vault):
        entry_id, at, client_id, slot_id = row[:4]
        stored = row[9]
        gap = entry_id != previous_id + 1
        opened = _open_row(vault, row)
        body = _body(key, opened)
        if body is None:
            original = _written_as(vault, row, top)
            if original is not None:
                return report(ChainBreak(entry_id, BreakKind.MOVED, original_id=original))
            if gap:
                return report(ChainBreak(previous_id + 1, BreakKind.DELETED, next_id=entry_id))
            return report(ChainBreak(entry_id, BreakKind.ALTERED))
        expected = link(key, previous, entry_id, at, slot_id, client_id, body)
        if stored is None or bytes(stored) != expected:
            if gap:
                return report(ChainBreak(previous_id + 1, BreakKind.DELETED, next_id=entry_id))
            return report(ChainBreak(entry_id, BreakKind.ALTERED))
        assert opened is not None
        if anchor is not None and entry_id == anchor[0] and expected.hex() != anchor[1].strip().lower():
            return report(ChainBreak(entry_id, BreakKind.REWRITTEN))
        if _tombstone(opened[3]) is not None:
            redacted += 1
        previous, previous_id, checked = expected, entry_id, checked + 1
    # The tail: AUTOINCREMENT remembers the highest id ever given out.
    row = vault.db.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", [TABLE]).fetchone()
    if row is not None and int(row[0]) > previous_id:
        return report(ChainBreak(previous_id + 1, BreakKind.DELETED))
    return report()


def _rows_in_order(vault: Vault) -> Iterator[Any]:
    cursor = vault.db.execute(f"SELECT {_COLUMNS}, chain FROM {TABLE} ORDER BY id")
    while batch := cursor.fetchmany(500):
        yield from batch


def _written_as(vault: Vault, row: Sequence[Any], top: int) -> int | None:
    """The id a row's sealed values were written under, if not its own (the row was moved): the
    associated data names the row, so exactly one id opens them."""
    key = _row_key(vault, row)
    if key is None:
        return None
    for candidate in range(1, top + 2):
        if candidate == row[0]:
            continue
        try:
            unseal(key, row[5], associated_data(TABLE, candidate, "operator"))
        except SealBroken:
            continue
        return candidate
    return None

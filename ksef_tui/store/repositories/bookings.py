"""Bookings of purchase invoices and the rules that propose them (issue 13), sealed.

`bookings`: one row per (client, KSeF number), sealed under the client's key. Plaintext: ids, the status
(the queue counts and filters by it in SQL), `queued_at` (the SLA sort) and the row's last write; every
field of the Booking (lines included) is one sealed JSON value, whose status and queue time must agree
with the plaintext copies (a mismatch is reported as damage: the file was edited). The KSeF number is
found through the same blind index as `purchase_invoices` (`purchase|<client id>`), so "stored invoices
without a booking" is one SQL anti-join.

`booking_rules`: client rules sealed under the client's key, office rules (`client_id` NULL) under the
office data key; the seller's NIP is found through a blind index scoped to the client or the office.

Dictionaries (per client) and the queue settings (office) are sealed values in `settings`.

`decide` writes one user step (a `Decision`: the bookings' after-states, the rule changes, one audit
entry per booking saying who, when, which booking, before → after) in ONE transaction; `undo` restores
the before-states the same way. Both use executemany and seal in a tight loop: approving 1,000 bookings
is one transaction of about 5,000 sealed values (benchmarks/bench_bookings_store.py).
"""

from __future__ import annotations

import builtins
import contextlib
import dataclasses
import gc
import json
import sqlite3
import statistics
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any

from ksef_tui.core.booking_queue import QueueFacts, folded_text
from ksef_tui.core.bookings import (
    OPEN_STATUSES,
    Booking,
    BookingStatus,
    Decision,
    Dictionaries,
    QueueSettings,
    Rule,
    Strength,
)
from ksef_tui.core.i18n import _
from ksef_tui.core.purchases import normalise_number
from ksef_tui.store.blind_index import normalise_key, normalise_nip
from ksef_tui.store.database import next_id
from ksef_tui.store.errors import DamagedValue, DamagedValueError, NotFound, StoreError
from ksef_tui.store.migrations import OPEN_QUEUE_CLAUSE
from ksef_tui.store.repositories.audit import write_entries
from ksef_tui.store.repositories.base import Repository, Sessions
from ksef_tui.store.repositories.settings import SETTINGS_DOMAIN
from ksef_tui.store.sealing import SecretKey
from ksef_tui.store.vault import RowReader, Vault, to_iso

BOOKINGS = "bookings"
RULES = "booking_rules"
AUDIT = "audit_log"
DECIDED = (BookingStatus.APPROVED, BookingStatus.EXPORTED)  # what a seller's history is made of
QUEUE_SETTINGS_KEY = "bookings.queue_settings"


def dictionaries_key(client_id: int) -> str:
    return f"bookings.dictionaries.{client_id}"


class BookingChanged(StoreError):
    """A booking is no longer in the state the step started from (another window or process decided it
    meanwhile): nothing of the step is written."""

    def __init__(self, ksef_number: str) -> None:
        self.ksef_number = ksef_number
        super().__init__(
            _("Booking {number} was changed meanwhile; nothing was saved. Refresh the queue.").format(
                number=ksef_number
            )
        )


@dataclass(frozen=True)
class SellerStats:
    """What the rule engine needs of a seller's past at one client: decided bookings and their median."""

    count: int
    median_gross: Decimal | None


def _number_domain(client_id: int) -> str:
    return f"purchase|{client_id}"  # the purchase_invoices' domain: bookings and invoices join in SQL


def _seller_domain(client_id: int | None) -> str:
    return f"rule-seller|{'office' if client_id is None else client_id}"


# -- dataclasses as JSON ------------------------------------------------------------------------------
# Generic over the core dataclasses' fields (a field added there is kept without touching this file):
# Decimal as its exact string, date and datetime as ISO (the offset kept), enums by value, tuples as
# lists, nested dataclasses as objects. `id` and `client_id` live in the row, not in the JSON.

_ROW_FIELDS = frozenset({"id", "client_id"})


def _encode(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):  # and datetime, a subclass
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [_encode(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_json(value)
    return value


def to_json(obj: Any) -> dict[str, Any]:
    return {f.name: _encode(getattr(obj, f.name)) for f in fields(obj) if f.name not in _ROW_FIELDS}


Converter = Callable[[Any], Any]


def _checked(kind: type) -> Converter:
    def convert(value: Any) -> Any:
        if not isinstance(value, kind):
            raise ValueError("wrong type")
        return value

    return convert


def _optional(inner: Converter) -> Converter:
    return lambda value: None if value is None else inner(value)


def _converter(hint: Any) -> Converter:
    """A function turning the JSON of a value of type `hint` back into the value; built once per field
    (reading 20,000 bookings must not walk the type hints 20,000 times)."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        members = [a for a in typing.get_args(hint) if a is not type(None)]
        inner = _converter(members[0]) if len(members) == 1 else (lambda value: value)
        return _optional(inner)
    if typing.get_origin(hint) is tuple:
        args = typing.get_args(hint)
        if len(args) == 2 and args[1] is Ellipsis:
            item = _converter(args[0])

            def many(value: Any) -> Any:
                if not isinstance(value, list):
                    raise ValueError("not a list")
                return tuple(item(v) for v in value)

            return many
        items = [_converter(a) for a in args]

        def fixed(value: Any) -> Any:
            if not isinstance(value, list):
                raise ValueError("not a list")
            return tuple(c(v) for c, v in zip(items, value, strict=True))

        return fixed
    if hint is Decimal:
        return _optional(Decimal)
    if hint is datetime:
        return _optional(datetime.fromisoformat)
    if hint is date:
        return _optional(date.fromisoformat)
    if isinstance(hint, type) and issubclass(hint, Enum):
        return _optional(hint)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        cls = hint
        return _optional(lambda value: from_json(cls, value))
    if hint is bool:
        return _checked(bool)
    if hint is int:
        return _optional(_checked(int))
    if hint is str:
        return _checked(str)
    return lambda value: value


_PLANS: dict[type, list[tuple[str, Converter]]] = {}


def _plan(cls: type) -> list[tuple[str, Converter]]:
    plan = _PLANS.get(cls)
    if plan is None:
        hints = typing.get_type_hints(cls)
        plan = _PLANS[cls] = [
            (f.name, _converter(hints[f.name])) for f in fields(cls) if f.name not in _ROW_FIELDS
        ]
    return plan


def from_json(cls: type[Any], data: Any, **row: Any) -> Any:
    """Raises ValueError or TypeError for a value that is not one we wrote."""
    if not isinstance(data, dict):
        raise ValueError("not an object")
    values: dict[str, Any] = {}
    for name, convert in _plan(cls):
        if name in data:
            try:
                values[name] = convert(data[name])
            except (InvalidOperation, KeyError) as exc:
                raise ValueError(name) from exc
    values.update(row)
    return cls(**values)


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# -- rows ----------------------------------------------------------------------------------------------


def _write_bookings(
    vault: Vault, bookings: Iterable[Booking], *, keep_existing: bool = False
) -> builtins.list[Booking]:
    """Insert or update (by client and KSeF number) in the caller's transaction; returns them with ids.
    One look-up per booking, then two executemany. `keep_existing`: a booking already stored is left as
    it is (drafts at sync time never clobber a decision) and not returned."""
    now = vault.now_iso()
    inserts: list[tuple[Any, ...]] = []
    updates: list[tuple[Any, ...]] = []
    written: list[Booking] = []
    fresh = next_id(vault.db, BOOKINGS)
    keys: dict[int, SecretKey] = {}
    claimed: dict[tuple[int, bytes], int] = {}
    for booking in bookings:
        cid = booking.client_id
        key = keys.get(cid)
        if key is None:
            key = keys[cid] = vault.require_client_key(cid)
        number = normalise_number(booking.ksef_number)
        index = vault.index(_number_domain(cid), number)
        row_id = claimed.get((cid, index))
        if row_id is None:
            found = vault.db.execute(
                f"SELECT id FROM {BOOKINGS} WHERE client_id = ? AND number_index = ?", [cid, index]
            ).fetchone()
            row_id = found[0] if found is not None else None
        if row_id is not None and keep_existing:
            continue
        booking = replace(booking, ksef_number=number)
        target = updates
        if row_id is None:
            row_id, fresh, target = fresh, fresh + 1, inserts
        claimed[(cid, index)] = row_id
        booking = replace(booking, id=row_id)
        sealed = vault.seal_json(key, BOOKINGS, row_id, "data", to_json(booking))
        queued = to_iso(booking.queued_at)
        if target is inserts:
            inserts.append((row_id, cid, index, booking.status.value, queued, now, sealed))
        else:
            updates.append((booking.status.value, queued, now, sealed, row_id, cid))
        written.append(booking)
    if inserts:
        vault.db.conn.executemany(
            f"INSERT INTO {BOOKINGS} (id, client_id, number_index, status, queued_at, updated, data)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            inserts,
        )
    if updates:
        vault.db.conn.executemany(
            f"UPDATE {BOOKINGS} SET status = ?, queued_at = ?, updated = ?, data = ?"
            " WHERE id = ? AND client_id = ?",
            updates,
        )
    return written


def insert_drafts(vault: Vault, drafts: Iterable[Booking]) -> int:
    """Drafted bookings of newly stored invoices, in the caller's (the package's) transaction; a KSeF
    number that already has a booking keeps it. Returns how many were inserted."""
    return len(_write_bookings(vault, drafts, keep_existing=True))


def _read_booking(
    vault: Vault, row_id: int, client_id: int, status: str, queued_at: str | None, sealed: bytes
) -> Booking | None:
    """The booking, or None with the damage recorded (sealed value, or plaintext columns that disagree
    with the sealed copy: the file was edited)."""
    reader = RowReader(vault, vault.client_key(client_id), BOOKINGS, row_id)
    data = reader.get("data", sealed, None)
    if reader.damaged:
        return None
    try:
        booking: Booking = from_json(Booking, data, id=row_id, client_id=client_id)
    except (ValueError, TypeError):
        vault.damage.record(DamagedValue(BOOKINGS, row_id, "data"))
        return None
    if booking.status.value != status:
        vault.damage.record(DamagedValue(BOOKINGS, row_id, "status"))
        return None
    if to_iso(booking.queued_at) != queued_at:
        vault.damage.record(DamagedValue(BOOKINGS, row_id, "queued_at"))
        return None
    return booking


def _where(
    vault: Vault, client_ids: Sequence[int] | None, statuses: Iterable[BookingStatus] | None
) -> tuple[str, builtins.list[Any]] | None:
    """A WHERE clause (possibly empty) and its parameters; None when nothing can match. An operator's
    store: only the assigned clients' bookings."""
    clauses: list[str] = []
    params: list[Any] = []
    client_ids = vault.visible(client_ids)
    if client_ids is not None:
        wanted = sorted(set(client_ids))
        if not wanted:
            return None
        clauses.append(f"client_id IN ({','.join('?' * len(wanted))})")
        params += wanted
    if statuses is not None:
        chosen = sorted({BookingStatus(s).value for s in statuses})
        if not chosen:
            return None
        clauses.append(f"status IN ({','.join('?' * len(chosen))})")
        params += chosen
    return (" WHERE " + " AND ".join(clauses) if clauses else ""), params


def _open_queue_only(
    vault: Vault, client_ids: Sequence[int] | None, statuses: Iterable[BookingStatus] | None
) -> bool:
    """Every client's bookings (no operator's narrowing either), some of the open statuses only: the
    partial index of the open queue holds them all in the queue's order."""
    if client_ids is not None or not vault.is_admin or statuses is None:
        return False
    chosen = {BookingStatus(s) for s in statuses}
    return bool(chosen) and chosen <= OPEN_STATUSES


def _page_ids(
    vault: Vault, where: str, order: str, paged: builtins.list[Any], open_queue: bool
) -> builtins.list[int]:
    """The row ids of one page (`paged`: the WHERE's parameters, the limit, the offset). Every client's
    open queue reads them in order straight off its partial index, up to the page's end; the rest sort
    the rows that match first."""
    if open_queue:
        indexed = f"SELECT id FROM {BOOKINGS} INDEXED BY bookings_open_order{where} AND {OPEN_QUEUE_CLAUSE}"
        try:
            return [r[0] for r in vault.db.execute(f"{indexed}{order} LIMIT ? OFFSET ?", paged)]
        except sqlite3.OperationalError:  # the index is gone (an edited file): sorted, as before
            pass
    sorted_ids = vault.db.execute(f"SELECT id FROM {BOOKINGS}{where}{order} LIMIT ? OFFSET ?", paged)
    return [r[0] for r in sorted_ids]


def _rule_key(vault: Vault, client_id: int | None) -> SecretKey:
    return vault.keys.data if client_id is None else vault.require_client_key(client_id)


def _write_rule(vault: Vault, rule: Rule) -> Rule:
    key = _rule_key(vault, rule.client_id)
    index = vault.index(_seller_domain(rule.client_id), normalise_nip(rule.seller_nip))
    now = vault.now_iso()
    if rule.id is None:
        new_id = next_id(vault.db, RULES)
        rule = replace(rule, id=new_id)
        sealed = vault.seal_json(key, RULES, new_id, "data", to_json(rule))
        vault.db.execute(
            f"INSERT INTO {RULES} (id, client_id, seller_index, updated, data) VALUES (?, ?, ?, ?, ?)",
            [new_id, rule.client_id, index, now, sealed],
        )
        return rule
    sealed = vault.seal_json(key, RULES, rule.id, "data", to_json(rule))
    row = vault.db.execute(f"SELECT client_id FROM {RULES} WHERE id = ?", [rule.id]).fetchone()
    if row is None:  # deleted meanwhile, or restored by undo: written again under its own id
        vault.db.execute(
            f"INSERT INTO {RULES} (id, client_id, seller_index, updated, data) VALUES (?, ?, ?, ?, ?)",
            [rule.id, rule.client_id, index, now, sealed],
        )
    elif row[0] != rule.client_id:
        raise StoreError(_("A rule cannot move to another client; delete it and create a new one."))
    else:
        vault.db.execute(
            f"UPDATE {RULES} SET seller_index = ?, updated = ?, data = ? WHERE id = ?",
            [index, now, sealed, rule.id],
        )
    return rule


def _read_rules(vault: Vault, query: str, params: Sequence[Any]) -> builtins.list[Rule]:
    rules: list[Rule] = []
    for row_id, client_id, sealed in vault.db.execute(query, params).fetchall():
        key = vault.keys.data if client_id is None else vault.client_key(client_id)
        reader = RowReader(vault, key, RULES, row_id)
        data = reader.get("data", sealed, None)
        if reader.damaged:
            continue
        try:
            rules.append(from_json(Rule, data, id=row_id, client_id=client_id))
        except (ValueError, TypeError):
            vault.damage.record(DamagedValue(RULES, row_id, "data"))
    return rules


def _changed(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def _rule_detail(before: Rule | None, after: Rule | None, by: str, when: str, **extra: Any) -> str:
    """A rule change's audit detail: which rule (id, seller), who, when, and the fields before → after
    (a created rule has no before, a deleted one no after)."""
    rule = after or before
    assert rule is not None
    was, now = _changed(to_json(before) if before else {}, to_json(after) if after else {})
    if after is None and before is not None:
        was, now = to_json(before), {}
    return _dump(
        {
            "rule": rule.id,
            "seller": rule.seller_nip,
            "by": by,
            "at": when,
            "before": was,
            "after": now,
            **extra,
        }
    )


def _audit_many(vault: Vault, entries: Sequence[tuple[int | None, str, str, str]]) -> None:
    """Audit entries (client id, action, result, detail), sealed and chained by the audit log's one
    writer (store/repositories/audit.py `write_entries`) in one executemany."""
    write_entries(vault, entries)


def _check_current(vault: Vault, expected: Sequence[Booking]) -> None:
    """Every booking is still in the state `expected` says (its plaintext status and queue time, which
    the sealed copy is checked against on every read); else BookingChanged and nothing is written."""
    for booking in expected:
        index = vault.index(_number_domain(booking.client_id), normalise_number(booking.ksef_number))
        row = vault.db.execute(
            f"SELECT status, queued_at FROM {BOOKINGS} WHERE client_id = ? AND number_index = ?",
            [booking.client_id, index],
        ).fetchone()
        if row is None or row[0] != booking.status.value or row[1] != to_iso(booking.queued_at):
            raise BookingChanged(booking.ksef_number)


def _step(
    vault: Vault,
    current: Sequence[Booking],
    target: Sequence[Booking],
    rule_changes: Sequence[tuple[Rule | None, Rule | None]],
    action: str,
    by: str,
    at: datetime,
) -> tuple[tuple[Rule | None, Rule | None], ...]:
    """Move bookings from `current` to `target`, apply the rule changes (before, after), audit each
    booking. Returns the rule changes with ids given to new rules."""
    if len(current) != len(target):
        raise ValueError("a decision needs one after-state per before-state")
    for old, new in zip(current, target, strict=True):
        if (old.client_id, normalise_number(old.ksef_number)) != (
            new.client_id,
            normalise_number(new.ksef_number),
        ):
            raise ValueError("a decision's before- and after-states are not the same bookings")
    _check_current(vault, current)
    applied: list[tuple[Rule | None, Rule | None]] = []
    for rule_before, rule_after in rule_changes:
        if rule_after is None:
            if rule_before is not None and rule_before.id is not None:
                vault.db.execute(f"DELETE FROM {RULES} WHERE id = ?", [rule_before.id])
            applied.append((rule_before, None))
        else:
            applied.append((rule_before, _write_rule(vault, rule_after)))
    _write_bookings(vault, target)
    entries: list[tuple[int | None, str, str, str]] = []
    when = at.isoformat()
    for old, new in zip(current, target, strict=True):
        was, now = _changed(to_json(old), to_json(new))
        detail = _dump(
            {"booking": normalise_number(new.ksef_number), "by": by, "at": when, "before": was, "after": now}
        )
        entries.append(
            (new.client_id, f"booking.{action}", f"{old.status.value} -> {new.status.value}", detail)
        )
    for rule_before, rule_after in applied:
        rule = rule_after or rule_before
        if rule is None:
            continue
        change = "created" if rule_before is None else "deleted" if rule_after is None else "updated"
        detail = _rule_detail(rule_before, rule_after, by, when)
        entries.append((rule.client_id, f"booking_rule.{change}", action, detail))
    _audit_many(vault, entries)
    return tuple(applied)


# -- the repository -------------------------------------------------------------------------------------


def _state(vault: Vault) -> tuple[int, int, int]:
    """What the database looks like: this connection's change counter and SQLite's data_version (which
    moves on another connection's commit). While it stands still, no row can differ."""
    conn = vault.db.conn
    return id(conn), conn.total_changes, int(conn.execute("PRAGMA data_version").fetchone()[0])


class _Decoded:
    """One booking as the queue's scan keeps it: its filter facts read straight from the unsealed JSON
    (a few fields), the whole Booking decoded only when a page shows it (most rows never are)."""

    __slots__ = ("_booking", "_json", "client_id", "facts", "row_id")

    def __init__(self, row_id: int, client_id: int, text: str, facts: QueueFacts) -> None:
        # The JSON is kept as text, not as the parsed dict: 20,000 dicts with their nested lists were a
        # million objects the cyclic collector walked again on every generation-2 collection (a pause of
        # tens of milliseconds landing in a paint or a keystroke); a string is not walked at all.
        self.row_id, self.client_id, self._json, self.facts = row_id, client_id, text, facts
        self._booking: Booking | None = None

    @classmethod
    def read(
        cls, vault: Vault, row_id: int, client_id: int, status: str, queued_at: str | None, sealed: bytes
    ) -> _Decoded | None:
        """As `_read_booking`, damage recorded the same way, without decoding the whole Booking."""
        try:
            plain = vault.open_bytes(vault.client_key(client_id), BOOKINGS, row_id, "data", sealed)
        except DamagedValueError:  # recorded by the vault
            return None
        try:
            text = plain.decode("utf-8", "surrogatepass")
            data = json.loads(text)
            if not isinstance(data, dict):
                raise ValueError("not an object")
            lines = data["lines"]
            texts = ("seller_name", "invoice_number", "ksef_number")
            seller, invoice, number = (_text(data, k) for k in texts)
            facts = QueueFacts(
                seller,
                _text(data, "seller_nip"),
                invoice,
                number,
                Decimal(data["gross"]),
                sum((Decimal(line["net"]) for line in lines), Decimal(0)),
                int(data["confidence"]),
                Strength(data["strength"]),
                _text(data, "vat_period"),
                folded_text(seller, invoice, number),
            )
            queued = data.get("queued_at")
            queued_iso = to_iso(datetime.fromisoformat(queued)) if isinstance(queued, str) else queued
        except (ValueError, TypeError, KeyError, InvalidOperation):  # UnicodeDecodeError is a ValueError
            vault.damage.record(DamagedValue(BOOKINGS, row_id, "data"))
            return None
        if data.get("status") != status:
            vault.damage.record(DamagedValue(BOOKINGS, row_id, "status"))
            return None
        if queued_iso != queued_at:
            vault.damage.record(DamagedValue(BOOKINGS, row_id, "queued_at"))
            return None
        return cls(row_id, client_id, text, facts)

    def booking(self, vault: Vault) -> Booking | None:
        """The whole Booking (decoded once); None with the damage recorded if it is not one we wrote."""
        if self._booking is None:
            try:
                data = json.loads(self._json)
                self._booking = from_json(Booking, data, id=self.row_id, client_id=self.client_id)
            except (ValueError, TypeError):
                vault.damage.record(DamagedValue(BOOKINGS, self.row_id, "data"))
                return None
        return self._booking


@contextlib.contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Decoding 20,000 bookings makes and drops ~a million small objects (each parsed dict lives only
    while its facts are read): collections meanwhile would walk the rows kept so far again and again.
    Nothing made here forms a cycle, so the collector rests until the decoding is done."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _text(data: dict[str, Any], name: str) -> str:
    value = data.get(name, "")
    if not isinstance(value, str):
        raise ValueError(name)
    return value


class BookingsRepository(Repository):
    def __init__(self, sessions: Sessions) -> None:
        super().__init__(sessions)
        # The queue's decoded bookings, by row id: (the sealed value's last 16 bytes, the booking). A
        # Poly1305 tag under a fresh random nonce: any write of the row changes it, so a hit is the row
        # as stored. Filled by `scan`, dropped by `forget` (on lock, and when the queue screen closes).
        self._decoded: dict[int, tuple[bytes, _Decoded]] = {}
        self._decoded_under: object | None = None  # the key ring they were unsealed with
        # The last scan's candidates in queue order, and what the database looked like then (this
        # connection's change counter and SQLite's data_version, which moves on another connection's
        # commit): while both stand still no row can differ, so the next scan needs no SQL at all.
        self._last_scan: tuple[Any, builtins.list[_Decoded]] | None = None
        self._generation = 0  # moved by `forget`: a scan running meanwhile keeps nothing
        self._clients: tuple[Any, dict[int, tuple[str, str]]] | None = None  # (state, id -> code, NIP)
        self._counts: tuple[Any, dict[BookingStatus, int]] | None = None  # (state and WHERE, counts)

    def forget(self, *, clients: bool = True) -> None:
        """Drop the decoded bookings `scan` keeps (plaintext in memory); with `clients`, the client codes
        too (on lock: they go with the keys; the queue screen closing keeps them, as the board keeps its
        rows, and its next opening does not unseal 300 clients again)."""
        self._generation += 1
        self._decoded = {}
        self._decoded_under = None
        self._last_scan = None
        if clients:
            self._clients = None

    def scan(
        self,
        client_ids: Sequence[int] | None,
        statuses: Iterable[BookingStatus] | None,
        keep: Callable[[QueueFacts], bool],
        offset: int = 0,
        limit: int | None = None,
    ) -> tuple[builtins.list[Booking], int]:
        """The bookings `keep` accepts (it reads each one's `QueueFacts`), in queue order, one page of
        them, and how many it accepts in all. Every candidate is unsealed once and kept: its facts, and
        its whole Booking once a page has shown it. A later scan (the next keystroke of the queue's
        filter) reads only the row ids and their seal tags in SQL and unseals just the rows written
        since. Damaged rows are left out and recorded, as in `list`."""
        with self._sessions._reading() as vault:
            if self._decoded_under is not vault.keys:
                self._decoded, self._last_scan = {}, None
                self._decoded_under = vault.keys
            where = _where(vault, client_ids, statuses)
            if where is None:
                return [], 0
            clause, params = where
            state = _state(vault)
            if self._last_scan is not None and self._last_scan[0] == (state, clause, params):
                candidates = self._last_scan[1]
            else:
                generation = self._generation
                candidates = self._candidates(vault, clause, params)
                if generation == self._generation:  # else forgotten meanwhile (the screen closed)
                    self._last_scan = ((state, clause, params), candidates)
            matched = [c for c in candidates if keep(c.facts)]
            start = max(0, offset)
            end = len(matched) if limit is None else start + max(0, limit)
            page = [b for b in (c.booking(vault) for c in matched[start:end]) if b is not None]
            return page, len(matched)

    def client_codes(self) -> dict[int, tuple[str, str]]:
        """Every client's short code and NIP by id (what the queue's rows show), unsealed again only
        after something was written to the database."""
        from ksef_tui.store.repositories.clients import load_clients

        with self._sessions._reading() as vault:
            state, kept = _state(vault), self._clients
            if kept is not None and kept[0] == (state, vault.keys):
                return kept[1]
            generation = self._generation
            codes = {c.id: (c.short_code, c.nip) for c in load_clients(vault, None) if c.id}
            if generation == self._generation:
                self._clients = ((state, vault.keys), codes)
            return codes

    def _candidates(self, vault: Vault, clause: str, params: builtins.list[Any]) -> builtins.list[_Decoded]:
        """Every booking the clause selects, in queue order: row ids and seal tags from SQL, decoded
        rows reused when the tag is unchanged, the rest unsealed (and kept)."""
        order = " ORDER BY queued_at IS NULL, queued_at, id"
        rows = vault.db.execute(
            f"SELECT id, substr(data, -16) FROM {BOOKINGS}{clause}{order}", params
        ).fetchall()
        decoded = self._decoded
        stale = [row_id for row_id, tag in rows if decoded.get(row_id, (None,))[0] != tag]
        with _no_cyclic_gc():
            self._decode(vault, stale, decoded)
        out: list[_Decoded] = []
        for row_id, tag in rows:
            entry = decoded.get(row_id)
            if entry is not None and entry[0] == tag:
                out.append(entry[1])
        return out

    @staticmethod
    def _decode(vault: Vault, stale: builtins.list[int], decoded: dict[int, tuple[bytes, _Decoded]]) -> None:
        for chunk in range(0, len(stale), 500):
            ids = stale[chunk : chunk + 500]
            query = (
                f"SELECT id, client_id, status, queued_at, data FROM {BOOKINGS}"
                f" WHERE id IN ({','.join('?' * len(ids))})"
            )
            for row in vault.db.execute(query, ids).fetchall():
                found = _Decoded.read(vault, *row)
                if found is not None:
                    decoded[row[0]] = (bytes(row[4][-16:]), found)

    def put_many(self, bookings: Iterable[Booking]) -> builtins.list[Booking]:
        """Insert or replace these bookings (by client and KSeF number) in ONE transaction; returns them
        with their row ids. No audit entry: drafting and proposing are not decisions (`decide` is)."""
        with self._sessions._writing() as vault:
            return _write_bookings(vault, bookings)

    def get(self, client_id: int, ksef_number: str) -> Booking | None:
        """None when absent; DamagedValueError when present but damaged."""
        with self._sessions._reading() as vault:
            index = vault.index(_number_domain(client_id), normalise_number(ksef_number))
            row = vault.db.execute(
                f"SELECT id, client_id, status, queued_at, data FROM {BOOKINGS}"
                " WHERE client_id = ? AND number_index = ?",
                [client_id, index],
            ).fetchone()
            if row is None:
                return None
            booking = _read_booking(vault, *row)
            if booking is None:
                raise DamagedValueError(DamagedValue(BOOKINGS, row[0], "data"))
            return booking

    def list(
        self,
        client_ids: Sequence[int] | None = None,
        statuses: Iterable[BookingStatus] | None = None,
        offset: int = 0,
        limit: int | None = None,
    ) -> builtins.list[Booking]:
        """Bookings of these clients (None: all) in these statuses (None: all), oldest in the queue first
        (`queued_at`, then row id); one page. Damaged rows are left out and recorded in `store.damaged`."""
        with self._sessions._reading() as vault:
            where = _where(vault, client_ids, statuses)
            if where is None:
                return []
            clause, params = where
            order = " ORDER BY queued_at IS NULL, queued_at, id"
            columns = f"SELECT id, client_id, status, queued_at, data FROM {BOOKINGS}"
            if limit is not None or offset:
                # A page: sort the row ids alone, then read the page's rows. Sorting 20,000 rows with their
                # sealed values (a temporary B-tree) was 10 ms of the queue's first screenful; ids, 2; every
                # client's open queue reads them off its own index without a sort (`_page_ids`).
                paged = [*params, -1 if limit is None else max(0, limit), max(0, offset)]
                ids = _page_ids(vault, clause, order, paged, _open_queue_only(vault, client_ids, statuses))
                by_id = {
                    row[0]: row
                    for chunk in range(0, len(ids), 500)
                    for row in vault.db.execute(
                        f"{columns} WHERE id IN ({','.join('?' * len(ids[chunk : chunk + 500]))})",
                        ids[chunk : chunk + 500],
                    ).fetchall()
                }
                rows = [by_id[i] for i in ids if i in by_id]
            else:
                rows = vault.db.execute(f"{columns}{clause}{order}", params).fetchall()
            found = []
            for row in rows:
                booking = _read_booking(vault, *row)
                if booking is not None:
                    found.append(booking)
            return found

    def count(
        self, client_ids: Sequence[int] | None = None, statuses: Iterable[BookingStatus] | None = None
    ) -> int:
        with self._sessions._reading() as vault:
            where = _where(vault, client_ids, statuses)
            if where is None:
                return 0
            clause, params = where
            return int(vault.db.execute(f"SELECT count(*) FROM {BOOKINGS}{clause}", params).fetchone()[0])

    def counts(self, client_ids: Sequence[int] | None = None) -> dict[BookingStatus, int]:
        """Bookings per status (statuses with none are absent); in SQL, nothing unsealed. Counted again
        only after something was written (the queue's header asks on every load: a pass over every
        booking's status, history included)."""
        with self._sessions._reading() as vault:
            where = _where(vault, client_ids, None)
            if where is None:
                return {}
            clause, params = where
            state = (_state(vault), clause, tuple(params))
            kept = self._counts
            if kept is not None and kept[0] == state:
                return dict(kept[1])
            rows = vault.db.execute(
                f"SELECT status, count(*) FROM {BOOKINGS}{clause} GROUP BY status", params
            ).fetchall()
            out: dict[BookingStatus, int] = {}
            for status, n in rows:
                try:
                    out[BookingStatus(status)] = int(n)
                except ValueError:  # an edited file: such rows are reported when read
                    continue
            self._counts = (state, out)
            return dict(out)

    def queued_before(
        self, moment: datetime, client_ids: Sequence[int] | None, statuses: Iterable[BookingStatus]
    ) -> int:
        """How many of these bookings entered the queue before `moment` (past the SLA); in SQL."""
        with self._sessions._reading() as vault:
            where = _where(vault, client_ids, statuses)
            if where is None:
                return 0
            clause, params = where
            clause = (clause + " AND" if clause else " WHERE") + " queued_at IS NOT NULL AND queued_at < ?"
            row = vault.db.execute(f"SELECT count(*) FROM {BOOKINGS}{clause}", [*params, to_iso(moment)])
            return int(row.fetchone()[0])

    def seller_history(self, client_id: int) -> dict[str, SellerStats]:
        """Per seller NIP (normalised): how many of this client's bookings were approved or exported, and
        the median of their gross (PLN)."""
        grosses: dict[str, list[Decimal]] = {}
        for booking in self.list([client_id], DECIDED):
            grosses.setdefault(normalise_nip(booking.seller_nip), []).append(booking.gross)
        return {
            nip: SellerStats(len(values), statistics.median(values) if values else None)
            for nip, values in grosses.items()
        }

    # -- one user step --------------------------------------------------------------------------------

    def decide(self, decision: Decision) -> Decision:
        """Write a decision in ONE transaction: every booking's after-state (each must still be in its
        before-state, else BookingChanged and nothing is written), the rule changes, and one audit entry
        per booking (who, when, which booking, before → after) and per rule changed. Returns the decision
        with new rules' ids filled in (what `undo` needs to delete them again)."""
        with self._sessions._writing() as vault:
            applied = _step(
                vault,
                decision.before,
                decision.after,
                decision.rule_changes,
                decision.action,
                decision.by,
                decision.at,
            )
        return replace(decision, rule_changes=applied)

    def undo(self, decision: Decision, by: str, at: datetime) -> None:
        """Restore the state before `decision` in ONE transaction: bookings back to their before-states
        (each must still be in its after-state, else BookingChanged), rules created deleted, rules changed
        or deleted written back under their own ids; audited like a decision (`booking.undo`)."""
        reverse = tuple((after, before) for before, after in reversed(decision.rule_changes))
        with self._sessions._writing() as vault:
            _step(vault, decision.after, decision.before, reverse, "undo", by, at)

    # -- rules ------------------------------------------------------------------------------------------

    def rules(
        self, client_id: int | None = None, *, seller_nip: str | None = None, office: bool = True
    ) -> builtins.list[Rule]:
        """The client's rules (None: every client's), then the office's when `office`; only those for
        `seller_nip` when given (found through the blind index: nothing else is unsealed)."""
        with self._sessions._reading() as vault:
            scopes: list[int | None]
            if client_id is not None:
                scopes = [client_id]
            else:
                visible, visible_params = vault.scope()
                rows = vault.db.execute(
                    f"SELECT DISTINCT client_id FROM {RULES} WHERE client_id IS NOT NULL AND {visible}"
                    " ORDER BY client_id",
                    visible_params,
                )
                scopes = [cid for (cid,) in rows.fetchall()]
            if office:
                scopes.append(None)
            found: list[Rule] = []
            for scope in scopes:
                clause = "client_id IS NULL" if scope is None else "client_id = ?"
                params: list[Any] = [] if scope is None else [scope]
                if seller_nip is not None:
                    clause += " AND seller_index = ?"
                    params.append(vault.index(_seller_domain(scope), normalise_nip(seller_nip)))
                query = f"SELECT id, client_id, data FROM {RULES} WHERE {clause} ORDER BY id"
                found += _read_rules(vault, query, params)
            return found

    def rule(self, rule_id: int) -> Rule:
        with self._sessions._reading() as vault:
            found = _read_rules(vault, f"SELECT id, client_id, data FROM {RULES} WHERE id = ?", [rule_id])
            if not found:
                if vault.db.execute(f"SELECT 1 FROM {RULES} WHERE id = ?", [rule_id]).fetchone() is None:
                    raise NotFound(_("Rule not found."))
                raise DamagedValueError(DamagedValue(RULES, rule_id, "data"))
            return found[0]

    def save_rule(self, rule: Rule, by: str, at: datetime, *, action: str = "", **note: Any) -> Rule:
        """Create (no id) or update a rule, audited (`booking_rule.created` / `.updated`, or
        `booking_rule.<action>` when given, with `note` in the detail); returns it with its id."""
        with self._sessions._writing() as vault:
            before = None
            if rule.id is not None:
                old = _read_rules(vault, f"SELECT id, client_id, data FROM {RULES} WHERE id = ?", [rule.id])
                if not old:
                    raise NotFound(_("Rule not found."))
                before = old[0]
            saved = _write_rule(vault, rule)
            change = action or ("created" if before is None else "updated")
            detail = _rule_detail(before, saved, by, at.isoformat(), **note)
            _audit_many(vault, [(saved.client_id, f"booking_rule.{change}", "ok", detail)])
            return saved

    def delete_rule(self, rule_id: int, by: str, at: datetime) -> None:
        with self._sessions._writing() as vault:
            row = vault.db.execute(f"SELECT client_id FROM {RULES} WHERE id = ?", [rule_id]).fetchone()
            if row is None:
                raise NotFound(_("Rule not found."))
            old = _read_rules(vault, f"SELECT id, client_id, data FROM {RULES} WHERE id = ?", [rule_id])
            vault.db.execute(f"DELETE FROM {RULES} WHERE id = ?", [rule_id])
            if old:
                detail = _rule_detail(old[0], None, by, at.isoformat())
            else:  # a damaged rule is deleted all the same; the entry says which
                detail = _dump({"rule": rule_id, "by": by, "at": at.isoformat(), "before": None, "after": {}})
            _audit_many(vault, [(row[0], "booking_rule.deleted", "ok", detail)])

    # -- dictionaries and settings -----------------------------------------------------------------

    def dictionaries(self, client_id: int) -> Dictionaries:
        """The client's dictionaries; the Polish defaults when none were saved (or the saved value is
        damaged: recorded, and the defaults keep the form usable)."""
        return _setting(self._sessions, dictionaries_key(client_id), Dictionaries)

    def set_dictionaries(self, client_id: int, value: Dictionaries) -> None:
        _set_setting(self._sessions, dictionaries_key(client_id), to_json(value))

    def queue_settings(self) -> QueueSettings:
        return _setting(self._sessions, QUEUE_SETTINGS_KEY, QueueSettings)

    def set_queue_settings(self, value: QueueSettings) -> None:
        _set_setting(self._sessions, QUEUE_SETTINGS_KEY, to_json(value))


def _setting(sessions: Sessions, name: str, cls: type[Any]) -> Any:
    with sessions._reading() as vault:
        row = vault.db.execute(
            "SELECT id, value FROM settings WHERE key_index = ?",
            [vault.index(SETTINGS_DOMAIN, normalise_key(name))],
        ).fetchone()
        if row is None:
            return cls()
        data = RowReader(vault, vault.keys.data, "settings", row[0]).get("value", row[1], None)
        if data is None:
            return cls()
        try:
            return from_json(cls, data)
        except (ValueError, TypeError):
            vault.damage.record(DamagedValue("settings", row[0], "value"))
            return cls()


def _set_setting(sessions: Sessions, name: str, value: Any) -> None:
    from ksef_tui.store.repositories.settings import SettingsRepository

    SettingsRepository(sessions).set(name, value)

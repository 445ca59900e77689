"""What a repository works with during one call: the connection, the unlocked keys, sealing bound to
(table, row, column), blind indexes, and the damage log. Repositories never touch raw keys."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from enum import Enum
from typing import Any, TypeVar

from ksef_tui.core.i18n import _
from ksef_tui.store.blind_index import blind_index
from ksef_tui.store.database import Connection
from ksef_tui.store.errors import (
    AdminOnly,
    DamagedOverwrite,
    DamagedValue,
    DamagedValueError,
    NotAssigned,
    NotFound,
)
from ksef_tui.store.keyring import KeyRing
from ksef_tui.store.sealing import SealBroken, SecretKey, associated_data, seal, unseal
from ksef_tui.store.sealing import verify as verify_sealed

E = TypeVar("E", bound=Enum)
_JSON = json.JSONDecoder()  # decode(str) skips json.loads' per-call encoding sniffing


def damaged_text() -> str:
    """What a screen shows instead of a value that failed authentication."""
    return _("⚠ damaged")


def to_iso(moment: datetime | None) -> str | None:
    """Datetimes are stored as UTC ISO text; a naive datetime is taken to be UTC already."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


def from_iso(text: str | None) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def refuse_damaged(table: str, row_id: int | str, damaged: frozenset[str]) -> None:
    """Repositories' updates call this first: a record read with damaged fields holds placeholders
    there, and sealing them would pass a placeholder off as a genuine value (and hide the damage)."""
    if damaged:
        raise DamagedOverwrite(DamagedValue(table, row_id, sorted(damaged)[0]))


class DamageLog:
    """Every damaged value seen since the store was opened, once each, in the order found."""

    def __init__(self) -> None:
        self._seen: dict[DamagedValue, None] = {}

    def record(self, damaged: DamagedValue) -> None:
        self._seen.setdefault(damaged, None)

    def forget(self, damaged: DamagedValue) -> None:
        """The value authenticates again (read back intact, or written by an explicit repair)."""
        self._seen.pop(damaged, None)

    def items(self) -> list[DamagedValue]:
        return list(self._seen)

    def __bool__(self) -> bool:
        return bool(self._seen)


class Vault:
    def __init__(
        self,
        db: Connection,
        keys: KeyRing,
        damage: DamageLog,
        clock: Callable[[], datetime],
        operator: tuple[int | None, str],
    ) -> None:
        self.db = db
        self.operator = operator  # (key slot id, operator name) of whoever unlocked the store
        self.keys = keys
        self.damage = damage
        self.clock = clock
        # Keys made during a write are kept aside until it commits: after a rollback another process
        # may take the same row id with a different key, and a stale cached key would misread it.
        self.pending_keys: dict[int, SecretKey] = {}
        # Values sealed during a write: once it commits, none of them is damaged any more.
        self.written: list[DamagedValue] = []

    def now_iso(self) -> str:
        return to_iso(self.clock()) or ""

    # -- keys -------------------------------------------------------------------------------------

    # -- who unlocked, and which clients they hold keys for ----------------------------------------------

    @property
    def is_admin(self) -> bool:
        """Unlocked with the office key (an administrator, or the recovery key)."""
        return self.keys.office is not None

    def office_key(self) -> SecretKey:
        """The office key; AdminOnly for an operator (whose key material does not include it)."""
        if self.keys.office is None:
            raise AdminOnly
        return self.keys.office

    def scope(self, column: str = "client_id") -> tuple[str, list[Any]]:
        """An SQL condition (to AND into a WHERE) keeping the rows of the clients this store can open:
        every client for an administrator, the assigned ones for an operator. Listings use it so that
        other clients' rows are not even tried (they could not be opened: there is no key for them)."""
        if self.is_admin:
            return "1", []
        return f"{column} IN (SELECT client_id FROM slot_client_keys WHERE slot_id = ?)", [self.operator[0]]

    def visible(self, client_ids: Sequence[int] | None) -> list[int] | None:
        """`client_ids` (None: all) limited to the clients this store can open; None means all of them."""
        if self.is_admin:
            return None if client_ids is None else list(client_ids)
        rows = self.db.execute("SELECT client_id FROM slot_client_keys WHERE slot_id = ?", [self.operator[0]])
        assigned = {row[0] for row in rows.fetchall()}
        return sorted(assigned if client_ids is None else assigned.intersection(client_ids))

    def new_client_key(self, client_id: int) -> tuple[SecretKey, bytes]:
        key = SecretKey.random()
        wrapped = seal(
            self.office_key(), key.material(), associated_data("clients", client_id, "wrapped_key")
        )
        self.pending_keys[client_id] = key
        return key, wrapped

    def client_key(self, client_id: int, wrapped: bytes | None = None) -> SecretKey | None:
        """The client's key, or None when its wrapped key is damaged (recorded) or the client is gone;
        for an operator also None (nothing recorded) when the client is not assigned to them."""
        key = self.pending_keys.get(client_id) or self.keys.clients.get(client_id)
        if key is not None:
            return key
        if self.keys.office is None:
            return self._assigned_key(client_id)
        if wrapped is None:
            row = self.db.execute("SELECT wrapped_key FROM clients WHERE id = ?", [client_id]).fetchone()
            if row is None:
                return None
            wrapped = row[0]
        try:
            material = unseal(self.keys.office, wrapped, associated_data("clients", client_id, "wrapped_key"))
            key = SecretKey(material)
        except (SealBroken, ValueError):
            self.damage.record(DamagedValue("clients", client_id, "wrapped_key"))
            return None
        self.keys.clients[client_id] = key
        return key

    def _assigned_key(self, client_id: int) -> SecretKey | None:
        """An operator's way to a client key: `slot_client_keys`, sealed by the slot key."""
        slot_id = self.operator[0]
        assert self.keys.slot is not None and slot_id is not None  # an operator's key ring has both
        row = self.db.execute(
            "SELECT wrapped_key FROM slot_client_keys WHERE slot_id = ? AND client_id = ?",
            [slot_id, client_id],
        ).fetchone()
        if row is None:
            return None
        try:
            key = SecretKey(unseal(self.keys.slot, row[0], slot_client_ad(slot_id, client_id)))
        except (SealBroken, ValueError):
            self.damage.record(DamagedValue("slot_client_keys", f"{slot_id}:{client_id}", "wrapped_key"))
            return None
        self.keys.clients[client_id] = key
        return key

    def require_client_key(self, client_id: int) -> SecretKey:
        """For writes: NotFound if there is no such client, DamagedValueError if its key is damaged
        (writing under a fresh key would orphan everything already sealed for the client)."""
        key = self.client_key(client_id)
        if key is not None:
            return key
        if self.db.execute("SELECT 1 FROM clients WHERE id = ?", [client_id]).fetchone() is None:
            raise NotFound(_("Client not found."))
        if not self.is_admin and not self._is_assigned(client_id):
            raise NotAssigned(self.operator[1])
        raise DamagedValueError(DamagedValue("clients", client_id, "wrapped_key"))

    def _is_assigned(self, client_id: int) -> bool:
        row = self.db.execute(
            "SELECT 1 FROM slot_client_keys WHERE slot_id = ? AND client_id = ?",
            [self.operator[0], client_id],
        ).fetchone()
        return row is not None

    def keep_pending_keys(self) -> None:
        """Called once the write has committed."""
        self.keys.clients.update(self.pending_keys)
        self.pending_keys.clear()
        if self.damage:
            for location in self.written:
                self.damage.forget(location)
        self.written.clear()

    def drop_pending_keys(self) -> None:
        for key in self.pending_keys.values():
            key.wipe()
        self.pending_keys.clear()
        self.written.clear()

    def index(self, domain: str, normalised: str) -> bytes:
        return blind_index(self.keys.index, domain, normalised)

    # -- sealing ----------------------------------------------------------------------------------

    def seal_json(self, key: SecretKey, table: str, row_id: int | str, column: str, value: Any) -> bytes:
        # surrogatepass: a lone surrogate (odd terminal input) must round-trip, not crash a save.
        plain = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8", "surrogatepass")
        if self.damage:
            self.written.append(DamagedValue(table, row_id, column))
        return seal(key, plain, associated_data(table, row_id, column))

    def seal_bytes(self, key: SecretKey, table: str, row_id: int | str, column: str, value: bytes) -> bytes:
        if self.damage:
            self.written.append(DamagedValue(table, row_id, column))
        return seal(key, value, associated_data(table, row_id, column))

    def open_json(
        self, key: SecretKey | None, table: str, row_id: int | str, column: str, blob: bytes, placeholder: Any
    ) -> tuple[Any, bool]:
        """(value, True), or (placeholder, False) with the damage recorded: one bad value never stops a
        list from loading."""
        try:
            if key is None:
                raise SealBroken
            plain = unseal(key, blob, associated_data(table, row_id, column))
            value = _JSON.decode(plain.decode("utf-8", "surrogatepass"))
        except (SealBroken, ValueError):
            self.damage.record(DamagedValue(table, row_id, column))
            return placeholder, False
        if self.damage:  # intact now (restored from a backup, or repaired by another process)
            self.damage.forget(DamagedValue(table, row_id, column))
        return value, True

    def verify(self, key: SecretKey | None, table: str, row_id: int | str, column: str, blob: bytes) -> bool:
        """Whether the value authenticates (damage recorded as for a read), without opening it."""
        if key is not None and verify_sealed(key, blob, associated_data(table, row_id, column)):
            if self.damage:
                self.damage.forget(DamagedValue(table, row_id, column))
            return True
        self.damage.record(DamagedValue(table, row_id, column))
        return False

    def open_bytes(
        self, key: SecretKey | None, table: str, row_id: int | str, column: str, blob: bytes
    ) -> bytes:
        """For values no placeholder can stand in for (a document body): damage raises, loudly."""
        damaged = DamagedValue(table, row_id, column)
        try:
            if key is None:
                raise SealBroken
            plain = unseal(key, blob, associated_data(table, row_id, column))
        except SealBroken:
            self.damage.record(damaged)
            raise DamagedValueError(damaged) from None
        if self.damage:
            self.damage.forget(damaged)
        return plain


def slot_client_ad(slot_id: int, client_id: int) -> bytes:
    """A client key wrapped for an operator's slot is bound to both: moved to another slot, it fails."""
    return associated_data("slot_client_keys", f"{slot_id}:{client_id}", "wrapped_key")


class RowReader:
    """Opens the sealed columns of one row, remembering which ones failed."""

    def __init__(self, vault: Vault, key: SecretKey | None, table: str, row_id: int | str) -> None:
        self._vault = vault
        self._key = key
        self._table = table
        self._row_id = row_id
        self.damaged: list[str] = []

    def get(self, column: str, blob: bytes, placeholder: Any) -> Any:
        value, ok = self._vault.open_json(self._key, self._table, self._row_id, column, blob, placeholder)
        if not ok:
            self.damaged.append(column)
        return value

    def intact(self, column: str, blob: bytes) -> bool:
        """Checks that a value authenticates without opening it (a secret the caller must not hold)."""
        ok = self._vault.verify(self._key, self._table, self._row_id, column, blob)
        if not ok:
            self.damaged.append(column)
        return ok

    def text(self, column: str, blob: bytes) -> str:
        value = self.get(column, blob, None)
        return value if isinstance(value, str) else damaged_text()

    def optional_text(self, column: str, blob: bytes) -> str | None:
        value = self.get(column, blob, damaged_text())
        return value if value is None or isinstance(value, str) else damaged_text()

    def moment(self, column: str, blob: bytes) -> datetime | None:
        value = self.get(column, blob, None)
        try:
            return from_iso(value) if isinstance(value, str) else None
        except ValueError:
            return None

    def strings(self, column: str, blob: bytes) -> frozenset[str]:
        value = self.get(column, blob, [])
        return frozenset(v for v in value if isinstance(v, str)) if isinstance(value, list) else frozenset()

    def enum(self, column: str, enum_type: type[E], raw: str, fallback: E) -> E:
        """Plaintext enums are not authenticated; an unknown value (a tampered or newer file) is
        reported like a damaged value instead of stopping the whole list."""
        try:
            return enum_type(raw)
        except ValueError:
            self._vault.damage.record(DamagedValue(self._table, self._row_id, column))
            self.damaged.append(column)
            return fallback

    def optional_int(self, column: str, blob: bytes) -> int | None:
        value = self.get(column, blob, None)
        return value if isinstance(value, int) else None


class RowWriter:
    """Seals the columns of one row under one key, each bound to (table, row_id, column)."""

    def __init__(self, vault: Vault, key: SecretKey, table: str, row_id: int | str) -> None:
        self._vault = vault
        self._key = key
        self._table = table
        self._row_id = row_id

    def seal(self, column: str, value: Any) -> bytes:
        return self._vault.seal_json(self._key, self._table, self._row_id, column, value)

    def seal_bytes(self, column: str, value: bytes) -> bytes:
        return self._vault.seal_bytes(self._key, self._table, self._row_id, column, value)

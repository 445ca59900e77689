"""Operators limited to some clients (issue 15 item 1; DESIGN.md "The sealed store").

An operator's key slot: passphrase -> Argon2id -> KEK -> a random slot key. Under the slot key:
the office's index and data keys and the operator's profile (`operator_keys`), and the keys of the
assigned clients only (`slot_client_keys`). Never the office key: whatever the operator does with the
database file, another client's key is not there to be unwrapped.

The slot key is also sealed by the office key (`operator_keys.by_office`), so that an administrator can
assign a client later (rewrap that client's key for the slot) or reset the passphrase without knowing
the operator's. This gives an administrator nothing new: the office key opens every client already.

Everything here needs the office key: an operator's store raises AdminOnly.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ksef_tui.core.i18n import _
from ksef_tui.core.operators import OPERATOR_ROLES, OfficeRole, normalise_login
from ksef_tui.store.database import next_id
from ksef_tui.store.errors import AdminOnly, NotFound, StoreError
from ksef_tui.store.kdf import KdfLimits
from ksef_tui.store.repositories.audit import append_entry
from ksef_tui.store.repositories.base import Repository, Sessions
from ksef_tui.store.sealing import SealBroken, SecretKey, associated_data, seal, unseal
from ksef_tui.store.slots import Access, KeySlot, Role, read_slots, wrap_for_slot
from ksef_tui.store.vault import RowReader, Vault, from_iso, slot_client_ad

_NAME_MAX = 120


@dataclass(frozen=True)
class OperatorProfile:
    """What the store knows of whoever unlocked it (an administrator's name is their login)."""

    login: str
    name: str
    role: OfficeRole


@dataclass(frozen=True)
class OperatorInfo:
    slot_id: int
    login: str
    name: str
    role: OfficeRole
    must_change: bool
    client_ids: tuple[int, ...] | None  # None: every client (an administrator)
    created: datetime | None = None
    damaged: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def key_ad(slot_id: int, column: str) -> bytes:
    return associated_data("operator_keys", slot_id, column)


def unlock_operator(
    db: Any, slot: KeySlot, slot_key: SecretKey
) -> tuple[SecretKey, SecretKey, OperatorProfile]:
    """(index key, data key, profile) from an operator's `operator_keys` row, with the slot key."""
    row = db.execute(
        "SELECT index_key, data_key, profile FROM operator_keys WHERE slot_id = ?", [slot.id]
    ).fetchone()
    if row is None:
        raise StoreError(_("This operator's keys are missing; ask an administrator to reset the passphrase."))
    try:
        index = SecretKey(unseal(slot_key, row[0], key_ad(slot.id, "index_key")))
        data = SecretKey(unseal(slot_key, row[1], key_ad(slot.id, "data_key")))
        profile = _profile_from(slot.operator, unseal(slot_key, row[2], key_ad(slot.id, "profile")))
    except (SealBroken, ValueError):
        raise StoreError(
            _("This operator's keys are damaged; ask an administrator to reset the passphrase.")
        ) from None
    return index, data, profile


def _profile_from(login: str, plain: bytes) -> OperatorProfile:
    import json

    value = json.loads(plain.decode("utf-8"))
    role = OfficeRole(value["role"])
    if role not in OPERATOR_ROLES:
        raise ValueError("an operator slot cannot carry the administrator role")
    return OperatorProfile(login, str(value["name"]), role)


def _profile_json(name: str, role: OfficeRole) -> dict[str, str]:
    return {"name": name, "role": role.value}


class OperatorsRepository(Repository):
    """Adding, listing, assigning, resetting and removing operators (administrators only)."""

    def __init__(self, sessions: Sessions, limits: Callable[[], KdfLimits]) -> None:
        super().__init__(sessions)
        self._limits = limits  # the unlocking administrator's Argon2id limits: new slots get the same

    # -- reading ------------------------------------------------------------------------------------

    def list(self) -> list[OperatorInfo]:
        """Every slot but the recovery key's: administrators first, then operators by login."""
        with self._sessions._reading() as vault:
            office = vault.office_key()
            out: list[OperatorInfo] = []
            for slot in read_slots(vault.db):
                if slot.is_recovery:
                    continue
                created = _created(vault, slot.id)
                if slot.role is Role.ADMIN:
                    out.append(
                        OperatorInfo(
                            slot.id,
                            slot.operator,
                            slot.operator,
                            OfficeRole.ADMINISTRATOR,
                            slot.must_change,
                            None,
                            created,
                            not slot.intact,
                        )
                    )
                    continue
                out.append(_operator_info(vault, office, slot, created))
            return sorted(out, key=lambda o: (o.role is not OfficeRole.ADMINISTRATOR, o.login))

    def get(self, login: str) -> OperatorInfo:
        wanted = login.strip().lower()
        for info in self.list():
            if info.login.lower() == wanted:
                return info
        raise NotFound(_("There is no operator {login}.").format(login=login))

    # -- changing -------------------------------------------------------------------------------------

    def add(
        self,
        login: str,
        name: str,
        passphrase: str,
        role: OfficeRole,
        client_ids: Iterable[int] = (),
        *,
        must_change: bool = True,
    ) -> OperatorInfo:
        """A new operator slot whose passphrase must be changed at first use (`must_change=False` only
        for the demo's operator, whose passphrase is printed on the unlock screen anyway). The Argon2id
        derivation runs before the write lock is taken (the slot id is re-checked under it)."""
        login = _valid_login(login)
        name = _valid_name(name)
        if role not in OPERATOR_ROLES:
            raise StoreError(_("An operator is an accountant or read-only."))
        if not passphrase:
            raise StoreError(_("The passphrase must not be empty."))
        limits = self._limits()
        wanted = sorted(set(client_ids))
        with self._sessions._reading() as vault:
            vault.office_key()  # AdminOnly before a second of Argon2id
            slot_id = next_id(vault.db, "key_slots")
        slot_key = SecretKey.random()
        try:
            salt, wrapped = wrap_for_slot(slot_id, Role.OPERATOR, passphrase, limits, slot_key)
            with self._sessions._writing() as vault:
                office = vault.office_key()
                if vault.db.execute("SELECT 1 FROM key_slots WHERE operator = ?", [login]).fetchone():
                    raise StoreError(_("There is already an operator with this login."))
                if next_id(vault.db, "key_slots") != slot_id:
                    raise StoreError(_("Another operator was added at the same moment; try again."))
                now = vault.now_iso()
                vault.db.execute(
                    "INSERT INTO key_slots (id, operator, role, salt, opslimit, memlimit, wrapped_key,"
                    " created, updated, access, must_change) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        slot_id,
                        login,
                        Role.OPERATOR.value,
                        salt,
                        limits.opslimit,
                        limits.memlimit,
                        wrapped,
                        now,
                        now,
                        Access.OPERATOR.value,
                        int(must_change),
                    ],
                )
                _write_operator_keys(vault, office, slot_id, slot_key, name, role, insert=True)
                for client_id in wanted:
                    _assign(vault, slot_id, slot_key, client_id)
                append_entry(vault, None, "operator.added", "ok", f"{login} ({role.value})")
                for client_id in wanted:
                    append_entry(vault, client_id, "operator.assigned", "ok", login)
        finally:
            slot_key.wipe()
        return self.get(login)

    def assign(self, login: str, client_ids: Iterable[int]) -> None:
        """Rewrap these clients' keys for the operator's slot (the office key unwraps them)."""
        wanted = sorted(set(client_ids))
        with self._sessions._writing() as vault:
            slot, slot_key = _operator_slot(vault, login)
            try:
                for client_id in wanted:
                    if _assigned(vault, slot.id, client_id):
                        continue
                    _assign(vault, slot.id, slot_key, client_id)
                    append_entry(vault, client_id, "operator.assigned", "ok", slot.operator)
            finally:
                slot_key.wipe()

    def unassign(self, login: str, client_ids: Iterable[int]) -> None:
        """Delete the client keys wrapped for the operator's slot: nothing left opens those clients."""
        with self._sessions._writing() as vault:
            slot, slot_key = _operator_slot(vault, login)
            slot_key.wipe()
            for client_id in sorted(set(client_ids)):
                deleted = vault.db.execute(
                    "DELETE FROM slot_client_keys WHERE slot_id = ? AND client_id = ?", [slot.id, client_id]
                ).rowcount
                if deleted:
                    append_entry(vault, client_id, "operator.unassigned", "ok", slot.operator)

    def set_clients(
        self, login: str, client_ids: Iterable[int]
    ) -> tuple[builtins.list[int], builtins.list[int]]:
        """Make the operator's clients exactly these (a checklist): (assigned, unassigned) ids."""
        wanted = set(client_ids)
        current = set(self.get(login).client_ids or ())
        added, removed = sorted(wanted - current), sorted(current - wanted)
        with self._sessions._writing() as vault:
            slot, slot_key = _operator_slot(vault, login)
            try:
                for client_id in added:
                    _assign(vault, slot.id, slot_key, client_id)
                    append_entry(vault, client_id, "operator.assigned", "ok", slot.operator)
            finally:
                slot_key.wipe()
            for client_id in removed:
                vault.db.execute(
                    "DELETE FROM slot_client_keys WHERE slot_id = ? AND client_id = ?", [slot.id, client_id]
                )
                append_entry(vault, client_id, "operator.unassigned", "ok", slot.operator)
        return added, removed

    def reset_passphrase(self, login: str, passphrase: str) -> None:
        """New slot material: a new slot key, everything under it rewrapped, the new passphrase to be
        changed at next use. Whatever the old passphrase (or a copy of the old slot) opened is gone."""
        if not passphrase:
            raise StoreError(_("The passphrase must not be empty."))
        info = self.get(login)
        if info.role is OfficeRole.ADMINISTRATOR:
            raise StoreError(_("An administrator changes their own passphrase (ksef-tui passphrase)."))
        with self._sessions._reading() as vault:
            slot = next(s for s in read_slots(vault.db) if s.id == info.slot_id)
        slot_key = SecretKey.random()
        try:
            salt, wrapped = wrap_for_slot(slot.id, Role.OPERATOR, passphrase, slot.limits, slot_key)
            with self._sessions._writing() as vault:
                office = vault.office_key()
                changed = vault.db.execute(
                    "UPDATE key_slots SET salt = ?, wrapped_key = ?, must_change = 1, updated = ?"
                    " WHERE id = ? AND access = ?",
                    [salt, wrapped, vault.now_iso(), slot.id, Access.OPERATOR.value],
                ).rowcount
                if changed != 1:
                    raise NotFound(_("There is no operator {login}.").format(login=login))
                _write_operator_keys(vault, office, slot.id, slot_key, info.name, info.role, insert=False)
                vault.db.execute("DELETE FROM slot_client_keys WHERE slot_id = ?", [slot.id])
                for client_id in info.client_ids or ():
                    _assign(vault, slot.id, slot_key, client_id)
                append_entry(vault, None, "operator.passphrase_reset", "ok", slot.operator)
        finally:
            slot_key.wipe()

    def remove(self, login: str) -> None:
        """Delete the operator's slot, its keys and its wrapped client keys (ON DELETE CASCADE)."""
        with self._sessions._writing() as vault:
            slot, slot_key = _operator_slot(vault, login)
            slot_key.wipe()
            vault.db.execute("DELETE FROM slot_client_keys WHERE slot_id = ?", [slot.id])
            vault.db.execute("DELETE FROM operator_keys WHERE slot_id = ?", [slot.id])
            vault.db.execute("DELETE FROM key_slots WHERE id = ?", [slot.id])
            append_entry(vault, None, "operator.removed", "ok", slot.operator)


# -- helpers --------------------------------------------------------------------------------------------


def _valid_login(login: str) -> str:
    try:
        return normalise_login(login)
    except ValueError as err:
        raise StoreError(str(err)) from None


def _valid_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise StoreError(_("The operator's name must not be empty."))
    if len(name) > _NAME_MAX:
        raise StoreError(_("The operator's name is too long (at most {n} characters).").format(n=_NAME_MAX))
    return name


def _created(vault: Vault, slot_id: int) -> datetime | None:
    row = vault.db.execute("SELECT created FROM key_slots WHERE id = ?", [slot_id]).fetchone()
    return from_iso(row[0]) if row and isinstance(row[0], str) else None


def _assigned(vault: Vault, slot_id: int, client_id: int) -> bool:
    row = vault.db.execute(
        "SELECT 1 FROM slot_client_keys WHERE slot_id = ? AND client_id = ?", [slot_id, client_id]
    ).fetchone()
    return row is not None


def _assign(vault: Vault, slot_id: int, slot_key: SecretKey, client_id: int) -> None:
    client_key = vault.require_client_key(client_id)  # the office key unwraps it; NotFound if gone
    vault.db.execute(
        "INSERT OR REPLACE INTO slot_client_keys (slot_id, client_id, wrapped_key) VALUES (?, ?, ?)",
        [slot_id, client_id, seal(slot_key, client_key.material(), slot_client_ad(slot_id, client_id))],
    )


def _write_operator_keys(
    vault: Vault,
    office: SecretKey,
    slot_id: int,
    slot_key: SecretKey,
    name: str,
    role: OfficeRole,
    *,
    insert: bool,
) -> None:
    values = [
        seal(office, slot_key.material(), key_ad(slot_id, "by_office")),
        seal(slot_key, vault.keys.index.material(), key_ad(slot_id, "index_key")),
        seal(slot_key, vault.keys.data.material(), key_ad(slot_id, "data_key")),
        vault.seal_json(slot_key, "operator_keys", slot_id, "profile", _profile_json(name, role)),
    ]
    if insert:
        vault.db.execute(
            "INSERT INTO operator_keys (slot_id, by_office, index_key, data_key, profile)"
            " VALUES (?, ?, ?, ?, ?)",
            [slot_id, *values],
        )
    else:
        vault.db.execute(
            "UPDATE operator_keys SET by_office = ?, index_key = ?, data_key = ?, profile = ?"
            " WHERE slot_id = ?",
            [*values, slot_id],
        )


def _slot_key(vault: Vault, office: SecretKey, slot_id: int) -> SecretKey | None:
    row = vault.db.execute("SELECT by_office FROM operator_keys WHERE slot_id = ?", [slot_id]).fetchone()
    if row is None:
        return None
    try:
        return SecretKey(unseal(office, row[0], key_ad(slot_id, "by_office")))
    except (SealBroken, ValueError):
        return None


def _operator_slot(vault: Vault, login: str) -> tuple[KeySlot, SecretKey]:
    """The operator's slot and slot key (unwrapped by the office key); AdminOnly for an operator."""
    office = vault.office_key()
    wanted = login.strip().lower()
    slot = next(
        (s for s in read_slots(vault.db) if s.operator.lower() == wanted and s.access is Access.OPERATOR),
        None,
    )
    if slot is None:
        raise NotFound(_("There is no operator {login}.").format(login=login))
    key = _slot_key(vault, office, slot.id)
    if key is None:
        raise StoreError(_("This operator's keys are damaged; reset the passphrase to make new ones."))
    return slot, key


def _operator_info(vault: Vault, office: SecretKey, slot: KeySlot, created: datetime | None) -> OperatorInfo:
    ids = tuple(
        row[0]
        for row in vault.db.execute(
            "SELECT client_id FROM slot_client_keys WHERE slot_id = ? ORDER BY client_id", [slot.id]
        ).fetchall()
    )
    key = _slot_key(vault, office, slot.id)
    row = vault.db.execute("SELECT profile FROM operator_keys WHERE slot_id = ?", [slot.id]).fetchone()
    profile: Any = None
    if key is not None and row is not None:
        profile = RowReader(vault, key, "operator_keys", slot.id).get("profile", row[0], None)
        key.wipe()
    try:
        name, role, damaged = str(profile["name"]), OfficeRole(profile["role"]), not slot.intact
    except (TypeError, KeyError, ValueError):
        name, role, damaged = slot.operator, OfficeRole.READ_ONLY, True
    return OperatorInfo(slot.id, slot.operator, name, role, slot.must_change, ids, created, damaged)


def require_admin(vault: Vault) -> None:
    if not vault.is_admin:
        raise AdminOnly

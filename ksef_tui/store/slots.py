"""Operator key slots: passphrase -> Argon2id -> key-encryption key (KEK) -> the slot's wrapped key.

An administrator's slot wraps the office key. An operator's slot wraps a random slot key, under which
`slot_client_keys` holds the keys of the clients assigned to that operator (and `operator_keys` the
office's index and data keys): store/operators.py. The recovery slot wraps the office key under the
recovery words (store/recovery.py) and is never tried with a passphrase. Changing a passphrase rewrites
one `key_slots` row and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import nacl.utils

from ksef_tui.store.database import Connection
from ksef_tui.store.errors import DamagedKeySlot, WrongPassphrase
from ksef_tui.store.kdf import SALT_BYTES, KdfLimits, derive_kek
from ksef_tui.store.sealing import (
    FORMAT_V1,
    KEY_BYTES,
    NONCE_BYTES,
    TAG_BYTES,
    SealBroken,
    SecretKey,
    associated_data,
    seal,
    unseal,
)

# A wrapped slot key is always version byte + nonce + a 32-byte key + tag: any other length is damage.
WRAPPED_KEY_BYTES = 1 + NONCE_BYTES + KEY_BYTES + TAG_BYTES


class Role(StrEnum):
    ADMIN = "admin"  # the slot wraps the office key
    OPERATOR = "operator"  # the slot wraps a slot key


class Access(StrEnum):
    """What a slot is for (`key_slots.access`, migration 8). The recovery slot wraps the office key like
    an administrator's, so it is bound to its access in the associated data: relabelled it fails."""

    ADMIN = ""
    OPERATOR = "operator"
    RECOVERY = "recovery"


RECOVERY_LOGIN = "#recovery"  # never a valid login (core.operators.normalise_login), so never a clash


@dataclass(frozen=True, repr=False)
class KeySlot:
    id: int
    operator: str
    role: Role
    salt: bytes
    limits: KdfLimits
    wrapped_key: bytes
    intact: bool = True  # False: the row cannot be a slot we wrote (see read_slots)
    access: Access = Access.ADMIN
    must_change: bool = False  # the passphrase was set by an administrator: replace it at first use

    def __repr__(self) -> str:
        return f"KeySlot(id={self.id}, operator={self.operator!r}, role={self.role.value})"

    @property
    def is_recovery(self) -> bool:
        return self.access is Access.RECOVERY


def _slot_ad(slot_id: int, role: Role, access: Access = Access.ADMIN) -> bytes:
    # The role is bound too: relabelling an operator slot as admin makes it fail, not escalate. The
    # recovery slot's access is bound as well (slots written before migration 8 have none: unchanged).
    ad = associated_data("key_slots", slot_id, "wrapped_key") + b"|" + role.value.encode()
    return ad + b"|recovery" if access is Access.RECOVERY else ad


def wrap_for_slot(
    slot_id: int,
    role: Role,
    passphrase: str,
    limits: KdfLimits,
    inner: SecretKey,
    access: Access = Access.ADMIN,
) -> tuple[bytes, bytes]:
    """(salt, wrapped_key) for a fresh slot or a new passphrase: a new salt every time."""
    salt = nacl.utils.random(SALT_BYTES)
    kek = SecretKey(derive_kek(passphrase, salt, limits))
    try:
        return salt, seal(kek, inner.material(), _slot_ad(slot_id, role, access))
    finally:
        kek.wipe()


def unwrap_slot(slot: KeySlot, passphrase: str) -> SecretKey:
    """The slot's inner key. DamagedKeySlot if the slot is structurally impossible (checked before the
    KDF runs, so a tampered slot costs nothing); WrongPassphrase if it does not authenticate (a wrong
    passphrase, or a flipped bit in the ciphertext: AEAD cannot tell the two apart)."""
    if not slot.intact:
        raise DamagedKeySlot
    kek = SecretKey(derive_kek(passphrase, slot.salt, slot.limits))
    try:
        material = unseal(kek, slot.wrapped_key, _slot_ad(slot.id, slot.role, slot.access))
    except SealBroken:
        raise WrongPassphrase from None
    finally:
        kek.wipe()
    try:
        return SecretKey(material)
    except ValueError:  # authenticated, yet not a key: we never wrote that
        raise DamagedKeySlot from None


def read_slots(db: Connection) -> list[KeySlot]:
    """Administrators first: with no operator named, open() tries them in this order."""
    # Read before migrating (Store.open): a store older than migration 8 has no access columns yet.
    columns = {row[1] for row in db.execute("PRAGMA table_info(key_slots)").fetchall()}
    extra = ", access, must_change" if "access" in columns else ", '', 0"
    rows = db.execute(
        "SELECT id, operator, role, salt, opslimit, memlimit, wrapped_key" + extra + " FROM key_slots"
        " ORDER BY role = 'admin' DESC, id"
    ).fetchall()
    return [_parse_slot(row) for row in rows]


def _parse_slot(row: tuple[object, ...]) -> KeySlot:
    """A slot as read, with `intact` False when any field cannot be one we wrote. SQLite keeps whatever
    type a tamperer stores, so types are checked as well as lengths."""
    slot_id, operator, role, salt, opslimit, memlimit, wrapped, access, must_change = row
    limits = KdfLimits(opslimit, memlimit)  # type: ignore[arg-type]  # checked by is_sane()
    known_role = role in {r.value for r in Role}
    known_access = access in {a.value for a in Access}
    parsed_access = Access(str(access)) if known_access else Access.ADMIN
    # An operator's slot wraps a slot key, anything else the office key: any other pairing is damage.
    consistent = (role == Role.OPERATOR.value) == (parsed_access is Access.OPERATOR)
    intact = (
        known_role
        and known_access
        and consistent
        and isinstance(operator, str)
        and isinstance(salt, bytes)
        and len(salt) == SALT_BYTES
        and limits.is_sane()
        and isinstance(wrapped, bytes)
        and len(wrapped) == WRAPPED_KEY_BYTES
        and wrapped[:1] == FORMAT_V1
    )
    return KeySlot(
        int(slot_id),  # type: ignore[call-overload]  # INTEGER PRIMARY KEY: always an int
        str(operator),
        Role(str(role)) if known_role else Role.OPERATOR,
        salt if isinstance(salt, bytes) else b"",
        limits,
        wrapped if isinstance(wrapped, bytes) else b"",
        intact,
        parsed_access,
        must_change == 1,
    )

"""Operator key slots: passphrase -> Argon2id -> key-encryption key (KEK) -> the slot's wrapped key.

An administrator's slot wraps the office key. An operator's slot (not created yet by this release)
would wrap a random slot key, under which `slot_client_keys` holds the keys of the clients assigned
to that operator. Changing a passphrase rewrites one `key_slots` row and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import nacl.utils

from ksef_tui.i18n import _
from ksef_tui.store.database import Connection
from ksef_tui.store.errors import StoreError, WrongPassphrase
from ksef_tui.store.kdf import SALT_BYTES, KdfLimits, derive_kek
from ksef_tui.store.sealing import SealBroken, SecretKey, associated_data, seal, unseal


class Role(StrEnum):
    ADMIN = "admin"
    OPERATOR = "operator"


@dataclass(frozen=True, repr=False)
class KeySlot:
    id: int
    operator: str
    role: Role
    salt: bytes
    limits: KdfLimits
    wrapped_key: bytes

    def __repr__(self) -> str:
        return f"KeySlot(id={self.id}, operator={self.operator!r}, role={self.role.value})"


def _slot_ad(slot_id: int, role: Role) -> bytes:
    # The role is bound too: relabelling an operator slot as admin makes it fail, not escalate.
    return associated_data("key_slots", slot_id, "wrapped_key") + b"|" + role.value.encode()


def wrap_for_slot(
    slot_id: int, role: Role, passphrase: str, limits: KdfLimits, inner: SecretKey
) -> tuple[bytes, bytes]:
    """(salt, wrapped_key) for a fresh slot or a new passphrase: a new salt every time."""
    salt = nacl.utils.random(SALT_BYTES)
    kek = SecretKey(derive_kek(passphrase, salt, limits))
    try:
        return salt, seal(kek, inner.material(), _slot_ad(slot_id, role))
    finally:
        kek.wipe()


def unwrap_slot(slot: KeySlot, passphrase: str) -> SecretKey:
    """The slot's inner key; WrongPassphrase if the passphrase (or the slot) does not authenticate."""
    if not slot.limits.is_sane() or len(slot.salt) != SALT_BYTES:
        raise StoreError(_("The key slot is damaged; the store cannot be unlocked with it."))
    kek = SecretKey(derive_kek(passphrase, slot.salt, slot.limits))
    try:
        return SecretKey(unseal(kek, slot.wrapped_key, _slot_ad(slot.id, slot.role)))
    except (SealBroken, ValueError):
        raise WrongPassphrase from None
    finally:
        kek.wipe()


def read_slots(db: Connection) -> list[KeySlot]:
    """Administrators first: with no operator named, open() tries them in this order."""
    rows = db.execute(
        "SELECT id, operator, role, salt, opslimit, memlimit, wrapped_key FROM key_slots"
        " ORDER BY role = 'admin' DESC, id"
    ).fetchall()
    return [KeySlot(row[0], row[1], Role(row[2]), row[3], KdfLimits(row[4], row[5]), row[6]) for row in rows]

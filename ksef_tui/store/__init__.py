"""The sealed store (DESIGN.md "The sealed store"; docs/SECURITY.md).

SQLite through sqlite-utils; every sensitive value sealed with XChaCha20-Poly1305 under its client's
key; keys unlocked by an operator's passphrase through Argon2id. No textual import here.
"""

from ksef_tui.store.board import BoardRow
from ksef_tui.store.damage import DamageEntry, describe_damage
from ksef_tui.store.errors import (
    DamagedOverwrite,
    DamagedValue,
    DamagedValueError,
    NotFound,
    StoreBusy,
    StoreError,
    StoreLocked,
    WrongPassphrase,
)
from ksef_tui.store.kdf import KdfLimits
from ksef_tui.store.passphrase_file import read_passphrase_file
from ksef_tui.store.paths import default_home
from ksef_tui.store.repositories.audit import AuditEntry
from ksef_tui.store.repositories.ksef_sessions import KsefSessionsRepository
from ksef_tui.store.repositories.purchases import (
    PackageCommit,
    PurchaseContentMismatch,
    PurchaseHashConflict,
    PurchasesRepository,
)
from ksef_tui.store.store import DEFAULT_IDLE_TIMEOUT, Store

__all__ = [
    "DEFAULT_IDLE_TIMEOUT",
    "AuditEntry",
    "BoardRow",
    "DamageEntry",
    "DamagedOverwrite",
    "DamagedValue",
    "DamagedValueError",
    "KdfLimits",
    "KsefSessionsRepository",
    "NotFound",
    "PackageCommit",
    "PurchaseContentMismatch",
    "PurchaseHashConflict",
    "PurchasesRepository",
    "Store",
    "StoreBusy",
    "StoreError",
    "StoreLocked",
    "WrongPassphrase",
    "default_home",
    "describe_damage",
    "read_passphrase_file",
]

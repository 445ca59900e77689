"""Store: opening, creating, locking and unlocking the sealed store, and its repositories."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType

from ksef_tui.core.clock import Clock, system_clock
from ksef_tui.core.i18n import _
from ksef_tui.core.operators import OfficeRole
from ksef_tui.store.board import BoardOffice, BoardRow, load_board, load_board_office
from ksef_tui.store.damage import DamageEntry, locate
from ksef_tui.store.database import (
    Connection,
    checkpoint,
    connect,
    ensure_wal,
    looks_truncated,
    next_id,
    quick_check_ok,
    schema_tools,
    unreadable,
    write_transaction,
)
from ksef_tui.store.errors import (
    DamagedKeySlot,
    DamagedValue,
    StoreDamaged,
    StoreError,
    StoreLocked,
    WrongPassphrase,
)
from ksef_tui.store.kdf import KdfLimits
from ksef_tui.store.keyring import KeyRing
from ksef_tui.store.migrations import LATEST, check_not_newer, migrate
from ksef_tui.store.operators import OperatorProfile, OperatorsRepository, unlock_operator
from ksef_tui.store.paths import DB_FILENAME, create_private_file, ensure_private_folder, tighten_existing
from ksef_tui.store.recovery import WrongRecoveryWords, from_words, kdf_input, new_entropy, to_words
from ksef_tui.store.repositories.audit import AuditRepository, append_entry, chain_backlog
from ksef_tui.store.repositories.bookings import BookingsRepository
from ksef_tui.store.repositories.checks import ChecksRepository
from ksef_tui.store.repositories.clients import ClientsRepository
from ksef_tui.store.repositories.credentials import CredentialsRepository
from ksef_tui.store.repositories.documents import DocumentsRepository
from ksef_tui.store.repositories.exports import ExportsRepository
from ksef_tui.store.repositories.ksef_sessions import KsefSessionsRepository
from ksef_tui.store.repositories.office import (
    ClientOfficeStateRepository,
    GrantCensusRepository,
    OfficeCertificateRepository,
)
from ksef_tui.store.repositories.purchases import PurchasesRepository
from ksef_tui.store.repositories.settings import SettingsRepository
from ksef_tui.store.repositories.sync_state import SyncStateRepository
from ksef_tui.store.sealing import SealBroken, SecretKey, associated_data, seal, unseal
from ksef_tui.store.slots import RECOVERY_LOGIN, Access, KeySlot, Role, read_slots, unwrap_slot, wrap_for_slot
from ksef_tui.store.vault import DamageLog, Vault, to_iso

DEFAULT_IDLE_TIMEOUT = timedelta(minutes=15)
_OFFICE_KEY_PURPOSES = ("index", "data")


def _chain_backlog_as_admin(vault: Vault) -> None:
    """Chaining the entries written before the chain existed opens every one of them: only a key that
    opens every client (an administrator's) can; an operator's would chain what it cannot read as empty."""
    if not vault.is_admin:
        raise StoreError(_("This update of the store needs an administrator: ask one to open it first."))
    chain_backlog(vault)


class Store:
    """The sealed store. Thread-safe (one lock around the connection); every repository call raises
    StoreLocked while locked. Only `touch()` counts as activity: background sync must not keep an
    unattended screen unlocked."""

    def __init__(
        self,
        home: Path,
        db_path: Path,
        db: Connection,
        slot: KeySlot,
        keys: KeyRing,
        clock: Clock,
        profile: OperatorProfile | None = None,
    ) -> None:
        # Use Store.create / Store.open; this constructor trusts its arguments.
        self._home = home
        self._db_path = db_path
        self._db = db
        self._slot = slot
        self._profile = profile or OperatorProfile(slot.operator, slot.operator, OfficeRole.ADMINISTRATOR)
        self._keys: KeyRing | None = keys
        self._clock = clock
        self._mutex = threading.RLock()
        self._damage = DamageLog()
        self._closed = False
        self._batch: Vault | None = None  # the open transaction()'s vault, if any
        self.idle_timeout: timedelta = DEFAULT_IDLE_TIMEOUT
        self._last_activity: datetime = clock()
        self.clients = ClientsRepository(self)
        self.credentials = CredentialsRepository(self)
        self.checks = ChecksRepository(self)
        self.sync_state = SyncStateRepository(self)
        self.settings = SettingsRepository(self)
        self.documents = DocumentsRepository(self)
        self.ksef_sessions = KsefSessionsRepository(self)
        self.purchases = PurchasesRepository(self)
        self.audit = AuditRepository(self)
        self.office_certificate = OfficeCertificateRepository(self)
        self.grant_censuses = GrantCensusRepository(self)
        self.client_office = ClientOfficeStateRepository(self)
        self.bookings = BookingsRepository(self)
        self.exports = ExportsRepository(self)
        self.operators = OperatorsRepository(self, lambda: self._slot.limits)

    # -- creating and opening ----------------------------------------------------------------------

    @staticmethod
    def exists(home: Path) -> bool:
        return (Path(home) / DB_FILENAME).exists()

    @classmethod
    def create(
        cls,
        home: Path,
        passphrase: str,
        *,
        operator: str = "admin",
        kdf: KdfLimits = KdfLimits.MODERATE,
        clock: Clock = system_clock,
    ) -> Store:
        """A new store with one administrator slot. Raises StoreError if `home` already holds one."""
        return cls._create(home, passphrase, operator=operator, kdf=kdf, clock=clock)

    @classmethod
    def _create(
        cls,
        home: Path,
        passphrase: str,
        *,
        operator: str,
        kdf: KdfLimits,
        clock: Clock,
        schema_version: int = LATEST,  # tests build old stores to prove migrations
    ) -> Store:
        home = Path(home)
        if cls.exists(home):
            raise StoreError(_("A store already exists in this folder."))
        _require_passphrase(passphrase)
        if not kdf.is_sane():
            # Store.open refuses slots asking for more than MODERATE as damaged; never write one.
            raise StoreError(_("These Argon2id limits are more than ksef-tui uses (at most MODERATE)."))
        if not operator.strip():
            raise StoreError(_("The operator name must not be empty."))
        office = SecretKey.random()
        # The slot's KDF runs before anything touches the disk: a failure leaves no half-made store.
        salt, wrapped = wrap_for_slot(1, Role.ADMIN, passphrase, kdf, office)
        ensure_private_folder(home)
        db_path = home / DB_FILENAME
        create_private_file(db_path)
        db = None
        try:
            db = connect(db_path)
            schema_tools(db).enable_wal()
            now = to_iso(clock()) or ""
            migrate(db, clock(), target=schema_version)
            keys = KeyRing(office=office, index=SecretKey.random(), data=SecretKey.random())
            with write_transaction(db):
                db.execute(
                    "INSERT INTO key_slots (id, operator, role, salt, opslimit, memlimit, wrapped_key,"
                    " created, updated) VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [operator, Role.ADMIN.value, salt, kdf.opslimit, kdf.memlimit, wrapped, now, now],
                )
                for purpose, key in (("index", keys.index), ("data", keys.data)):
                    db.execute(
                        "INSERT INTO office_keys (purpose, wrapped_key, created) VALUES (?, ?, ?)",
                        [purpose, seal(office, key.material(), _office_key_ad(purpose)), now],
                    )
            slot = read_slots(db)[0]
            store = cls(home, db_path, db, slot, keys, clock)
            store.audit.append(None, "store_created", "ok")
            return store
        except BaseException:
            if db is not None:
                db.close()
            for suffix in ("", "-wal", "-shm"):
                with suppress(FileNotFoundError):
                    (home / (DB_FILENAME + suffix)).unlink()
            raise

    @staticmethod
    def logins(home: Path) -> list[str]:
        """Who can unlock the store at `home` (administrators first; never the recovery key), read
        without unlocking (the unlock screen's list). [] when there is no readable store."""
        db_path = Path(home) / DB_FILENAME
        if not db_path.exists():
            return []
        try:
            db = connect(db_path)
        except sqlite3.DatabaseError:
            return []
        try:
            return [s.operator for s in read_slots(db) if not s.is_recovery]
        except sqlite3.DatabaseError:
            return []
        finally:
            db.close()

    @classmethod
    def open(
        cls, home: Path, passphrase: str, *, operator: str | None = None, clock: Clock = system_clock
    ) -> Store:
        """Unlock an existing store. Until the passphrase is proven nothing on disk is changed: no
        chmod, no journal-mode switch, no migration, no write (SQLite itself may fold in a WAL left by
        a crashed process when the connection closes; that is its recovery, not a change of content).
        A file SQLite cannot read says "damaged, restore from a backup"; a file that is not ours says so."""
        return cls._open_with(
            home, clock, lambda slots: _unlock_any(_candidates(slots, operator), passphrase)
        )

    @classmethod
    def _open_with(
        cls, home: Path, clock: Clock, unlock: Callable[[list[KeySlot]], tuple[KeySlot, SecretKey]]
    ) -> Store:
        home = Path(home)
        db_path = home / DB_FILENAME
        if not db_path.exists():
            raise StoreError(_("There is no store in this folder yet."))
        try:
            db = connect(db_path)
        except sqlite3.DatabaseError as exc:
            raise unreadable(exc) from None
        keys: KeyRing | None = None
        try:
            all_slots = _read_before_unlock(db, db_path)
            slot, inner = unlock(all_slots)
            keys, profile = _load_keys(db, slot, inner)
            # Proven. Only now repair loosened modes, make sure of WAL (a restored or copied file may
            # be in rollback mode) and migrate.
            tighten_existing(home)
            ensure_wal(db)
            # Migration 9's data step needs the keys too, and runs in the migration's transaction: the
            # entries written before the audit chain existed are chained once, with the migration.
            vault = Vault(db, keys, DamageLog(), clock, (slot.id, slot.operator))
            migrate(db, clock(), after={"audit_chain": lambda _db: _chain_backlog_as_admin(vault)})
            store = cls(home, db_path, db, slot, keys, clock, profile)
            # Migration 4's data step needs the keys: per-client copies of the office certificate
            # become the one office certificate (once; store/repositories/office.py).
            store.office_certificate.merge_client_copies(clock())
            return store
        except BaseException:
            if keys is not None:
                keys.wipe()
            db.close()
            raise

    def close(self) -> None:
        with self._mutex:
            self.lock()
            if not self._closed:
                self._closed = True
                checkpoint(self._db)  # the .db alone then holds everything written (issue 17 item 10)
                self._db.close()

    def checkpoint(self) -> None:
        """Fold the WAL into the database file and empty it (best effort; see database.checkpoint):
        after a crypto-shred, the old page images must not linger in the `-wal` file."""
        with self._mutex:
            self._require_open()
            checkpoint(self._db)

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # -- locking -----------------------------------------------------------------------------------

    @property
    def is_locked(self) -> bool:
        return self._keys is None

    def lock(self) -> None:
        """Drop every key from memory (zeroed, best effort). Sealed data stays on disk as it is."""
        with self._mutex:
            if self._keys is not None:
                self._keys.wipe()
                self._keys = None
            self.bookings.forget()  # the queue's decoded bookings go with the keys

    def unlock(self, passphrase: str) -> None:
        with self._mutex:
            self._require_open()
            # Read the slot again: another process may have changed the passphrase since we opened.
            slot = next((s for s in read_slots(self._db) if s.id == self._slot.id), None)
            if slot is None:
                raise StoreError(_("Your key slot no longer exists in this store."))
            slot, inner = _unlock_any([slot], passphrase)
            keys, profile = _load_keys(self._db, slot, inner)
            self.lock()
            self._slot = slot
            self._profile = profile or OperatorProfile(slot.operator, slot.operator, OfficeRole.ADMINISTRATOR)
            self._keys = keys
            self._last_activity = self._clock()

    def touch(self) -> None:
        """Call on user activity (a key press); restarts the idle countdown."""
        self._last_activity = self._clock()

    def lock_if_idle(self, now: datetime) -> bool:
        """Lock if nothing touched the store for `idle_timeout`; True if this call locked it."""
        with self._mutex:
            if self._keys is None or now - self._last_activity < self.idle_timeout:
                return False
            self.lock()
            return True

    def change_passphrase(self, old: str, new: str) -> None:
        """Rewrap this operator's slot under `new`; no other row changes. WrongPassphrase if `old`
        is wrong. Both key derivations run before the write lock is taken."""
        _require_passphrase(new)
        with self._mutex:
            self._require_keys()
            slot = next(s for s in read_slots(self._db) if s.id == self._slot.id)
            inner = unwrap_slot(slot, old)
            try:
                salt, wrapped = wrap_for_slot(slot.id, slot.role, new, slot.limits, inner, slot.access)
            finally:
                inner.wipe()
            with self._writing() as vault:
                changed = vault.db.execute(
                    "UPDATE key_slots SET salt = ?, wrapped_key = ?, updated = ?, must_change = 0"
                    " WHERE id = ? AND wrapped_key = ?",
                    [salt, wrapped, vault.now_iso(), slot.id, slot.wrapped_key],
                ).rowcount
                if changed != 1:
                    raise StoreError(_("The passphrase was changed elsewhere at the same moment; try again."))
                append_entry(vault, None, "passphrase_changed", "ok", "")
            self._slot = next(s for s in read_slots(self._db) if s.id == slot.id)

    # -- reading -----------------------------------------------------------------------------------

    @property
    def clock(self) -> Clock:
        """The clock this store was opened with (audit times, idle lock; use cases without their own)."""
        return self._clock

    def board_rows(self) -> list[BoardRow]:
        with self._reading() as vault:
            return load_board(vault)

    def board_office(self) -> BoardOffice:
        """The office certificate (no secrets) and the latest grant census, for the board's readiness."""
        with self._reading() as vault:
            return load_board_office(vault)

    @property
    def damaged(self) -> list[DamagedValue]:
        """Every value found damaged since this store was opened (and not read intact or repaired
        since)."""
        with self._mutex:
            return self._damage.items()

    def damaged_in(self, table: str, row_id: int | str) -> list[str]:
        """The damaged columns of one row (for marking a record on screen)."""
        return [d.column for d in self.damaged if d.table == table and d.row_id == row_id]

    def damage_report(self, client_id: int | None = None) -> list[DamageEntry]:
        """The damage list with the client each value belongs to (`describe_damage` words a line);
        only `client_id`'s values when given."""
        with self._reading() as vault:
            return locate(vault, self._damage.items(), client_id)

    @property
    def home(self) -> Path:
        return self._home

    @property
    def db_path(self) -> Path:
        return self._db_path

    @property
    def operator(self) -> str:
        return self._slot.operator

    @property
    def kdf_limits(self) -> KdfLimits:
        """The Argon2id limits of the unlocked slot."""
        return self._slot.limits

    @property
    def profile(self) -> OperatorProfile:
        """Who unlocked the store: login, name and role (issue 15)."""
        return self._profile

    @property
    def role(self) -> OfficeRole:
        return self._profile.role

    @property
    def is_admin(self) -> bool:
        """Unlocked with the office key: every client, operators, the office's own things."""
        return self._slot.role is Role.ADMIN

    @property
    def must_change_passphrase(self) -> bool:
        """The passphrase was set by an administrator (a new operator, a reset): it must be changed now,
        before anything else (the unlock screen and the CLI ask for a new one; sync/permissions.py
        refuses every use case until then)."""
        return self._slot.must_change

    def can_open_client(self, client_id: int) -> bool:
        """An administrator: any client; an operator: the assigned ones (a wrapped key for their slot)."""
        if self.is_admin:
            return True
        with self._reading() as vault:
            return vault.visible([client_id]) == [client_id]

    def assigned_client_ids(self) -> list[int] | None:
        """The clients an operator holds keys for, in id order; None for an administrator (all)."""
        with self._reading() as vault:
            return vault.visible(None)

    def operator_logins(self) -> list[str]:
        """Who can unlock this store (administrators first; not the recovery key). Plaintext by design:
        the unlock screen needs it before any key exists."""
        with self._mutex:
            self._require_open()
            return [s.operator for s in read_slots(self._db) if not s.is_recovery]

    # -- the recovery key (issue 15 item 4) ------------------------------------------------------------

    def has_recovery_key(self) -> bool:
        with self._mutex:
            self._require_open()
            return any(s.is_recovery for s in read_slots(self._db))

    def create_recovery_key(self) -> list[str]:
        """A new recovery key: 24 words that unwrap the office key (a slot of its own). Returned once,
        never stored; refused when the store has one already (a second would be a second way in that
        nobody remembers making)."""
        with self._mutex:
            if self.has_recovery_key():
                raise StoreError(_("This store already has a recovery key."))
            with self._reading() as vault:
                office = vault.office_key()
                slot_id = next_id(vault.db, "key_slots")
            entropy = new_entropy()
            salt, wrapped = wrap_for_slot(
                slot_id, Role.ADMIN, kdf_input(entropy), self._slot.limits, office, Access.RECOVERY
            )
            with self._writing() as vault:
                now = vault.now_iso()
                vault.db.execute(
                    "INSERT INTO key_slots (id, operator, role, salt, opslimit, memlimit, wrapped_key,"
                    " created, updated, access, must_change) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)",
                    [
                        slot_id,
                        RECOVERY_LOGIN,
                        Role.ADMIN.value,
                        salt,
                        self._slot.limits.opslimit,
                        self._slot.limits.memlimit,
                        wrapped,
                        now,
                        now,
                        Access.RECOVERY.value,
                    ],
                )
                append_entry(vault, None, "recovery_key.created", "ok", "")
            return to_words(entropy)

    @classmethod
    def recover(
        cls,
        home: Path,
        words: str,
        new_passphrase: str,
        *,
        operator: str | None = None,
        clock: Clock = system_clock,
    ) -> Store:
        """Unlock with the recovery words and set a new passphrase on an administrator's slot (the one
        named, else the first); returns the store opened as that administrator. WrongRecoveryWords
        (naming the word) before any key derivation when the words cannot be a recovery key."""
        _require_passphrase(new_passphrase)
        entropy = from_words(words)
        store = cls._open_with(home, clock, lambda slots: _unlock_recovery(slots, entropy))
        try:
            admins = [s for s in read_slots(store._db) if s.role is Role.ADMIN and not s.is_recovery]
            target = next((s for s in admins if operator is None or s.operator == operator), None)
            if target is None:
                raise StoreError(_("There is no administrator {login} in this store.").format(login=operator))
            keys = store._require_keys()
            assert keys.office is not None
            salt, wrapped = wrap_for_slot(target.id, Role.ADMIN, new_passphrase, target.limits, keys.office)
            with store._writing() as vault:
                vault.db.execute(
                    "UPDATE key_slots SET salt = ?, wrapped_key = ?, updated = ?, must_change = 0"
                    " WHERE id = ?",
                    [salt, wrapped, vault.now_iso(), target.id],
                )
                append_entry(vault, None, "recovery.used", "ok", target.operator)
            store._slot = next(s for s in read_slots(store._db) if s.id == target.id)
            store._profile = OperatorProfile(target.operator, target.operator, OfficeRole.ADMINISTRATOR)
            return store
        except BaseException:
            store.close()
            raise

    def copy_to(self, dest: sqlite3.Connection) -> None:
        """SQLite's online backup of the whole file into `dest`: one consistent snapshot, as sealed as
        the store, while other processes go on reading and writing (ksef_tui.store.backup)."""
        with self._mutex:
            self._require_open()
            self._db.conn.backup(dest)

    def count_clients(self) -> int:
        with self._mutex:
            self._require_open()
            return int(self._db.execute("SELECT count(*) FROM clients").fetchone()[0])

    def integrity_check(self) -> bool:
        with self._mutex:
            self._require_open()
            return self._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    def __repr__(self) -> str:
        return f"Store(home={str(self._home)!r}, locked={self.is_locked})"

    # -- sessions for repositories -------------------------------------------------------------------

    def _require_open(self) -> None:
        if self._closed:
            raise StoreError(_("The store is closed."))

    def _require_keys(self) -> KeyRing:
        self._require_open()
        if self._keys is None:
            raise StoreLocked
        return self._keys

    def _vault(self) -> Vault:
        return Vault(
            self._db, self._require_keys(), self._damage, self._clock, (self._slot.id, self._slot.operator)
        )

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Every repository write made inside (by this thread) commits together or not at all: an import
        of a whole client list is one transaction. Other threads wait for the store until it ends."""
        with self._mutex:
            if self._batch is not None:
                raise StoreError(_("A store transaction is already open."))
            with self._writing() as vault:
                self._batch = vault
                try:
                    yield
                finally:
                    self._batch = None

    @contextmanager
    def _reading(self) -> Iterator[Vault]:
        with self._mutex:
            yield self._batch or self._vault()

    @contextmanager
    def _writing(self) -> Iterator[Vault]:
        with self._mutex:
            if self._batch is not None:  # inside transaction(): it commits or rolls back for everyone
                self._require_keys()
                yield self._batch
                return
            vault = self._vault()
            try:
                with write_transaction(self._db):
                    yield vault
            except sqlite3.IntegrityError:
                vault.drop_pending_keys()
                raise StoreError(_("The change conflicts with data already in the store.")) from None
            except BaseException:
                vault.drop_pending_keys()
                raise
            vault.keep_pending_keys()


def _require_passphrase(passphrase: str) -> None:
    if not passphrase:
        raise StoreError(_("The passphrase must not be empty."))


def _office_key_ad(purpose: str) -> bytes:
    return associated_data("office_keys", purpose, "wrapped_key")


def _candidates(slots: list[KeySlot], operator: str | None) -> list[KeySlot]:
    """The slots a passphrase is tried on: the named operator's (a login is matched case-blind), else
    every administrator's. Never the recovery slot (Store.recover)."""
    if operator is None:  # a damaged slot is kept: the answer is then "damaged", not "wrong passphrase"
        return [s for s in slots if not s.is_recovery and (s.role is Role.ADMIN or not s.intact)]
    wanted = operator.strip().lower()
    found = [s for s in slots if s.operator == operator and not s.is_recovery]
    if not found:
        found = [s for s in slots if s.operator.lower() == wanted and not s.is_recovery]
    if not found:
        raise StoreError(_("There is no operator {login} in this store.").format(login=operator))
    return found


def _unlock_recovery(slots: list[KeySlot], entropy: bytes) -> tuple[KeySlot, SecretKey]:
    slot = next((s for s in slots if s.is_recovery and s.intact), None)
    if slot is None:
        raise StoreError(_("This store has no recovery key."))
    try:
        return slot, unwrap_slot(slot, kdf_input(entropy))
    except WrongPassphrase:
        raise WrongRecoveryWords(_("These words are not this store's recovery key.")) from None


def _unlock_any(slots: list[KeySlot], passphrase: str) -> tuple[KeySlot, SecretKey]:
    """WrongPassphrase only when an intact slot refused the passphrase. When there was none to try
    (every candidate damaged), DamagedKeySlot: retyping the passphrase cannot help."""
    tried = False
    for slot in slots:
        if not slot.intact or slot.is_recovery:
            continue
        tried = True
        try:
            return slot, unwrap_slot(slot, passphrase)
        except WrongPassphrase:
            continue
    if slots and not tried:
        raise DamagedKeySlot
    raise WrongPassphrase


def _read_before_unlock(db: Connection, db_path: Path) -> list[KeySlot]:
    """Everything open() reads before the passphrase is proven (reads only)."""
    try:
        if db_path.stat().st_size == 0:
            raise StoreDamaged  # a store is never empty: truncated, or its creation was killed
        if looks_truncated(db, db_path) and not quick_check_ok(db):
            raise StoreDamaged
        version = check_not_newer(db)
        if version == 0 or "key_slots" not in db.table_names():
            raise StoreError(_("This file is not a ksef-tui store."))
        all_slots = read_slots(db)
    except sqlite3.DatabaseError as exc:
        raise unreadable(exc) from None
    if not all_slots:
        # Creation was interrupted before the first slot was written: nothing to unlock.
        raise StoreError(_("This store was never fully created and cannot be opened."))
    return all_slots


def _load_keys(db: Connection, slot: KeySlot, inner: SecretKey) -> tuple[KeyRing, OperatorProfile | None]:
    """The key ring an unlocked slot gives: an administrator's (or the recovery key's) the office key
    and all it wraps; an operator's the slot key, the office's index and data keys, and their profile
    (client keys come later, one by one, from `slot_client_keys`)."""
    if slot.role is Role.ADMIN:
        return _load_keyring(db, inner), None
    try:
        index, data, profile = unlock_operator(db, slot, inner)
    except BaseException:
        inner.wipe()
        raise
    return KeyRing(office=None, index=index, data=data, slot=inner), profile


def _load_keyring(db: Connection, office: SecretKey) -> KeyRing:
    found: dict[str, SecretKey] = {}
    for purpose, wrapped in db.execute("SELECT purpose, wrapped_key FROM office_keys").fetchall():
        with suppress(SealBroken, ValueError):
            found[purpose] = SecretKey(unseal(office, wrapped, _office_key_ad(purpose)))
    if set(found) != set(_OFFICE_KEY_PURPOSES):
        office.wipe()
        for key in found.values():
            key.wipe()
        # Everything hangs on these two keys; without them nothing could be read or looked up.
        raise StoreError(_("The store's office keys are damaged; restore the store from a backup."))
    return KeyRing(office=office, index=found["index"], data=found["data"])

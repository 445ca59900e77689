"""The schema, as numbered migrations. Version N is MIGRATIONS[N-1]; `schema_migrations` records each.

Rules: never edit a released migration, append a new one. All pending migrations run in one
IMMEDIATE transaction, so a crash or a second process leaves the file at the old version or the new,
never between. Column comments say which columns are plaintext; docs/SECURITY.md explains each.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from ksef_tui.core.i18n import _
from ksef_tui.store.database import Connection, schema_tools, write_transaction
from ksef_tui.store.errors import StoreError

if TYPE_CHECKING:
    from sqlite_utils import Database

Migration = tuple[str, Callable[["Database"], None]]


def _run(db: Database, statements: str) -> None:
    # Not executescript(): it COMMITs first, which would end our IMMEDIATE transaction.
    for statement in statements.split(";"):
        if statement.strip():
            db.execute(statement)


def _v1_initial(db: Database) -> None:
    _run(
        db,
        """
        CREATE TABLE key_slots (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            operator TEXT NOT NULL UNIQUE,               -- plaintext: needed before any key exists
            role TEXT NOT NULL CHECK (role IN ('admin', 'operator')),
            salt BLOB NOT NULL,
            opslimit INTEGER NOT NULL,
            memlimit INTEGER NOT NULL,
            wrapped_key BLOB NOT NULL,                   -- admin: the office key, operator: a slot key
            created TEXT NOT NULL,
            updated TEXT NOT NULL
        );
        CREATE TABLE office_keys (
            purpose TEXT PRIMARY KEY CHECK (purpose IN ('index', 'data')),
            wrapped_key BLOB NOT NULL,                   -- sealed by the office key
            created TEXT NOT NULL
        );
        CREATE TABLE clients (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            environment TEXT NOT NULL,
            created TEXT NOT NULL,
            updated TEXT NOT NULL,
            wrapped_key BLOB NOT NULL,                   -- the client key, sealed by the office key
            short_code_index BLOB NOT NULL UNIQUE,
            short_code BLOB NOT NULL,
            name BLOB NOT NULL,
            notes BLOB NOT NULL
        );
        CREATE TABLE client_nips (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            client_id INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            nip_index BLOB NOT NULL UNIQUE,
            nip BLOB NOT NULL
        );
        CREATE INDEX client_nips_by_client ON client_nips(client_id, position);
        -- Operators limited to some clients: the client key sealed by that operator's slot key.
        -- Empty while only administrators exist, present so adding operators needs no data migration.
        CREATE TABLE slot_client_keys (
            slot_id INTEGER NOT NULL REFERENCES key_slots(id) ON DELETE CASCADE,
            client_id INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
            wrapped_key BLOB NOT NULL,
            PRIMARY KEY (slot_id, client_id)
        );
        CREATE TABLE credentials (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            client_id INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            status TEXT NOT NULL,
            created TEXT NOT NULL,
            updated TEXT NOT NULL,
            secret BLOB NOT NULL,
            certificate_pem BLOB NOT NULL,
            reference BLOB NOT NULL,
            serial BLOB NOT NULL,
            permissions BLOB NOT NULL,
            valid_from BLOB NOT NULL,
            valid_until BLOB NOT NULL,
            label BLOB NOT NULL
        );
        CREATE INDEX credentials_by_client ON credentials(client_id);
        CREATE TABLE live_checks (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            client_id INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
            credential_id INTEGER REFERENCES credentials(id) ON DELETE CASCADE,
            checked_at TEXT NOT NULL,
            outcome TEXT NOT NULL,
            permissions BLOB NOT NULL,
            token_status BLOB NOT NULL,
            ksef_code BLOB NOT NULL,
            message BLOB NOT NULL
        );
        CREATE INDEX live_checks_latest ON live_checks(credential_id, checked_at, id);
        CREATE INDEX live_checks_by_client ON live_checks(client_id);
        CREATE TABLE sync_state (
            client_id INTEGER PRIMARY KEY REFERENCES clients(id) ON DELETE CASCADE,
            last_attempt TEXT,
            last_success TEXT,
            last_error BLOB NOT NULL
        );
        CREATE TABLE settings (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            key_index BLOB NOT NULL UNIQUE,
            key BLOB NOT NULL,
            value BLOB NOT NULL,
            updated TEXT NOT NULL
        );
        -- No foreign keys: the trail outlives the clients and operators it mentions.
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            client_id INTEGER,
            slot_id INTEGER,
            sealed_by TEXT NOT NULL CHECK (sealed_by IN ('client', 'office')),
            operator BLOB NOT NULL,
            action BLOB NOT NULL,
            result BLOB NOT NULL,
            detail BLOB NOT NULL
        );
        CREATE INDEX audit_log_by_client ON audit_log(client_id, id);
        """,
    )


def _v2_documents(db: Database) -> None:
    """Invoice and UPO XML, sealed whole; looked up by (client, kind, blind index of the key)."""
    _run(
        db,
        """
        CREATE TABLE documents (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            client_id INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
            kind TEXT NOT NULL,
            key_index BLOB NOT NULL,
            key BLOB NOT NULL,
            data BLOB NOT NULL,
            meta BLOB NOT NULL,
            created TEXT NOT NULL,
            updated TEXT NOT NULL,
            UNIQUE (client_id, kind, key_index)
        );
        """,
    )


def _v3_ksef_sessions(db: Database) -> None:
    """KSeF session history and each session's invoices (issue 4). Plaintext: ids, dates, status codes,
    the session type and invoice counts (SQL filters and pages on them); everything from KSeF's text,
    references, numbers and reasons is sealed. References and KSeF numbers are found through blind
    indexes scoped to the client."""
    _run(
        db,
        """
        CREATE TABLE ksef_sessions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            client_id INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
            reference_index BLOB NOT NULL,
            kind TEXT NOT NULL,                          -- plaintext enum: Online | Batch
            status_code INTEGER NOT NULL,                -- plaintext: KSeF session status code
            opened TEXT NOT NULL,                        -- plaintext: dateCreated
            updated TEXT,                                -- plaintext: dateUpdated
            invoices_total INTEGER NOT NULL,             -- plaintext counts (filter "with rejections")
            invoices_accepted INTEGER NOT NULL,
            invoices_rejected INTEGER NOT NULL,
            invoices_fetched TEXT,                       -- plaintext: when its invoice list was stored
            upo_pages INTEGER,                           -- plaintext: UPO pages KSeF announced (NULL unknown)
            upo_saved INTEGER NOT NULL DEFAULT 0,        -- plaintext: UPO pages held sealed in documents
            fetched TEXT NOT NULL,                       -- plaintext: when this row came from KSeF
            data BLOB NOT NULL,                          -- sealed JSON: reference, status text, details, ...
            UNIQUE (client_id, reference_index)
        );
        CREATE INDEX ksef_sessions_by_client ON ksef_sessions(client_id, opened DESC, id DESC);
        CREATE INDEX ksef_sessions_by_opened ON ksef_sessions(opened DESC, id DESC);
        CREATE TABLE ksef_session_invoices (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            session_id INTEGER NOT NULL REFERENCES ksef_sessions(id) ON DELETE CASCADE,
            client_id INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
            ordinal INTEGER,                             -- plaintext: position in the session
            status_code INTEGER NOT NULL,                -- plaintext: KSeF invoice status code
            ksef_number_index BLOB,                      -- blind index (NULL when no KSeF number)
            acquired TEXT,                               -- plaintext: acquisitionDate
            stored TEXT,                                 -- plaintext: permanentStorageDate
            upo_saved INTEGER NOT NULL DEFAULT 0,        -- plaintext flag: its own UPO is held sealed
            data BLOB NOT NULL                           -- sealed JSON: numbers, reference, reasons, ...
        );
        CREATE INDEX ksef_session_invoices_by_session ON ksef_session_invoices(session_id, ordinal);
        CREATE INDEX ksef_session_invoices_by_number ON ksef_session_invoices(client_id, ksef_number_index);
        CREATE TABLE ksef_session_refresh (
            client_id INTEGER PRIMARY KEY REFERENCES clients(id) ON DELETE CASCADE,
            refreshed_at TEXT NOT NULL,                  -- plaintext: last GET /sessions refresh
            next_allowed TEXT NOT NULL                   -- plaintext: earliest next refresh (60/h limit)
        );
        """,
    )


def _v4_purchases(db: Database) -> None:
    """Purchase invoices (issue 12) and their sync state. Plaintext: ids, the provisional flag (SQL keeps
    stored and provisional rows apart) and the sync timestamps (they order the work, like sync_state);
    every field of an invoice and the cursor, pending export (with its AES key) and errors are sealed.
    A KSeF number is found through a blind index scoped to the client."""
    _run(
        db,
        """
        CREATE TABLE purchase_invoices (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            client_id INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
            subject TEXT NOT NULL,                       -- plaintext enum: Subject2 | Subject3
            number_index BLOB NOT NULL,                  -- blind index of the upper-case KSeF number
            record BLOB NOT NULL,                        -- sealed JSON: every PurchaseRecord field
            provisional INTEGER NOT NULL CHECK (provisional IN (0, 1)),
            created TEXT NOT NULL,                       -- plaintext: when the row was written
            UNIQUE (client_id, number_index)
        );
        CREATE INDEX purchase_invoices_by_client ON purchase_invoices(client_id, provisional);
        CREATE TABLE purchase_sync (
            client_id INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
            subject TEXT NOT NULL,                       -- plaintext enum: Subject2 | Subject3
            state BLOB NOT NULL,                         -- sealed JSON: cursor, pending export and key, ...
            last_attempt TEXT,                           -- plaintext timestamps: they order the work
            last_success TEXT,
            blocked_until TEXT,
            PRIMARY KEY (client_id, subject)
        );
        """,
    )


def _v5_office_certificate(db: Database) -> None:
    """The office's own KSeF certificate, the grant censuses and each client's office-related state
    (issue 11). The office certificate and the censuses are sealed under the office data key, a client's
    state under its client key. Plaintext: ids, timestamps and the certificate's status enum. Copies of
    the office certificate stored per client are merged into it on the first unlock after this
    migration (store/repositories/office.py `merge_client_copies`: merging needs the keys)."""
    _run(
        db,
        """
        CREATE TABLE office_certificate (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            status TEXT NOT NULL,                        -- plaintext enum (CredentialStatus)
            created TEXT NOT NULL,                       -- plaintext: when imported or enrolled
            updated TEXT NOT NULL,
            secret BLOB NOT NULL,                        -- sealed: the private key (PEM)
            certificate_pem BLOB NOT NULL,
            serial BLOB NOT NULL,
            fingerprint BLOB NOT NULL,
            permissions BLOB NOT NULL,
            valid_from BLOB NOT NULL,
            valid_until BLOB NOT NULL,
            label BLOB NOT NULL
        );
        CREATE TABLE grant_censuses (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            taken_at TEXT NOT NULL,                      -- plaintext: when the census was taken
            data BLOB NOT NULL                           -- sealed JSON: grants by NIP, scope
        );
        CREATE INDEX grant_censuses_by_time ON grant_censuses(taken_at DESC, id DESC);
        CREATE TABLE client_office_state (
            client_id INTEGER PRIMARY KEY REFERENCES clients(id) ON DELETE CASCADE,
            updated TEXT NOT NULL,                       -- plaintext: last change
            data BLOB NOT NULL                           -- sealed JSON: grant requested on, last probe
        );
        """,
    )


def _v6_bookings(db: Database) -> None:
    """Bookings of purchase invoices and the rules that propose them (issue 13). Plaintext: ids, the
    booking's status (the queue counts and filters by it in SQL), when it entered the queue (the SLA
    sort) and when the row was last written; every field of a booking (lines included) and of a rule is
    sealed. A booking's KSeF number is found through the purchase invoices' blind index (same domain, so
    "invoices without a booking" is a SQL anti-join), a rule's seller through a blind index scoped to
    its client or the office. Office rules (client_id NULL) are sealed under the office data key."""
    _run(
        db,
        """
        CREATE TABLE bookings (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            client_id INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
            number_index BLOB NOT NULL,                  -- blind index of the upper-case KSeF number
            status TEXT NOT NULL,                        -- plaintext enum (BookingStatus)
            queued_at TEXT,                              -- plaintext: entered the queue (SLA age)
            updated TEXT NOT NULL,                       -- plaintext: when the row was last written
            data BLOB NOT NULL,                          -- sealed JSON: every Booking field, lines included
            UNIQUE (client_id, number_index)
        );
        CREATE INDEX bookings_queue ON bookings(status, queued_at, id);
        CREATE INDEX bookings_by_client ON bookings(client_id, status, queued_at, id);
        CREATE TABLE booking_rules (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            client_id INTEGER REFERENCES clients(id) ON DELETE CASCADE,  -- NULL: an office rule
            seller_index BLOB NOT NULL,                  -- blind index of the seller NIP, per client/office
            updated TEXT NOT NULL,                       -- plaintext: when the rule was last written
            data BLOB NOT NULL                           -- sealed JSON: every Rule field
        );
        CREATE INDEX booking_rules_by_seller ON booking_rules(client_id, seller_index);
        """,
    )


def _v7_export_batches(db: Database) -> None:
    """Export batches (issue 14): one row per export run of one client. Plaintext: what listing needs
    (the format, the period, done/undone, when); sealed under the client's key: the rest of the batch
    (who, the period kind, the writer's context, file names and SHA-256, warnings, the folder) in `data`,
    and the booking snapshots exported in `bookings` (kept apart so a list never unseals thousands)."""
    _run(
        db,
        """
        CREATE TABLE export_batches (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            client_id INTEGER NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
            format TEXT NOT NULL,                        -- plaintext enum (ExportFormat)
            period TEXT NOT NULL,                        -- plaintext: "YYYY-MM"
            status TEXT NOT NULL,                        -- plaintext enum (BatchStatus): done, undone
            created TEXT NOT NULL,                       -- plaintext: when the batch was written
            updated TEXT NOT NULL,                       -- plaintext: when the row was last written
            data BLOB NOT NULL,                          -- sealed JSON: the batch without its bookings
            bookings BLOB NOT NULL                       -- sealed JSON: the booking snapshots exported
        );
        CREATE INDEX export_batches_by_client ON export_batches(client_id, id);
        """,
    )


def _v8_operators(db: Database) -> None:
    """Operators limited to some clients (issue 15). `key_slots.access` says what a slot is for: '' an
    administrator's (wraps the office key), 'operator' an operator's (wraps a random slot key), 'recovery'
    the recovery key's (wraps the office key; never tried with a passphrase). `must_change`: the slot's
    passphrase was set by an administrator and must be replaced at first use. `operator_keys` holds, per
    operator slot, what the slot key opens besides the assigned clients' keys (`slot_client_keys`)."""
    _run(
        db,
        """
        ALTER TABLE key_slots ADD COLUMN access TEXT NOT NULL DEFAULT '';  -- see above
        ALTER TABLE key_slots ADD COLUMN must_change INTEGER NOT NULL DEFAULT 0;  -- plaintext flag
        CREATE TABLE operator_keys (
            slot_id INTEGER PRIMARY KEY REFERENCES key_slots(id) ON DELETE CASCADE,
            by_office BLOB NOT NULL,                     -- the slot key sealed by the office key
            index_key BLOB NOT NULL,                     -- the office index key sealed by the slot key
            data_key BLOB NOT NULL,                      -- the office data key sealed by the slot key
            profile BLOB NOT NULL                        -- sealed by the slot key: name and role (JSON)
        );
        """,
    )


def _v9_audit_chain(db: Database) -> None:
    """The audit log's hash chain (issue 15): each entry's plaintext `chain` digest, keyed BLAKE2b over
    the previous entry's digest and this entry (store/audit_chain.py). Computing it needs the keys, so the
    entries already there are chained on the first unlock after this migration
    (store/repositories/audit.py `chain_backlog`), in id order. Numbered 9: 8 is the operators'."""
    _run(db, "ALTER TABLE audit_log ADD COLUMN chain BLOB")  # plaintext: a keyed digest, no content


# The statuses of the open queue, as the partial index below names them (frozen with the migration; the
# repository asks for this index only with this exact clause: store/repositories/bookings.py).
OPEN_QUEUE_CLAUSE = "status IN ('needs_review', 'new', 'proposed')"


def _v10_open_queue_order(db: Database) -> None:
    """The open queue in its order (issue 13 "Speed"): an index of the open bookings alone, sorted as the
    queue is (queued first, oldest first, then row id), with the status to filter by. A page of the
    queue reads its ids off this index and stops at the page's end; without it SQLite gathered every
    open booking's id and sorted them in a temporary B-tree before the first row (2–4 ms at 20,000)."""
    _run(
        db,
        "CREATE INDEX bookings_open_order ON bookings(queued_at IS NULL, queued_at, id, status)"
        f" WHERE {OPEN_QUEUE_CLAUSE}",
    )


MIGRATIONS: list[Migration] = [
    ("initial", _v1_initial),
    ("documents", _v2_documents),
    ("ksef_sessions", _v3_ksef_sessions),
    ("purchases", _v4_purchases),
    ("office_certificate", _v5_office_certificate),
    ("bookings", _v6_bookings),
    ("export_batches", _v7_export_batches),
    ("operators", _v8_operators),
    ("audit_chain", _v9_audit_chain),
    ("open_queue_order", _v10_open_queue_order),
]
LATEST = len(MIGRATIONS)


def current_version(db: Connection | Database) -> int:
    if "schema_migrations" not in db.table_names():
        return 0
    row = db.execute("SELECT max(version) FROM schema_migrations").fetchone()
    return int(row[0] or 0)


def check_not_newer(db: Connection | Database) -> int:
    version = current_version(db)
    if version > LATEST:
        raise StoreError(_("This store was written by a newer version of ksef-tui; please update ksef-tui."))
    return version


def migrate(
    connection: Connection,
    now: datetime,
    target: int = LATEST,
    after: Mapping[str, Callable[[Connection], object]] | None = None,
) -> int:
    """Bring the schema to `target` (default: the latest) with sqlite-utils; returns the version reached.
    `after` names data steps that need the keys (migration name -> step), run in the same transaction
    right after their migration, so a crash leaves neither half done."""
    if check_not_newer(connection) >= target:
        return current_version(connection)
    db = schema_tools(connection)
    with write_transaction(connection):
        db.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
        )
        # Read again under the write lock: another process may have migrated meanwhile.
        version = check_not_newer(db)
        for number in range(version + 1, target + 1):
            name, apply = MIGRATIONS[number - 1]
            apply(db)
            if after is not None and name in after:
                after[name](connection)
            db.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                [number, name, now.isoformat()],
            )
        return max(version, target)

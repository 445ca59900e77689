"""Importing and exporting the client list: the use cases `ksef-tui clients` and the board share.

Reading: the file is read once into memory (CSV bytes, or an .xlsx's cells through openpyxl in
read-only mode) and never copied anywhere. `core.client_import` turns the rows into a plan, checked
against the store; `apply_import` writes the plan in one store transaction (all or nothing), sealing
each token as it goes. Nothing here logs, and no report line carries a token.

Blocking (file, SQLite): the screen calls the `async` wrappers, which run in a thread.
No textual here.
"""

from __future__ import annotations

import asyncio
import csv
import dataclasses
import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ksef_tui.core.board import BoardEntry, build_board
from ksef_tui.core.client_import import (
    Cell,
    ImportPlan,
    RowAction,
    StoredClient,
    StoredToken,
    StoreSnapshot,
    TokenAction,
    decode_text,
    plan_import,
    split_csv,
    token_digest,
)
from ksef_tui.core.clock import WARSAW, Clock
from ksef_tui.core.health import HealthSettings
from ksef_tui.core.i18n import _
from ksef_tui.core.models import (
    CREDENTIAL_KIND_LABELS,
    Client,
    Credential,
    CredentialKind,
    CredentialStatus,
    Environment,
    token_reference,
)
from ksef_tui.core.operators import Action
from ksef_tui.store import Store, StoreError
from ksef_tui.sync.permissions import require

MAX_FILE_BYTES = 20 * 1024 * 1024  # a list of thousands of clients is well under 1 MB
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm")


class ImportProblem(Exception):
    """The file cannot be read, or the store refused the import; the message says why, in words."""


@dataclass(frozen=True)
class ImportResult:
    added: int
    updated: int
    unchanged: int
    tokens_sealed: int
    skipped: int  # invalid rows left out (--skip-invalid)

    def summary(self) -> str:
        return _(
            "Imported: {added} new, {updated} updated, {unchanged} unchanged; {tokens} tokens sealed;"
            " {skipped} rows skipped."
        ).format(
            added=self.added,
            updated=self.updated,
            unchanged=self.unchanged,
            tokens=self.tokens_sealed,
            skipped=self.skipped,
        )


# --- reading ---------------------------------------------------------------------------------------


def read_rows(path: Path) -> list[tuple[int, list[Cell]]]:
    """(row number, cells) of the file's first sheet, or of the CSV."""
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise ImportProblem(_("The file is too large for a client list (over 20 MB)."))
        if path.suffix.lower() in SPREADSHEET_SUFFIXES:
            return _read_xlsx(path)
        data = path.read_bytes()
    except FileNotFoundError:
        raise ImportProblem(_("No such file: {path}").format(path=path)) from None
    except IsADirectoryError:
        raise ImportProblem(_("This is a folder, not a file: {path}").format(path=path)) from None
    except PermissionError:
        raise ImportProblem(_("No permission to read {path}.").format(path=path)) from None
    except OSError as err:
        raise ImportProblem(
            _("Cannot read {path}: {reason}").format(path=path, reason=err.strerror)
        ) from None
    if data.startswith(b"PK\x03\x04"):
        raise ImportProblem(_("This is a spreadsheet file: name it .xlsx, or save the sheet as CSV."))
    try:
        text, _encoding = decode_text(data)
        return split_csv(text)
    except (ValueError, csv.Error) as err:
        raise ImportProblem(str(err)) from None


def _read_xlsx(path: Path) -> list[tuple[int, list[Cell]]]:
    # deferred: openpyxl, ~220-360 ms (python -X importtime, on top of `ksef_tui.cli`, 3 runs), is needed
    # only for an .xlsx, never by `status` or the board.
    from zipfile import BadZipFile

    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except (BadZipFile, InvalidFileException, KeyError, ValueError):
        raise ImportProblem(_("The file is not a readable .xlsx spreadsheet.")) from None
    try:
        sheet = book.worksheets[0]
        first = sheet.min_row or 1
        rows: list[tuple[int, list[Cell]]] = []
        for offset, values in enumerate(sheet.iter_rows(values_only=True)):
            rows.append((first + offset, [_cell(v) for v in values]))
        return rows
    finally:
        book.close()


def _cell(value: object) -> Cell:
    if value is None or isinstance(value, str | int | float | datetime):
        return value
    return str(value)  # times, durations, booleans: text, never a crash


# --- planning -----------------------------------------------------------------------------------------


def snapshot(store: Store) -> StoreSnapshot:
    """What the plan checks against: every client, and a digest of every token stored (the texts are
    read to be digested and dropped at once)."""
    clients = [
        StoredClient(c.id or 0, c.name, c.short_code, tuple(c.nips), c.environment, c.notes, bool(c.damaged))
        for c in store.clients.list()
    ]
    tokens: dict[str, StoredToken] = {}
    for creds in store.credentials.all().values():
        for cred in creds:
            if cred.kind is CredentialKind.KSEF_TOKEN and cred.secret and "secret" not in cred.damaged:
                tokens[token_digest(cred.secret)] = StoredToken(
                    cred.client_id, cred.id or 0, cred.valid_until
                )
            cred.secret = ""
    return StoreSnapshot(clients, tokens)


def prepare_import(
    store: Store, path: Path, default_environment: Environment = Environment.PROD
) -> ImportPlan:
    """The file read and every row checked (nothing written)."""
    rows = read_rows(path)
    try:
        return plan_import(rows, snapshot(store), default_environment)
    except StoreError as err:
        raise ImportProblem(str(err)) from None


def apply_import(store: Store, plan: ImportPlan, clock: Clock, *, skip_invalid: bool = False) -> ImportResult:
    """Writes the plan's valid rows in one transaction: every client and token, or nothing. Refuses
    (ImportProblem) a plan with invalid rows unless `skip_invalid`."""
    require(store, Action.CLIENTS)
    if not plan.importable(skip_invalid):
        raise ImportProblem(_("Nothing was imported: correct the rows marked ERROR (or use --skip-invalid)."))
    counts = {action: 0 for action in RowAction}
    sealed = 0
    now = clock()
    try:
        with store.transaction():
            for row in plan.valid:
                client_id = _save_client(store, row.client, row.action)
                counts[row.action] += 1
                if row.token_action is TokenAction.ADD:
                    reference = token_reference(row.token)
                    store.credentials.add(
                        Credential(
                            client_id=client_id,
                            kind=CredentialKind.KSEF_TOKEN,
                            secret=row.token,
                            reference=reference,
                            created=now,
                            valid_until=row.token_valid_until,
                            status=CredentialStatus.ACTIVE,
                        )
                    )
                    store.audit.append(client_id, "credential.import_token", "ok", reference or "")
                    sealed += 1
                elif row.token_action is TokenAction.EXPIRY and row.credential_id is not None:
                    cred = store.credentials.get(row.credential_id)
                    store.credentials.update(dataclasses.replace(cred, valid_until=row.token_valid_until))
                    store.audit.append(client_id, "credential.expiry", "ok", cred.reference or "")
            store.audit.append(None, "clients.import", "ok", f"{len(plan.valid)} rows")
    except StoreError as err:
        raise ImportProblem(_("Nothing was imported: {reason}").format(reason=err)) from None
    return ImportResult(
        counts[RowAction.ADD],
        counts[RowAction.UPDATE],
        counts[RowAction.UNCHANGED],
        sealed,
        len(plan.invalid),
    )


def _save_client(store: Store, client: Client | None, action: RowAction) -> int:
    assert client is not None  # a valid row always has one
    if action is RowAction.ADD:
        saved = store.clients.add(client)
        assert saved.id is not None
        store.audit.append(saved.id, "client.import", "ok")
        return saved.id
    assert client.id is not None
    if action is RowAction.UPDATE:
        store.clients.update(client)
        store.audit.append(client.id, "client.import_update", "ok")
    return client.id


async def load_import_plan(
    store: Store, path: Path, default_environment: Environment = Environment.PROD
) -> ImportPlan:
    return await asyncio.to_thread(prepare_import, store, path, default_environment)


async def run_import(store: Store, plan: ImportPlan, clock: Clock, skip_invalid: bool) -> ImportResult:
    return await asyncio.to_thread(apply_import, store, plan, clock, skip_invalid=skip_invalid)


# --- exporting ---------------------------------------------------------------------------------------

EXPORT_HEADER = (
    "nip",
    "nazwa",
    "kod",
    "środowisko",
    "notatki",
    "stan",
    "powód",
    "wygasa",
    "poświadczenie",
)


def export_rows(entries: Sequence[BoardEntry]) -> list[list[str]]:
    """The header and one row per client: no secret, no token reference; health in words."""
    rows = [list(EXPORT_HEADER)]
    for e in entries:
        cred = e.health.credential
        rows.append(
            [
                e.client.nip,
                e.client.name,
                e.client.short_code,
                e.client.environment.value,
                e.client.notes,
                e.level.key,
                e.health.reason,
                e.health.expires.astimezone(WARSAW).date().isoformat() if e.health.expires else "",
                _(CREDENTIAL_KIND_LABELS[cred.kind]) if cred is not None else "",
            ]
        )
    return rows


def export_clients(store: Store, path: Path, now: datetime, health: HealthSettings | None = None) -> int:
    """Writes the client list to `path` (.csv: UTF-8 with a BOM and `;`, as Excel opens it on a Polish
    Windows; .xlsx); the number of clients written."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".xlsx"):
        raise ImportProblem(_("Export to a .csv or .xlsx file."))
    board = [(r.client, r.credentials, r.checks, r.sync) for r in store.board_rows()]
    entries = build_board(board, now, health or HealthSettings())
    entries.sort(key=lambda e: e.client.short_code)
    rows = export_rows(entries)
    try:
        if suffix == ".csv":
            buffer = io.StringIO(newline="")
            csv.writer(buffer, delimiter=";", lineterminator="\r\n").writerows(_csv_safe(r) for r in rows)
            path.write_text(buffer.getvalue(), encoding="utf-8-sig", newline="")
        else:
            from openpyxl import Workbook  # deferred: as in _read_xlsx

            book = Workbook(write_only=True)
            sheet = book.create_sheet("klienci")
            for r in rows:
                sheet.append(_csv_safe(r))
            book.save(path)
    except OSError as err:
        raise ImportProblem(
            _("Cannot write {path}: {reason}").format(path=path, reason=err.strerror)
        ) from None
    return len(entries)


def _csv_safe(row: list[str]) -> list[str]:
    """A cell starting with = + - @ would be run as a formula by a spreadsheet (CSV injection): a name
    comes from outside, so such a cell gets a leading apostrophe, which spreadsheets show as text."""
    return ["'" + cell if cell[:1] in ("=", "+", "-", "@") else cell for cell in row]

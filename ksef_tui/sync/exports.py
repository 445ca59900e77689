"""Hand-over to the accounting program (issue 14): plan an export, write it atomically, record the batch;
re-create or undo a batch. Screens and the CLI call only these (blocking: call them in a thread).

`plan_export` is the preview: the bookings a run takes (core/export_plan), the writer's output (every file
in memory), the sums, warnings and problems, the target folder and which of its files already exist.
Nothing is written. `run_export(store, plan, by)` then writes the plan's files and records the batch.

Where: `<export folder>/<short code>/<period>/`, the export folder being the office's (`office set
export_folder`) or the one given (`--out`). Folders are made 0700 and files 0600, as for UPO copies
(docs/SECURITY.md "Files outside the store"); no folder below the root is followed through a link.

The order of a run (docs/EXPORT.md "Atomicity"), under an exclusive lock on the target folder:

1. stale temporary files of ours (`.ksef-tui-*.part`) are removed; a journal left by an interrupted run
   (`.ksef-tui-export.journal`) is read: the files it lists that still hold the bytes it names, and whose
   run was never recorded, are our own leftovers and are replaced without asking;
2. any other file under a final name stops the run unless `overwrite` (nothing written);
3. every file goes into a temporary file in the target folder, fsynced;
4. the journal (run id, file names, SHA-256) is written the same way and renamed into place;
5. each temporary file is renamed over its final name (os.replace: atomic), the folder fsynced;
6. the batch is recorded in ONE store transaction (bookings EXPORTED, audit entries) with the run id;
7. the journal is removed.

Killed anywhere, no final name ever holds a partial file (3 and 5), and no booking is EXPORTED unless
every file is complete under its final name (6 comes after 5). Killed between 4 and 6, the files are
complete but unrecorded: the next run removes the temporaries and replaces those files without asking.
If recording fails (a booking changed meanwhile), the files just written are removed again.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import secrets
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, fields, replace
from enum import Enum
from pathlib import Path
from typing import Any

from ksef_tui.core.bookings import Booking
from ksef_tui.core.clock import Clock
from ksef_tui.core.export_batch import BatchFile, BatchStatus, ExportBatch
from ksef_tui.core.export_plan import ExportSelection, ExportSummary, select
from ksef_tui.core.export_writers import WRITERS
from ksef_tui.core.exports import (
    ExportContext,
    ExportFile,
    ExportFormat,
    ExportItem,
    ExportOutput,
    ExportWarning,
    PeriodKind,
    TaxpayerProfile,
)
from ksef_tui.core.i18n import _
from ksef_tui.core.operators import Action
from ksef_tui.core.safe_paths import FILE_MODE, FOLDER_MODE, ensure_private_root, safe_component
from ksef_tui.store import DamagedValueError, Store, StoreError
from ksef_tui.store.repositories.exports import BatchUndoRefused
from ksef_tui.sync.bookings import INVOICE_DOCUMENT
from ksef_tui.sync.office import read_profile
from ksef_tui.sync.permissions import require

__all__ = [  # BatchUndoRefused too: screens never import the store themselves
    "BatchUndoRefused",
    "ExportFolderError",
    "ExportPlan",
    "ExportResult",
    "ProfileError",
    "RecreateResult",
    "check_profile",
    "export_context",
    "export_root",
    "list_batches",
    "plan_export",
    "recreate_batch",
    "run_export",
    "save_profile",
    "target_folder",
    "undo_batch",
]

TEMP_PREFIX = ".ksef-tui-"
TEMP_SUFFIX = ".part"
JOURNAL = ".ksef-tui-export.journal"
_TEMP = re.compile(r"\.ksef-tui-[0-9a-f]{16}\..*\.part")
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no folder lock (one export at a time is the user's care)
    fcntl = None  # type: ignore[assignment]


class ExportFolderError(OSError):
    """The target folder cannot be used (a link, not a folder, another user's, locked by another run)."""


@dataclass(frozen=True)
class ExportPlan:
    """One client's export as previewed: every file in memory, nothing written yet."""

    client_id: int
    short_code: str
    format: ExportFormat
    context: ExportContext
    selection: ExportSelection
    output: ExportOutput
    folder: Path
    again: bool = False
    existing: tuple[str, ...] = ()  # target files already there (refused unless `overwrite`)
    leftovers: tuple[str, ...] = ()  # files of ours an interrupted or undone run left: replaced freely
    problems: tuple[ExportWarning, ...] = ()  # besides the writer's (e.g. the format is not available)

    @property
    def summary(self) -> ExportSummary:
        return self.selection.summary

    @property
    def warnings(self) -> tuple[ExportWarning, ...]:
        return self.selection.warnings + self.output.warnings

    @property
    def all_problems(self) -> tuple[ExportWarning, ...]:
        return self.problems + self.output.problems

    @property
    def nothing_to_export(self) -> bool:
        return self.selection.nothing_to_export

    @property
    def file_names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.output.files)


@dataclass(frozen=True)
class ExportResult:
    plan: ExportPlan
    batch: ExportBatch | None = None  # None: nothing was written
    written: tuple[Path, ...] = ()
    problems: tuple[ExportWarning, ...] = ()  # why nothing was written

    @property
    def warnings(self) -> tuple[ExportWarning, ...]:
        return self.plan.warnings


@dataclass(frozen=True)
class RecreateResult:
    batch: ExportBatch
    written: tuple[Path, ...] = ()
    problems: tuple[ExportWarning, ...] = ()
    folder: Path = field(default_factory=Path)


# -- planning ---------------------------------------------------------------------------------------


def export_root(store: Store, out: Path | None) -> Path:
    """The folder exports go under: `out` when given, else the office's export folder."""
    return Path(out) if out is not None else read_profile(store).export_path()


def target_folder(root: Path, short_code: str, period: str) -> Path:
    return Path(root) / safe_component(short_code, "client") / safe_component(period, "period")


def export_context(
    store: Store,
    client_id: int,
    period: str,
    period_kind: PeriodKind,
    clock: Clock,
    profile: TaxpayerProfile | None = None,
) -> ExportContext:
    client = store.clients.get(client_id)
    office = read_profile(store)
    return ExportContext(
        client_id=client_id,
        client_name=client.name,
        client_nip=client.nip,
        short_code=client.short_code,
        profile=profile if profile is not None else store.exports.profile(client_id),
        period=period,
        period_kind=period_kind,
        created_at=clock(),
        office_name=office.name,
        office_nip=office.nip,
    )


def _items(store: Store, bookings: Sequence[Booking]) -> list[ExportItem]:
    """Each booking with its invoice's XML as the store keeps it; None when absent or damaged (the
    damage is recorded in `store.damaged`; a format that needs the XML reports it missing)."""
    items = []
    for b in bookings:
        try:
            xml = store.documents.get(b.client_id, INVOICE_DOCUMENT, b.ksef_number)
        except DamagedValueError:
            xml = None
        items.append(ExportItem(b, xml))
    return items


def _write_output(fmt: ExportFormat, items: Sequence[ExportItem], context: ExportContext) -> ExportOutput:
    writer = WRITERS.get(fmt)
    if writer is None:
        problem = ExportWarning(
            "export.format_unavailable",
            _("The {format} format is not available in this version.").format(format=fmt.value),
        )
        return ExportOutput((), (), (problem,))
    return writer(items, context)


def plan_export(
    store: Store,
    client_id: int,
    fmt: ExportFormat,
    period: str,
    clock: Clock,
    *,
    period_kind: PeriodKind = PeriodKind.VAT,
    again: bool = False,
    out: Path | None = None,
) -> ExportPlan:
    """The preview of one client's export (module doc); writes nothing. `period` is "YYYY-MM"
    (core.export_plan.parse_period checks what a user typed); the batch's time is `clock()`."""
    context = export_context(store, client_id, period, period_kind, clock)
    selection = select(store.bookings.list([client_id]), period, period_kind, again=again)
    if selection.nothing_to_export:
        output = ExportOutput(())
    else:
        output = _write_output(fmt, _items(store, selection.bookings), context)
    folder = target_folder(export_root(store, out), context.short_code, period)
    plan = ExportPlan(client_id, context.short_code, fmt, context, selection, output, folder, again)
    leftovers = _replaceable(store, client_id, folder)
    existing = tuple(n for n in plan.file_names if n not in leftovers and os.path.lexists(folder / n))
    return replace(plan, existing=existing, leftovers=tuple(n for n in plan.file_names if n in leftovers))


# -- the target folder -------------------------------------------------------------------------------


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_sha(path: Path) -> str | None:
    try:
        if path.is_symlink() or not path.is_file():
            return None
        return _sha(path.read_bytes())
    except OSError:
        return None


def _read_journal(folder: Path) -> dict[str, object] | None:
    path = folder / JOURNAL
    try:
        if path.is_symlink():
            return None
        data = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _replaceable(store: Store, client_id: int, folder: Path) -> set[str]:
    """Files in `folder` that are ours and never handed over: listed by the journal of a run that was not
    recorded, or by a batch of the client that was undone — each only while it holds exactly the bytes
    listed (a file changed since is someone's, and asks)."""
    candidates: dict[str, set[str]] = {}
    batches = store.exports.list(client_id)
    journal = _read_journal(folder)
    if journal is not None:
        recorded = {b.run_id for b in batches}
        files = journal.get("files")
        if journal.get("run_id") not in recorded and isinstance(files, dict):
            for name, sha in files.items():
                if isinstance(name, str) and isinstance(sha, str):
                    candidates.setdefault(name, set()).add(sha)
    for batch in batches:
        if batch.status is BatchStatus.UNDONE and Path(batch.folder) == folder:
            for f in batch.files:
                candidates.setdefault(f.name, set()).add(f.sha256)
    return {name for name, shas in candidates.items() if _file_sha(folder / name) in shas}


def _ensure_folder(folder: Path, root: Path) -> None:
    """Make `folder` (below `root`) 0700 level by level, refusing links and other users' folders."""
    root = ensure_private_root(root)
    where = root
    for part in folder.relative_to(root).parts:
        where = where / part
        with contextlib.suppress(FileExistsError):
            where.mkdir(mode=FOLDER_MODE)
        st = os.lstat(where)
        if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
            raise ExportFolderError(
                _("{path} is a link or not a folder; nothing was written there.").format(path=where)
            )
        if hasattr(os, "geteuid") and st.st_uid != os.geteuid():
            raise ExportFolderError(
                _("{path} belongs to another user; nothing was written there.").format(path=where)
            )
        if stat.S_IMODE(st.st_mode) != FOLDER_MODE:
            os.chmod(where, FOLDER_MODE)


@contextlib.contextmanager
def _locked_folder(folder: Path) -> Iterator[int]:
    """The folder's descriptor (not followed through a link), exclusively flock'ed for this run."""
    fd = os.open(folder, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC)
    try:
        if fcntl is not None:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise ExportFolderError(
                    _("Another export is writing into {path} right now; try again in a moment.").format(
                        path=folder
                    )
                ) from None
        yield fd
    finally:
        os.close(fd)  # releases the lock


def _clean_temporaries(fd: int) -> None:
    for name in os.listdir(fd):
        if _TEMP.fullmatch(name):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(name, dir_fd=fd)


def _write_temp(fd: int, name: str, data: bytes) -> str:
    """`data` into a fresh temporary file of ours in the folder (0600, exclusive, fsynced)."""
    while True:
        temp = f"{TEMP_PREFIX}{secrets.token_hex(8)}.{name}{TEMP_SUFFIX}"
        try:
            out = os.open(
                temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _CLOEXEC, FILE_MODE, dir_fd=fd
            )
        except FileExistsError:  # pragma: no cover - 64 random bits
            continue
        break
    try:
        os.fchmod(out, FILE_MODE)
        view = memoryview(data)
        while view:
            view = view[os.write(out, view) :]
        os.fsync(out)
    finally:
        os.close(out)
    return temp


def _fsync_folder(fd: int) -> None:
    with contextlib.suppress(OSError):  # some file systems refuse fsync on folders
        os.fsync(fd)


def _install(fd: int, files: Sequence[ExportFile], journal: dict[str, object] | None) -> None:
    """Steps 3-5 of the module doc: temporaries (fsynced), the journal, then the renames."""
    temps: list[tuple[str, str]] = []
    try:
        for f in files:
            temps.append((_write_temp(fd, f.name, f.data), f.name))
        if journal is not None:
            data = json.dumps(journal, ensure_ascii=False, sort_keys=True).encode("utf-8")
            os.replace(_write_temp(fd, JOURNAL, data), JOURNAL, src_dir_fd=fd, dst_dir_fd=fd)
            _fsync_folder(fd)
        for temp, name in temps:
            os.replace(temp, name, src_dir_fd=fd, dst_dir_fd=fd)  # replaces a link itself, never follows
        _fsync_folder(fd)
    except BaseException:
        for temp, _name in temps:
            with contextlib.suppress(OSError):
                os.unlink(temp, dir_fd=fd)
        raise


def _unlink(fd: int, names: Sequence[str]) -> None:
    for name in names:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(name, dir_fd=fd)
    _fsync_folder(fd)


def _problem(code: str, message: str) -> ExportWarning:
    return ExportWarning(code, message)


def _exists_problem(names: Sequence[str], folder: Path) -> ExportWarning:
    return _problem(
        "export.files_exist",
        _("These files already exist in {folder}: {names}. Use --overwrite to replace them.").format(
            folder=folder, names=", ".join(names)
        ),
    )


# -- running --------------------------------------------------------------------------------------------


def run_export(store: Store, plan: ExportPlan, by: str, *, overwrite: bool = False) -> ExportResult:
    """Write the plan's files and record the batch (module doc). Nothing is written when the plan has
    problems or nothing to export, or (without `overwrite`) when a target file exists that is not a
    leftover of ours; those come back as `problems`."""
    require(store, Action.EXPORT)
    if plan.all_problems:
        return ExportResult(plan, problems=plan.all_problems)
    if plan.nothing_to_export:
        return ExportResult(plan)
    folder = plan.folder
    root = folder.parent.parent
    try:
        _ensure_folder(folder, root)
        with _locked_folder(folder) as fd:
            _clean_temporaries(fd)
            leftovers = _replaceable(store, plan.client_id, folder)  # an old journal is replaced below
            existing = [n for n in plan.file_names if n not in leftovers and os.path.lexists(folder / n)]
            if existing and not overwrite:
                return ExportResult(plan, problems=(_exists_problem(existing, folder),))
            run_id = secrets.token_hex(8)
            files = plan.output.files
            record: dict[str, object] = {
                "run_id": run_id,
                "client": plan.short_code,
                "files": {f.name: _sha(f.data) for f in files},
            }
            _install(fd, files, record)
            batch = ExportBatch(
                client_id=plan.client_id,
                format=plan.format,
                period=plan.context.period,
                period_kind=plan.context.period_kind,
                created_at=plan.context.created_at,
                created_by=by,
                context=plan.context,
                bookings=plan.selection.bookings,
                files=tuple(BatchFile(f.name, _sha(f.data), len(f.data)) for f in files),
                warnings=plan.warnings,
                folder=str(folder),
                again=plan.again,
                run_id=run_id,
            )
            try:
                recorded = store.exports.record(batch)
            except BaseException:
                # Not recorded: the files just written are taken back (they were never handed over).
                _unlink(fd, [*(f.name for f in files), JOURNAL])
                raise
            _unlink(fd, [JOURNAL])
    except ExportFolderError as err:
        return ExportResult(plan, problems=(_problem("export.folder", str(err)),))
    except OSError as err:
        return ExportResult(
            plan,
            problems=(
                _problem(
                    "export.io",
                    _("Could not write into {folder}: {reason}").format(
                        folder=folder, reason=err.strerror or err
                    ),
                ),
            ),
        )
    except StoreError as err:
        return ExportResult(plan, problems=(_problem("export.store", str(err)),))
    return ExportResult(plan, recorded, tuple(folder / f.name for f in files))


# -- batches --------------------------------------------------------------------------------------------


def list_batches(store: Store, client_id: int | None = None) -> list[ExportBatch]:
    """Newest first, without their booking snapshots (store.exports.list)."""
    return store.exports.list(client_id)


def recreate_batch(store: Store, batch_id: int, out: Path, *, overwrite: bool = False) -> RecreateResult:
    """The batch's files again, byte for byte, into the folder `out` (written as a run writes them, but
    nothing is recorded and no booking changes). Every file is checked against the SHA-256 the batch
    recorded before anything is written: a difference (an invoice's XML gone from the store, say) is a
    problem and nothing is written."""
    require(store, Action.EXPORT)
    batch = store.exports.get(batch_id)
    folder = Path(out)
    output = _write_output(batch.format, _items(store, batch.bookings), batch.context)
    problems = list(output.problems)
    if not problems:
        made = {f.name: _sha(f.data) for f in output.files}
        wanted = {f.name: f.sha256 for f in batch.files}
        for name in sorted(set(made) | set(wanted)):
            if made.get(name) != wanted.get(name):
                problems.append(
                    _problem(
                        "export.recreate_differs",
                        _(
                            "File {name} would not be the same as batch {id} wrote; nothing was written."
                        ).format(name=name, id=batch_id),
                    )
                )
    if problems:
        return RecreateResult(batch, problems=tuple(problems), folder=folder)
    try:
        ensure_private_root(folder)
        with _locked_folder(folder) as fd:
            _clean_temporaries(fd)
            existing = [f.name for f in output.files if os.path.lexists(folder / f.name)]
            if existing and not overwrite:
                return RecreateResult(batch, problems=(_exists_problem(existing, folder),), folder=folder)
            _install(fd, output.files, None)
    except OSError as err:
        message = (
            str(err)
            if isinstance(err, ExportFolderError)
            else _("Could not write into {folder}: {reason}").format(
                folder=folder, reason=err.strerror or err
            )
        )
        return RecreateResult(batch, problems=(_problem("export.io", message),), folder=folder)
    return RecreateResult(batch, tuple(folder / f.name for f in output.files), folder=folder)


# -- the taxpayer profile -------------------------------------------------------------------------------

_TAX_OFFICE = re.compile(r"\d{4}")
_POSTCODE = re.compile(r"\d{2}-\d{3}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class ProfileError(ValueError):
    """A taxpayer-profile value refused (the message, in the user's language, names the field)."""


def check_profile(profile: TaxpayerProfile) -> TaxpayerProfile:
    """The profile with its text trimmed; ProfileError for a value a tax office would refuse. Empty
    fields are allowed (the formats that need one report it missing)."""
    texts: dict[str, Any] = {
        f.name: value.strip()
        for f in fields(profile)
        if isinstance(value := getattr(profile, f.name), str) and not isinstance(value, Enum)
    }
    trimmed = replace(profile, **texts)
    if trimmed.tax_office_code and not _TAX_OFFICE.fullmatch(trimmed.tax_office_code):
        raise ProfileError(_("The tax office code is four digits (KodUrzedu), e.g. 1471."))
    if trimmed.email and not _EMAIL.fullmatch(trimmed.email):
        raise ProfileError(_("The e-mail address {email} is not valid.").format(email=trimmed.email))
    if trimmed.country.upper() == "PL" and trimmed.postcode and not _POSTCODE.fullmatch(trimmed.postcode):
        raise ProfileError(_("A Polish postcode is written 00-000."))
    if len(trimmed.country) != 2 or not trimmed.country.isalpha():
        raise ProfileError(_("The country is a two-letter code, e.g. PL."))
    return replace(trimmed, country=trimmed.country.upper())


def save_profile(store: Store, client_id: int, profile: TaxpayerProfile) -> TaxpayerProfile:
    """Check (check_profile) and save the client's taxpayer profile; returns it as saved."""
    require(store, Action.EXPORT, client_id)
    checked = check_profile(profile)
    store.exports.set_profile(client_id, checked)
    return checked


def undo_batch(store: Store, batch_id: int, by: str, clock: Clock) -> ExportBatch:
    """Bookings back to their state before the batch, the batch marked undone (store.exports.undo:
    BatchUndoRefused while a newer batch holds its bookings). The files stay where they are; a later
    export replaces them without asking while they are unchanged."""
    require(store, Action.EXPORT)
    return store.exports.undo(batch_id, by, clock())

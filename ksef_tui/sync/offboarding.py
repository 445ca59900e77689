"""Offboarding a client (issue 15 item 3): one guided step, in this order, each step audited.

a. the plan (`offboarding_plan`): the KSeF tokens the office holds for the client (their reference numbers),
   the office's grants from the client (the last census, and a fresh look when the office can log in),
   the UPO copies on disk (<UPO folder>/<short code>/<YYYY-MM>/*.xml) and the files of its export batches
   that still hold the bytes exported — listed with paths; nothing else is ever deleted;
b. every token is revoked (`DELETE /tokens/{ref}`), logged in in the client's context with that token. A
   token KSeF refuses (450: already revoked or invalid; a 4xx on the revocation) is reported, not fatal.
   When KSeF cannot be reached the offboarding stops here, before anything is deleted: the token would
   otherwise be destroyed while still valid in KSeF;
c. the grants the client gave the office can only be revoked by the client: the text to send it (Polish,
   with the office's NIP), shown, copied (OSC 52) or saved by the screens, printed by the CLI;
d. the listed files are deleted (never through a link; what could not be deleted is reported);
e. the crypto-shred (store/shred.py): the client's audit entries redacted, its rows and its key deleted in
   one transaction, then one office-level "client.offboarded" entry.

Exit words for the CLI: 0 done, 1 done with warnings, 2 refused or failed. No textual here.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import hashlib
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from ksef_tui.core.clock import WARSAW, Clock
from ksef_tui.core.i18n import N_, _
from ksef_tui.core.models import Client, CredentialKind, token_reference
from ksef_tui.core.nip import format_nip
from ksef_tui.core.operators import Action
from ksef_tui.core.readiness import Census, OfficeGrant
from ksef_tui.core.safe_paths import safe_component, write_private_file
from ksef_tui.ksef.errors import AuthenticationError, KsefError, KsefHttpError
from ksef_tui.store import Store, StoreError
from ksef_tui.store.shred import ShredReport
from ksef_tui.sync.damage import login_damaged
from ksef_tui.sync.grants import KsefFactory, OfficeNotReady, _office_identity, run_census
from ksef_tui.sync.permissions import require

EXIT_DONE, EXIT_WARNINGS, EXIT_FAILED = 0, 1, 2
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DIR_FD = _NOFOLLOW != 0 and {os.open, os.stat, os.unlink, os.rmdir} <= os.supports_dir_fd


class Step(StrEnum):
    PLAN = "plan"
    TOKENS = "tokens"
    GRANTS = "grants"
    FILES = "files"
    SHRED = "shred"


class Outcome(StrEnum):
    OK = "ok"
    WARNING = "warning"
    FAILED = "failed"
    SKIPPED = "skipped"


STEP_TITLES = {
    Step.PLAN: N_("Plan"),
    Step.TOKENS: N_("Revoke the KSeF tokens"),
    Step.GRANTS: N_("Text for the client (grants)"),
    Step.FILES: N_("Delete UPO copies and exports"),
    Step.SHRED: N_("Crypto-shred the client's data"),
}


def step_title(step: Step) -> str:
    return _(STEP_TITLES[step])


@dataclass(frozen=True)
class TokenItem:
    credential_id: int
    reference: str  # KSeF's reference number of the token (never the token itself)


@dataclass(frozen=True)
class FileItem:
    root: Path  # the UPO folder, or the export batch's folder
    parts: tuple[str, ...]  # below `root`, the file name last
    kind: str  # "upo" | "export"
    sha256: str = ""  # exports: the digest recorded when the batch was written

    @property
    def path(self) -> Path:
        return self.root.joinpath(*self.parts)


@dataclass
class OffboardingPlan:
    client: Client
    office_nip: str
    office_name: str
    tokens: list[TokenItem]
    certificates: int  # the client's own KSeF certificates held sealed: destroyed by the shred
    grants: list[OfficeGrant]  # what the client's NIPs granted the office (read or write)
    census_at: datetime | None  # when the grants were last looked at (None: never)
    grants_note: str  # why no fresh look was possible ("" when there was one)
    upo_root: Path
    files: list[FileItem]
    kept: list[str]  # found beside the listed files and left alone (links, other files), with why
    rows: dict[str, int]  # the store's rows of the client, by table

    @property
    def upo_files(self) -> list[FileItem]:
        return [f for f in self.files if f.kind == "upo"]

    @property
    def export_files(self) -> list[FileItem]:
        return [f for f in self.files if f.kind == "export"]


@dataclass
class StepResult:
    step: Step
    outcome: Outcome
    lines: list[str] = field(default_factory=list)


@dataclass
class OffboardingResult:
    plan: OffboardingPlan
    steps: list[StepResult] = field(default_factory=list)
    client_text: str = ""
    shred: ShredReport | None = None

    @property
    def exit_code(self) -> int:
        outcomes = {s.outcome for s in self.steps}
        if Outcome.FAILED in outcomes or self.shred is None:
            return EXIT_FAILED
        return EXIT_WARNINGS if Outcome.WARNING in outcomes else EXIT_DONE


OnStep = Callable[[StepResult], object]


# --- a. the plan -------------------------------------------------------------------------------------------


def offboarding_plan(store: Store, client_id: int, upo_root: Path) -> OffboardingPlan:
    """Everything offboarding would do, read from the store and the disk; changes nothing (blocking)."""
    require(store, Action.CLIENTS, client_id)  # removing a client: an administrator's step
    client = store.clients.get(client_id)
    office_nip, office_name, _environment = _office_identity(store)
    tokens: list[TokenItem] = []
    certificates = 0
    for cred in store.credentials.for_client(client_id):
        if cred.kind is CredentialKind.KSEF_TOKEN:
            reference = cred.reference or token_reference(cred.secret) or ""
            if cred.id is not None and reference and not login_damaged(client, cred):
                tokens.append(TokenItem(cred.id, reference))
        else:
            certificates += 1
    latest = store.grant_censuses.latest(1)
    census = latest[0] if latest else None
    files, kept = _upo_files(upo_root, client.short_code)
    exports, kept_exports = _export_files(store, client_id)
    return OffboardingPlan(
        client=client,
        office_nip=office_nip,
        office_name=office_name,
        tokens=tokens,
        certificates=certificates,
        grants=_grants(census, client),
        census_at=census.taken_at if census else None,
        grants_note="",
        upo_root=upo_root,
        files=files + exports,
        kept=kept + kept_exports,
        rows=store.clients.row_counts(client_id),
    )


def _grants(census: Census | None, client: Client) -> list[OfficeGrant]:
    if census is None:
        return []
    found = (census.grant_for(nip) for nip in client.nips)
    return [g for g in found if g.read or g.write]


async def look_at_grants(store: Store, factory: KsefFactory, plan: OffboardingPlan, clock: Clock) -> None:
    """A fresh look at the client's grants to the office (its census, merged into the latest one); when
    the office cannot log in on its own, the plan keeps the last census and says why."""
    try:
        for nip in plan.client.nips:
            await run_census(store, factory, clock, client_nip=nip, cross_check=False)
    except (OfficeNotReady, KsefError, StoreError) as err:
        plan.grants_note = _("No fresh look at the grants: {reason}").format(reason=str(err)[:200])
        return
    latest = await asyncio.to_thread(store.grant_censuses.latest, 1)
    census = latest[0] if latest else None
    plan.grants = _grants(census, plan.client)
    plan.census_at = census.taken_at if census else plan.census_at


def _lstat(path: Path) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except OSError:
        return None


def _upo_files(root: Path, short_code: str) -> tuple[list[FileItem], list[str]]:
    """The client's UPO copies: <root>/<short code>/<YYYY-MM>/*.xml, regular files only; links are
    never followed (listed as kept)."""
    folder = safe_component(short_code, "client")
    base = root / folder
    st = _lstat(base)
    if st is None:
        return [], []
    if not stat.S_ISDIR(st.st_mode):
        return [], [_("{path}: a link or not a folder, left alone").format(path=base)]
    files: list[FileItem] = []
    kept: list[str] = []
    for month in sorted(os.listdir(base)):
        mst = _lstat(base / month)
        if mst is None or not stat.S_ISDIR(mst.st_mode):
            kept.append(_("{path}: a link or not a folder, left alone").format(path=base / month))
            continue
        for name in sorted(os.listdir(base / month)):
            fst = _lstat(base / month / name)
            if fst is not None and stat.S_ISREG(fst.st_mode) and name.lower().endswith(".xml"):
                files.append(FileItem(root, (folder, month, name), "upo"))
            else:
                kept.append(_("{path}: not a UPO copy, left alone").format(path=base / month / name))
    return files, kept


def _export_files(store: Store, client_id: int) -> tuple[list[FileItem], list[str]]:
    """The files of the client's export batches that are still there as exported (same SHA-256)."""
    files: list[FileItem] = []
    kept: list[str] = []
    seen: set[Path] = set()
    for batch in store.exports.list(client_id):
        if not batch.folder:
            continue
        for item in batch.files:
            path = Path(batch.folder) / item.name
            if path in seen:
                continue
            seen.add(path)
            st = _lstat(path)
            if st is None:
                continue  # gone already
            if not stat.S_ISREG(st.st_mode):
                kept.append(_("{path}: a link or not a file, left alone").format(path=path))
            elif _sha256(path) != item.sha256:
                kept.append(_("{path}: changed since the export, left alone").format(path=path))
            else:
                files.append(FileItem(Path(batch.folder), (item.name,), "export", item.sha256))
    return files, kept


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    try:
        fd = os.open(path, os.O_RDONLY | _NOFOLLOW | _CLOEXEC)
    except OSError:
        return ""
    with os.fdopen(fd, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def describe_plan(plan: OffboardingPlan) -> list[str]:
    """The plan in words, one line each: what will happen, with counts and paths."""
    c = plan.client
    lines = [_("Offboarding {name} ({code}), NIP {nip}:").format(name=c.name, code=c.short_code, nip=c.nip)]
    lines.append(_("1. KSeF tokens to revoke: {n}").format(n=len(plan.tokens)))
    lines += [f"   - {t.reference}" for t in plan.tokens]
    if plan.grants:
        lines.append(_("2. Grants from this client to the office (only the client can revoke them):"))
        lines += [f"   - {format_nip(g.nip)}: {_scope_words(g)}" for g in plan.grants]
    else:
        lines.append(_("2. Grants from this client to the office: none known"))
    if plan.census_at is not None:
        lines.append(
            "   "
            + _("(grant census of {at})").format(
                at=plan.census_at.astimezone(WARSAW).strftime("%Y-%m-%d %H:%M")
            )
        )
    if plan.grants_note:
        lines.append("   " + plan.grants_note)
    lines.append(
        _("3. Files to delete: {upo} UPO copies, {exports} export files").format(
            upo=len(plan.upo_files), exports=len(plan.export_files)
        )
    )
    lines += [f"   - {f.path}" for f in plan.files]
    lines += [f"   ! {k}" for k in plan.kept]
    rows = sum(plan.rows.values())
    lines.append(
        _(
            "4. Crypto-shred: {rows} rows of this client deleted with its key ({certs} certificates among"
            " them); its audit entries are kept redacted."
        ).format(rows=rows, certs=plan.certificates)
    )
    return lines


def _scope_words(grant: OfficeGrant) -> str:
    words = []
    if grant.read:
        words.append(_("invoice viewing (InvoiceRead)"))
    if grant.write:
        words.append(_("invoice issuing (InvoiceWrite)"))
    return ", ".join(words)


# --- b. revoking the tokens --------------------------------------------------------------------------------


class OffboardingRefused(Exception):
    """The plan cannot be made (the client is gone, the store is locked ...): the message says why."""


def prepare_plan(store: Store, client_id: int, upo_root: Path) -> OffboardingPlan:
    """`offboarding_plan` for the screens: a store problem becomes OffboardingRefused."""
    try:
        return offboarding_plan(store, client_id, upo_root)
    except StoreError as err:
        raise OffboardingRefused(str(err)) from None


class _Stop(Exception):
    """KSeF could not be reached: stop before anything is deleted."""


async def _revoke_tokens(
    store: Store, factory: KsefFactory | None, plan: OffboardingPlan
) -> tuple[StepResult, list[str]]:
    """(the step, the references the client must revoke itself)."""
    client = plan.client
    result = StepResult(Step.TOKENS, Outcome.OK)
    left: list[str] = []
    if not plan.tokens:
        result.outcome = Outcome.SKIPPED
        result.lines.append(_("No KSeF tokens to revoke."))
        return result, left
    if factory is None:
        raise _Stop(_("KSeF is not configured: the tokens cannot be revoked."))
    creds = {c.id: c for c in await asyncio.to_thread(store.credentials.for_client, client.id or 0)}
    async with factory(client) as ksef:
        for item in plan.tokens:
            cred = creds.get(item.credential_id)
            ctx = ksef.for_context(client.nip)
            outcome, detail = "revoked", ""
            try:
                if cred is None or not cred.secret:
                    raise LookupError
                await ctx.authenticate_with_token(client.nip, cred.secret)
                await ctx.revoke_token(item.reference)
            except LookupError:
                outcome, detail = "missing", ""
            except AuthenticationError as err:
                if err.code is None or err.code >= 500:
                    raise _Stop(str(err)) from None
                outcome, detail = "refused", str(err.code)
            except KsefHttpError as err:
                if err.status is None or err.status >= 500:
                    raise _Stop(str(err)) from None
                outcome, detail = "refused", str(err.status)
            except KsefError as err:
                raise _Stop(str(err)) from None
            finally:
                with contextlib.suppress(Exception):
                    await ctx.logout()
            await asyncio.to_thread(
                store.audit.append,
                client.id,
                "offboarding.token_revoke",
                "ok" if outcome == "revoked" else "failed",
                f"{item.reference} {outcome} {detail}".strip(),
            )
            if outcome == "revoked":
                result.lines.append(_("Revoked: {ref}").format(ref=item.reference))
            else:
                left.append(item.reference)
                result.outcome = Outcome.WARNING
                result.lines.append(
                    _("KSeF refused, not revoked by the office ({code}): {ref}").format(
                        code=detail or "—", ref=item.reference
                    )
                )
    return result, left


# --- c. the text for the client ----------------------------------------------------------------------------


def client_text(plan: OffboardingPlan, revoked: list[str], left: list[str]) -> str:
    """What the client must do itself, in the user's language, with the office's NIP filled in."""
    nip = format_nip(plan.office_nip) if len(plan.office_nip) == 10 else (plan.office_nip or "—")
    office = plan.office_name or _("our accounting office")
    c = plan.client
    lines = [_("Dear {client},").format(client=c.name), ""]
    lines.append(
        _(
            "our cooperation ends. {office} has deleted your data (invoices, receipts, exports) from its"
            " systems. Below is what we did in KSeF and what only you can do."
        ).format(office=office)
    )
    lines.append("")
    if revoked:
        lines.append(_("KSeF tokens we revoked: {refs}.").format(refs=", ".join(revoked)))
    if left:
        lines.append(
            _(
                "KSeF tokens we could not revoke: {refs}. Please revoke them yourself in Aplikacja Podatnika"
                ' KSeF ("Tokeny"), or check that they are already revoked.'
            ).format(refs=", ".join(left))
        )
    if revoked or left:
        lines.append("")
    lines.append(
        _(
            "The permissions you granted to our office in KSeF (NIP {nip}) can be withdrawn only by you:"
        ).format(nip=nip)
    )
    lines.append(
        _(
            "1. Open Aplikacja Podatnika KSeF (https://ap.ksef.mf.gov.pl) and log in to the context of"
            " your company (NIP {client_nip})."
        ).format(client_nip=format_nip(c.nip))
    )
    lines.append(_('2. Choose "Uprawnienia" and open the list of permissions granted to entities.'))
    if plan.grants:
        scopes = "; ".join(_scope_words(g) for g in plan.grants)
        lines.append(
            _("3. Find the permissions given to NIP {nip}: {scopes}.").format(nip=nip, scopes=scopes)
        )
    else:
        lines.append(
            _("3. Find the permissions given to NIP {nip} (our records show none, but please check).").format(
                nip=nip
            )
        )
    lines.append(_('4. Choose "Odbierz uprawnienie" for each of them and confirm.'))
    lines.append("")
    lines.append(
        _(
            "While there, please check who else holds permissions in your company's context and withdraw"
            " those no longer needed."
        )
    )
    lines.append("")
    lines.append(_("Thank you for our cooperation."))
    lines.append(office)
    return "\n".join(lines)


def client_text_file_name(short_code: str, day: Any, attempt: int = 1) -> str:
    suffix = f"-{attempt}" if attempt > 1 else ""
    return safe_component(f"zakonczenie-wspolpracy-{short_code}-{day.isoformat()}{suffix}.txt")


def save_client_text(folder: Path, short_code: str, text: str, now: datetime) -> Path:
    """The text as a 0600 file in `folder`, never over an existing file (-2, -3 ... are added)."""
    day = now.astimezone(WARSAW).date()
    for attempt in range(1, 1000):
        name = client_text_file_name(short_code, day, attempt)
        if not os.path.lexists(folder / name):
            break
    else:  # pragma: no cover - a thousand on one day
        raise FileExistsError(name)
    return write_private_file(folder, [name], text.encode("utf-8"))


# --- d. deleting the files ---------------------------------------------------------------------------------


def remove_listed(item: FileItem) -> str | None:
    """Delete one listed file; None when deleted (or already gone), else why not. No link is followed:
    below the root each folder is opened with O_NOFOLLOW relative to its parent, and the file must be
    a regular file (for an export, still holding the bytes exported)."""
    if not _DIR_FD:  # pragma: no cover - no descriptor-relative calls (Windows): by path, checked
        return _remove_by_path(item)
    try:
        fd = os.open(item.root, os.O_RDONLY | _DIRECTORY | _CLOEXEC)
    except FileNotFoundError:
        return None
    except OSError as err:
        return err.strerror or str(err)
    try:
        for part in item.parts[:-1]:
            inner = os.open(part, os.O_RDONLY | _DIRECTORY | _NOFOLLOW | _CLOEXEC, dir_fd=fd)
            os.close(fd)
            fd = inner
        name = item.parts[-1]
        st = os.stat(name, dir_fd=fd, follow_symlinks=False)
        if not stat.S_ISREG(st.st_mode):
            return _("a link or not a file")
        if item.sha256 and _sha256_at(fd, name) != item.sha256:
            return _("changed since the export")
        os.unlink(name, dir_fd=fd)
        return None
    except FileNotFoundError:
        return None
    except OSError as err:
        if err.errno in (errno.ELOOP, errno.ENOTDIR):  # a link where a folder was expected
            return _("a link or not a folder on the way")
        return err.strerror or str(err)
    finally:
        os.close(fd)


def _sha256_at(dir_fd: int, name: str) -> str:
    fd = os.open(name, os.O_RDONLY | _NOFOLLOW | _CLOEXEC, dir_fd=dir_fd)
    digest = hashlib.sha256()
    with os.fdopen(fd, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _remove_by_path(item: FileItem) -> str | None:  # pragma: no cover - Windows
    probe = item.root
    for part in item.parts:
        probe = probe / part
        st = _lstat(probe)
        if st is None:
            return None
        if stat.S_ISLNK(st.st_mode):
            return _("a link or not a folder on the way")
    if item.sha256 and _sha256(item.path) != item.sha256:
        return _("changed since the export")
    try:
        item.path.unlink()
    except FileNotFoundError:
        return None
    except OSError as err:
        return err.strerror or str(err)
    return None


def _tidy_folders(plan: OffboardingPlan) -> None:
    """Remove the client's UPO and export folders left empty (never a folder with anything in it)."""
    folders: set[Path] = set()
    for item in plan.files:
        if item.kind == "upo":
            folders.add(item.root / item.parts[0] / item.parts[1])
        else:
            folders.add(item.root)
    for folder in sorted(folders, key=lambda p: len(p.parts), reverse=True):
        for candidate in (folder, folder.parent):
            if candidate.name != safe_component(plan.client.short_code, "client") and candidate != folder:
                continue
            st = _lstat(candidate)
            if st is not None and stat.S_ISDIR(st.st_mode):
                with contextlib.suppress(OSError):
                    candidate.rmdir()


def delete_files(plan: OffboardingPlan) -> tuple[StepResult, int]:
    """(the step, how many files were deleted)."""
    result = StepResult(Step.FILES, Outcome.OK)
    if not plan.files:
        result.outcome = Outcome.SKIPPED
        result.lines.append(_("No UPO copies or export files to delete."))
        return result, 0
    deleted = 0
    for item in plan.files:
        reason = remove_listed(item)
        if reason is None:
            deleted += 1
        else:
            result.outcome = Outcome.WARNING
            result.lines.append(_("Not deleted: {path} ({reason})").format(path=item.path, reason=reason))
    _tidy_folders(plan)
    result.lines.insert(0, _("Deleted {n} of {total} files.").format(n=deleted, total=len(plan.files)))
    return result, deleted


# --- the whole run -----------------------------------------------------------------------------------------


async def run_offboarding(
    store: Store,
    factory: KsefFactory | None,
    plan: OffboardingPlan,
    clock: Clock,
    on_step: OnStep | None = None,
) -> OffboardingResult:
    """Steps b to e for a plan the user has confirmed (see module doc); `on_step` hears each result.
    `factory` None (KSeF not configured) only serves a client without tokens: with tokens it stops."""
    result = OffboardingResult(plan)
    cid = plan.client.id or 0
    await asyncio.to_thread(require, store, Action.CLIENTS, cid)
    started = clock()

    def done(step: StepResult) -> None:
        result.steps.append(step)
        if on_step is not None:
            on_step(step)

    done(StepResult(Step.PLAN, Outcome.OK, describe_plan(plan)))
    await asyncio.to_thread(
        store.audit.append,
        cid,
        "offboarding.plan",
        "ok",
        f"tokens={len(plan.tokens)} grants={len(plan.grants)} upo={len(plan.upo_files)}"
        f" exports={len(plan.export_files)}",
    )
    try:
        tokens, left = await _revoke_tokens(store, factory, plan)
    except _Stop as stop:
        await asyncio.to_thread(store.audit.append, cid, "offboarding.token_revoke", "failed", "stopped")
        done(
            StepResult(
                Step.TOKENS,
                Outcome.FAILED,
                [
                    str(stop)[:300],
                    _("Nothing was deleted. Run the offboarding again when KSeF can be reached."),
                ],
            )
        )
        return result
    done(tokens)
    revoked = [t.reference for t in plan.tokens if t.reference not in left]
    result.client_text = client_text(plan, revoked, left)
    await asyncio.to_thread(
        store.audit.append, cid, "offboarding.client_text", "ok", f"grants={len(plan.grants)}"
    )
    grants_lines = [_("The text for the client is ready: it must revoke the office's grants itself.")]
    if plan.grants_note:
        grants_lines.append(plan.grants_note)
    done(StepResult(Step.GRANTS, Outcome.WARNING if plan.grants_note else Outcome.OK, grants_lines))
    files, deleted = await asyncio.to_thread(delete_files, plan)
    await asyncio.to_thread(
        store.audit.append,
        cid,
        "offboarding.files_deleted",
        "ok" if files.outcome is not Outcome.WARNING else "failed",
        f"{deleted}/{len(plan.files)} deleted",
    )
    done(files)
    summary: dict[str, object] = {
        "offboarded": clock().isoformat(),
        "started": started.isoformat(),
        "client_since": plan.client.created.isoformat() if plan.client.created else None,
        "tokens_revoked": len(revoked),
        "tokens_left": len(left),
        "grants_to_revoke_by_client": len(plan.grants),
        "files_deleted": deleted,
    }
    try:
        report = await asyncio.to_thread(store.clients.shred, cid, summary)
    except StoreError as err:
        done(StepResult(Step.SHRED, Outcome.FAILED, [str(err)]))
        return result
    result.shred = report
    done(
        StepResult(
            Step.SHRED,
            Outcome.OK,
            [
                _(
                    "The client's key is destroyed; {rows} rows deleted, {entries} audit entries redacted."
                ).format(rows=sum(report.deleted.values()), entries=report.redacted)
            ],
        )
    )
    return result

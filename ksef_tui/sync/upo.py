"""UPO downloads (API-NOTES §9): one session's UPO (every page), one invoice's UPO, and the bulk
"download every missing UPO" across clients.

- Only a processed session that accepted invoices has a UPO; an open one is refused in plain words.
- KSeF answers 21178 until the UPO is generated: retry on RETRY_SCHEDULE, reporting a countdown.
- The x-ms-meta-hash is verified (by the KSeF client, and again here over the exact bytes we keep).
- Every UPO is sealed in the store (documents, kinds "upo" and "upo-invoice") and a copy is written to
  <UPO folder>/<short code>/<YYYY-MM>/<reference>.xml.
- The bulk run is resumable (what is missing is read from the store: a sealed UPO present or not),
  cancellable (task cancellation), and paced by the KSeF client's per-context rate scheduler.

No textual here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

from ksef_tui.core.clock import Clock
from ksef_tui.core.i18n import _
from ksef_tui.core.ksef_sessions import SessionInvoiceRecord, SessionRecord
from ksef_tui.core.operators import Action
from ksef_tui.core.safe_paths import default_upo_folder, upo_parts, write_private_file
from ksef_tui.core.session_status import session_text
from ksef_tui.core.upo import UpoError, UpoReceipt, parse_upo, verify_hash
from ksef_tui.ksef.client import KsefClient
from ksef_tui.ksef.errors import KsefError
from ksef_tui.ksef.retry import retry_operation
from ksef_tui.store import DamagedValueError, Store
from ksef_tui.sync.permissions import require
from ksef_tui.sync.sessions import KsefFactory, client_context

T = TypeVar("T")
SESSION_UPO = "upo"
INVOICE_UPO = "upo-invoice"
UPO_NOT_READY = 21178
UPO_FOLDER_SETTING = "upo.folder"  # the store setting naming the folder for UPO copies
RETRY_SCHEDULE: tuple[float, ...] = (5, 10, 20, 30, 60, 120)  # seconds between attempts while 21178
# on_wait(seconds_left, attempt, attempts): called every second while waiting for a retry.
OnWait = Callable[[int, int, int], object]
Sleep = Callable[[float], Awaitable[None]]


class UpoUnavailable(Exception):
    """No UPO can exist (yet) for this session or invoice; the message says why in plain words."""


class UpoNotReady(UpoUnavailable):
    pass


class UpoDamagedInStore(UpoUnavailable):
    """The UPO sealed in the store does not open (tampered with or damaged on disk). It is not downloaded
    again over the damaged value (issue 17: nothing is written over a damaged value but by the user)."""

    def __init__(self) -> None:
        super().__init__(_("The UPO saved in the store is damaged — restore the store from a backup."))


def _stored(store: Store, client_id: int, kind: str, key: str) -> bytes | None:
    """A sealed UPO, None when absent; UpoDamagedInStore when present but damaged."""
    try:
        content: bytes | None = store.documents.get(client_id, kind, key)
    except DamagedValueError:
        raise UpoDamagedInStore() from None
    return content


def upo_key(reference: str, page: int) -> str:
    return reference if page <= 1 else f"{reference}#p{page}"


async def with_upo_retry(
    call: Callable[[], Awaitable[T]],
    *,
    schedule: tuple[float, ...] = RETRY_SCHEDULE,
    sleep: Sleep | None = None,
    on_wait: OnWait | None = None,
) -> T:
    """Run `call`; while KSeF answers 21178 wait the next delay of `schedule` (counting down) and retry.
    `sleep`: the KSeF client's (its injected timing), so tests run the countdown on a virtual clock."""
    sleep = sleep or asyncio.sleep

    attempts = len(schedule) + 1
    for attempt in range(1, attempts + 1):
        try:
            return await call()
        except KsefError as err:
            if UPO_NOT_READY not in err.codes or attempt == attempts:
                if UPO_NOT_READY in err.codes:
                    raise UpoNotReady(_("KSeF has not generated the UPO yet; try again later.")) from None
                raise
        delay = schedule[attempt - 1]
        left = round(delay)
        while left > 0:
            if on_wait is not None:
                on_wait(left, attempt + 1, attempts)
            step = min(1.0, float(left))
            await sleep(step)
            left -= 1
        if on_wait is not None:
            on_wait(0, attempt + 1, attempts)
    raise AssertionError("unreachable")  # pragma: no cover


def _client_sleep(ksef: KsefClient) -> Sleep:
    """The KSeF client's own (injected) sleep, looked up only when a wait actually happens."""

    async def sleep(seconds: float) -> None:
        await ksef.core.sleep(seconds)

    return sleep


def write_copy(folder: Path, parts: tuple[str, ...], content: bytes) -> Path:
    """The UPO copy `folder/<short code>/<YYYY-MM>/<name>.xml`: a 0600 file in 0700 folders, written
    atomically and never through a planted link (core/safe_paths.write_private_file)."""
    return write_private_file(folder, parts, content)


@dataclass
class SavedUpo:
    session: SessionRecord
    pages: list[bytes]
    paths: list[Path]
    fetched: bool  # False when every page came from the store


def explain_no_upo(record: SessionRecord) -> str | None:
    """Why this session has no UPO, or None when it should have one."""
    if not record.closed:
        return _(
            "The session is still open or processing ({status}); "
            "KSeF issues a UPO only for a closed, processed session."
        ).format(status=session_text(record.kind, record.status_code).label)
    if record.status_code != 200:
        return _("The session ended with “{status}”; KSeF issues no UPO for it.").format(
            status=session_text(record.kind, record.status_code).label
        )
    if record.invoices_accepted == 0:
        return _("No invoice of this session was accepted, so there is no UPO.")
    return None


async def download_session_upo(
    store: Store,
    ksef: KsefClient,
    record: SessionRecord,
    short_code: str,
    folder: Path | None,
    *,
    schedule: tuple[float, ...] = RETRY_SCHEDULE,
    sleep: Sleep | None = None,
    on_wait: OnWait | None = None,
) -> SavedUpo:
    """Every page of the session's UPO: sealed in the store and copied under `folder` (if given)."""
    require(store, Action.SYNC)
    sleep = sleep or _client_sleep(ksef)
    reason = explain_no_upo(record)
    if reason:
        raise UpoUnavailable(reason)
    assert record.id is not None
    status = await ksef.get_session_status(record.reference)
    code = int(status.status.code or record.status_code)
    if code != record.status_code:
        record.status_code = code
        record.status_description = status.status.description or record.status_description
        await asyncio.to_thread(store.ksef_sessions.upsert, [record])
        reason = explain_no_upo(record)
        if reason:
            raise UpoUnavailable(reason)
    pages = list(status.upo.pages) if status.upo else []
    if not pages:
        # KSeF lists the pages once the UPO exists: treat an empty list like 21178 and retry.
        async def poll() -> list[Any]:
            again = await ksef.get_session_status(record.reference)
            found = list(again.upo.pages) if again.upo else []
            if not found:
                raise KsefError(_("The UPO is not ready yet; try again later."), codes=[UPO_NOT_READY])
            return found

        pages = await with_upo_retry(poll, schedule=schedule, sleep=sleep, on_wait=on_wait)
    contents: list[bytes] = []
    paths: list[Path] = []
    fetched = False
    for number, page in enumerate(pages, start=1):
        key = upo_key(record.reference, number)
        content = await asyncio.to_thread(_stored, store, record.client_id, SESSION_UPO, key)
        if content is None:
            upo = await with_upo_retry(
                partial(ksef.get_session_upo, record.reference, page.reference_number),
                schedule=schedule,
                sleep=sleep,
                on_wait=on_wait,
            )
            content = upo.content
            digest = verify_hash(content, upo.sha256_b64)
            receipt = parse_upo(content)  # refuses what is not a UPO at all; tolerant otherwise
            if receipt.session_reference and receipt.session_reference != record.reference:
                raise UpoError(
                    _("The UPO names another session ({ref}).").format(ref=receipt.session_reference)
                )
            meta = {
                "sha256": digest,
                "page": number,
                "pages": len(pages),
                "session": record.reference,
                "upo_reference": page.reference_number,
                "documents": len(receipt.documents),
            }
            await asyncio.to_thread(store.documents.put, record.client_id, SESSION_UPO, key, content, meta)
            await asyncio.to_thread(
                store.audit.append,
                record.client_id,
                "upo.download",
                "ok",
                f"session page {number}/{len(pages)}",
            )
            fetched = True
        contents.append(content)
        if folder is not None:
            parts = upo_parts(short_code, record.opened, record.reference, number)
            paths.append(await asyncio.to_thread(write_copy, folder, parts, content))
        await asyncio.to_thread(store.ksef_sessions.mark_upo, record.id, number, len(pages))
    record.upo_saved = len(pages)
    record.upo_pages = len(pages)
    return SavedUpo(record, contents, paths, fetched)


async def download_invoice_upo(
    store: Store,
    ksef: KsefClient,
    session: SessionRecord,
    invoice: SessionInvoiceRecord,
    short_code: str,
    folder: Path | None,
    *,
    schedule: tuple[float, ...] = RETRY_SCHEDULE,
    sleep: Sleep | None = None,
    on_wait: OnWait | None = None,
) -> tuple[bytes, Path | None]:
    """One invoice's own UPO (by its KSeF number): sealed, and copied under `folder` (if given)."""
    require(store, Action.SYNC)
    sleep = sleep or _client_sleep(ksef)
    if not invoice.ksef_number:
        raise UpoUnavailable(_("This invoice was not accepted by KSeF, so it has no UPO."))
    content = await asyncio.to_thread(_stored, store, invoice.client_id, INVOICE_UPO, invoice.ksef_number)
    if content is None:
        number = invoice.ksef_number
        upo = await with_upo_retry(
            lambda: ksef.get_invoice_upo_by_ksef_number(session.reference, number),
            schedule=schedule,
            sleep=sleep,
            on_wait=on_wait,
        )
        content = upo.content
        digest = verify_hash(content, upo.sha256_b64)
        parse_upo(content)
        meta = {"sha256": digest, "session": session.reference, "ksef_number": number}
        await asyncio.to_thread(store.documents.put, invoice.client_id, INVOICE_UPO, number, content, meta)
        await asyncio.to_thread(store.audit.append, invoice.client_id, "upo.download", "ok", "invoice")
        if invoice.id is not None:
            await asyncio.to_thread(store.ksef_sessions.mark_invoice_upo, invoice.id)
    path = None
    if folder is not None:
        when = invoice.acquired or session.opened
        parts = upo_parts(short_code, when, invoice.ksef_number)
        path = await asyncio.to_thread(write_copy, folder, parts, content)
    return content, path


def stored_session_upo(store: Store, record: SessionRecord) -> list[bytes]:
    """The session's UPO pages held in the store (thread-safe, blocking: call from a thread).
    UpoDamagedInStore when a page is there but damaged."""
    pages: list[bytes] = []
    count = max(record.upo_saved, 1)
    for number in range(1, count + 1):
        content = _stored(store, record.client_id, SESSION_UPO, upo_key(record.reference, number))
        if content is None:
            break
        pages.append(content)
    return pages


# --- bulk -----------------------------------------------------------------------------------------


@dataclass
class UpoProgress:
    """One event of the bulk download, for one client."""

    client_id: int
    short_code: str
    done: int  # sessions handled so far for this client
    total: int  # sessions missing a UPO for this client
    fetched: int
    failed: int
    message: str = ""
    finished: bool = False


@dataclass
class BulkResult:
    fetched: int = 0
    skipped: int = 0  # already in the store (copied to the folder if one was given)
    failed: int = 0
    clients: int = 0
    errors: list[str] = field(default_factory=list)
    # Per client that failed: why, in order ("<reference>: <error>" for one session, the bare error
    # when logging in failed and so every missing UPO of the client failed).
    client_errors: dict[int, list[str]] = field(default_factory=dict)


async def download_missing_upos(
    store: Store,
    factory: KsefFactory,
    client_ids: list[int],
    folder: Path | None,
    clock: Clock,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    progress: Callable[[UpoProgress], object] | None = None,
    schedule: tuple[float, ...] = RETRY_SCHEDULE,
    sleep: Sleep | None = None,
    copy_existing: bool = False,
    concurrency: int = 4,
) -> BulkResult:
    """Download every missing UPO of these clients' processed sessions opened in [since, until].

    Missing = not sealed in the store, so an interrupted run resumes where it stopped. Clients run
    `concurrency` at a time (each in its own KSeF context, with its own rate-limit windows); cancel
    the task to stop. `copy_existing` also writes UPOs already in the store into `folder` (skipped)."""
    result = BulkResult()
    gate = asyncio.Semaphore(concurrency)

    def fail(client_id: int, short_code: str, reference: str | None, err: BaseException) -> None:
        """One UPO (or, with no reference, a whole client) failed: one line naming client and reference."""
        why = str(err) or type(err).__name__
        if reference is None:
            result.errors.append(f"{short_code}: {why}")
            result.client_errors.setdefault(client_id, []).insert(0, why)
        else:
            result.errors.append(f"{short_code} {reference}: {why}")
            result.client_errors.setdefault(client_id, []).append(f"{reference}: {why}")

    async def one(client_id: int) -> None:
        async with gate:
            try:
                await _one_client(client_id)
            except asyncio.CancelledError:
                raise
            except Exception as err:  # nothing about one client may stop the others or lose the summary
                result.failed += 1
                fail(client_id, str(client_id), None, err)

    async def _copy_existing(client: Any, client_id: int) -> int:
        """Write the UPOs already sealed in the store into `folder`; how many could not be (damaged in
        the store, or the file could not be written), each reported as one failure."""
        assert folder is not None
        failed = 0
        have = await asyncio.to_thread(store.ksef_sessions.with_upo, client_id, since, until)
        for record in have:
            try:
                pages = await asyncio.to_thread(stored_session_upo, store, record)
                for number, content in enumerate(pages, start=1):
                    parts = upo_parts(client.short_code, record.opened, record.reference, number)
                    await asyncio.to_thread(write_copy, folder, parts, content)
            except (UpoUnavailable, OSError) as err:
                failed += 1
                fail(client_id, client.short_code, record.reference, err)
            else:
                result.skipped += 1
        return failed

    async def _one_client(client_id: int) -> None:
        client = await asyncio.to_thread(store.clients.get, client_id)
        missing: list[SessionRecord] = await asyncio.to_thread(
            store.ksef_sessions.missing_upo, client_id, since, until
        )
        fetched = failed = done = 0
        if copy_existing and folder is not None:
            failed = await _copy_existing(client, client_id)
            if failed:
                result.failed += failed
                failed = 0
        total = len(missing)

        def report(message: str = "", finished: bool = False) -> None:
            if progress is not None:
                progress(
                    UpoProgress(client_id, client.short_code, done, total, fetched, failed, message, finished)
                )

        report()
        if not missing:
            report(finished=True)
            return
        result.clients += 1
        try:
            async with client_context(store, factory, client_id) as (_client, ksef):
                for record in missing:

                    def waiting(left: int, attempt: int, attempts: int, ref: str = record.reference) -> None:
                        report(
                            _(
                                "UPO of {ref} not generated yet; retry {attempt} of {attempts} in {left} s"
                            ).format(ref=ref[-13:], attempt=attempt, attempts=attempts, left=left)
                        )

                    async def download(record: SessionRecord = record, waiting: OnWait = waiting) -> SavedUpo:
                        return await download_session_upo(
                            store,
                            ksef,
                            record,
                            client.short_code,
                            folder,
                            schedule=schedule,
                            sleep=sleep,
                            on_wait=waiting,
                        )

                    try:
                        # Reads and idempotent writes: repeated whole while KSeF fails transiently.
                        saved = await retry_operation(
                            download,
                            ksef.core.retry,
                            ksef.core.timing,
                            what="UPO download",
                        )
                    except asyncio.CancelledError:
                        raise
                    except Exception as err:  # one session's trouble must not stop the rest
                        failed += 1
                        fail(client_id, client.short_code, record.reference, err)
                    else:
                        if saved.fetched:
                            fetched += 1
                        else:
                            result.skipped += 1
                    done += 1
                    report()
        except asyncio.CancelledError:
            raise
        except Exception as err:  # login failed: every missing UPO of this client fails
            failed += total - done
            fail(client_id, client.short_code, None, err)
        finally:
            result.fetched += fetched
            result.failed += failed
        report(finished=True)

    await asyncio.gather(*(one(cid) for cid in client_ids))
    return result


# --- the use cases the screens call -------------------------------------------------------------------


def upo_folder(store: Store | None, home: Path, demo: bool) -> Path:
    """Where UPO copies go: the store setting, else ~/KSeF/UPO (the demo: inside its own folder).
    Blocking (reads the store): call it from a thread, or use `read_upo_folder`."""
    configured = store.settings.get(UPO_FOLDER_SETTING) if store is not None else None
    if configured:
        return Path(str(configured)).expanduser()
    return home / "UPO" if demo else default_upo_folder()


async def read_upo_folder(store: Store | None, home: Path, demo: bool) -> Path:
    return await asyncio.to_thread(upo_folder, store, home, demo)


async def save_upo_folder(store: Store, folder: str) -> None:
    await asyncio.to_thread(store.settings.set, UPO_FOLDER_SETTING, folder)


@dataclass
class UpoDownload:
    """One UPO download's outcome: the pages (one for an invoice's UPO) and the copies written."""

    pages: list[bytes]
    paths: list[Path]


async def download_upo(
    store: Store,
    factory: KsefFactory,
    session: SessionRecord,
    invoice: SessionInvoiceRecord | None,
    short_code: str,
    folder: Path,
    *,
    schedule: tuple[float, ...] | None = None,
    sleep: Sleep | None = None,
    on_wait: OnWait | None = None,
) -> UpoDownload:
    """The session's UPO (every page), or the invoice's own UPO when `invoice` is given: logged in to
    the client's context, sealed in the store, copied under `folder`. UpoUnavailable says why not.
    `schedule`: the waits while KSeF answers 21178 (default RETRY_SCHEDULE, read at call time)."""
    schedule = RETRY_SCHEDULE if schedule is None else schedule
    async with client_context(store, factory, session.client_id) as (_client, ksef):
        if invoice is None:
            saved = await download_session_upo(
                store, ksef, session, short_code, folder, schedule=schedule, sleep=sleep, on_wait=on_wait
            )
            return UpoDownload(saved.pages, saved.paths)
        content, path = await download_invoice_upo(
            store, ksef, session, invoice, short_code, folder, schedule=schedule, sleep=sleep, on_wait=on_wait
        )
        return UpoDownload([content], [path] if path else [])


def _saved_receipts(
    store: Store, session: SessionRecord, invoice: SessionInvoiceRecord | None
) -> list[UpoReceipt]:
    pages: list[bytes] = []
    if invoice is not None and invoice.upo_saved and invoice.ksef_number:
        one = store.documents.get(invoice.client_id, INVOICE_UPO, invoice.ksef_number)
        pages = [one] if one else []
    if not pages and session.upo_saved:
        pages = stored_session_upo(store, session)
    return [parse_upo(page) for page in pages]


async def read_saved_upo(
    store: Store, session: SessionRecord, invoice: SessionInvoiceRecord | None = None
) -> list[UpoReceipt]:
    """The saved UPO to show, parsed (in a thread): the invoice's own when it has one, else the
    session's pages; [] when none is saved. UpoError when a page does not parse, UpoDamagedInStore
    when it is damaged in the store."""
    return await asyncio.to_thread(_saved_receipts, store, session, invoice)

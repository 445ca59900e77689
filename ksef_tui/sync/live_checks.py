"""Live credential checks for many clients: authenticate, read permissions and token status, record.

Runs in the app's event loop (a Textual async worker); cancelling the task stops every check cleanly.
Store calls go to a thread so SQLite never blocks the loop.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any

from ksef_tui.core.clock import Clock
from ksef_tui.core.health import damaged_reason
from ksef_tui.core.i18n import N_, _, ngettext
from ksef_tui.core.models import CheckOutcome, Client, Credential, CredentialKind, CredentialStatus, LiveCheck
from ksef_tui.core.operators import Action
from ksef_tui.ksef.client import KsefClient
from ksef_tui.ksef.errors import KsefError
from ksef_tui.ksef.live_check import check_credential
from ksef_tui.ksef.retry import retry_operation
from ksef_tui.store import Store
from ksef_tui.sync.damage import login_damaged, record_skip
from ksef_tui.sync.grants import office_granted, probe_one
from ksef_tui.sync.permissions import require

# ksef_factory(client) -> async context manager yielding a KSeF client for that client's environment.
KsefFactory = Callable[[Client], AbstractAsyncContextManager[Any]]
Progress = Callable[[int, int], object]  # (done, refused or not checked); the result is ignored


class _Inconclusive(KsefError):
    """A live check that could not reach KSeF: worth repeating as a whole."""

    def __init__(self, check: LiveCheck) -> None:
        self.check = check
        super().__init__(check.message or None)


async def check_with_retries(ksef: KsefClient, nip: str, cred: Credential, clock: Clock) -> LiveCheck:
    """A live check, repeated as a whole while it cannot reach KSeF (5xx on a non-idempotent auth step,
    dropped connections, 429 beyond the client's own retries): a fresh challenge starts a fresh
    authentication, so repeating it is always safe, unlike repeating a single POST of a half-done one.

    The retry policy and the timing (sleep, random) are the KSeF client's own, so the check is bounded
    like every other KSeF operation (ksef/retry.py). A check still inconclusive then says "KSeF
    unavailable, try later" and is recorded as ERROR, which never changes the client's colour."""

    async def attempt() -> LiveCheck:
        check = await check_credential(ksef, nip, cred, clock())
        if check.outcome is CheckOutcome.ERROR:
            raise _Inconclusive(check)
        return check

    try:
        return await retry_operation(
            attempt,
            ksef.core.retry,
            ksef.core.timing,
            transient=lambda err: isinstance(err, _Inconclusive),
            what=f"live check {nip}",
        )
    except _Inconclusive as err:
        check = err.check
        check.message = _("KSeF unavailable, try later ({reason}).").format(reason=check.message or "?")
        return check


async def check_one(store: Store, factory: KsefFactory, client_id: int, clock: Clock) -> list[LiveCheck]:
    """Check every credential of one client; record each result and what it says about the credential."""
    require(store, Action.CHECK, client_id)
    client: Client = await asyncio.to_thread(store.clients.get, client_id)
    creds: list[Credential] = await asyncio.to_thread(store.credentials.for_client, client_id)
    results: list[LiveCheck] = [
        await skip_damaged(store, client, c, clock) for c in creds if login_damaged(client, c)
    ]
    creds = [c for c in creds if not login_damaged(client, c)]
    await _probe_office_certificate(store, factory, client, creds, clock)
    if not creds:
        return results
    async with factory(client) as ksef:
        for cred in creds:
            check = await check_with_retries(ksef, client.nip, cred, clock)
            check.client_id = client_id
            check.credential_id = cred.id
            saved = await asyncio.to_thread(store.checks.record, check)
            results.append(saved)
            await asyncio.to_thread(_learn_from_check, store, cred, saved)
            await asyncio.to_thread(
                store.audit.append,
                client_id,
                "credential.live_check",
                saved.outcome.value,
                f"{cred.kind.value} {saved.ksef_code or ''}".strip(),
            )
    return results


async def _probe_office_certificate(
    store: Store, factory: KsefFactory, client: Client, creds: list[Credential], clock: Clock
) -> None:
    """Issue 11: a client without an own working certificate is also checked with the office
    certificate in its context (recorded as the client's probe, core/readiness.py)."""
    if client.login_damaged or any(c.kind is CredentialKind.KSEF_CERTIFICATE and c.secret for c in creds):
        return
    if not await asyncio.to_thread(office_granted, store, client.nip):
        return  # no grant in the latest census: the probe would only earn a 415 (the census says so)
    office = await asyncio.to_thread(store.office_certificate.get)
    if office is None or office.damaged or not office.certificate_pem:
        return
    async with factory(client) as ksef:
        probe = await probe_one(ksef, client, office, clock)
    if probe.status is not None:
        await asyncio.to_thread(store.client_office.record_probe, client.id or 0, probe)


async def skip_damaged(store: Store, client: Client, cred: Credential, clock: Clock) -> LiveCheck:
    """A credential (or client NIP) damaged in the store is never sent to KSeF. The skip is recorded in
    the audit trail, not as a live check (none was made): the result returned says why, unsaved."""
    await record_skip(store, client.id or 0, "credential.live_check", cred)
    return LiveCheck(client.id or 0, clock(), CheckOutcome.ERROR, cred.id, message=damaged_reason())


def _learn_from_check(store: Store, cred: Credential, check: LiveCheck) -> None:
    """Keep the credential's own record in step with what KSeF said (status, permissions). Never for a
    damaged credential: saving it would seal its placeholders as genuine values."""
    if cred.damaged:
        return
    changed = False
    if check.outcome is CheckOutcome.REVOKED and cred.status is not CredentialStatus.REVOKED:
        cred.status = CredentialStatus.REVOKED
        changed = True
    if check.outcome is CheckOutcome.OK:
        if check.permissions and frozenset(check.permissions) != cred.permissions:
            cred.permissions = frozenset(check.permissions)
            changed = True
        status = _token_status(check.token_status)
        if status is not None and status is not cred.status:
            cred.status = status
            changed = True
    if changed:
        store.credentials.update(cred)


def _token_status(raw: str | None) -> CredentialStatus | None:
    mapping = {
        "Active": CredentialStatus.ACTIVE,
        "Pending": CredentialStatus.PENDING,
        "Revoking": CredentialStatus.REVOKING,
        "Revoked": CredentialStatus.REVOKED,
        "Failed": CredentialStatus.FAILED,
    }
    return mapping.get(raw or "")


async def run_live_checks(
    store: Store,
    factory: KsefFactory | None,
    client_ids: list[int],
    clock: Clock,
    progress: Progress | None = None,
    concurrency: int = 8,
    finished: Callable[[int], object] | None = None,
) -> str:
    """Check these clients (at most `concurrency` at once); return a one-line summary in words.

    A client whose check cannot reach KSeF is recorded as an ERROR check, never as a bad credential.
    `finished(client_id)` is called once each client's results are recorded (before `progress`).
    """
    require(store, Action.CHECK)
    if factory is None:
        return _("KSeF is not configured for this store.")
    gate = asyncio.Semaphore(concurrency)
    done = failed = 0
    tally: Counter[str] = Counter()

    async def one(client_id: int) -> None:
        nonlocal done, failed
        async with gate:
            try:
                checks = await check_one(store, factory, client_id, clock)
            except asyncio.CancelledError:
                raise
            except Exception as err:  # one client's trouble must not stop the others
                checks = [LiveCheck(client_id, clock(), CheckOutcome.ERROR, message=type(err).__name__)]
                await asyncio.to_thread(store.checks.record, checks[0])
            verdict = client_verdict(checks)
            tally[verdict] += 1
            if verdict in (REFUSED, UNCHECKED):
                failed += 1
            done += 1
            if finished is not None:
                finished(client_id)
            if progress is not None:
                progress(done, failed)

    await asyncio.gather(*(one(cid) for cid in client_ids))
    return check_summary(done, tally)


# What one client's live check found, for the summary: every credential accepted; one refused or revoked
# by KSeF; one not checked (KSeF unreachable, or the stored credential damaged); nothing to check.
ACCEPTED, REFUSED, UNCHECKED, NOTHING = "accepted", "refused", "unchecked", "nothing"
_VERDICT_WORDS = {
    ACCEPTED: N_("access works: {n}"),
    REFUSED: N_("refused by KSeF: {n}"),
    UNCHECKED: N_("not checked (no connection to KSeF or damaged data): {n}"),
    NOTHING: N_("no token or certificate to check: {n}"),
}


def client_verdict(checks: list[LiveCheck]) -> str:
    if any(c.outcome in (CheckOutcome.AUTH_FAILED, CheckOutcome.REVOKED) for c in checks):
        return REFUSED
    if any(c.outcome is CheckOutcome.ERROR for c in checks):
        return UNCHECKED
    return ACCEPTED if checks else NOTHING


def check_summary(done: int, tally: Mapping[str, int]) -> str:
    """ "Checked 1 client: no token or certificate to check: 1." — what the checks found, not a count of
    "problems" a red client (no credential, an expiry) would not be counted among. The board's colours
    say the rest."""
    head = ngettext("Checked {n} client", "Checked {n} clients", done).format(n=done)
    parts = [
        _(_VERDICT_WORDS[verdict]).format(n=tally[verdict])
        for verdict in _VERDICT_WORDS
        if tally.get(verdict)
    ]
    return head + (": " + "; ".join(parts) if parts else "") + "."

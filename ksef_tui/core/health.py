"""Credential health: the colours of the client board (DESIGN.md "Credential health").

Pure: everything it needs is passed in, including the clock's `now`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import IntEnum, StrEnum

from ksef_tui.core.clock import WARSAW
from ksef_tui.core.humanize_pl import until_words
from ksef_tui.core.i18n import _
from ksef_tui.core.models import (
    CheckOutcome,
    Client,
    Credential,
    CredentialKind,
    CredentialStatus,
    LiveCheck,
    Permission,
    SyncState,
)


class Level(IntEnum):
    """Ordered by urgency: sorting ascending puts red first."""

    RED = 0
    YELLOW = 1
    GREEN = 2

    @property
    def key(self) -> str:
        return self.name.lower()


GLYPHS = {Level.RED: "✖", Level.YELLOW: "▲", Level.GREEN: "●"}


@dataclass(frozen=True)
class HealthSettings:
    red_days: int = 7
    warn_days: int = 30
    token_sunset: date = date(2026, 12, 31)
    check_stale_days: int = 7
    sync_stale_days: int = 2
    # A client who has only a token loses KSeF access at the sunset: warn well ahead of warn_days,
    # because getting a certificate takes the client's own action (docs/DECISIONS.md).
    sunset_warn_days: int = 60
    relied_permissions: tuple[str, ...] = (Permission.INVOICE_WRITE, Permission.INTROSPECTION)


class NextStep(StrEnum):
    """What the person should do next, said where they are: a key in the app, a command in a shell."""

    CHECK = "check"


@dataclass(frozen=True)
class Health:
    level: Level
    reason: str  # neither a key nor a command: the app and the CLI add the next step in their words
    expires: datetime | None = None
    credential: Credential | None = field(default=None, compare=False)
    next_step: NextStep | None = None

    @property
    def glyph(self) -> str:
        return GLYPHS[self.level]

    def said(self, steps: dict[NextStep, str]) -> str:
        """The reason with the next step from `steps` (msgids: the app's key, the CLI's command)."""
        if self.next_step is None or self.next_step not in steps:
            return self.reason
        return f"{self.reason} {_(steps[self.next_step])}"


def effective_expiry(cred: Credential, settings: HealthSettings) -> datetime | None:
    """A token's expiry is the earlier of its own validity and the token sunset (end of that day)."""
    if cred.kind is CredentialKind.KSEF_TOKEN:
        # Tokens work through the last day of the sunset, Polish time.
        sunset = datetime.combine(settings.token_sunset, time(23, 59, 59), tzinfo=WARSAW)
        return min(cred.valid_until, sunset) if cred.valid_until else sunset
    return cred.valid_until


def _days_word(target: datetime, now: datetime) -> str:
    return until_words(target, now)


def damaged_reason() -> str:
    """Why a client or credential is red when the store could not authenticate one of its values."""
    return _("data damaged in the store — restore from a backup or import again")


def credential_health(
    cred: Credential,
    check: LiveCheck | None,
    now: datetime,
    settings: HealthSettings,
) -> Health:
    """Health of one credential given its latest live check."""
    if cred.damaged or (check is not None and check.damaged):
        # Damage is never good news: a placeholder must not pass for a date, status or permission.
        trusted = not cred.damaged & {"valid_from", "valid_until", "kind"}
        return Health(
            Level.RED, damaged_reason(), effective_expiry(cred, settings) if trusted else None, cred
        )
    expiry = effective_expiry(cred, settings)
    is_token = cred.kind is CredentialKind.KSEF_TOKEN
    if cred.status in (CredentialStatus.REVOKED, CredentialStatus.REVOKING) or (
        check is not None and check.outcome is CheckOutcome.REVOKED
    ):
        return Health(Level.RED, _("Revoked in KSeF: generate a new credential."), expiry, cred)
    if cred.status is CredentialStatus.FAILED:
        return Health(Level.RED, _("KSeF could not activate this token: generate a new one."), expiry, cred)
    if expiry is not None and expiry <= now:
        if is_token and expiry.astimezone(WARSAW).date() == settings.token_sunset:
            return Health(Level.RED, _("Token sunset passed: KSeF tokens no longer work."), expiry, cred)
        return Health(Level.RED, _("Expired {when}.").format(when=_days_word(expiry, now)), expiry, cred)
    if cred.valid_from is not None and cred.valid_from > now:
        return Health(
            Level.RED,
            _("Not valid yet: valid from {when}.").format(
                when=cred.valid_from.astimezone(WARSAW).date().isoformat()
            ),
            expiry,
            cred,
        )
    if check is not None and check.outcome is CheckOutcome.AUTH_FAILED:
        code = f" ({check.ksef_code})" if check.ksef_code else ""
        return Health(
            Level.RED,
            _("Last login to KSeF failed{code}: {message}").format(
                code=code, message=check.message or _("credential refused")
            ),
            expiry,
            cred,
        )
    perms = check.permissions if check is not None and check.outcome is CheckOutcome.OK else cred.permissions
    known_perms = bool(perms) or (check is not None and check.outcome is CheckOutcome.OK)
    if known_perms and Permission.INVOICE_READ not in perms:
        return Health(Level.RED, _("No InvoiceRead permission: invoices cannot be downloaded."), expiry, cred)
    if expiry is not None and expiry - now <= timedelta(days=settings.red_days):
        return Health(Level.RED, _expiry_reason(cred, expiry, now, settings), expiry, cred)
    # Yellow from here on.
    if expiry is not None and expiry - now <= timedelta(days=settings.warn_days):
        return Health(Level.YELLOW, _expiry_reason(cred, expiry, now, settings), expiry, cred)
    if (
        is_token
        and expiry is not None
        and expiry.astimezone(WARSAW).date() == settings.token_sunset
        and expiry - now <= timedelta(days=settings.sunset_warn_days)
    ):
        return Health(Level.YELLOW, _expiry_reason(cred, expiry, now, settings), expiry, cred)
    if cred.status is CredentialStatus.PENDING:
        return Health(Level.YELLOW, _("Token is still being activated in KSeF."), expiry, cred)
    if known_perms:
        missing = [p for p in settings.relied_permissions if p not in perms]
        if missing:
            return Health(Level.YELLOW, _missing_reason(missing), expiry, cred)
    return Health(
        Level.GREEN,
        _("Valid until {date}.").format(date=expiry.astimezone(WARSAW).date().isoformat())
        if expiry
        else _("Valid."),
        expiry,
        cred,
    )


def _expiry_reason(cred: Credential, expiry: datetime, now: datetime, settings: HealthSettings) -> str:
    when = _days_word(expiry, now)
    if cred.kind is CredentialKind.KSEF_TOKEN and expiry.astimezone(WARSAW).date() == settings.token_sunset:
        return _("Tokens stop working {when} (token sunset): switch to a KSeF certificate.").format(when=when)
    if cred.kind is CredentialKind.KSEF_TOKEN:
        return _("Token expires {when}.").format(when=when)
    return _("Certificate expires {when}: renew it.").format(when=when)


def _missing_reason(missing: list[str]) -> str:
    names = ", ".join(missing)
    if str(Permission.INTROSPECTION) in missing:
        return _("Missing permission {names}: session history shows only the office's own sessions.").format(
            names=names
        )
    return _("Missing permission {names}: sending invoices will fail.").format(names=names)


def client_health(
    client: Client,
    credentials: list[Credential],
    checks: dict[int, LiveCheck],
    sync: SyncState | None,
    now: datetime,
    settings: HealthSettings = HealthSettings(),
    office: Credential | None = None,
) -> Health:
    """Health of a client: its best credential, then client-wide staleness.

    `checks` maps credential id to the latest live check of that credential. Any damaged value the
    judgement rests on (the client's record, a credential, a latest check, the sync state) makes the
    client red, whatever the rest says.

    `office`: the office certificate (issue 11). A client without an own KSeF certificate depends on it,
    so its health is never better than the office certificate's (expiring, expired, revoked).
    """
    own = _client_health(client, credentials, checks, sync, now, settings)
    if office is None or any(c.kind is CredentialKind.KSEF_CERTIFICATE for c in credentials):
        return own
    judged = credential_health(office, None, now, settings)
    if judged.level >= own.level or not credentials:
        return own
    return Health(
        judged.level, _("Office certificate: {reason}").format(reason=judged.reason), judged.expires, office
    )


def _client_health(
    client: Client,
    credentials: list[Credential],
    checks: dict[int, LiveCheck],
    sync: SyncState | None,
    now: datetime,
    settings: HealthSettings,
) -> Health:
    damaged = _damaged(client, credentials, checks, sync, settings)
    if damaged is not None:
        return damaged
    if not credentials:
        return Health(Level.RED, _("No KSeF credential: import a token or a certificate."))
    judged = [credential_health(c, checks.get(c.id or -1), now, settings) for c in credentials]
    # The best credential wins: highest level, then the latest expiry (None = no expiry known, best).
    far = datetime.max.replace(tzinfo=UTC)
    best = max(judged, key=lambda h: (h.level, h.expires or far))
    if best.level is not Level.GREEN:
        return best
    check = checks.get(best.credential.id or -1) if best.credential else None
    if check is None:
        return Health(
            Level.YELLOW, _("Never checked live in KSeF."), best.expires, best.credential, NextStep.CHECK
        )
    if check.outcome is CheckOutcome.ERROR:
        return Health(
            Level.YELLOW,
            _("Last live check could not reach KSeF ({message}): try again.").format(
                message=check.message or "?"
            ),
            best.expires,
            best.credential,
        )
    if now - check.checked_at > timedelta(days=settings.check_stale_days):
        return Health(
            Level.YELLOW,
            _("Not checked live for {days} days.").format(days=(now - check.checked_at).days),
            best.expires,
            best.credential,
        )
    if sync is not None and sync.last_attempt is not None:
        if sync.last_error and (sync.last_success is None or sync.last_success < sync.last_attempt):
            return Health(
                Level.YELLOW,
                _("Last sync failed: {error}").format(error=sync.last_error),
                best.expires,
                best.credential,
            )
        if sync.last_success and now - sync.last_success > timedelta(days=settings.sync_stale_days):
            return Health(
                Level.YELLOW,
                _("Last successful sync {when}.").format(when=_days_word(sync.last_success, now)),
                best.expires,
                best.credential,
            )
    return best


def _damaged(
    client: Client,
    credentials: list[Credential],
    checks: dict[int, LiveCheck],
    sync: SyncState | None,
    settings: HealthSettings,
) -> Health | None:
    latest = [checks.get(c.id or -1) for c in credentials]
    if not (
        client.damaged
        or any(c.damaged for c in credentials)
        or any(ch is not None and ch.damaged for ch in latest)
        or (sync is not None and sync.damaged)
    ):
        return None
    # Name the credential the board would show: the first damaged one, else the first one.
    cred = next((c for c in credentials if c.damaged), credentials[0] if credentials else None)
    expires = None
    if cred is not None and not cred.damaged & {"valid_from", "valid_until", "kind"}:
        expires = effective_expiry(cred, settings)
    return Health(Level.RED, damaged_reason(), expires, cred)


def urgency_key(health: Health) -> tuple[int, datetime]:
    """Sort key: red, yellow, green; then nearest expiry first (no expiry last)."""
    return (int(health.level), health.expires or datetime.max.replace(tzinfo=UTC))

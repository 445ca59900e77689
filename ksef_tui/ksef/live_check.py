"""The TUI's "check live" action: can this credential still work in this client's context?

Never raises for KSeF-level failures: the outcome says what happened.
- OK — authenticated; permissions (and the token's own status, when it has a reference) were read.
- AUTH_FAILED — KSeF refused the credential (auth status 415/450/460/..., exception 21301, 401/403 ...).
- REVOKED — the token is revoked (its status says so, or auth status 425 / 21301 with a revoked token).
- ERROR — network trouble or KSeF server errors after retries: says nothing about the credential.
"""

from __future__ import annotations

from datetime import datetime

from ksef_tui.core.i18n import _
from ksef_tui.core.models import CheckOutcome, Credential, CredentialKind, LiveCheck, token_reference
from ksef_tui.ksef.apilog import get_logger, redact_text
from ksef_tui.ksef.client import KsefClient
from ksef_tui.ksef.errors import (
    AuthCancelled,
    AuthenticationError,
    AuthRevokedByUser,
    AuthTimeout,
    AuthUnknownError,
    Forbidden,
    KsefError,
    KsefHttpError,
    KsefNetworkError,
    RateLimited,
    ServerError,
    Unauthorized,
)
from ksef_tui.ksef.models import TokenStatus

log = get_logger(__name__)

REVOKED_TOKEN_STATUSES = {TokenStatus.REVOKED, TokenStatus.REVOKING}


async def check_credential(client: KsefClient, nip: str, credential: Credential, now: datetime) -> LiveCheck:
    """Authenticate with `credential` in context `nip`, read permissions and the token's status."""
    check = LiveCheck(
        client_id=credential.client_id,
        checked_at=now,
        outcome=CheckOutcome.ERROR,
        credential_id=credential.id,
    )
    ctx = client.for_context(nip)
    try:
        await _authenticate(ctx, nip, credential)
    except AuthRevokedByUser as err:
        return _fail(check, CheckOutcome.REVOKED, err)
    except (AuthTimeout, AuthCancelled, AuthUnknownError) as err:
        # KSeF's own trouble (status 100 for too long, 550 "cancelled, try again", 500), repeated by
        # the login's retries and still failing: nothing is known about the credential.
        return _fail(check, CheckOutcome.ERROR, err)
    except AuthenticationError as err:
        return _fail(check, CheckOutcome.AUTH_FAILED, err)
    except (KsefNetworkError, ServerError, RateLimited) as err:
        return _fail(check, CheckOutcome.ERROR, err)
    except KsefHttpError as err:  # 400 21301 / 401 / 403 during auth: KSeF refused the credential
        return _fail(check, CheckOutcome.AUTH_FAILED, err)
    except KsefError as err:
        return _fail(check, CheckOutcome.ERROR, err)
    except ValueError as err:  # unreadable PEM and the like: the credential itself is broken
        check.outcome = CheckOutcome.AUTH_FAILED
        check.message = _("The credential could not be used: {reason}").format(
            reason=redact_text(str(err))[:200]
        )
        return check

    try:
        permissions = await ctx.all_personal_permissions({"permissionState": "Active"})
        check.permissions = frozenset(
            p.permission_scope
            for p in permissions
            if p.permission_scope and p.permission_state in (None, "Active")
        )
        reference = credential.reference or (
            token_reference(credential.secret) if credential.kind is CredentialKind.KSEF_TOKEN else None
        )
        if credential.kind is CredentialKind.KSEF_TOKEN and reference:
            info = await ctx.get_token(reference)
            check.token_status = str(info.status) if info.status else None
            if not check.permissions and info.requested_permissions:
                check.permissions = frozenset(info.requested_permissions)
            if info.status in REVOKED_TOKEN_STATUSES:
                check.outcome = CheckOutcome.REVOKED
                check.message = _("The KSeF token is revoked.")
                return check
    except (Forbidden, Unauthorized) as err:
        # Authenticated, but not allowed to read these: the check itself succeeded.
        log.info("live check for %s: permissions/token status not readable (%s)", nip, err.status)
        check.message = _("Authenticated; KSeF did not let this credential read its permissions.")
        check.outcome = CheckOutcome.OK
        return check
    except KsefError as err:
        return _fail(check, CheckOutcome.ERROR, err)

    check.outcome = CheckOutcome.OK
    check.message = _("Authenticated in KSeF.")
    return check


async def _authenticate(ctx: KsefClient, nip: str, credential: Credential) -> None:
    if credential.kind is CredentialKind.KSEF_TOKEN:
        await ctx.authenticate_with_token(nip, credential.secret)
    else:
        if not credential.certificate_pem:
            raise ValueError(_("the certificate is missing"))
        await ctx.authenticate_with_certificate(nip, credential.certificate_pem, credential.secret)


# KSeF answers a revoked token with auth status 450 and a detail naming the reason; the token's own
# status cannot be read without logging in, so the detail is the only signal (Polish or English).
_REVOKED_WORDS = ("unieważn", "revoked")


def _fail(check: LiveCheck, outcome: CheckOutcome, err: KsefError) -> LiveCheck:
    details = [d for d in getattr(err, "details", []) if d]
    if outcome is CheckOutcome.AUTH_FAILED and any(w in d.lower() for d in details for w in _REVOKED_WORDS):
        outcome = CheckOutcome.REVOKED
    check.outcome = outcome
    check.ksef_code = err.code
    # The board shows this as the reason: KSeF's own specific detail reads best; else our explanation.
    check.message = redact_text(details[-1] if details else err.explanation)[:200]
    return check

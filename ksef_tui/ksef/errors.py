"""Typed KSeF errors (issue item 3).

Both error formats become the same exceptions:
- legacy `ExceptionResponse`
  `{"exception": {"exceptionDetailList": [{exceptionCode, exceptionDescription, details}]}}`;
- `application/problem+json` (`BadRequestProblemDetails{errors[{code, description, details}]}`,
  and the 401/403/410/429 problems);
- the legacy 429 body `{"status": {"code": 429, "description", "details"}}`.

Every exception carries `.status` (HTTP), `.code` (first KSeF code), `.codes`, `.details` (server text,
redacted) and `.explanation` (Polish via `_()`, what it means for the accountant). The message never
contains a token or an Authorization header: it is built only from server text passed through
`redact_text` and from our own sentences.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from email.utils import parsedate_to_datetime
from typing import Any

from ksef_tui.core.i18n import N_, _
from ksef_tui.core.models import permission_words
from ksef_tui.ksef.apilog import redact_text

# KSeF exception codes (API-NOTES §17) -> what they mean for the user.
CODE_EXPLANATIONS: dict[int, str] = {
    21405: N_("KSeF rejected the request data as invalid."),
    21418: N_("KSeF rejected the continuation token; the listing must start again."),
    21111: N_("The authentication challenge was wrong or expired; try again."),
    21470: N_("KSeF no longer accepts the public key used for encryption; the key list must be refreshed."),
    21301: N_(
        "KSeF refused authorisation: the token was already used, the operation is not allowed now, "
        "or the KSeF token was revoked."
    ),
    21304: N_("KSeF does not know this authentication operation."),
    21308: N_("Authentication refused: the person is recorded as deceased."),
    21155: N_("The session has reached its invoice limit."),
    21173: N_("The session does not exist."),
    21180: N_("The session's status does not allow this operation."),
    21402: N_("The invoice size does not match what was declared."),
    21403: N_("The invoice hash does not match what was declared."),
    21164: N_("KSeF has no invoice with this number."),
    21165: N_("The invoice is processed but not yet available for download; try later."),
    21175: N_("KSeF does not know this export."),
    21178: N_("The UPO is not ready yet; try again later."),
    21181: N_("KSeF rejected the export request."),
    21182: N_("Too many exports are running for this client; wait for one to finish."),
    21183: N_("The requested date range goes beyond the point KSeF has complete data for."),
    26001: N_("A token cannot be given permissions its creator does not have."),
    26002: N_("A token can be generated only in a NIP or internal-identifier context."),
}

# Authentication operation status codes (GET /auth/{ref}, API-NOTES §4).
AUTH_STATUS_EXPLANATIONS: dict[int, str] = {
    415: N_("Authentication refused: the subject has no permissions in this context."),
    425: N_("Authentication was revoked by the user."),
    450: N_("Authentication refused: the KSeF token is wrong, inactive or revoked."),
    460: N_("Authentication refused: the certificate is invalid, expired, revoked or untrusted."),
    470: N_("Authentication refused: the person is recorded as deceased."),
    480: N_("Authentication blocked by KSeF after a security incident."),
    500: N_("Authentication failed with an unknown KSeF error."),
    550: N_("KSeF cancelled the authentication; try again."),
}

STATUS_EXPLANATIONS: dict[int, str] = {
    400: N_("KSeF rejected the request."),
    401: N_("KSeF did not accept the access token (expired or revoked); authentication is needed again."),
    403: N_("KSeF refused access to this operation."),
    404: N_("KSeF did not find the requested resource."),
    410: N_("The operation has expired and is no longer available in KSeF."),
    429: N_("KSeF request limit reached; the app waits as KSeF asks."),
}

REASON_EXPLANATIONS: dict[str, str] = {
    "missing-permissions": N_("The credential lacks the permission this operation needs."),
    "ip-not-allowed": N_("The request came from an IP address not allowed when authenticating."),
    "insufficient-resource-access": N_("The credential has no access to this resource."),
    "auth-method-not-allowed": N_("This operation is not available for the authentication method used."),
    "security-service-blocked": N_("KSeF security mechanisms blocked the request."),
    "context-type-not-allowed": N_("This operation is not available for this type of context."),
}


class KsefError(Exception):
    """Base of every error this package raises about KSeF."""

    default_explanation = N_("KSeF returned an error.")

    def __init__(
        self,
        explanation: str | None = None,
        *,
        status: int | None = None,
        codes: Sequence[int] = (),
        details: Sequence[str] = (),
        descriptions: Sequence[str] = (),
        reference: str | None = None,
    ) -> None:
        self.status = status
        self.codes = tuple(codes)
        self.details = [redact_text(str(d)) for d in details if d]
        self.descriptions = [redact_text(str(d)) for d in descriptions if d]
        self.reference = reference
        self.explanation = explanation or _(self.default_explanation)
        super().__init__(self._message())

    @property
    def code(self) -> int | None:
        return self.codes[0] if self.codes else None

    def _message(self) -> str:
        parts = [self.explanation]
        tags = []
        if self.status:
            tags.append(f"HTTP {self.status}")
        tags += [str(c) for c in self.codes]
        if tags:
            parts.append("[" + ", ".join(tags) + "]")
        extra = [d for d in [*self.descriptions, *self.details] if d and d not in self.explanation]
        if extra:
            parts.append("— " + "; ".join(extra[:4]))
        return redact_text(" ".join(parts))

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status!r}, codes={self.codes!r})"


class KsefHttpError(KsefError):
    """KSeF answered with an error status."""


class BadRequest(KsefHttpError):
    pass


class Unauthorized(KsefHttpError):
    default_explanation = STATUS_EXPLANATIONS[401]


class Forbidden(KsefHttpError):
    default_explanation = STATUS_EXPLANATIONS[403]

    def __init__(
        self, *args: Any, reason_code: str | None = None, security: Mapping[str, Any] | None = None, **kw: Any
    ):
        self.reason_code = reason_code
        self.security = dict(security or {})
        super().__init__(*args, **kw)


class MissingPermissions(Forbidden):
    @property
    def required_permissions(self) -> list[str]:
        return [str(p) for p in self.security.get("requiredAnyOfPermissions") or []]

    @property
    def present_permissions(self) -> list[str]:
        return [str(p) for p in self.security.get("presentPermissions") or []]

    def _message(self) -> str:
        base = super()._message()
        return (
            base
            + " "
            + _("Required (any of): {required}. Present: {present}.").format(
                # In words ("przeglądanie faktur"), as the client screen says them (issue 16 item 2).
                required=permission_words(self.required_permissions) or "—",
                present=permission_words(self.present_permissions) or "—",
            )
        )


class NotFound(KsefHttpError):
    default_explanation = STATUS_EXPLANATIONS[404]


class Gone(KsefHttpError):
    default_explanation = STATUS_EXPLANATIONS[410]


class RateLimited(KsefHttpError):
    default_explanation = STATUS_EXPLANATIONS[429]

    def __init__(self, *args: Any, retry_after: float | None = None, **kw: Any) -> None:
        self.retry_after = retry_after
        super().__init__(*args, **kw)


class ServerError(KsefHttpError):
    default_explanation = N_("KSeF is having trouble (server error); try again later.")


class KsefNetworkError(KsefError):
    """No usable answer: connection refused or dropped, timeout, TLS error."""

    default_explanation = N_("Could not reach KSeF (network problem or timeout).")


class PublicKeyUnavailable(KsefError):
    default_explanation = N_("KSeF did not provide a valid public key for encryption.")


class IntegrityError(KsefError):
    """A downloaded document's hash does not match the one KSeF declared."""

    default_explanation = N_("The downloaded document does not match its KSeF hash; it was not saved.")


class PackageRefused(IntegrityError):
    """An export package failed a check (a part's hash or key, the archive's entries or limits,
    `_metadata.json`, an invoice's hash): the whole package is refused, nothing from it is stored.

    `reason` is one translated sentence naming what was wrong; the message says that nothing from the
    package was saved."""

    default_explanation = N_("The export package from KSeF was refused; nothing from it was saved.")

    def __init__(self, reason: str, *, details: Sequence[str] = ()) -> None:
        self.reason = reason
        super().__init__(
            _("The export package from KSeF was refused; nothing from it was saved. Reason: {reason}").format(
                reason=reason
            ),
            details=details,
        )


class AuthenticationError(KsefError):
    """Authentication ended with a failure status (415..550) or could not complete."""

    default_explanation = N_("Authentication in KSeF failed.")


class AuthNoPermissions(AuthenticationError):
    pass


class AuthRevokedByUser(AuthenticationError):
    pass


class AuthInvalidToken(AuthenticationError):
    pass


class AuthCertificateError(AuthenticationError):
    pass


class AuthDeceased(AuthenticationError):
    pass


class AuthBlocked(AuthenticationError):
    pass


class AuthUnknownError(AuthenticationError):
    pass


class AuthCancelled(AuthenticationError):
    pass


class AuthTimeout(AuthenticationError):
    default_explanation = N_("KSeF did not finish authentication in time; try again later.")


class NotAuthenticated(KsefError):
    default_explanation = N_("The client is not authenticated in this context.")


AUTH_STATUS_ERRORS: dict[int, type[AuthenticationError]] = {
    415: AuthNoPermissions,
    425: AuthRevokedByUser,
    450: AuthInvalidToken,
    460: AuthCertificateError,
    470: AuthDeceased,
    480: AuthBlocked,
    500: AuthUnknownError,
    550: AuthCancelled,
}


def auth_status_error(code: int, description: str = "", details: Sequence[str] = ()) -> AuthenticationError:
    cls = AUTH_STATUS_ERRORS.get(code, AuthenticationError)
    text = AUTH_STATUS_EXPLANATIONS.get(code)
    return cls(_(text) if text else None, codes=[code], descriptions=[description], details=details)


def _explanation_for(status: int, codes: Sequence[int], reason_code: str | None) -> str | None:
    for code in codes:
        if code in CODE_EXPLANATIONS:
            return _(CODE_EXPLANATIONS[code])
    if reason_code and reason_code in REASON_EXPLANATIONS:
        return _(REASON_EXPLANATIONS[reason_code])
    if status in STATUS_EXPLANATIONS:
        return _(STATUS_EXPLANATIONS[status])
    if status >= 500:
        return _(ServerError.default_explanation)
    return None


def parse_error_payload(payload: Any) -> dict[str, Any]:
    """Normalise any KSeF error body into {codes, descriptions, details, reason_code, security, reference}."""
    out: dict[str, Any] = {
        "codes": [],
        "descriptions": [],
        "details": [],
        "reason_code": None,
        "security": {},
        "reference": None,
    }
    if not isinstance(payload, Mapping):
        return out
    exc = payload.get("exception")
    if isinstance(exc, Mapping):  # legacy ExceptionResponse
        out["reference"] = exc.get("referenceNumber")
        for item in exc.get("exceptionDetailList") or []:
            if isinstance(item, Mapping):
                _collect(
                    out, item.get("exceptionCode"), item.get("exceptionDescription"), item.get("details")
                )
        return out
    status = payload.get("status")
    if isinstance(status, Mapping):  # legacy 429 {"status": {code, description, details}}
        _collect(out, None, status.get("description"), status.get("details"))
        return out
    # problem-details
    for item in payload.get("errors") or []:
        if isinstance(item, Mapping):
            _collect(out, item.get("code"), item.get("description"), item.get("details"))
    if payload.get("detail"):
        out["details"].append(str(payload["detail"]))
    out["reason_code"] = payload.get("reasonCode")
    if isinstance(payload.get("security"), Mapping):
        out["security"] = dict(payload["security"])
    out["reference"] = payload.get("traceId")
    return out


def _collect(out: dict[str, Any], code: Any, description: Any, details: Any) -> None:
    if isinstance(code, int) or (isinstance(code, str) and code.isdigit()):
        out["codes"].append(int(code))
    if description:
        out["descriptions"].append(str(description))
    if isinstance(details, list):
        out["details"] += [str(d) for d in details if d]
    elif isinstance(details, str):
        out["details"].append(details)


def parse_retry_after(value: str | None, now_epoch: float | None = None) -> float | None:
    """`Retry-After` is seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    now = time.time() if now_epoch is None else now_epoch
    return max(0.0, when.timestamp() - now)


def error_from_response(
    status: int, body: bytes, headers: Mapping[str, str] | None = None, *, now_epoch: float | None = None
) -> KsefHttpError:
    """Build the typed exception for an error response (status >= 400). `now_epoch`: the injected wall
    clock, for a Retry-After given as an HTTP date."""
    headers = headers or {}
    payload: Any = None
    try:
        payload = json.loads(body) if body else None
    except (ValueError, UnicodeDecodeError):
        payload = None
    info = parse_error_payload(payload)
    explanation = _explanation_for(status, info["codes"], info["reason_code"])
    common = {
        "status": status,
        "codes": info["codes"],
        "details": info["details"],
        "descriptions": info["descriptions"],
        "reference": info["reference"],
    }
    if status == 429:
        return RateLimited(
            explanation, retry_after=parse_retry_after(_header(headers, "retry-after"), now_epoch), **common
        )
    if status == 403:
        cls = MissingPermissions if info["reason_code"] == "missing-permissions" else Forbidden
        return cls(explanation, reason_code=info["reason_code"], security=info["security"], **common)
    cls_by_status: dict[int, type[KsefHttpError]] = {
        400: BadRequest,
        401: Unauthorized,
        404: NotFound,
        410: Gone,
    }
    if status >= 500:
        return ServerError(explanation, **common)
    return cls_by_status.get(status, KsefHttpError)(explanation, **common)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for k, v in headers.items():
        if k.lower() == name:
            return v
    return None

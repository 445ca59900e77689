"""Domain records shared by every layer: clients, their credentials, live checks, sync state.

Plain dataclasses, no I/O. The store seals them; the screens show them; `health` judges them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from ksef_tui.core.i18n import N_, _


class Environment(StrEnum):
    TEST = "test"
    DEMO = "demo"
    PROD = "prod"


class CredentialKind(StrEnum):
    KSEF_TOKEN = "ksef_token"  # the client's KSeF token (until the token sunset)
    KSEF_CERTIFICATE = "ksef_certificate"  # the client's own KSeF certificate and private key
    OFFICE_CERTIFICATE = "office_certificate"  # the office's certificate, used under the client's grants


CREDENTIAL_KIND_LABELS = {
    CredentialKind.KSEF_TOKEN: N_("token"),
    CredentialKind.KSEF_CERTIFICATE: N_("certificate"),
    CredentialKind.OFFICE_CERTIFICATE: N_("office cert."),
}


class CredentialStatus(StrEnum):
    """Mirrors KSeF's token statuses; certificates use ACTIVE / REVOKED / EXPIRED."""

    PENDING = "pending"
    ACTIVE = "active"
    REVOKING = "revoking"
    REVOKED = "revoked"
    FAILED = "failed"
    EXPIRED = "expired"


class Permission(StrEnum):
    INVOICE_READ = "InvoiceRead"
    INVOICE_WRITE = "InvoiceWrite"
    CREDENTIALS_READ = "CredentialsRead"
    CREDENTIALS_MANAGE = "CredentialsManage"
    SUBUNIT_MANAGE = "SubunitManage"
    ENFORCEMENT_OPERATIONS = "EnforcementOperations"
    INTROSPECTION = "Introspection"


# KSeF's permission names as its Polish web app says them (shown to people instead of "InvoiceRead").
PERMISSION_WORDS: dict[str, str] = {
    Permission.INVOICE_READ: N_("invoice viewing"),
    Permission.INVOICE_WRITE: N_("invoice issuing"),
    Permission.CREDENTIALS_READ: N_("permission viewing"),
    Permission.CREDENTIALS_MANAGE: N_("permission management"),
    Permission.SUBUNIT_MANAGE: N_("subunit management"),
    Permission.ENFORCEMENT_OPERATIONS: N_("enforcement operations"),
    Permission.INTROSPECTION: N_("session viewing"),
}


def permission_words(permissions: Iterable[str]) -> str:
    """Permissions in words, comma-separated; a name KSeF adds later is shown as it comes."""
    words = [_(PERMISSION_WORDS[p]) if p in PERMISSION_WORDS else p for p in sorted(permissions)]
    return ", ".join(words)


SHORT_CODE_RE = re.compile(r"^[A-Z0-9_]{2,16}$")


def suggest_short_code(name: str, nip: str) -> str:
    """`NAME_XXX`: the first word of the name (letters only, up to 8) and the last three NIP digits."""
    words = [w for w in re.split(r"[^\w]+", name) if w and not w.isdigit()]
    stop = {"SP", "Z", "O", "OO", "SA", "SPÓŁKA", "SPOLKA", "PHU", "FHU", "PPHU", "FIRMA"}
    first = next((w for w in words if w.upper() not in stop), words[0] if words else "KLIENT")
    ascii_word = unicodedata.normalize("NFKD", first.replace("ł", "l").replace("Ł", "L"))
    ascii_word = "".join(c for c in ascii_word if c.isascii() and c.isalnum()).upper()[:8] or "KLIENT"
    return f"{ascii_word}_{nip[-3:]}"


@dataclass
class Client:
    name: str
    short_code: str
    nips: list[str]  # normalised 10-digit NIPs; the first one is the client's main context
    environment: Environment = Environment.PROD
    notes: str = ""
    id: int | None = None
    created: datetime | None = None
    # Fields the store could not authenticate (they hold placeholders): "name", "short_code", "notes",
    # "environment", "nips". Set by the store only; health turns red on any, and the store refuses to
    # save such a record back unless the field was entered again (docs/SECURITY.md).
    damaged: frozenset[str] = frozenset()

    @property
    def nip(self) -> str:
        return self.nips[0]

    @property
    def login_damaged(self) -> bool:
        """The KSeF context (NIP) or environment is damaged: no login may be made for this client."""
        return bool(self.damaged & CLIENT_LOGIN_FIELDS)


# The client fields a login to KSeF depends on.
CLIENT_LOGIN_FIELDS = frozenset({"nips", "environment"})


def token_reference(token: str) -> str | None:
    """KSeF tokens look like `20251010-EC-2B0C8AB000-4A3D8E9C3B-8D|nip-1234563218|<secret>`.

    The part before the first `|` is the token's reference number; None when the token has no such prefix.
    """
    head = token.split("|", 1)[0].strip()
    if "|" in token and re.fullmatch(r"\d{8}-[A-Z]{2}-[0-9A-F]{10}-[0-9A-F]{10}-[0-9A-F]{2}", head):
        return head
    return None


@dataclass
class Credential:
    client_id: int
    kind: CredentialKind
    # The secret: the token text, or the private key in PEM. Sealed in the store, never logged.
    secret: str = field(default="", repr=False)
    certificate_pem: str | None = field(default=None, repr=False)
    reference: str | None = None  # token reference number
    serial: str | None = None  # certificate serial number
    permissions: frozenset[str] = frozenset()
    created: datetime | None = None
    valid_from: datetime | None = None
    valid_until: datetime | None = None
    status: CredentialStatus = CredentialStatus.ACTIVE
    label: str = ""
    id: int | None = None
    # Columns the store could not authenticate (placeholders in their place). A credential with any
    # damaged column is never used to log in, and is never saved back except by re-importing it.
    damaged: frozenset[str] = frozenset()

    def masked(self) -> str:
        """What the screen may show of the secret."""
        if self.kind is CredentialKind.KSEF_TOKEN:
            return mask_secret(self.secret)
        return self.serial or "—"


def mask_secret(secret: str) -> str:
    """Show only enough to tell two tokens apart: the reference prefix, or the last four characters."""
    if not secret:
        return "—"
    ref = token_reference(secret)
    if ref:
        return f"{ref}|…"
    return "…" + secret[-4:] if len(secret) > 12 else "••••"


class CheckOutcome(StrEnum):
    OK = "ok"  # authenticated, permissions read
    AUTH_FAILED = "auth_failed"  # KSeF refused the credential (450, 21301, ...)
    REVOKED = "revoked"  # the token/certificate is revoked
    ERROR = "error"  # network or server trouble: says nothing about the credential


@dataclass
class LiveCheck:
    """The result of authenticating against KSeF and reading permissions."""

    client_id: int
    checked_at: datetime
    outcome: CheckOutcome
    credential_id: int | None = None
    permissions: frozenset[str] = frozenset()
    token_status: str | None = None
    ksef_code: int | None = None  # the KSeF status or exception code, when there was one
    message: str = ""
    id: int | None = None
    damaged: frozenset[str] = frozenset()  # columns the store could not authenticate


@dataclass
class SyncState:
    client_id: int
    last_attempt: datetime | None = None
    last_success: datetime | None = None
    last_error: str = ""
    damaged: frozenset[str] = frozenset()  # columns the store could not authenticate

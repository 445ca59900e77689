"""Response models: dataclasses parsed leniently from KSeF JSON.

KSeF adds fields and enum values between minor versions (2.6 → 2.7 → 2.9, API-NOTES sources), so:
- unknown fields are ignored (kept in `.raw` on the top-level objects for the inspector);
- unknown enum values stay plain strings (`StrEnum` members when known, `str` otherwise);
- missing fields get defaults; a value of the wrong shape becomes None instead of an exception.

Field names are snake_case; JSON names are derived (camelCase) or given via `field(metadata={"json": ...})`.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar, Union

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T", bound="DataclassInstance")


# --- enums (known values; unknown ones pass through as str) ------------------------------------------


class PublicKeyUsage(StrEnum):
    KSEF_TOKEN_ENCRYPTION = "KsefTokenEncryption"
    SYMMETRIC_KEY_ENCRYPTION = "SymmetricKeyEncryption"


class AuthenticationMethod(StrEnum):
    TOKEN = "Token"
    TRUSTED_PROFILE = "TrustedProfile"
    INTERNAL_CERTIFICATE = "InternalCertificate"
    QUALIFIED_SIGNATURE = "QualifiedSignature"
    QUALIFIED_SEAL = "QualifiedSeal"
    PERSONAL_SIGNATURE = "PersonalSignature"
    PEPPOL_SIGNATURE = "PeppolSignature"


class SessionType(StrEnum):
    ONLINE = "Online"
    BATCH = "Batch"


class TokenStatus(StrEnum):
    PENDING = "Pending"
    ACTIVE = "Active"
    REVOKING = "Revoking"
    REVOKED = "Revoked"
    FAILED = "Failed"


class InvoicingMode(StrEnum):
    ONLINE = "Online"
    OFFLINE = "Offline"


class PermissionState(StrEnum):
    ACTIVE = "Active"
    INACTIVE = "Inactive"


class SubjectType(StrEnum):
    SELLER = "Subject1"
    BUYER = "Subject2"
    THIRD = "Subject3"
    AUTHORIZED = "SubjectAuthorized"


class DateType(StrEnum):
    ISSUE = "Issue"
    INVOICING = "Invoicing"
    PERMANENT_STORAGE = "PermanentStorage"


# --- the lenient parser ---------------------------------------------------------------------------------


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p[:1].upper() + p[1:] for p in rest)


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def parse_datetime(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    # Python 3.11 reads up to 7 fractional digits (.NET); trim anything longer.
    if "." in text:
        head, _, frac_tz = text.partition(".")
        n = 0
        while n < len(frac_tz) and frac_tz[n].isdigit():
            n += 1
        digits, tz = frac_tz[:n], frac_tz[n:]
        text = f"{head}.{digits[:6]}{tz}" if digits else f"{head}{tz}"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _convert(tp: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin in (Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        # `SomeEnum | str`: known member, else the plain string.
        enums = [a for a in args if isinstance(a, type) and issubclass(a, StrEnum)]
        if enums and isinstance(value, str):
            for enum_cls in enums:
                try:
                    return enum_cls(value)
                except ValueError:
                    continue
            return value
        for arg in args:
            result = _convert(arg, value)
            if result is not None:
                return result
        return None
    if origin is list:
        (item_tp,) = typing.get_args(tp) or (Any,)
        if not isinstance(value, list):
            return []
        items = [_convert(item_tp, v) for v in value]
        return [i for i in items if i is not None]
    if origin is dict:
        return dict(value) if isinstance(value, dict) else {}
    if tp is Any:
        return value
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return from_json(tp, value) if isinstance(value, dict) else None
    if tp is datetime:
        return parse_datetime(value)
    if tp is date:
        if isinstance(value, str):
            try:
                return date.fromisoformat(value[:10])
            except ValueError:
                return None
        return None
    if tp is bool:
        return value if isinstance(value, bool) else None
    if tp is int:
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and value.lstrip("-").isdigit():
            return int(value)
        return None
    if tp is float:
        if isinstance(value, bool):
            return None
        if isinstance(value, int | float):
            return float(value)
        try:
            return float(value)
        except (TypeError, ValueError):
            return None
    if tp is str:
        return value if isinstance(value, str) else str(value) if isinstance(value, int | float) else None
    if isinstance(tp, type) and issubclass(tp, StrEnum):
        try:
            return tp(value)
        except ValueError:
            return value
    return value


@cache
def _plan(cls: type) -> tuple[tuple[str, str, Any, bool], ...]:
    """(field, JSON key, type hint, has a default) of each init field of `cls`, worked out once per class:
    a package's `_metadata.json` builds thousands of rows of the same class."""
    hints = _hints(cls)
    return tuple(
        (
            f.name,
            f.metadata.get("json", _camel(f.name)),
            hints[f.name],
            f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING,
        )
        for f in dataclasses.fields(cls)
        if f.init
    )


def from_json(cls: type[T], data: Any) -> T:
    """Build dataclass `cls` from a JSON object, leniently (see the module docstring)."""
    if not isinstance(data, dict):
        data = {}
    kwargs: dict[str, Any] = {}
    for name, key, hint, has_default in _plan(cls):
        if name == "raw":
            kwargs["raw"] = data
            continue
        if key not in data:
            continue
        value = _convert(hint, data[key])
        if value is None and has_default:
            continue  # keep the default ([] rather than None for lists)
        kwargs[name] = value
    return cls(**kwargs)


def list_from_json(cls: type[T], data: Any) -> list[T]:
    return [from_json(cls, d) for d in data] if isinstance(data, list) else []


# --- shared pieces -----------------------------------------------------------------------------------


@dataclass
class StatusInfo:
    code: int | None = None
    description: str = ""
    details: list[str] = field(default_factory=list)
    extensions: dict[str, Any] = field(default_factory=dict)


@dataclass
class Identifier:
    type: str | None = None
    value: str | None = None


@dataclass
class TokenInfo:
    """An access / refresh / authentication JWT. The token never appears in repr."""

    token: str = field(default="", repr=False)
    valid_until: datetime | None = None


@dataclass(frozen=True)
class FormCode:
    system_code: str = ""
    schema_version: str = ""
    value: str = ""

    def to_json(self) -> dict[str, str]:
        return {"systemCode": self.system_code, "schemaVersion": self.schema_version, "value": self.value}


FA3 = FormCode("FA (3)", "1-0E", "FA")
FA2 = FormCode("FA (2)", "1-0E", "FA")


# --- security / auth --------------------------------------------------------------------------------


@dataclass
class PublicKeyCertificate:
    certificate: str = field(default="", repr=False)
    certificate_id: str = ""
    public_key_id: str = ""
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    usage: list[PublicKeyUsage | str] = field(default_factory=list)


@dataclass
class Challenge:
    challenge: str = ""
    timestamp: datetime | None = None
    timestamp_ms: int | None = None
    client_ip: str | None = None


@dataclass
class AuthInitResponse:
    reference_number: str = ""
    authentication_token: TokenInfo = field(default_factory=TokenInfo)


@dataclass
class AuthenticationMethodInfo:
    category: str | None = None
    code: str | None = None
    display_name: str | None = None


@dataclass
class AuthStatus:
    start_date: datetime | None = None
    authentication_method: AuthenticationMethod | str | None = None
    authentication_method_info: AuthenticationMethodInfo | None = None
    status: StatusInfo = field(default_factory=StatusInfo)
    is_token_redeemed: bool | None = None
    last_token_refresh_date: datetime | None = None
    refresh_token_valid_until: datetime | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass
class AuthTokens:
    access_token: TokenInfo = field(default_factory=TokenInfo)
    refresh_token: TokenInfo | None = None


@dataclass
class AuthSessionInfo:
    reference_number: str = ""
    start_date: datetime | None = None
    authentication_method: AuthenticationMethod | str | None = None
    status: StatusInfo = field(default_factory=StatusInfo)
    is_token_redeemed: bool | None = None
    last_token_refresh_date: datetime | None = None
    refresh_token_valid_until: datetime | None = None
    is_current: bool | None = None


@dataclass
class AuthSessionsPage:
    items: list[AuthSessionInfo] = field(default_factory=list)
    continuation_token: str | None = None


# --- sessions ---------------------------------------------------------------------------------------


@dataclass
class SessionSummary:
    reference_number: str = ""
    status: StatusInfo = field(default_factory=StatusInfo)
    date_created: datetime | None = None
    date_updated: datetime | None = None
    valid_until: datetime | None = None
    total_invoice_count: int | None = None
    successful_invoice_count: int | None = None
    failed_invoice_count: int | None = None
    session_type: SessionType | str | None = field(default=None, metadata={"json": "sessionType"})


@dataclass
class SessionsPage:
    sessions: list[SessionSummary] = field(default_factory=list)
    continuation_token: str | None = None


@dataclass
class UpoPage:
    reference_number: str = ""
    download_url: str | None = field(default=None, repr=False)
    download_url_expiration_date: datetime | None = None


@dataclass
class UpoInfo:
    pages: list[UpoPage] = field(default_factory=list)


@dataclass
class SessionStatus:
    status: StatusInfo = field(default_factory=StatusInfo)
    date_created: datetime | None = None
    date_updated: datetime | None = None
    valid_until: datetime | None = None
    upo: UpoInfo | None = None
    invoice_count: int | None = None
    successful_invoice_count: int | None = None
    failed_invoice_count: int | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass
class SessionInvoice:
    reference_number: str = ""
    ordinal_number: int | None = None
    invoice_number: str | None = None
    ksef_number: str | None = None
    invoice_hash: str | None = None
    invoice_file_name: str | None = None
    acquisition_date: datetime | None = None
    invoicing_date: datetime | None = None
    permanent_storage_date: datetime | None = None
    upo_download_url: str | None = field(default=None, repr=False)
    upo_download_url_expiration_date: datetime | None = None
    invoicing_mode: InvoicingMode | str | None = None
    status: StatusInfo = field(default_factory=StatusInfo)


@dataclass
class SessionInvoicesPage:
    invoices: list[SessionInvoice] = field(default_factory=list)
    continuation_token: str | None = None


@dataclass
class OnlineSessionOpened:
    reference_number: str = ""
    valid_until: datetime | None = None


@dataclass
class InvoiceSent:
    reference_number: str = ""


@dataclass
class Upo:
    """A UPO document as downloaded: the exact bytes and the verified hash."""

    content: bytes = field(repr=False)
    sha256_b64: str
    reference: str


# --- invoices ---------------------------------------------------------------------------------------


@dataclass
class Seller:
    nip: str = ""
    name: str | None = None


@dataclass
class Buyer:
    identifier: Identifier = field(default_factory=Identifier)
    name: str | None = None


@dataclass
class ThirdSubject:
    identifier: Identifier = field(default_factory=Identifier)
    name: str | None = None
    role: int | None = None


@dataclass
class AuthorizedSubject:
    nip: str = ""
    name: str | None = None
    role: int | None = None


@dataclass
class InvoiceMetadata:
    ksef_number: str = ""
    invoice_number: str = ""
    issue_date: date | None = None
    invoicing_date: datetime | None = None
    acquisition_date: datetime | None = None
    permanent_storage_date: datetime | None = None
    seller: Seller = field(default_factory=Seller)
    buyer: Buyer = field(default_factory=Buyer)
    net_amount: float | None = None
    gross_amount: float | None = None
    vat_amount: float | None = None
    currency: str | None = None
    invoicing_mode: InvoicingMode | str | None = None
    invoice_type: str | None = None
    form_code: FormCode | None = None
    is_self_invoicing: bool | None = None
    has_attachment: bool | None = None
    invoice_hash: str | None = None
    hash_of_corrected_invoice: str | None = None
    third_subjects: list[ThirdSubject] = field(default_factory=list)
    authorized_subject: AuthorizedSubject | None = None
    raw: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)


@dataclass
class InvoiceQueryPage:
    invoices: list[InvoiceMetadata] = field(default_factory=list)
    has_more: bool = False
    is_truncated: bool = False
    permanent_storage_hwm_date: datetime | None = None


@dataclass
class InvoiceDocument:
    ksef_number: str
    content: bytes = field(repr=False)
    sha256_b64: str = ""


# --- exports ----------------------------------------------------------------------------------------


@dataclass
class ExportStarted:
    reference_number: str = ""


@dataclass
class ExportPart:
    ordinal_number: int = 0
    part_name: str = ""
    method: str = "GET"
    url: str = field(default="", repr=False)
    part_size: int | None = None
    part_hash: str | None = None
    encrypted_part_size: int | None = None
    encrypted_part_hash: str | None = None
    expiration_date: datetime | None = None


@dataclass
class ExportPackage:
    invoice_count: int | None = None
    size: int | None = None
    parts: list[ExportPart] = field(default_factory=list)
    is_truncated: bool = False
    last_issue_date: date | None = None
    last_invoicing_date: datetime | None = None
    last_permanent_storage_date: datetime | None = None
    permanent_storage_hwm_date: datetime | None = None


@dataclass
class ExportStatus:
    status: StatusInfo = field(default_factory=StatusInfo)
    completed_date: datetime | None = None
    package_expiration_date: datetime | None = None
    package: ExportPackage | None = None


@dataclass
class ExportResult:
    """A finished, downloaded and unpacked export."""

    reference_number: str
    files: dict[str, bytes] = field(repr=False)  # {ksefNumber}.xml -> bytes
    metadata: list[InvoiceMetadata]
    package: ExportPackage


# --- tokens -----------------------------------------------------------------------------------------


@dataclass
class TokenGenerated:
    reference_number: str = ""
    token: str = field(default="", repr=False)


@dataclass
class KsefTokenInfo:
    reference_number: str = ""
    author_identifier: Identifier = field(default_factory=Identifier)
    context_identifier: Identifier = field(default_factory=Identifier)
    description: str = ""
    requested_permissions: list[str] = field(default_factory=list)
    date_created: datetime | None = None
    last_use_date: datetime | None = None
    status: TokenStatus | str | None = None
    status_details: list[str] = field(default_factory=list)


@dataclass
class TokensPage:
    tokens: list[KsefTokenInfo] = field(default_factory=list)
    continuation_token: str | None = None


# --- permissions ------------------------------------------------------------------------------------


@dataclass
class PersonalPermission:
    id: str = ""
    context_identifier: Identifier | None = None
    authorized_identifier: Identifier | None = None
    target_identifier: Identifier | None = None
    permission_scope: str = ""
    description: str | None = None
    permission_state: PermissionState | str | None = None
    start_date: datetime | None = None
    can_delegate: bool | None = None


@dataclass
class PersonalPermissionsPage:
    permissions: list[PersonalPermission] = field(default_factory=list)
    has_more: bool = False


# --- limits -----------------------------------------------------------------------------------------


@dataclass
class GroupLimit:
    per_second: int | None = None
    per_minute: int | None = None
    per_hour: int | None = None


def parse_rate_limits(data: Any) -> dict[str, GroupLimit]:
    """GET /rate-limits: {group: {perSecond, perMinute, perHour}}; unknown groups are kept."""
    if not isinstance(data, dict):
        return {}
    return {k: from_json(GroupLimit, v) for k, v in data.items() if isinstance(v, dict)}

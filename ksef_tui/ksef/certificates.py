"""KSeF certificates (API-NOTES §15, OFFICE-2027.md): limits, enrolment, retrieval, listing, revocation,
and the entity grants an office works under (issue 11 items 2 and 3).

Enrolment (`enroll_certificate`): after a XAdES login in the subject's own context (a qualified seal or
signature: enrolment data is not available after a token login), read the limits and the enrolment
data, generate an EC P-256 key locally, build a CSR with exactly the subject KSeF returned, submit it,
poll the request, retrieve the certificate. The private key never leaves this process unencrypted except
into the caller's hands (the store seals it).

Response models live here rather than in models.py: they are used only by this module's callers.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from ksef_tui.core.i18n import N_
from ksef_tui.ksef.apilog import register_secret
from ksef_tui.ksef.base import ApiBase, drop_none
from ksef_tui.ksef.errors import KsefError
from ksef_tui.ksef.models import Identifier, StatusInfo, from_json

ENROLMENT_PENDING = 100
ENROLMENT_DONE = 200


@dataclass
class CertificateLimit:
    remaining: int = 0
    limit: int = 0


@dataclass
class CertificateLimits:
    can_request: bool = False
    enrollment: CertificateLimit = field(default_factory=CertificateLimit)
    certificate: CertificateLimit = field(default_factory=CertificateLimit)


@dataclass
class EnrollmentData:
    """The subject KSeF will put in the certificate; the CSR must carry exactly these."""

    common_name: str = ""
    country_name: str = ""
    given_name: str | None = None
    surname: str | None = None
    serial_number: str | None = None
    unique_identifier: str | None = None
    organization_name: str | None = None
    organization_identifier: str | None = None


@dataclass
class EnrollmentStarted:
    reference_number: str = ""
    timestamp: datetime | None = None


@dataclass
class EnrollmentStatus:
    request_date: datetime | None = None
    status: StatusInfo = field(default_factory=StatusInfo)
    certificate_serial_number: str | None = None


@dataclass
class RetrievedCertificate:
    certificate: str = ""  # Base64 DER
    certificate_name: str = ""
    certificate_serial_number: str = ""
    certificate_type: str = ""

    def pem(self) -> str:
        der = base64.b64decode(self.certificate)
        return x509.load_der_x509_certificate(der).public_bytes(serialization.Encoding.PEM).decode("ascii")


@dataclass
class RetrievedCertificates:
    certificates: list[RetrievedCertificate] = field(default_factory=list)


@dataclass
class CertificateListItem:
    certificate_serial_number: str = ""
    name: str = ""
    type: str = ""
    common_name: str = ""
    status: str = ""
    subject_identifier: Identifier | None = None
    valid_from: datetime | None = None
    valid_to: datetime | None = None
    last_use_date: datetime | None = None
    request_date: datetime | None = None


@dataclass
class CertificatePage:
    certificates: list[CertificateListItem] = field(default_factory=list)
    has_more: bool = False


@dataclass
class EntityGrant:
    """POST /permissions/query/entities/grants: a permission the current context's entity received."""

    id: str = ""
    context_identifier: Identifier | None = None
    permission_scope: str = ""
    description: str | None = None
    start_date: datetime | None = None
    can_delegate: bool | None = None


@dataclass
class EntityGrantPage:
    permissions: list[EntityGrant] = field(default_factory=list)
    has_more: bool = False


@dataclass
class OperationStarted:
    reference_number: str = ""


@dataclass
class OperationStatus:
    status: StatusInfo = field(default_factory=StatusInfo)


class CertificatesApi(ApiBase):
    # --- certificates ---------------------------------------------------------------------------------

    async def get_certificate_limits(self) -> CertificateLimits:
        return from_json(CertificateLimits, await self._authed_json("GET", "/certificates/limits"))

    async def get_enrollment_data(self) -> EnrollmentData:
        return from_json(EnrollmentData, await self._authed_json("GET", "/certificates/enrollments/data"))

    async def submit_enrollment(
        self, name: str, csr_der: bytes, *, certificate_type: str = "Authentication", valid_from: Any = None
    ) -> EnrollmentStarted:
        body = drop_none(
            {
                "certificateName": name,
                "certificateType": certificate_type,
                "csr": base64.b64encode(csr_der).decode("ascii"),
                "validFrom": valid_from.isoformat() if valid_from is not None else None,
            }
        )
        return from_json(
            EnrollmentStarted, await self._authed_json("POST", "/certificates/enrollments", json=body)
        )

    async def get_enrollment_status(self, reference: str) -> EnrollmentStatus:
        data = await self._authed_json(
            "GET", "/certificates/enrollments/{referenceNumber}", path_params={"referenceNumber": reference}
        )
        return from_json(EnrollmentStatus, data)

    async def retrieve_certificates(self, serials: list[str]) -> RetrievedCertificates:
        data = await self._authed_json(
            "POST", "/certificates/retrieve", json={"certificateSerialNumbers": serials}
        )
        return from_json(RetrievedCertificates, data)

    async def query_certificates(
        self, filters: dict[str, Any] | None = None, *, page_offset: int = 0, page_size: int = 50
    ) -> CertificatePage:
        data = await self._authed_json(
            "POST",
            "/certificates/query",
            params={"pageOffset": page_offset, "pageSize": page_size},
            json=filters or {},
        )
        return from_json(CertificatePage, data)

    async def all_certificates(self, filters: dict[str, Any] | None = None) -> list[CertificateListItem]:
        out: list[CertificateListItem] = []
        offset = 0
        while True:
            page = await self.query_certificates(filters, page_offset=offset)
            out += page.certificates
            if not page.has_more or offset > 100:
                return out
            offset += 1

    async def revoke_certificate(self, serial: str, reason: str | None = None) -> None:
        await self._authed(
            "POST",
            "/certificates/{certificateSerialNumber}/revoke",
            path_params={"certificateSerialNumber": serial},
            json=drop_none({"revocationReason": reason}),
        )

    # --- entity grants ----------------------------------------------------------------------------------

    async def query_entity_grants(
        self, context_nip: str | None = None, *, page_offset: int = 0, page_size: int = 100
    ) -> EntityGrantPage:
        """What the current context's entity (the office, in its own context) received from others."""
        body = {"contextIdentifier": {"type": "Nip", "value": context_nip}} if context_nip else {}
        data = await self._authed_json(
            "POST",
            "/permissions/query/entities/grants",
            params={"pageOffset": page_offset, "pageSize": page_size},
            json=body,
        )
        return from_json(EntityGrantPage, data)

    async def grant_entity_permissions(
        self, subject_nip: str, full_name: str, scopes: dict[str, bool], description: str
    ) -> OperationStarted:
        """POST /permissions/entities/grants (in the granting client's context): `scopes` maps
        InvoiceRead/InvoiceWrite to canDelegate."""
        body = {
            "subjectIdentifier": {"type": "Nip", "value": subject_nip},
            "permissions": [{"type": t, "canDelegate": d} for t, d in scopes.items()],
            "description": description,
            "subjectDetails": {"fullName": full_name},
        }
        return from_json(
            OperationStarted, await self._authed_json("POST", "/permissions/entities/grants", json=body)
        )

    async def revoke_grant(self, permission_id: str) -> OperationStarted:
        data = await self._authed_json(
            "DELETE", "/permissions/common/grants/{permissionId}", path_params={"permissionId": permission_id}
        )
        return from_json(OperationStarted, data)

    async def get_permission_operation(self, reference: str) -> OperationStatus:
        data = await self._authed_json(
            "GET", "/permissions/operations/{referenceNumber}", path_params={"referenceNumber": reference}
        )
        return from_json(OperationStatus, data)


# --- enrolment ----------------------------------------------------------------------------------------------

_SUBJECT_OIDS = (
    ("common_name", NameOID.COMMON_NAME),
    ("given_name", NameOID.GIVEN_NAME),
    ("surname", NameOID.SURNAME),
    ("serial_number", NameOID.SERIAL_NUMBER),
    ("unique_identifier", NameOID.X500_UNIQUE_IDENTIFIER),
    ("organization_name", NameOID.ORGANIZATION_NAME),
    ("organization_identifier", NameOID.ORGANIZATION_IDENTIFIER),
    ("country_name", NameOID.COUNTRY_NAME),
)


def csr_subject(data: EnrollmentData) -> x509.Name:
    """Exactly the attributes KSeF returned, none added, none changed."""
    attrs = []
    for attr, oid in _SUBJECT_OIDS:
        value = getattr(data, attr)
        if value:
            attrs.append(x509.NameAttribute(oid, str(value)))
    return x509.Name(attrs)


def build_csr(data: EnrollmentData, key: ec.EllipticCurvePrivateKey) -> bytes:
    """A PKCS#10 request (DER) signed with `key`, with the subject KSeF asked for."""
    csr = x509.CertificateSigningRequestBuilder().subject_name(csr_subject(data)).sign(key, hashes.SHA256())
    return csr.public_bytes(serialization.Encoding.DER)


@dataclass(frozen=True)
class EnrolledCertificate:
    certificate_pem: str = field(repr=False)
    private_key_pem: str = field(repr=False)
    serial: str
    valid_from: datetime
    valid_until: datetime
    name: str


class EnrollmentFailed(KsefError):
    default_explanation = N_("KSeF did not issue the certificate.")


class EnrollmentLimitReached(KsefError):
    default_explanation = N_("KSeF's limit of certificate requests for this subject is reached.")


async def enroll_certificate(
    client: CertificatesApi, name: str, *, poll_delay: float = 1.0, max_polls: int = 60
) -> EnrolledCertificate:
    """The whole enrolment on an authenticated client (logged in in the subject's own context)."""
    limits = await client.get_certificate_limits()
    if not limits.can_request or limits.enrollment.remaining <= 0:
        raise EnrollmentLimitReached()
    data = await client.get_enrollment_data()
    key = ec.generate_private_key(ec.SECP256R1())
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode("ascii")
    register_secret(key_pem)
    started = await client.submit_enrollment(name, build_csr(data, key))
    status = await client.get_enrollment_status(started.reference_number)
    polls = 0
    while status.status.code == ENROLMENT_PENDING and polls < max_polls:
        await client.core.sleep(poll_delay)
        polls += 1
        status = await client.get_enrollment_status(started.reference_number)
    if status.status.code != ENROLMENT_DONE or not status.certificate_serial_number:
        raise EnrollmentFailed(
            codes=[status.status.code] if status.status.code else (),
            descriptions=[status.status.description],
            details=status.status.details,
        )
    serial = status.certificate_serial_number
    found = await client.retrieve_certificates([serial])
    item = next((c for c in found.certificates if c.certificate_serial_number == serial), None)
    if item is None:
        raise EnrollmentFailed(details=[f"certificate {serial} not returned"])
    pem = item.pem()
    cert = x509.load_pem_x509_certificate(pem.encode("ascii"))
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    if cert.public_key().public_bytes(serialization.Encoding.DER, public) != key.public_key().public_bytes(
        serialization.Encoding.DER, public
    ):
        raise EnrollmentFailed(details=["the certificate does not carry the generated key"])
    return EnrolledCertificate(
        certificate_pem=pem,
        private_key_pem=key_pem,
        serial=serial,
        valid_from=cert.not_valid_before_utc,
        valid_until=cert.not_valid_after_utc,
        name=item.certificate_name or name,
    )

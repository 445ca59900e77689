"""KSeF certificates in the simulator (API-NOTES §15, issue 11 item 7): limits, enrolment data, enrolment,
status, retrieval, listing, revocation — and a test authority for "qualified" certificates.

The qualified test authority stands in for a qualified trust service: a certificate it issued (a
qualified seal naming a NIP in organizationIdentifier) authenticates by XAdES; in the NIP's own context
it acts as the owner (every permission), elsewhere under the grants the context gave that NIP. Tests and
rehearsals obtain one with `qualified_pkcs12` (`ksef-tui simulator --qualified-file F`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from starlette.responses import Response

from ksef_tui.core.models import CredentialKind, Permission
from ksef_tui.simulator.errors import ApiError, validation
from ksef_tui.simulator.keys import derive_ec_key, fingerprint, subject_nip
from ksef_tui.simulator.model import Enrollment, SimCertificate
from ksef_tui.simulator.refs import iso, reference
from ksef_tui.simulator.routing import Ctx, json_response, route
from ksef_tui.simulator.world import World

ENROLMENT_LIMIT = 300  # per NIP subject (API-NOTES §15)
ACTIVE_LIMIT = 100
CERTIFICATE_LIFETIME = timedelta(days=730)
OWNER_PERMISSIONS = frozenset(p.value for p in Permission)
_QUALIFIED_CA_NAME = x509.Name(
    [
        x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Symulator KSeF — testowe usługi zaufania"),
        x509.NameAttribute(NameOID.COMMON_NAME, "Testowe CA kwalifikowane (symulator)"),
    ]
)


# --- the qualified test authority ------------------------------------------------------------------------


def _qualified_ca_key(world: World) -> ec.EllipticCurvePrivateKey:
    return derive_ec_key(world.seed, "qualified-ca")


def issue_qualified(
    world: World, nip: str, name: str, *, valid_days: int = 365, now: datetime | None = None
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    """A qualified test seal for `nip` (a fresh key), issued by the simulator's qualified authority."""
    now = now or world.now
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, name[:64] or nip),
            x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, f"VATPL-{nip}"),
            x509.NameAttribute(NameOID.COMMON_NAME, (name[:64] or nip)),
        ]
    )
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(_QUALIFIED_CA_NAME)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=valid_days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(_qualified_ca_key(world), hashes.SHA256())
    )
    return cert, key


def qualified_pkcs12(world: World, nip: str, name: str, password: str | None = None) -> bytes:
    cert, key = issue_qualified(world, nip, name)
    encryption = (
        serialization.BestAvailableEncryption(password.encode()) if password else serialization.NoEncryption()
    )
    return pkcs12.serialize_key_and_certificates(b"kwalifikowany", key, cert, None, encryption)


def qualified_subject(world: World, cert: x509.Certificate, now: datetime) -> str | None:
    """The NIP a certificate of the qualified test authority speaks for (valid at `now`), else None."""
    if cert.issuer != _QUALIFIED_CA_NAME:
        return None
    try:
        public = _qualified_ca_key(world).public_key()
        assert cert.signature_hash_algorithm is not None
        public.verify(cert.signature, cert.tbs_certificate_bytes, ec.ECDSA(cert.signature_hash_algorithm))
    except (InvalidSignature, AssertionError):
        return None
    if not (cert.not_valid_before_utc <= now <= cert.not_valid_after_utc):
        return None
    return subject_nip(cert)


def qualified_permissions(world: World, nip: str, context_nip: str) -> frozenset[str]:
    """A qualified seal acts as the owner in its own NIP's context, elsewhere under the grants."""
    if nip == context_nip and world.taxpayer(nip) is not None:
        return OWNER_PERMISSIONS
    return frozenset(g.permission for g in world.grants_for(nip, context_nip))


# --- the endpoints -----------------------------------------------------------------------------------------


def _subject(ctx: Ctx) -> str:
    assert ctx.op is not None
    return ctx.op.subject_nip or ctx.op.context_nip


def _enrolment_data(ctx: Ctx) -> dict[str, str]:
    assert ctx.op is not None
    if ctx.op.method == "Token":
        # certyfikaty-KSeF.md: the data come from the certificate used to authenticate.
        raise ApiError(21406, "Dane do wniosku certyfikacyjnego są dostępne po uwierzytelnieniu podpisem.")
    nip = _subject(ctx)
    tp = ctx.world.taxpayer(nip)
    name = tp.name if tp is not None else nip
    return {
        "commonName": name[:64],
        "countryName": "PL",
        "organizationName": name[:64],
        "organizationIdentifier": f"VATPL-{nip}",
    }


def _own(ctx: Ctx) -> list[SimCertificate]:
    nip = _subject(ctx)
    return [c for c in ctx.world.certificates.values() if c.subject_nip == nip and c.private_key_pem == ""]


@route("GET", "/certificates/limits")
async def get_limits(ctx: Ctx) -> Response:
    nip = _subject(ctx)
    requested = sum(1 for e in ctx.world.enrollments.values() if e.subject_nip == nip)
    active = sum(1 for c in _own(ctx) if not c.revoked and c.valid_to > ctx.now())
    enrol, cert = max(0, ENROLMENT_LIMIT - requested), max(0, ACTIVE_LIMIT - active)
    return json_response(
        {
            "canRequest": enrol > 0 and cert > 0,
            "enrollment": {"remaining": enrol, "limit": ENROLMENT_LIMIT},
            "certificate": {"remaining": cert, "limit": ACTIVE_LIMIT},
        }
    )


@route("GET", "/certificates/enrollments/data")
async def get_enrolment_data(ctx: Ctx) -> Response:
    return json_response(_enrolment_data(ctx))


_CSR_OIDS = {
    NameOID.COMMON_NAME: "commonName",
    NameOID.COUNTRY_NAME: "countryName",
    NameOID.ORGANIZATION_NAME: "organizationName",
    NameOID.ORGANIZATION_IDENTIFIER: "organizationIdentifier",
    NameOID.GIVEN_NAME: "givenName",
    NameOID.SURNAME: "surname",
    NameOID.SERIAL_NUMBER: "serialNumber",
    NameOID.X500_UNIQUE_IDENTIFIER: "uniqueIdentifier",
}


@route("POST", "/certificates/enrollments")
async def post_enrolment(ctx: Ctx) -> Response:
    body = await ctx.json()
    name = body.get("certificateName")
    kind = body.get("certificateType")
    if not isinstance(name, str) or not 5 <= len(name) <= 100:
        raise validation("Pole certificateName musi mieć od 5 do 100 znaków.")
    if kind not in ("Authentication", "Offline"):
        raise validation("Pole certificateType musi mieć wartość Authentication lub Offline.")
    try:
        der = base64.b64decode(str(body.get("csr") or ""), validate=True)
        csr = x509.load_der_x509_csr(der)
    except (binascii.Error, ValueError) as exc:
        raise validation("Pole csr nie zawiera poprawnego wniosku PKCS#10 (DER, Base64).") from exc
    if not csr.is_signature_valid:
        raise validation("Podpis wniosku CSR jest nieprawidłowy.")
    wanted = _enrolment_data(ctx)
    given = {}
    for attr in csr.subject:
        label = _CSR_OIDS.get(attr.oid)
        if label is None or label in given:
            raise validation("Wniosek CSR zawiera atrybuty spoza danych do wniosku certyfikacyjnego.")
        given[label] = str(attr.value)
    if given != wanted:
        raise validation("Dane podmiotu we wniosku CSR różnią się od danych do wniosku certyfikacyjnego.")
    nip = _subject(ctx)
    if sum(1 for e in ctx.world.enrollments.values() if e.subject_nip == nip) >= ENROLMENT_LIMIT:
        raise validation("Osiągnięto limit wniosków certyfikacyjnych.")
    now = ctx.now()
    ref = reference(ctx.world.runtime_rng, now, "EH")
    ctx.world.enrollments[ref] = Enrollment(ref, nip, name, str(kind), now, der)
    return json_response({"referenceNumber": ref, "timestamp": iso(now)}, status=202)


def _issue(world: World, enrolment: Enrollment, now: datetime) -> SimCertificate:
    csr = x509.load_der_x509_csr(enrolment.csr_der)
    serial = int.from_bytes(hashlib.sha256(f"{enrolment.reference}".encode()).digest()[:8], "big") | (1 << 62)
    cert = (
        x509.CertificateBuilder()
        .subject_name(csr.subject)
        .issuer_name(world.keys.ca_name)
        .public_key(csr.public_key())
        .serial_number(serial)
        .not_valid_before(now - timedelta(minutes=1))
        .not_valid_after(now + CERTIFICATE_LIFETIME)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(world.keys.ca_key, hashes.SHA256())
    )
    office = enrolment.subject_nip == world.office_nip
    tp = world.taxpayer(enrolment.subject_nip)
    sim = SimCertificate(
        serial=f"{serial:016X}",
        certificate_pem=cert.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        private_key_pem="",  # the key never left the client
        valid_from=cert.not_valid_before_utc,
        valid_to=cert.not_valid_after_utc,
        kind=CredentialKind.OFFICE_CERTIFICATE if office else CredentialKind.KSEF_CERTIFICATE,
        subject_nip=enrolment.subject_nip,
        subject_name=tp.name if tp is not None else enrolment.subject_nip,
        context_nip=enrolment.subject_nip,
        fingerprint=fingerprint(cert),
    )
    world.certificates[sim.fingerprint] = sim
    enrolment.serial = sim.serial
    enrolment.status_code = 200
    return sim


def _enrolment(ctx: Ctx, ref: str) -> Enrollment:
    found = ctx.world.enrollments.get(ref)
    if found is None or found.subject_nip != _subject(ctx):
        raise validation(f"Wniosek certyfikacyjny {ref} nie istnieje.")
    return found


@route("GET", "/certificates/enrollments/{referenceNumber}")
async def get_enrolment(ctx: Ctx) -> Response:
    enrolment = _enrolment(ctx, ctx.request.path_params["referenceNumber"])
    enrolment.polls += 1
    if enrolment.status_code == 100 and enrolment.polls >= 2:  # in progress at the first look
        _issue(ctx.world, enrolment, ctx.now())
    body: dict = {
        "requestDate": iso(enrolment.requested),
        "status": {"code": enrolment.status_code, "description": _ENROLMENT_WORDS[enrolment.status_code]},
    }
    if enrolment.serial:
        body["certificateSerialNumber"] = enrolment.serial
    return json_response(body)


_ENROLMENT_WORDS = {100: "Wniosek przyjęty do realizacji", 200: "Wniosek obsłużony poprawnie"}


def _by_serial(ctx: Ctx, serial: str) -> SimCertificate | None:
    nip = _subject(ctx)
    return next(
        (c for c in ctx.world.certificates.values() if c.serial == serial and c.subject_nip == nip), None
    )


@route("POST", "/certificates/retrieve")
async def post_retrieve(ctx: Ctx) -> Response:
    body = await ctx.json()
    serials = body.get("certificateSerialNumbers")
    if not isinstance(serials, list) or not 1 <= len(serials) <= 10:
        raise validation("Pole certificateSerialNumbers musi zawierać od 1 do 10 numerów seryjnych.")
    out = []
    for serial in serials:
        cert = _by_serial(ctx, str(serial))
        if cert is None:
            continue
        enrolment = next((e for e in ctx.world.enrollments.values() if e.serial == cert.serial), None)
        der = x509.load_pem_x509_certificate(cert.certificate_pem.encode()).public_bytes(
            serialization.Encoding.DER
        )
        out.append(
            {
                "certificate": base64.b64encode(der).decode("ascii"),
                "certificateName": enrolment.name if enrolment else cert.subject_name,
                "certificateSerialNumber": cert.serial,
                "certificateType": enrolment.certificate_type if enrolment else "Authentication",
            }
        )
    return json_response({"certificates": out})


def _status(cert: SimCertificate, now: datetime) -> str:
    if cert.revoked:
        return "Revoked"
    return "Expired" if cert.valid_to <= now else "Active"


@route("POST", "/certificates/query")
async def post_query(ctx: Ctx) -> Response:
    offset = ctx.query_int("pageOffset", 0, 0)
    size = ctx.query_int("pageSize", 10, 10, 50)
    body = await ctx.json()
    now = ctx.now()
    nip = _subject(ctx)
    items = []
    for cert in ctx.world.certificates.values():
        if cert.subject_nip != nip:
            continue
        enrolment = next((e for e in ctx.world.enrollments.values() if e.serial == cert.serial), None)
        item = {
            "certificateSerialNumber": cert.serial,
            "name": enrolment.name if enrolment else cert.subject_name[:100],
            "type": enrolment.certificate_type if enrolment else "Authentication",
            "commonName": cert.subject_name,
            "status": _status(cert, now),
            "subjectIdentifier": {"type": "Nip", "value": nip},
            "validFrom": iso(cert.valid_from),
            "validTo": iso(cert.valid_to),
            "requestDate": iso(enrolment.requested if enrolment else cert.valid_from),
        }
        if body.get("status") and item["status"] != body["status"]:
            continue
        if (
            body.get("certificateSerialNumber")
            and item["certificateSerialNumber"] != body["certificateSerialNumber"]
        ):
            continue
        if body.get("type") and item["type"] != body["type"]:
            continue
        items.append(item)
    items.sort(key=lambda i: (i["requestDate"], i["certificateSerialNumber"]), reverse=True)
    page = items[offset * size : (offset + 1) * size]
    return json_response({"certificates": page, "hasMore": (offset + 1) * size < len(items)})


@route("POST", "/certificates/{certificateSerialNumber}/revoke")
async def post_revoke(ctx: Ctx) -> Response:
    serial = ctx.request.path_params["certificateSerialNumber"]
    body = await ctx.json()
    reason = body.get("revocationReason")
    if reason is not None and reason not in ("Unspecified", "Superseded", "KeyCompromise"):
        raise validation("Nieprawidłowa wartość revocationReason.")
    cert = _by_serial(ctx, serial)
    if cert is None:
        raise validation(f"Certyfikat o numerze seryjnym {serial} nie istnieje.")
    cert.revoked = True
    return Response(status_code=204)

"""Reading a KSeF certificate and its private key from files: PEM/DER + PEM key, or one PKCS#12 file.

Pure (no textual): the import dialog calls it as paths are typed and again, in a worker, on save.
Every problem is a `CertificateError` whose message is plain Polish and names at most a file's *name*:
never a password, never key material.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from ksef_tui.core.clock import WARSAW
from ksef_tui.core.i18n import _

PKCS12_SUFFIXES = (".p12", ".pfx")
MAX_FILE_BYTES = 1_000_000  # certificates and keys are a few kB; anything bigger is not one


class Problem(StrEnum):
    NO_FILE = "no_file"
    NOT_A_CERTIFICATE = "not_a_certificate"
    NOT_A_KEY = "not_a_key"
    NEEDS_PASSWORD = "needs_password"
    WRONG_PASSWORD = "wrong_password"
    UNSUPPORTED_KEY = "unsupported_key"
    KEY_MISMATCH = "key_mismatch"
    EXPIRED = "expired"
    NOT_YET_VALID = "not_yet_valid"
    NO_KEY = "no_key"


class CertificateError(Exception):
    """A problem explained to the accountant; the message never carries secrets."""

    def __init__(self, problem: Problem, message: str) -> None:
        super().__init__(message)
        self.problem = problem
        self.message = message


@dataclass(frozen=True)
class CertificateInfo:
    """What the dialog shows of a certificate: nothing secret."""

    subject_cn: str
    nip: str | None  # from organizationIdentifier / serialNumber (VATPL-, TINPL-, NIP-)
    pesel: str | None  # from serialNumber PNOPL-
    serial: str  # hex, upper case
    valid_from: datetime
    valid_until: datetime
    issuer_cn: str


@dataclass(frozen=True)
class LoadedCertificate:
    info: CertificateInfo
    certificate_pem: str = field(repr=False)
    private_key_pem: str = field(repr=False)  # PKCS#8, unencrypted: it is sealed by the store


def is_pkcs12(path: str | Path) -> bool:
    return str(path).strip().lower().endswith(PKCS12_SUFFIXES)


def _path(raw: str | Path) -> Path:
    return Path(str(raw).strip()).expanduser()


def _read(raw: str | Path) -> bytes:
    path = _path(raw)
    if not str(raw).strip() or not path.is_file():
        raise CertificateError(
            Problem.NO_FILE, _("File not found: {name}").format(name=path.name or str(raw))
        )
    if path.stat().st_size > MAX_FILE_BYTES:
        raise CertificateError(
            Problem.NOT_A_CERTIFICATE, _("{name} is too large to be a certificate.").format(name=path.name)
        )
    try:
        return path.read_bytes()
    except OSError:
        raise CertificateError(
            Problem.NO_FILE, _("Cannot read the file {name}.").format(name=path.name)
        ) from None


def _attr(name: x509.Name, oid: x509.ObjectIdentifier) -> list[str]:
    return [str(a.value).strip() for a in name.get_attributes_for_oid(oid)]


_NIP_RE = re.compile(r"^(?:VATPL|TINPL|NIP)[-: ]?(\d{10})$", re.IGNORECASE)
_PESEL_RE = re.compile(r"^(?:PNOPL|PESEL)[-: ]?(\d{11})$", re.IGNORECASE)


def describe(cert: x509.Certificate) -> CertificateInfo:
    nip = pesel = None
    for value in _attr(cert.subject, NameOID.ORGANIZATION_IDENTIFIER) + _attr(
        cert.subject, NameOID.SERIAL_NUMBER
    ):
        if nip is None and (m := _NIP_RE.match(value)):
            nip = m.group(1)
        if pesel is None and (m := _PESEL_RE.match(value)):
            pesel = m.group(1)
    cn = _attr(cert.subject, NameOID.COMMON_NAME)
    issuer = _attr(cert.issuer, NameOID.COMMON_NAME) or _attr(cert.issuer, NameOID.ORGANIZATION_NAME)
    serial = format(cert.serial_number, "X")
    return CertificateInfo(
        subject_cn=cn[0] if cn else "",
        nip=nip,
        pesel=pesel,
        serial=serial.zfill(len(serial) + len(serial) % 2),
        valid_from=cert.not_valid_before_utc,
        valid_until=cert.not_valid_after_utc,
        issuer_cn=issuer[0] if issuer else "",
    )


def _not_a_certificate(path: str | Path) -> CertificateError:
    return CertificateError(
        Problem.NOT_A_CERTIFICATE,
        _("{name} is not a certificate (expected PEM or DER: .crt, .cer, .pem).").format(
            name=_path(path).name
        ),
    )


def read_certificate(path: str | Path) -> x509.Certificate:
    """A PEM (the first certificate in the file) or DER certificate."""
    data = _read(path)
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificate(data)
        return x509.load_der_x509_certificate(data)
    except ValueError:
        raise _not_a_certificate(path) from None


def _password_bytes(password: str | None) -> bytes | None:
    return password.encode() if password else None


def _check_key_type(key: object) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    if isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        return key
    raise CertificateError(
        Problem.UNSUPPORTED_KEY, _("Unsupported key type: KSeF certificates use RSA or EC keys.")
    )


def read_private_key(
    path: str | Path, password: str | None
) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    """A PEM private key, encrypted or not; a password given for an unencrypted key is ignored."""
    data = _read(path)
    name = _path(path).name
    if b"PRIVATE KEY-----" not in data:
        raise CertificateError(Problem.NOT_A_KEY, _("{name} is not a private key in PEM.").format(name=name))
    try:
        key = serialization.load_pem_private_key(data, _password_bytes(password))
    except TypeError:
        if password:  # a password for a key that has none: just read it
            try:
                key = serialization.load_pem_private_key(data, None)
            except (TypeError, ValueError):
                raise CertificateError(
                    Problem.NOT_A_KEY, _("{name} is not a private key in PEM.").format(name=name)
                ) from None
        else:
            raise CertificateError(
                Problem.NEEDS_PASSWORD, _("The key is encrypted: type its password.")
            ) from None
    except ValueError:
        encrypted = b"ENCRYPTED" in data
        if encrypted and password:
            raise CertificateError(Problem.WRONG_PASSWORD, _("Wrong password for the key.")) from None
        raise CertificateError(
            Problem.NOT_A_KEY, _("{name} is not a private key in PEM.").format(name=name)
        ) from None
    except UnsupportedAlgorithm:
        raise CertificateError(
            Problem.UNSUPPORTED_KEY, _("Unsupported key type: KSeF certificates use RSA or EC keys.")
        ) from None
    return _check_key_type(key)


def read_pkcs12(
    path: str | Path, password: str | None
) -> tuple[x509.Certificate, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey]:
    data = _read(path)
    name = _path(path).name
    try:
        key, cert, _extra = pkcs12.load_key_and_certificates(data, _password_bytes(password))
    except ValueError:
        if not password:
            raise CertificateError(
                Problem.NEEDS_PASSWORD, _("Type the password of the PKCS#12 file.")
            ) from None
        raise CertificateError(
            Problem.WRONG_PASSWORD,
            _("Cannot open {name}: wrong password, or not a PKCS#12 file.").format(name=name),
        ) from None
    except UnsupportedAlgorithm:
        raise CertificateError(
            Problem.UNSUPPORTED_KEY, _("Unsupported key type: KSeF certificates use RSA or EC keys.")
        ) from None
    if cert is None:
        raise CertificateError(Problem.NOT_A_CERTIFICATE, _("{name} holds no certificate.").format(name=name))
    if key is None:
        raise CertificateError(Problem.NO_KEY, _("{name} holds no private key.").format(name=name))
    return cert, _check_key_type(key)


def _public_der(key: PublicKeyTypes) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def validity_problem(info: CertificateInfo, now: datetime) -> CertificateError | None:
    if now > info.valid_until:
        return CertificateError(
            Problem.EXPIRED,
            _("The certificate expired on {date}: it cannot log in to KSeF.").format(
                date=f"{info.valid_until.astimezone(WARSAW):%Y-%m-%d}"
            ),
        )
    if now < info.valid_from:
        return CertificateError(
            Problem.NOT_YET_VALID,
            _("The certificate is valid only from {date}: import it then.").format(
                date=f"{info.valid_from.astimezone(WARSAW):%Y-%m-%d}"
            ),
        )
    return None


def load(cert_path: str, key_path: str, password: str | None, now: datetime) -> LoadedCertificate:
    """Everything checked: readable, the key matches, RSA or EC, valid now. Raises CertificateError."""
    if is_pkcs12(cert_path):
        cert, key = read_pkcs12(cert_path, password)
    else:
        cert = read_certificate(cert_path)
        if not key_path.strip():
            raise CertificateError(Problem.NO_KEY, _("Give the private key file too."))
        key = read_private_key(key_path, password)
    if not isinstance(cert.public_key(), rsa.RSAPublicKey | ec.EllipticCurvePublicKey):
        raise CertificateError(
            Problem.UNSUPPORTED_KEY, _("Unsupported key type: KSeF certificates use RSA or EC keys.")
        )
    if _public_der(cert.public_key()) != _public_der(key.public_key()):
        raise CertificateError(
            Problem.KEY_MISMATCH, _("The private key does not belong to this certificate.")
        )
    info = describe(cert)
    if problem := validity_problem(info, now):
        raise problem
    return LoadedCertificate(
        info=info,
        certificate_pem=cert.public_bytes(serialization.Encoding.PEM).decode("ascii"),
        private_key_pem=key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode("ascii"),
    )


@dataclass(frozen=True)
class Preview:
    """What the dialog shows while paths are typed: the certificate if readable, and the first problem."""

    info: CertificateInfo | None
    problem: CertificateError | None


def preview(cert_path: str, key_path: str, password: str | None, now: datetime) -> Preview:
    info: CertificateInfo | None = None
    if not is_pkcs12(cert_path):
        try:
            info = describe(read_certificate(cert_path))
        except CertificateError as err:
            return Preview(None, err)
    try:
        loaded = load(cert_path, key_path, password, now)
    except CertificateError as err:
        if info is None and err.problem in (Problem.EXPIRED, Problem.NOT_YET_VALID):
            cert, _key = read_pkcs12(cert_path, password)
            info = describe(cert)
        return Preview(info, err)
    return Preview(loaded.info, None)


def nip_mismatch(info: CertificateInfo, nips: list[str]) -> bool:
    """The certificate names a NIP, and it is none of the client's."""
    return info.nip is not None and info.nip not in nips


def pem_fingerprint(certificate_pem: str | None) -> str | None:
    """SHA-256 of the certificate's DER, upper-case hex (how two copies of one certificate are told
    apart from two certificates); None when there is no readable certificate."""
    if not certificate_pem:
        return None
    try:
        cert = x509.load_pem_x509_certificate(certificate_pem.encode("ascii"))
    except (ValueError, UnicodeEncodeError):
        return None
    return cert.fingerprint(hashes.SHA256()).hex().upper()

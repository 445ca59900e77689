"""Certificates and keys made in the tests (RSA or EC), written as the files an accountant would get."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

_ISSUER_KEY = ec.generate_private_key(ec.SECP256R1())


def make_key(kind: str = "ec"):  # type: ignore[no-untyped-def]
    if kind == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def make_cert(  # type: ignore[no-untyped-def]
    key,
    *,
    not_before: datetime,
    not_after: datetime,
    nip: str | None = "1234563218",
    pesel: str | None = None,
    cn: str = "Piekarnia Testowa",
    serial: int = 0x1A2B3C4D5E6F,
) -> x509.Certificate:
    attrs = [x509.NameAttribute(NameOID.COUNTRY_NAME, "PL")]
    if nip:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, f"VATPL-{nip}"))
    if pesel:
        attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, f"PNOPL-{pesel}"))
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    issuer = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "KSeF Test CA")])
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name(attrs))
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .sign(_ISSUER_KEY, hashes.SHA256())
    )


def key_pem(key, password: str | None = None) -> bytes:  # type: ignore[no-untyped-def]
    encryption = (
        serialization.BestAvailableEncryption(password.encode()) if password else serialization.NoEncryption()
    )
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)


def write_pair(  # type: ignore[no-untyped-def]
    folder: Path,
    now: datetime,
    *,
    key_kind: str = "ec",
    days_before: int = 10,
    days_after: int = 365,
    password: str | None = None,
    der: bool = False,
    other_key: bool = False,
    **cert_kw,
) -> tuple[Path, Path]:
    """cert.pem (or cert.der) and key.pem in `folder`; `other_key` writes a key that does not match."""
    key = make_key(key_kind)
    cert = make_cert(
        key,
        not_before=now - timedelta(days=days_before),
        not_after=now + timedelta(days=days_after),
        **cert_kw,
    )
    cert_path = folder / ("cert.der" if der else "cert.pem")
    cert_path.write_bytes(
        cert.public_bytes(serialization.Encoding.DER if der else serialization.Encoding.PEM)
    )
    key_path = folder / "key.pem"
    key_path.write_bytes(key_pem(make_key(key_kind) if other_key else key, password))
    return cert_path, key_path


def write_pkcs12(folder: Path, now: datetime, password: str, *, key_kind: str = "rsa") -> Path:
    key = make_key(key_kind)
    cert = make_cert(key, not_before=now - timedelta(days=10), not_after=now + timedelta(days=365))
    data = pkcs12.serialize_key_and_certificates(
        b"ksef", key, cert, None, serialization.BestAvailableEncryption(password.encode())
    )
    path = folder / "bundle.p12"
    path.write_bytes(data)
    return path

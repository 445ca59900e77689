"""The simulator's cryptographic identity.

- MF-like RSA keys with self-signed certificates for `GET /security/public-key-certificates`
  (usages KsefTokenEncryption and SymmetricKeyEncryption; API-NOTES §3). They are derived from the
  seed so that a client caching keys by `publicKeyId` across restarts keeps working. RSA key
  generation from a seed is slow in pure Python (~0.3 s a key), so the keys are made on first use.
- A small EC CA that issues the taxpayers' KSeF certificates (EC P-256: fast to derive and sign;
  deterministic signatures keep the world byte-for-byte reproducible).
"""

from __future__ import annotations

import base64
import hashlib
import math
import random
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property, lru_cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives import padding as sym_padding
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.x509.oid import NameOID

TOKEN_USAGE = "KsefTokenEncryption"
SYMMETRIC_USAGE = "SymmetricKeyEncryption"
OAEP = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)


def _small_primes(limit: int) -> list[int]:
    sieve = bytearray([1]) * limit
    sieve[0:2] = b"\0\0"
    for i in range(2, int(limit**0.5) + 1):
        if sieve[i]:
            sieve[i * i :: i] = bytearray(len(sieve[i * i :: i]))
    return [i for i in range(3, limit) if sieve[i]]


_SIEVE_PRODUCT = math.prod(_small_primes(20000))


def _miller_rabin(n: int, rng: random.Random, rounds: int) -> bool:
    d, s = n - 1, 0
    while d % 2 == 0:
        d //= 2
        s += 1
    for _ in range(rounds):
        x = pow(rng.randrange(2, n - 2), d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(bits: int, rng: random.Random) -> int:
    while True:
        candidate = rng.getrandbits(bits) | (3 << (bits - 2)) | 1
        if math.gcd(candidate, _SIEVE_PRODUCT) != 1 or candidate % 65537 == 1:
            continue
        # Few rounds suffice for random candidates (FIPS 186-5 C.3); this key guards nothing real.
        if _miller_rabin(candidate, rng, 1) and _miller_rabin(candidate, rng, 4):
            return candidate


@lru_cache(maxsize=8)
def deterministic_rsa_key(seed: int, label: str, bits: int = 2048) -> rsa.RSAPrivateKey:
    rng = random.Random(f"rsa:{seed}:{label}")
    e = 65537
    while True:
        p, q = _prime(bits // 2, rng), _prime(bits // 2, rng)
        if p == q:
            continue
        if p < q:
            p, q = q, p
        phi = (p - 1) * (q - 1)
        if math.gcd(e, phi) != 1:
            continue
        d = pow(e, -1, phi)
        n = p * q
        numbers = rsa.RSAPrivateNumbers(
            p=p,
            q=q,
            d=d,
            dmp1=d % (p - 1),
            dmq1=d % (q - 1),
            iqmp=pow(q, -1, p),
            public_numbers=rsa.RSAPublicNumbers(e, n),
        )
        return numbers.private_key()


def derive_ec_key(seed: int, label: str) -> ec.EllipticCurvePrivateKey:
    digest = hashlib.sha256(f"ec:{seed}:{label}".encode()).digest()
    # Reduce into [1, n-1] of P-256; the bias is irrelevant here.
    n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    return ec.derive_private_key(int.from_bytes(digest, "big") % (n - 1) + 1, ec.SECP256R1())


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def sha256_b64(data: bytes) -> str:
    return b64(hashlib.sha256(data).digest())


@dataclass(frozen=True)
class MfKey:
    private_key: rsa.RSAPrivateKey
    certificate: x509.Certificate
    usage: tuple[str, ...]
    valid_from: datetime
    valid_to: datetime

    @cached_property
    def der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @cached_property
    def certificate_id(self) -> str:
        return sha256_b64(self.der)

    @cached_property
    def public_key_id(self) -> str:
        spki = self.private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return sha256_b64(spki)

    def as_json(self) -> dict:
        return {
            "certificate": b64(self.der),
            "certificateId": self.certificate_id,
            "publicKeyId": self.public_key_id,
            "validFrom": self.valid_from.isoformat(),
            "validTo": self.valid_to.isoformat(),
            "usage": list(self.usage),
        }


def _mf_name() -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Ministerstwo Finansów"),
            x509.NameAttribute(NameOID.COMMON_NAME, "Ministerstwo Finansów"),
        ]
    )


class SimKeys:
    """MF public-key certificates (lazy) and the CA that issues taxpayer certificates."""

    def __init__(self, seed: int, now: datetime) -> None:
        self.seed = seed
        # Whole days so that the certificates do not change with the minute the world was built.
        self.valid_from = (now - timedelta(days=365)).replace(hour=0, minute=0, second=0, microsecond=0)
        self.valid_to = self.valid_from + timedelta(days=3 * 365)
        self._lock = threading.Lock()
        self._mf: list[MfKey] | None = None
        self.ca_key = derive_ec_key(seed, "ca")
        self.ca_name = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Ministerstwo Finansów"),
                x509.NameAttribute(NameOID.COMMON_NAME, "KSeF Simulator CA"),
            ]
        )
        self.ca_certificate = (
            x509.CertificateBuilder()
            .subject_name(self.ca_name)
            .issuer_name(self.ca_name)
            .public_key(self.ca_key.public_key())
            .serial_number(int.from_bytes(hashlib.sha256(f"ca:{seed}".encode()).digest()[:15], "big"))
            .not_valid_before(self.valid_from)
            .not_valid_after(self.valid_to + timedelta(days=3650))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .sign(self.ca_key, hashes.SHA256(), ecdsa_deterministic=True)
        )

    @property
    def mf_keys(self) -> list[MfKey]:
        with self._lock:
            if self._mf is None:
                self._mf = [self._mf_key(TOKEN_USAGE), self._mf_key(SYMMETRIC_USAGE)]
            return self._mf

    def _mf_key(self, usage: str) -> MfKey:
        key = deterministic_rsa_key(self.seed, usage)
        serial = int.from_bytes(hashlib.sha256(f"mf:{self.seed}:{usage}".encode()).digest()[:15], "big")
        cert = (
            x509.CertificateBuilder()
            .subject_name(_mf_name())
            .issuer_name(_mf_name())
            .public_key(key.public_key())
            .serial_number(serial)
            .not_valid_before(self.valid_from)
            .not_valid_after(self.valid_to)
            # PKCS#1 v1.5 signatures are deterministic, so the certificate bytes are reproducible.
            .sign(key, hashes.SHA256())
        )
        return MfKey(key, cert, (usage,), self.valid_from, self.valid_to)

    def by_usage(self, usage: str) -> MfKey:
        return next(k for k in self.mf_keys if usage in k.usage)

    def by_public_key_id(self, key_id: str) -> MfKey | None:
        return next((k for k in self.mf_keys if k.public_key_id == key_id), None)

    def issue(
        self,
        *,
        subject_nip: str,
        subject_name: str,
        valid_from: datetime,
        valid_to: datetime,
        serial: int,
        key_label: str,
    ) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
        """A KSeF-style certificate: the subject names the company and its NIP (VATPL-…)."""
        key = derive_ec_key(self.seed, key_label)
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.COUNTRY_NAME, "PL"),
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, subject_name[:64] or subject_nip),
                x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, f"VATPL-{subject_nip}"),
                x509.NameAttribute(NameOID.COMMON_NAME, (subject_name[:64] or subject_nip)),
            ]
        )
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(self.ca_name)
            .public_key(key.public_key())
            .serial_number(serial)
            .not_valid_before(valid_from)
            .not_valid_after(valid_to)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=True,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .sign(self.ca_key, hashes.SHA256(), ecdsa_deterministic=True)
        )
        return cert, key


def subject_nip(cert: x509.Certificate) -> str | None:
    """The NIP a certificate speaks for: organizationIdentifier VATPL-… or serialNumber TINPL-…."""
    for oid, prefixes in (
        (NameOID.ORGANIZATION_IDENTIFIER, ("VATPL-",)),
        (NameOID.SERIAL_NUMBER, ("TINPL-", "VATPL-")),
    ):
        for attr in cert.subject.get_attributes_for_oid(oid):
            value = str(attr.value)
            for prefix in prefixes:
                if value.upper().startswith(prefix):
                    return value[len(prefix) :]
    return None


def fingerprint(cert: x509.Certificate) -> str:
    return cert.fingerprint(hashes.SHA256()).hex().upper()


def rsa_oaep_decrypt(key: rsa.RSAPrivateKey, data: bytes) -> bytes:
    return key.decrypt(data, OAEP)


def aes_cbc_decrypt(key: bytes, iv: bytes, data: bytes) -> bytes:
    """AES-256-CBC with PKCS#7, the IV passed separately (API-NOTES §3)."""
    decryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    padded = decryptor.update(data) + decryptor.finalize()
    unpadder = sym_padding.PKCS7(128).unpadder()
    return unpadder.update(padded) + unpadder.finalize()


def aes_cbc_encrypt(key: bytes, iv: bytes, data: bytes) -> bytes:
    padder = sym_padding.PKCS7(128).padder()
    padded = padder.update(data) + padder.finalize()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return encryptor.update(padded) + encryptor.finalize()

"""The KSeF crypto primitives (API-NOTES §3): RSA-OAEP-SHA256, AES-256-CBC/PKCS#7, SHA-256 in Base64.

Kept small and free of I/O so the simulator's engineer and tests can reason about it in one screen.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives import hashes, padding, serialization
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

OAEP = asym_padding.OAEP(
    mgf=asym_padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None
)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def sha256_b64(data: bytes) -> str:
    """`Sha256HashBase64`: taken over the exact bytes sent or received."""
    return b64(hashlib.sha256(data).digest())


def load_public_key(der_b64: str) -> rsa.RSAPublicKey:
    """The public key from the `certificate` field of GET /security/public-key-certificates.

    The field is a Base64 DER X.509 certificate; the spec's example shows a bare SubjectPublicKeyInfo,
    so both are accepted.
    """
    der = base64.b64decode(der_b64)
    key: PublicKeyTypes
    try:
        key = x509.load_der_x509_certificate(der).public_key()
    except ValueError:
        key = serialization.load_der_public_key(der)
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError("KSeF public key is not RSA")
    return key


def rsa_oaep_encrypt(public_key: rsa.RSAPublicKey, data: bytes) -> bytes:
    return public_key.encrypt(data, OAEP)


def rsa_oaep_decrypt(private_key: rsa.RSAPrivateKey, data: bytes) -> bytes:
    """Used by tests (and mirrors what the simulator does on its side)."""
    return private_key.decrypt(data, OAEP)


def aes_cbc_encrypt(key: bytes, iv: bytes, plaintext: bytes) -> bytes:
    # Like the official C# client: PKCS#7 padding, the IV is NOT prepended (sent separately).
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plaintext) + padder.finalize()
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return enc.update(padded) + enc.finalize()


def aes_cbc_decrypt(key: bytes, iv: bytes, ciphertext: bytes) -> bytes:
    dec = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    padded = dec.update(ciphertext) + dec.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    return unpadder.update(padded) + unpadder.finalize()


@dataclass(frozen=True)
class SymmetricKey:
    """A fresh AES-256 key and IV for one session or export, with the RSA-wrapped form KSeF wants."""

    key: bytes = field(repr=False)
    iv: bytes
    encrypted_key_b64: str = field(repr=False)
    public_key_id: str | None = None

    @classmethod
    def generate(cls, public_key: rsa.RSAPublicKey, public_key_id: str | None = None) -> SymmetricKey:
        key, iv = os.urandom(32), os.urandom(16)
        return cls(key, iv, b64(rsa_oaep_encrypt(public_key, key)), public_key_id)

    @classmethod
    def restore(cls, key: bytes, iv: bytes) -> SymmetricKey:
        """The key of an export asked for before a restart, from its persisted key and IV.

        It has no RSA-wrapped form (that was sent once, when the export was requested), so it can
        decrypt the export's parts but not start anything new: `encryption_json()` refuses.
        """
        if len(key) != 32 or len(iv) != 16:
            raise ValueError("AES-256-CBC needs a 32-byte key and a 16-byte IV")
        return cls(bytes(key), bytes(iv), "", None)

    def encryption_json(self) -> dict[str, str]:
        """The `EncryptionInfo` request object."""
        if not self.encrypted_key_b64:
            raise ValueError("a restored key has no RSA-wrapped form to send")
        out = {"encryptedSymmetricKey": self.encrypted_key_b64, "initializationVector": b64(self.iv)}
        if self.public_key_id:
            out["publicKeyId"] = self.public_key_id
        return out

    def encrypt(self, plaintext: bytes) -> bytes:
        return aes_cbc_encrypt(self.key, self.iv, plaintext)

    def decrypt(self, ciphertext: bytes) -> bytes:
        return aes_cbc_decrypt(self.key, self.iv, ciphertext)

from __future__ import annotations

from cryptography.hazmat.primitives import serialization


def pems(cert, key) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    return (
        cert.public_bytes(serialization.Encoding.PEM).decode(),
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
    )

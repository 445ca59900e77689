"""Bearer tokens: compact HS256 JWTs shaped like KSeF's (API-NOTES §2).

KSeF's tokens are JWTs whose payload names the token type and context; clients must treat them as
opaque, but a developer decoding one in the demo should see something familiar. The signature is an
HMAC with a per-app secret, so tokens minted by one simulator instance do not work in another.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime

OPERATION = "OperationToken"
ACCESS = "ContextToken"
REFRESH = "RefreshToken"


class BadToken(ValueError):
    pass


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode(secret: bytes, payload: dict) -> str:
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}, separators=(",", ":")).encode())
    body = _b64(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
    signing_input = f"{header}.{body}".encode("ascii")
    sig = _b64(hmac.new(secret, signing_input, hashlib.sha256).digest())
    return f"{header}.{body}.{sig}"


def decode(secret: bytes, token: str, now: datetime) -> dict:
    """The payload of a token this app minted and that has not expired; BadToken otherwise."""
    try:
        header, body, sig = token.split(".")
        expected = _b64(hmac.new(secret, f"{header}.{body}".encode("ascii"), hashlib.sha256).digest())
        if not hmac.compare_digest(sig, expected):
            raise BadToken("bad signature")
        payload = json.loads(_unb64(body))
    except BadToken:
        raise
    except Exception as exc:  # malformed base64/JSON/shape: all the same to the caller
        raise BadToken("malformed token") from exc
    if not isinstance(payload, dict) or int(payload.get("exp", 0)) <= int(now.timestamp()):
        raise BadToken("token expired")
    return payload

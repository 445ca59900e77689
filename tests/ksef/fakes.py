"""Test doubles for the KSeF client: fake time, a fake KSeF behind httpx.MockTransport.

`FakeKsef` answers every spec operation with the spec's own example (so the client's parsing is tested
against the official shapes) and implements the parts where behaviour matters for real: public keys,
challenge, encrypted-token check, XAdES check, polling, redeem-once, refresh, UPO/invoice hashes, exports
encrypted with the client's key, online-session decryption. Every request is recorded for the
conformance test.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import io
import itertools
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from ksef_tui.core.clock import VirtualTime
from ksef_tui.ksef.crypto import OAEP, aes_cbc_decrypt, aes_cbc_encrypt, sha256_b64
from tests.ksef.openapi_schema import example_file_stem, route_for, success_status

EXAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples" / "json" / "openapi-examples"
BASE = "https://ksef.test/v2"
STORAGE = "https://storage.test"
UTC = dt.UTC
NIP = "5265877635"
TOKEN_REF = "20251010-EC-2B0C8AB000-4A3D8E9C3B-8D"
KSEF_TOKEN = f"{TOKEN_REF}|nip-{NIP}|919f5a0f1c3b4e6a8d2c7b9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c"


class FakeTime(VirtualTime):
    """The product's virtual clock (sleeping advances time), with the short name these tests use."""

    @property
    def t(self) -> float:
        return self.elapsed

    @t.setter
    def t(self, value: float) -> None:
        self.elapsed = value


def example(name: str) -> Any:
    return json.loads((EXAMPLES / name).read_text(encoding="utf-8"))


def example_for(method: str, template: str, status: str | None = None) -> Any:
    status = status or success_status(template, method) or "200"
    stem = example_file_stem(template, method)
    exact = EXAMPLES / f"{stem}__response_{status}.json"
    if exact.exists():
        return json.loads(exact.read_text(encoding="utf-8"))
    matches = sorted(EXAMPLES.glob(f"{stem}__response_{status}__*.json"))
    return json.loads(matches[0].read_text(encoding="utf-8")) if matches else None


def make_ksef_key_material(key: rsa.RSAPrivateKey) -> tuple[str, str]:
    """A self-signed 'Ministerstwo Finansów' certificate (Base64 DER) and its publicKeyId."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Ministerstwo Finansów (test)")])
    now = dt.datetime(2025, 1, 1, tzinfo=UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(7)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    der = cert.public_bytes(serialization.Encoding.DER)
    spki = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.b64encode(der).decode(), base64.b64encode(hashlib.sha256(spki).digest()).decode()


def make_client_certificate(nip: str = NIP) -> tuple[str, str]:
    """A self-signed client certificate and key (PEM), as TE accepts for XAdES."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "Firma Testowa"),
            x509.NameAttribute(NameOID.ORGANIZATION_IDENTIFIER, f"VATPL-{nip}"),
        ]
    )
    now = dt.datetime(2025, 1, 1, tzinfo=UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(99)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=3650))
        .sign(key, hashes.SHA256())
    )
    return (
        cert.public_bytes(serialization.Encoding.PEM).decode(),
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode(),
    )


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, json=payload, headers=headers)


def exception_response(
    code: int, description: str = "Błąd", details: list[str] | None = None
) -> httpx.Response:
    body = {
        "exception": {
            "exceptionDetailList": [
                {"exceptionCode": code, "exceptionDescription": description, "details": details}
            ],
            "referenceNumber": None,
            "serviceCode": "x",
            "timestamp": "2026-03-02T09:00:00",
        }
    }
    return httpx.Response(400, json=body)


def problem_400(code: int, description: str = "Błąd") -> httpx.Response:
    body = {
        "title": "Bad Request",
        "status": 400,
        "instance": "/x",
        "detail": "Żądanie jest nieprawidłowe.",
        "errors": [{"code": code, "description": description, "details": []}],
        "timestamp": "2026-03-02T09:00:00Z",
        "traceId": "abc",
    }
    return httpx.Response(400, json=body, headers={"content-type": "application/problem+json"})


Override = Callable[[httpx.Request], httpx.Response | None]


@dataclass
class FakeKsef:
    key: rsa.RSAPrivateKey
    tokens: dict[str, str] = field(default_factory=lambda: {KSEF_TOKEN: NIP})  # token -> context
    auth_polls_in_progress: int = 1
    auth_failure: int | None = None  # GET /auth/{ref} status code to end with instead of 200
    access_ttl: dt.timedelta = dt.timedelta(minutes=15)
    refresh_ttl: dt.timedelta = dt.timedelta(days=7)
    now: Callable[[], dt.datetime] = lambda: dt.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    requests: list[httpx.Request] = field(default_factory=list)
    overrides: dict[tuple[str, str], Override] = field(default_factory=dict)
    revoked_refresh: bool = False
    retired_key_once: bool = False  # answer 21470 to the first ksef-token call

    def __post_init__(self) -> None:
        self.cert_b64, self.public_key_id = make_ksef_key_material(self.key)
        self._seq = itertools.count(1)
        self.auth_ops: dict[str, dict[str, Any]] = {}
        self.issued: dict[str, str] = {}  # jwt -> kind
        self.counts: dict[str, int] = {}
        self.exports: dict[str, dict[str, Any]] = {}
        self.storage: dict[str, bytes] = {}
        self.sessions: dict[str, dict[str, Any]] = {}
        self.invoice_xml = b'<?xml version="1.0" encoding="UTF-8"?><Faktura xmlns="http://crd.gov.pl/wzor/2025/06/25/13775/"/>'
        self.upo_xml = b'<?xml version="1.0" encoding="UTF-8"?><Potwierdzenie xmlns="http://upo.schematy.mf.gov.pl/KSeF/v4-3"/>'

    # --- plumbing ----------------------------------------------------------------------------------

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)

    def ref(self, infix: str) -> str:
        n = next(self._seq)
        return f"20260302-{infix}-{n:010X}-{n:010X}-{n % 256:02X}"

    def jwt(self, kind: str) -> str:
        n = next(self._seq)
        body = base64.urlsafe_b64encode(json.dumps({"kind": kind, "n": n}).encode()).decode().rstrip("=")
        token = f"eyJhbGciOiJIUzI1NiJ9.{body}.sig{n}"
        self.issued[token] = kind
        return token

    def bearer(self, request: httpx.Request) -> str | None:
        value = request.headers.get("authorization", "")
        return value[7:] if value.startswith("Bearer ") else None

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if request.url.host == "storage.test":
            data = self.storage.get(request.url.path)
            return httpx.Response(200, content=data) if data is not None else httpx.Response(404)
        path = request.url.path.removeprefix("/v2")
        template = route_for(request.method, path)
        if template is None:
            return httpx.Response(404, json={"title": "Not Found", "status": 404})
        key = (request.method, template)
        self.counts[f"{request.method} {template}"] = self.counts.get(f"{request.method} {template}", 0) + 1
        if key in self.overrides:
            result = self.overrides[key](request)
            if result is not None:
                return result
        special = getattr(self, "_" + example_file_stem(template, request.method), None)
        if special is not None:
            return special(request, path)
        if template not in ("/auth/challenge", "/security/public-key-certificates") and not self._access_ok(
            request
        ):
            return json_response(
                401,
                {
                    "title": "Unauthorized",
                    "status": 401,
                    "detail": "bad token",
                    "timestamp": "2026-03-02T09:00:00Z",
                },
            )
        status = success_status(template, request.method) or "200"
        body = example_for(request.method, template, status)
        if body is None:
            return httpx.Response(int(status))
        return json_response(int(status), body)

    def _access_ok(self, request: httpx.Request) -> bool:
        return self.issued.get(self.bearer(request) or "") == "access"

    # --- security & auth ---------------------------------------------------------------------------

    def _GET_security_public_key_certificates(self, request: httpx.Request, path: str) -> httpx.Response:
        valid = {"validFrom": "2025-01-01T00:00:00+00:00", "validTo": "2035-01-01T00:00:00+00:00"}
        return json_response(
            200,
            [
                {
                    "certificate": self.cert_b64,
                    "certificateId": "c1",
                    "publicKeyId": self.public_key_id,
                    "usage": ["KsefTokenEncryption"],
                    **valid,
                },
                {
                    "certificate": self.cert_b64,
                    "certificateId": "c2",
                    "publicKeyId": self.public_key_id,
                    "usage": ["SymmetricKeyEncryption", "FutureUsage"],
                    **valid,
                },
            ],
        )

    def _POST_auth_challenge(self, request: httpx.Request, path: str) -> httpx.Response:
        n = next(self._seq)
        self.last_challenge = f"20260302-CR-{n:010X}-{n:010X}-{n % 256:02X}"
        self.last_ts = 1772442000000 + n
        return json_response(
            200,
            {
                "challenge": self.last_challenge,
                "timestamp": "2026-03-02T09:00:00+00:00",
                "timestampMs": self.last_ts,
                "clientIp": "192.0.2.1",
            },
        )

    def _start_auth(self, context: str) -> httpx.Response:
        ref = self.ref("AU")
        auth_token = self.jwt("authentication")
        self.auth_ops[ref] = {"polls": 0, "redeemed": False, "token": auth_token, "context": context}
        return json_response(
            202,
            {
                "referenceNumber": ref,
                "authenticationToken": {
                    "token": auth_token,
                    "validUntil": (self.now() + dt.timedelta(minutes=10)).isoformat(),
                },
            },
        )

    def _POST_auth_ksef_token(self, request: httpx.Request, path: str) -> httpx.Response:
        body = json.loads(request.content)
        if self.retired_key_once:
            self.retired_key_once = False
            return exception_response(21470, "Nieznany klucz publiczny")
        plain = self.key.decrypt(base64.b64decode(body["encryptedToken"]), OAEP).decode()
        token, _, ts = plain.rpartition("|")
        if body["challenge"] != self.last_challenge or int(ts) != self.last_ts:
            return exception_response(21111, "Nieprawidłowe wyzwanie")
        self.last_token = token
        response = self._start_auth(body["contextIdentifier"]["value"])
        self.auth_ops[response.json()["referenceNumber"]]["valid"] = (
            self.tokens.get(token) == body["contextIdentifier"]["value"]
        )
        return response

    def _POST_auth_xades_signature(self, request: httpx.Request, path: str) -> httpx.Response:
        from lxml import etree
        from signxml.xades import XAdESVerifier

        root = etree.fromstring(request.content)
        cert_b64 = root.find(".//{http://www.w3.org/2000/09/xmldsig#}X509Certificate").text
        pem = "-----BEGIN CERTIFICATE-----\n" + "".join(cert_b64.split()) + "\n-----END CERTIFICATE-----\n"
        XAdESVerifier().verify(request.content, x509_cert=pem)  # raises on a bad signature
        self.last_xades = request.content
        ctx = root.find(".//{http://ksef.mf.gov.pl/auth/token/2.1}Nip").text
        response = self._start_auth(ctx)
        self.auth_ops[response.json()["referenceNumber"]]["valid"] = True
        return response

    def _GET_auth_referenceNumber(self, request: httpx.Request, path: str) -> httpx.Response:
        op = self.auth_ops[path.rsplit("/", 1)[-1]]
        assert self.bearer(request) == op["token"]
        op["polls"] += 1
        if op["polls"] <= self.auth_polls_in_progress:
            code, desc = 100, "Uwierzytelnianie w toku"
        elif not op["valid"]:
            code, desc = 450, "Uwierzytelnianie zakończone niepowodzeniem z powodu błędnego tokenu"
        elif self.auth_failure:
            code, desc = self.auth_failure, "Niepowodzenie"
        else:
            code, desc = 200, "Uwierzytelnianie zakończone sukcesem"
        return json_response(
            200,
            {
                "startDate": "2026-03-02T09:00:00+00:00",
                "authenticationMethod": "Token",
                "authenticationMethodInfo": {
                    "category": "Token",
                    "code": "token.ksef",
                    "displayName": "Token KSeF",
                },
                "status": {"code": code, "description": desc},
                "someFutureField": 1,
            },
        )

    def _POST_auth_token_redeem(self, request: httpx.Request, path: str) -> httpx.Response:
        op = next(o for o in self.auth_ops.values() if o["token"] == self.bearer(request))
        if op["redeemed"]:
            return exception_response(21301, "Brak autoryzacji", ["Tokeny zostały już pobrane."])
        op["redeemed"] = True
        now = self.now()
        return json_response(
            200,
            {
                "accessToken": {
                    "token": self.jwt("access"),
                    "validUntil": (now + self.access_ttl).isoformat(),
                },
                "refreshToken": {
                    "token": self.jwt("refresh"),
                    "validUntil": (now + self.refresh_ttl).isoformat(),
                },
            },
        )

    def _POST_auth_token_refresh(self, request: httpx.Request, path: str) -> httpx.Response:
        if self.issued.get(self.bearer(request) or "") != "refresh":
            return json_response(
                401,
                {"title": "Unauthorized", "status": 401, "detail": "x", "timestamp": "2026-03-02T09:00:00Z"},
            )
        if self.revoked_refresh:
            return exception_response(21301, "Brak autoryzacji", ["Token KSeF został unieważniony."])
        return json_response(
            200,
            {
                "accessToken": {
                    "token": self.jwt("access"),
                    "validUntil": (self.now() + self.access_ttl).isoformat(),
                }
            },
        )

    def _DELETE_auth_sessions_current(self, request: httpx.Request, path: str) -> httpx.Response:
        # Accepts the refresh or the access token (API-NOTES §4).
        if self.issued.get(self.bearer(request) or "") not in {"refresh", "access"}:
            return json_response(401, {"title": "Unauthorized", "status": 401})
        return httpx.Response(204)

    # --- documents with hashes ----------------------------------------------------------------------

    def _xml(self, request: httpx.Request, content: bytes) -> httpx.Response:
        if not self._access_ok(request):
            return json_response(
                401,
                {"title": "Unauthorized", "status": 401, "detail": "x", "timestamp": "2026-03-02T09:00:00Z"},
            )
        return httpx.Response(
            200,
            content=content,
            headers={"content-type": "application/xml", "x-ms-meta-hash": sha256_b64(content)},
        )

    def _GET_invoices_ksef_ksefNumber(self, request: httpx.Request, path: str) -> httpx.Response:
        return self._xml(request, self.invoice_xml)

    def _GET_sessions_referenceNumber_upo_upoReferenceNumber(self, request, path):  # type: ignore[no-untyped-def]
        return self._xml(request, self.upo_xml)

    def _GET_sessions_referenceNumber_invoices_ksef_ksefNumber_upo(self, request, path):  # type: ignore[no-untyped-def]
        return self._xml(request, self.upo_xml)

    def _GET_sessions_referenceNumber_invoices_invoiceReferenceNumber_upo(self, request, path):  # type: ignore[no-untyped-def]
        return self._xml(request, self.upo_xml)

    # --- online session -----------------------------------------------------------------------------

    def _POST_sessions_online(self, request: httpx.Request, path: str) -> httpx.Response:
        body = json.loads(request.content)
        key = self.key.decrypt(base64.b64decode(body["encryption"]["encryptedSymmetricKey"]), OAEP)
        ref = self.ref("SO")
        self.sessions[ref] = {
            "key": key,
            "iv": base64.b64decode(body["encryption"]["initializationVector"]),
            "invoices": [],
            "closed": False,
        }
        return json_response(201, {"referenceNumber": ref, "validUntil": "2026-03-02T21:00:00+00:00"})

    def _POST_sessions_online_referenceNumber_invoices(
        self, request: httpx.Request, path: str
    ) -> httpx.Response:
        session = self.sessions[path.split("/")[3]]
        body = json.loads(request.content)
        encrypted = base64.b64decode(body["encryptedInvoiceContent"])
        plain = aes_cbc_decrypt(session["key"], session["iv"], encrypted)
        if sha256_b64(plain) != body["invoiceHash"] or len(plain) != body["invoiceSize"]:
            return exception_response(21403, "Hash mismatch")
        if (
            sha256_b64(encrypted) != body["encryptedInvoiceHash"]
            or len(encrypted) != body["encryptedInvoiceSize"]
        ):
            return exception_response(21403, "Hash mismatch")
        session["invoices"].append(plain)
        return json_response(202, {"referenceNumber": self.ref("EE")})

    def _POST_sessions_online_referenceNumber_close(
        self, request: httpx.Request, path: str
    ) -> httpx.Response:
        self.sessions[path.split("/")[3]]["closed"] = True
        return httpx.Response(204)

    # --- exports ------------------------------------------------------------------------------------

    def _POST_invoices_exports(self, request: httpx.Request, path: str) -> httpx.Response:
        body = json.loads(request.content)
        key = self.key.decrypt(base64.b64decode(body["encryption"]["encryptedSymmetricKey"]), OAEP)
        iv = base64.b64decode(body["encryption"]["initializationVector"])
        ref = self.ref("EH")
        buf = io.BytesIO()
        number = "5265877635-20250826-0100001AF629-AF"
        # The spec's example row, describing the one invoice in the package (the example's own rows
        # name other invoices, twice, with two hashes: a reader rightly refuses that).
        row = example("POST_invoices_query_metadata__response_200.json")["invoices"][0]
        row = {**row, "ksefNumber": number, "invoiceHash": sha256_b64(self.invoice_xml)}
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr(f"{number}.xml", self.invoice_xml)
            zf.writestr("_metadata.json", json.dumps({"invoices": [row]}))
        archive = buf.getvalue()
        half = len(archive) // 2
        parts = []
        for i, chunk in enumerate((archive[:half], archive[half:]), start=1):
            enc = aes_cbc_encrypt(key, iv, chunk)
            self.storage[f"/{ref}/part{i}"] = enc
            parts.append(
                {
                    "ordinalNumber": i,
                    "partName": f"{ref}-{i:03d}.zip.aes",
                    "method": "GET",
                    "url": f"{STORAGE}/{ref}/part{i}?sv=1&sig=S3CRETSIG{i}",
                    "partSize": len(chunk),
                    "partHash": sha256_b64(chunk),
                    "encryptedPartSize": len(enc),
                    "encryptedPartHash": sha256_b64(enc),
                    "expirationDate": "2026-03-02T10:00:00+00:00",
                }
            )
        self.exports[ref] = {"polls": 0, "parts": parts}
        return json_response(201, {"referenceNumber": ref})

    def _GET_invoices_exports_referenceNumber(self, request: httpx.Request, path: str) -> httpx.Response:
        exp = self.exports[path.rsplit("/", 1)[-1]]
        exp["polls"] += 1
        if exp["polls"] == 1:
            return json_response(200, {"status": {"code": 100, "description": "Eksport w toku"}})
        return json_response(
            200,
            {
                "status": {"code": 200, "description": "Eksport zakończony sukcesem"},
                "completedDate": "2026-03-02T09:01:00+00:00",
                "package": {"invoiceCount": 1, "size": 1, "parts": exp["parts"], "isTruncated": False},
            },
        )

"""Test helpers: a conformance-checking client, token and XAdES login, AES/RSA as a client does it."""

from __future__ import annotations

import base64
import hashlib
import os
import re
from dataclasses import dataclass, field

import httpx
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives import padding as sym_padding
from cryptography.hazmat.primitives.asymmetric import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from lxml import etree

from tests.simulator import spec

OAEP = padding.OAEP(mgf=padding.MGF1(algorithm=hashes.SHA256()), algorithm=hashes.SHA256(), label=None)
BASE = "http://sim.test/v2"


def _template(path: str) -> str | None:
    """The spec path template matching a concrete /v2 path."""
    best = None
    for template in spec.spec()["paths"]:
        pattern = "^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(template)) + "$"
        # Prefer the most literal template (fewest parameters).
        if re.match(pattern, path) and (best is None or template.count("{") < best.count("{")):
            best = template
    return best


@dataclass
class Conformance:
    """Every response seen is checked against the spec's schema for its path, method and status."""

    checked: list[tuple[str, str, int]] = field(default_factory=list)

    async def __call__(self, response: httpx.Response) -> None:
        request = response.request
        path = request.url.path
        if not path.startswith("/v2/") or response.status_code >= 500:
            return  # 5xx only ever come from injected faults, which the spec does not describe
        template = _template(path[3:])
        assert template is not None, f"undocumented path {path}"
        method = request.method.lower()
        documented = spec.documented_statuses(template, method)
        assert response.status_code in documented, f"{method} {template}: undocumented {response.status_code}"
        await response.aread()
        media = response.headers.get("content-type", "").split(";")[0].strip()
        responses = spec.spec()["paths"][template][method]["responses"][str(response.status_code)]
        content = responses.get("content")
        if not content:
            assert not response.content, f"{method} {template} {response.status_code}: unexpected body"
        else:
            assert media in content, f"{method} {template} {response.status_code}: media type {media}"
            if media.endswith("json"):
                spec.validate(
                    response.json(), spec.response_schema(template, method, response.status_code, media)
                )
            else:
                assert response.content
        if response.status_code == 429:
            assert int(response.headers["retry-after"]) >= 1
        self.checked.append((method, template, response.status_code))


def client(app, conformance: Conformance | None = None, **kw) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    hooks = {"response": [conformance]} if conformance is not None else {}
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=BASE, event_hooks=hooks, **kw)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def public_key(http: httpx.AsyncClient, usage: str) -> tuple[object, str]:
    r = await http.get("/security/public-key-certificates")
    r.raise_for_status()
    entry = next(e for e in r.json() if usage in e["usage"])
    cert = x509.load_der_x509_certificate(base64.b64decode(entry["certificate"]))
    return cert.public_key(), entry["publicKeyId"]


async def start_token_auth(http: httpx.AsyncClient, nip: str, token: str, *, stamp_delta: int = 0) -> dict:
    key, key_id = await public_key(http, "KsefTokenEncryption")
    ch = (await http.post("/auth/challenge")).json()
    encrypted = key.encrypt(f"{token}|{ch['timestampMs'] + stamp_delta}".encode(), OAEP)  # type: ignore[attr-defined]
    r = await http.post(
        "/auth/ksef-token",
        json={
            "challenge": ch["challenge"],
            "contextIdentifier": {"type": "Nip", "value": nip},
            "encryptedToken": base64.b64encode(encrypted).decode(),
            "publicKeyId": key_id,
        },
    )
    assert r.status_code == 202, r.text
    return r.json()


async def auth_status(http: httpx.AsyncClient, init: dict) -> dict:
    r = await http.get(
        f"/auth/{init['referenceNumber']}", headers=bearer(init["authenticationToken"]["token"])
    )
    assert r.status_code == 200, r.text
    return r.json()


async def redeem(http: httpx.AsyncClient, init: dict) -> dict:
    r = await http.post("/auth/token/redeem", headers=bearer(init["authenticationToken"]["token"]))
    assert r.status_code == 200, r.text
    return r.json()


async def login_token(http: httpx.AsyncClient, nip: str, token: str) -> dict:
    init = await start_token_auth(http, nip, token)
    status = await auth_status(http, init)
    assert status["status"]["code"] == 200, status
    return await redeem(http, init)


def sign_auth_request(
    challenge: str, context_nip: str, cert_pem: str, key_pem: str, *, ns_version: str = "2.1"
) -> bytes:
    """An AuthTokenRequest signed enveloped XAdES-BES, as a client would send it."""
    from signxml import SignatureMethod
    from signxml.xades import XAdESSigner

    ns = f"http://ksef.mf.gov.pl/auth/token/{ns_version}"
    root = etree.Element(f"{{{ns}}}AuthTokenRequest", nsmap={None: ns})
    etree.SubElement(root, f"{{{ns}}}Challenge").text = challenge
    ident = etree.SubElement(root, f"{{{ns}}}ContextIdentifier")
    etree.SubElement(ident, f"{{{ns}}}Nip").text = context_nip
    etree.SubElement(root, f"{{{ns}}}SubjectIdentifierType").text = "certificateSubject"
    key = serialization.load_pem_private_key(key_pem.encode(), None)
    signer = XAdESSigner(signature_algorithm=SignatureMethod.ECDSA_SHA256)
    signed = signer.sign(root, key=key, cert=cert_pem)
    return etree.tostring(signed, xml_declaration=True, encoding="utf-8")


async def login_xades(http: httpx.AsyncClient, nip: str, cert_pem: str, key_pem: str) -> dict:
    init = await start_xades(http, nip, cert_pem, key_pem)
    status = await auth_status(http, init)
    assert status["status"]["code"] == 200, status
    return await redeem(http, init)


async def start_xades(http: httpx.AsyncClient, nip: str, cert_pem: str, key_pem: str) -> dict:
    ch = (await http.post("/auth/challenge")).json()
    body = sign_auth_request(ch["challenge"], nip, cert_pem, key_pem)
    r = await http.post("/auth/xades-signature", content=body, headers={"Content-Type": "application/xml"})
    assert r.status_code == 202, r.text
    return r.json()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def sha(data: bytes) -> str:
    return b64(hashlib.sha256(data).digest())


def aes_encrypt(key: bytes, iv: bytes, data: bytes) -> bytes:
    padder = sym_padding.PKCS7(128).padder()
    enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return enc.update(padder.update(data) + padder.finalize()) + enc.finalize()


def aes_decrypt(key: bytes, iv: bytes, data: bytes) -> bytes:
    dec = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
    unpad = sym_padding.PKCS7(128).unpadder()
    return unpad.update(dec.update(data) + dec.finalize()) + unpad.finalize()


async def encryption(http: httpx.AsyncClient) -> tuple[dict, bytes, bytes]:
    key, key_id = await public_key(http, "SymmetricKeyEncryption")
    sym, iv = os.urandom(32), os.urandom(16)
    info = {
        "encryptedSymmetricKey": b64(key.encrypt(sym, OAEP)),  # type: ignore[attr-defined]
        "initializationVector": b64(iv),
        "publicKeyId": key_id,
    }
    return info, sym, iv

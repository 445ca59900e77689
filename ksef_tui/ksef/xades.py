"""Certificate authentication (API-NOTES §5): the AuthTokenRequest v2.1 XML and its XAdES-BES signature.

The document is built with lxml (valid against `resources/schemas/auth/schemat_auth_v2-1.xsd`, which has
no slot for the signature: validate the unsigned document) and signed enveloped with signxml's
XAdES signer using the client's (or office's) certificate and private key in PEM.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from lxml import etree

from ksef_tui.core import xml_safety
from ksef_tui.ksef.auth import _init_response, get_challenge
from ksef_tui.ksef.http import HttpCore
from ksef_tui.ksef.models import AuthInitResponse

NS = "http://ksef.mf.gov.pl/auth/token/2.1"
SCHEMA_PATH = (
    Path(__file__).resolve().parent.parent / "resources" / "schemas" / "auth" / "schemat_auth_v2-1.xsd"
)
CONTEXT_ELEMENTS = {"Nip": "Nip", "InternalId": "InternalId", "NipVatUe": "NipVatUe", "PeppolId": "PeppolId"}


def build_auth_token_request(
    challenge: str,
    context_value: str,
    *,
    context_type: str = "Nip",
    subject_identifier_type: str = "certificateSubject",
    allowed_ips: dict[str, list[str]] | None = None,
) -> etree._Element:
    """The unsigned `AuthTokenRequest` element.

    `allowed_ips`: {"ip4Addresses": [...], "ip4Ranges": [...], "ip4Masks": [...]} as in the JSON API.
    """
    root = etree.Element(f"{{{NS}}}AuthTokenRequest", nsmap={None: NS})
    etree.SubElement(root, f"{{{NS}}}Challenge").text = challenge
    ctx = etree.SubElement(root, f"{{{NS}}}ContextIdentifier")
    etree.SubElement(ctx, f"{{{NS}}}{CONTEXT_ELEMENTS[context_type]}").text = context_value
    etree.SubElement(root, f"{{{NS}}}SubjectIdentifierType").text = subject_identifier_type
    if allowed_ips:
        policy = etree.SubElement(root, f"{{{NS}}}AuthorizationPolicy")
        ips = etree.SubElement(policy, f"{{{NS}}}AllowedIps")
        for key, tag in (("ip4Addresses", "Ip4Address"), ("ip4Ranges", "Ip4Range"), ("ip4Masks", "Ip4Mask")):
            for value in allowed_ips.get(key, []):
                etree.SubElement(ips, f"{{{NS}}}{tag}").text = value
    return root


def load_schema() -> etree.XMLSchema:
    return xml_safety.load_schema(SCHEMA_PATH)


def sign_xades(document: etree._Element, certificate_pem: str | bytes, private_key_pem: str | bytes) -> bytes:
    """Enveloped XAdES-BES signature over the whole document; returns the UTF-8 XML bytes to send."""
    # deferred: signxml, ~85 ms (python -X importtime, on top of `ksef_tui.cli`, median of 5 runs), which
    # every headless command would pay through the client; only a certificate login signs.
    from signxml import SignatureMethod
    from signxml.xades import XAdESSigner

    cert_bytes = certificate_pem.encode() if isinstance(certificate_pem, str) else certificate_pem
    key_bytes = private_key_pem.encode() if isinstance(private_key_pem, str) else private_key_pem
    key = serialization.load_pem_private_key(key_bytes, password=None)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        algorithm = SignatureMethod.ECDSA_SHA256
    elif isinstance(key, rsa.RSAPrivateKey):
        algorithm = SignatureMethod.RSA_SHA256
    else:
        raise ValueError("unsupported private key type (RSA or EC expected)")
    certs = x509.load_pem_x509_certificates(cert_bytes)
    # signxml's default canonicalisation (C14N 1.1). Exclusive C14N gives a SignedProperties digest
    # that signxml's own verifier rejects when the document has a default namespace (as this one does).
    signer = XAdESSigner(signature_algorithm=algorithm)
    signed = signer.sign(document, key=key, cert=certs)
    return etree.tostring(signed, xml_declaration=True, encoding="utf-8")


async def init_xades_auth(
    core: HttpCore,
    *,
    context_value: str,
    certificate_pem: str | bytes,
    private_key_pem: str | bytes,
    now: datetime | None = None,
    context_type: str = "Nip",
    subject_identifier_type: str = "certificateSubject",
    verify_certificate_chain: bool | None = None,
) -> AuthInitResponse:
    """Steps 1-3 of §5: challenge, signed AuthTokenRequest, POST /auth/xades-signature."""
    challenge = await get_challenge(core, context_value)
    document = build_auth_token_request(
        challenge.challenge,
        context_value,
        context_type=context_type,
        subject_identifier_type=subject_identifier_type,
    )
    body = sign_xades(document, certificate_pem, private_key_pem)
    params = None
    if verify_certificate_chain is not None:
        params = {"verifyCertificateChain": "true" if verify_certificate_chain else "false"}
    response = await core.request(
        "POST",
        "/auth/xades-signature",
        content=body,
        content_type="application/xml",
        params=params,
        context=context_value,
    )
    return _init_response(response.json())

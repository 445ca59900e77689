"""Authentication: challenge, KSeF token, XAdES signature, status, redeem, refresh (API-NOTES §4-§5)."""

from __future__ import annotations

import base64
import binascii
from datetime import timedelta
from typing import Any

from cryptography import x509
from lxml import etree
from signxml import SignatureConfiguration  # noqa: F401  (imported for its side effects on signxml)
from signxml.xades import XAdESSignatureConfiguration, XAdESVerifier
from starlette.responses import Response

from ksef_tui.core.xml_safety import UnsafeXml, new_parser, parse_untrusted
from ksef_tui.simulator import bearer, statuses
from ksef_tui.simulator.certificates import qualified_permissions, qualified_subject
from ksef_tui.simulator.errors import ApiError, Gone, validation
from ksef_tui.simulator.keys import TOKEN_USAGE, fingerprint, rsa_oaep_decrypt, sha256_b64
from ksef_tui.simulator.refs import iso, reference
from ksef_tui.simulator.routing import (
    NONE,
    OPERATION,
    REFRESH,
    REFRESH_OR_ACCESS,
    Ctx,
    json_response,
    page_by_continuation,
    route,
)
from ksef_tui.simulator.state import AuthOp, Challenge
from ksef_tui.simulator.tokens import runtime_activation
from ksef_tui.simulator.xsd import auth_schema

CHALLENGE_LIFETIME = timedelta(minutes=10)
OPERATION_TOKEN_LIFETIME = timedelta(minutes=20)
ACCESS_LIFETIME = timedelta(minutes=15)
REFRESH_LIFETIME = timedelta(days=7)
OPERATION_RETENTION = timedelta(days=7)

TOKEN_METHOD_INFO = {"category": "Token", "code": "token.ksef", "displayName": "Token KSeF"}
KSEF_CERT_METHOD_INFO = {
    "category": "XadesSignature",
    "code": "xades.internal-certificate",
    "displayName": "Certyfikat KSeF",
}
AUTH_NS = ("http://ksef.mf.gov.pl/auth/token/2.0", "http://ksef.mf.gov.pl/auth/token/2.1")
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
CONTEXT_TYPES = ("Nip", "InternalId", "NipVatUe", "PeppolId")


def public_key_certificates(ctx: Ctx) -> list[dict]:
    return [k.as_json() for k in ctx.world.keys.mf_keys]


@route("GET", "/security/public-key-certificates", auth=NONE)
async def get_public_keys(ctx: Ctx) -> Response:
    return json_response(public_key_certificates(ctx))


@route("POST", "/auth/challenge", auth=NONE)
async def post_challenge(ctx: Ctx) -> Response:
    now = ctx.now()
    value = reference(ctx.world.runtime_rng, now, "CR")
    ms = int(now.timestamp() * 1000)
    ctx.sim.challenges[value] = Challenge(value, now, ms)
    client = ctx.request.client.host if ctx.request.client else "127.0.0.1"
    return json_response({"challenge": value, "timestamp": iso(now), "timestampMs": ms, "clientIp": client})


def _take_challenge(ctx: Ctx, value: object) -> Challenge:
    """A challenge lives 10 minutes and is good for one authentication (21111 otherwise)."""
    challenge = ctx.sim.challenges.get(value) if isinstance(value, str) else None
    if challenge is None or challenge.used or ctx.now() - challenge.created > CHALLENGE_LIFETIME:
        raise ApiError(21111)
    challenge.used = True
    return challenge


def _context(data: object) -> tuple[str, str, str]:
    """(type, value, nip) of a contextIdentifier; InternalId and NipVatUe both start with a NIP."""
    if (
        not isinstance(data, dict)
        or data.get("type") not in CONTEXT_TYPES
        or not isinstance(data.get("value"), str)
    ):
        raise validation(
            "Pole contextIdentifier jest wymagane (type: Nip|InternalId|NipVatUe|PeppolId, value)."
        )
    kind, value = data["type"], data["value"]
    return kind, value, value.split("-", 1)[0]


def _b64(value: object, field: str) -> bytes:
    if not isinstance(value, str) or not value:
        raise validation(f"Pole {field} jest wymagane.")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise validation(f"Pole {field} nie jest poprawnym Base64.") from exc


def _new_op(ctx: Ctx, **kw: Any) -> AuthOp:
    now = ctx.now()
    op = AuthOp(reference=reference(ctx.world.runtime_rng, now, "AU"), started=now, **kw)
    op.client_ip = ctx.request.client.host if ctx.request.client else ""
    ctx.sim.auth_ops[op.reference] = op
    return op


def _init_response(ctx: Ctx, op: AuthOp) -> Response:
    now = ctx.now()
    until = now + OPERATION_TOKEN_LIFETIME
    token = bearer.encode(
        ctx.sim.secret,
        {
            "token-type": bearer.OPERATION,
            "operation-reference-number": op.reference,
            # The context being authenticated into: KSeF counts the operation's requests under it.
            "context-identifier-value": op.context_value,
            "exp": int(until.timestamp()),
            "iat": int(now.timestamp()),
            "iss": "ksef-api-ti",
            "aud": "ksef-api-ti",
        },
    )
    return json_response(
        {"referenceNumber": op.reference, "authenticationToken": {"token": token, "validUntil": iso(until)}},
        status=202,
    )


@route("POST", "/auth/ksef-token", auth=NONE)
async def post_ksef_token(ctx: Ctx) -> Response:
    data = await ctx.json()
    ctype, cvalue, cnip = _context(data.get("contextIdentifier"))
    encrypted = _b64(data.get("encryptedToken"), "encryptedToken")
    keys = ctx.world.keys
    key = keys.by_usage(TOKEN_USAGE)
    if data.get("publicKeyId") is not None:
        chosen = keys.by_public_key_id(str(data["publicKeyId"]))
        if chosen is None or TOKEN_USAGE not in chosen.usage:
            raise ApiError(21470, f"Klucz o identyfikatorze {data['publicKeyId']} nie jest wspierany.")
        key = chosen
    challenge = _take_challenge(ctx, data.get("challenge"))
    code, details, token = 200, [], None
    try:
        plain = rsa_oaep_decrypt(key.private_key, encrypted).decode("utf-8")
        text, _, stamp = plain.rpartition("|")
    except Exception:
        code, details, text, stamp = 450, ["Nieprawidłowy token"], "", ""
    if code == 200:
        token = ctx.world.token_by_text(text)
        if token is not None:
            runtime_activation(token)
        if stamp != str(challenge.timestamp_ms):
            code, details = 450, ["Nieprawidłowy czas tokena"]
        elif token is None or token.context_nip != cnip or ctype not in ("Nip", "InternalId"):
            code, details = 450, ["Nieprawidłowy token"]
        elif token.status in ("Revoked", "Revoking"):
            code, details = 450, ["Token unieważniony"]
        elif token.status == "Pending":
            code, details = 450, ["Token nieaktywny"]
        elif token.status == "Failed":
            code, details = 450, ["Nieprawidłowy token"]
        elif not token.permissions:
            code, details = 415, ["Brak przypisanych uprawnień"]
    if code == 200 and token is not None:
        faults = ctx.faults
        state = ctx.sim.fault_state
        limit = faults.revoke_token_after_auths.get(cnip)
        if limit is not None and state.auths.get(cnip, 0) >= limit:
            # The client revoked the token in KSeF while the office was still using it.
            token.status = "Revoked"
            code, details = 450, ["Token unieważniony"]
        else:
            state.auths[cnip] = state.auths.get(cnip, 0) + 1
            token.last_used = ctx.now()
    op = _new_op(
        ctx,
        method="Token",
        method_info=dict(TOKEN_METHOD_INFO),
        context_type=ctype,
        context_value=cvalue,
        context_nip=cnip,
        subject=f"Token:{token.reference}" if token else "Token:?",
        subject_nip=token.author_nip if token else "",
        permissions=token.permissions if (token and code == 200) else frozenset(),
        status_code=code,
        status_details=details,
        token_ref=token.reference if token else None,
    )
    return _init_response(ctx, op)


def _xml_context(root: etree._Element, ns: str) -> tuple[str, str, str]:
    ident = root.find(f"{{{ns}}}ContextIdentifier")
    if ident is None or len(ident) != 1:
        raise ApiError(21401, "Brak elementu ContextIdentifier.")
    child = ident[0]
    kind = etree.QName(child).localname
    value = (child.text or "").strip()
    if kind not in CONTEXT_TYPES or not value:
        raise ApiError(21401, "Nieprawidłowy element ContextIdentifier.")
    return kind, value, value.split("-", 1)[0]


def _validate_auth_xsd(root: etree._Element, ns: str) -> None:
    copy = parse_untrusted(etree.tostring(root))
    for sig in copy.findall(f"{{{DS_NS}}}Signature"):
        copy.remove(sig)
    schema = auth_schema(ns)
    if not schema.validate(copy):
        raise ApiError(21401, *[e.message for e in list(schema.error_log)[:3]])


def _verify_signature(body: bytes, root: etree._Element, cert: x509.Certificate) -> None:
    signed_info = root.find(f"{{{DS_NS}}}Signature/{{{DS_NS}}}SignedInfo")
    refs = len(signed_info.findall(f"{{{DS_NS}}}Reference")) if signed_info is not None else 0
    try:
        XAdESVerifier().verify(
            body,
            parser=new_parser(),  # signxml's own default parser would follow external references
            x509_cert=cert,
            # Validity is judged against the simulator's clock below (460, not a signature error).
            expect_config=XAdESSignatureConfiguration(
                expect_references=max(refs, 1),
                verification_time=cert.not_valid_before_utc + timedelta(seconds=1),
            ),
        )
    except Exception as exc:
        raise ApiError(9105, str(exc)[:200]) from exc


@route("POST", "/auth/xades-signature", auth=NONE)
async def post_xades(ctx: Ctx) -> Response:
    body = await ctx.request.body()
    if body.startswith(b"\xef\xbb\xbf"):
        body = body[3:]
    try:
        root = parse_untrusted(body)
    except UnsafeXml as exc:
        if exc.code == "not-utf8":
            raise ApiError(21217) from exc
        raise ApiError(21001, exc.message) from exc
    except etree.XMLSyntaxError as exc:
        raise ApiError(21001, str(exc)) from exc
    qname = etree.QName(root)
    if qname.localname != "AuthTokenRequest" or qname.namespace not in AUTH_NS:
        raise ApiError(9101, "Oczekiwano dokumentu AuthTokenRequest.")
    ns = qname.namespace
    _validate_auth_xsd(root, ns)
    signatures = root.findall(f".//{{{DS_NS}}}Signature")
    if not signatures:
        raise ApiError(9102)
    if len(signatures) > 1:
        raise ApiError(9103)
    challenge_text = (root.findtext(f"{{{ns}}}Challenge") or "").strip()
    ctype, cvalue, cnip = _xml_context(root, ns)
    cert_el = signatures[0].find(f".//{{{DS_NS}}}X509Certificate")
    try:
        assert cert_el is not None and cert_el.text
        cert = x509.load_der_x509_certificate(base64.b64decode("".join(cert_el.text.split())))
    except Exception as exc:
        raise ApiError(21115) from exc
    _verify_signature(body, root, cert)
    _take_challenge(ctx, challenge_text)
    now = ctx.now()
    known = ctx.world.certificates.get(fingerprint(cert))
    # A qualified seal of the simulator's test authority (certificates.py): the owner in its own context.
    qualified = qualified_subject(ctx.world, cert, now) if known is None else None
    perms: frozenset[str]
    code, details, perms = 200, [], frozenset()
    if known is None and qualified is not None:
        perms = qualified_permissions(ctx.world, qualified, cnip)
        if ctx.world.taxpayer(cnip) is None or not perms:
            code, details, perms = 415, ["Brak przypisanych uprawnień"], frozenset()
    elif known is None:
        code, details = 460, ["Niezaufany łańcuch certyfikatów"]
    elif known.revoked:
        code, details = 460, ["Certyfikat odwołany"]
    elif not (known.valid_from <= now <= known.valid_to):
        code, details = 460, ["Nieważny certyfikat"]
    else:
        perms = frozenset(g.permission for g in ctx.world.grants_for(known.subject_nip, cnip))
        if ctx.world.taxpayer(cnip) is None or not perms:
            code, details = 415, ["Brak przypisanych uprawnień"]
    subject_nip = known.subject_nip if known else (qualified or "")
    op = _new_op(
        ctx,
        method="InternalCertificate" if known else "QualifiedSeal",
        method_info=dict(KSEF_CERT_METHOD_INFO)
        if known
        else {
            "category": "XadesSignature",
            "code": "xades.qualified-seal",
            "displayName": "Pieczęć kwalifikowana",
        },
        context_type=ctype,
        context_value=cvalue,
        context_nip=cnip,
        subject=f"Nip:{subject_nip}",
        subject_nip=subject_nip,
        permissions=perms if code == 200 else frozenset(),
        status_code=code,
        status_details=details,
        certificate_fingerprint=known.fingerprint if known else fingerprint(cert),
        document_hash=sha256_b64(body),
    )
    return _init_response(ctx, op)


def _op_for_path(ctx: Ctx) -> AuthOp:
    ref = ctx.request.path_params.get("referenceNumber")
    op = ctx.op
    if op is None or (ref is not None and ref != op.reference):
        raise ApiError(
            21304, f"Operacja uwierzytelniania o numerze referencyjnym {ref} nie została znaleziona."
        )
    if ctx.now() - op.started > OPERATION_RETENTION:
        raise Gone()
    return op


def effective_status(ctx: Ctx, op: AuthOp, *, poll: bool) -> int:
    """The status a client sees now: faults can hold it at 100 (in progress)."""
    faults = ctx.faults
    if poll:
        op.polls += 1
    if faults.auth_stuck or op.polls <= faults.auth_pending_polls:
        return 100
    if op.refresh_revoked and op.status_code == 200:
        return 425
    return op.status_code


def _status_json(op: AuthOp, code: int) -> dict:
    details = (
        op.status_details
        if code == op.status_code
        else (
            ["Uwierzytelnienie i powiązane refresh tokeny zostały unieważnione przez użytkownika"]
            if code == 425
            else []
        )
    )
    out: dict = {
        "startDate": iso(op.started),
        "authenticationMethod": op.method,
        "authenticationMethodInfo": op.method_info,
        "status": statuses.status(statuses.AUTH, code, details),
    }
    if code in (200, 425):
        out["isTokenRedeemed"] = op.redeemed
        if op.last_refresh:
            out["lastTokenRefreshDate"] = iso(op.last_refresh)
        if op.refresh_valid_until:
            out["refreshTokenValidUntil"] = iso(op.refresh_valid_until)
    return out


@route("GET", "/auth/{referenceNumber}", auth=OPERATION)
async def get_auth_status(ctx: Ctx) -> Response:
    op = _op_for_path(ctx)
    return json_response(_status_json(op, effective_status(ctx, op, poll=True)))


def _token_revoked(ctx: Ctx, op: AuthOp) -> bool:
    if op.token_ref is None:
        return False
    token = ctx.world.tokens.get(op.token_ref)
    return token is None or token.status in ("Revoked", "Revoking")


def _access_token(ctx: Ctx, op: AuthOp) -> dict:
    now = ctx.now()
    until = now + ACCESS_LIFETIME
    token = bearer.encode(
        ctx.sim.secret,
        {
            "token-type": bearer.ACCESS,
            "context-identifier-type": op.context_type,
            "context-identifier-value": op.context_value,
            "authentication-method": op.method,
            "operation-reference-number": op.reference,
            "subject-details": op.subject,
            "exp": int(until.timestamp()),
            "iat": int(now.timestamp()),
            "iss": "ksef-api-ti",
            "aud": "ksef-api-ti",
        },
    )
    return {"token": token, "validUntil": iso(until)}


@route("POST", "/auth/token/redeem", auth=OPERATION)
async def post_redeem(ctx: Ctx) -> Response:
    op = _op_for_path(ctx)
    code = effective_status(ctx, op, poll=False)
    if op.redeemed:
        raise ApiError(21301, f"Tokeny dla operacji uwierzytelniania {op.reference} zostały już pobrane.")
    if code != 200:
        raise ApiError(21301, f"Status uwierzytelniania ({code}) nie pozwala na pobranie tokenów.")
    if _token_revoked(ctx, op):
        raise ApiError(21301, "Token KSeF został unieważniony.")
    now = ctx.now()
    op.redeemed = True
    op.refresh_valid_until = now + REFRESH_LIFETIME
    refresh = bearer.encode(
        ctx.sim.secret,
        {
            "token-type": bearer.REFRESH,
            "operation-reference-number": op.reference,
            "context-identifier-value": op.context_value,
            "exp": int(op.refresh_valid_until.timestamp()),
            "iat": int(now.timestamp()),
            "iss": "ksef-api-ti",
            "aud": "ksef-api-ti",
        },
    )
    return json_response(
        {
            "accessToken": _access_token(ctx, op),
            "refreshToken": {"token": refresh, "validUntil": iso(op.refresh_valid_until)},
        }
    )


@route("POST", "/auth/token/refresh", auth=REFRESH)
async def post_refresh(ctx: Ctx) -> Response:
    op = ctx.op
    assert op is not None
    if op.refresh_revoked or op.status_code != 200:
        raise ApiError(
            21301,
            f"Status uwierzytelniania ({op.status_code}) nie pozwala na odświeżenie tokenu dostępowego.",
        )
    if _token_revoked(ctx, op):
        raise ApiError(21301, "Token KSeF został unieważniony.")
    op.last_refresh = ctx.now()
    return json_response({"accessToken": _access_token(ctx, op)})


@route("DELETE", "/auth/sessions/current", auth=REFRESH_OR_ACCESS)
async def delete_current_session(ctx: Ctx) -> Response:
    assert ctx.op is not None
    ctx.op.refresh_revoked = True
    return Response(status_code=204)


@route("DELETE", "/auth/sessions/{referenceNumber}")
async def delete_session(ctx: Ctx) -> Response:
    assert ctx.op is not None  # an ACCESS route: the bearer's operation
    ref = ctx.request.path_params["referenceNumber"]
    op = ctx.sim.auth_ops.get(ref)
    if (
        op is None
        or op.context_nip != ctx.context_nip
        or (op.subject != ctx.op.subject and not ctx.has_any("CredentialsManage"))
    ):
        raise ApiError(
            21304, f"Operacja uwierzytelniania o numerze referencyjnym {ref} nie została znaleziona."
        )
    op.refresh_revoked = True
    return Response(status_code=204)


@route("GET", "/auth/sessions")
async def get_auth_sessions(ctx: Ctx) -> Response:
    assert ctx.op is not None
    page_size = ctx.query_int("pageSize", 10, 10, 100)
    now = ctx.now()
    ops = [
        op
        for op in ctx.sim.auth_ops.values()
        if op.context_nip == ctx.context_nip
        and op.subject == ctx.op.subject
        and op.redeemed
        and not op.refresh_revoked
        and (op.refresh_valid_until is None or op.refresh_valid_until > now)
    ]
    ops.sort(key=lambda o: o.started, reverse=True)
    page, token = page_by_continuation(ctx, "auth-sessions", ops, page_size)
    items = []
    for op in page:
        item = _status_json(op, op.status_code)
        item["referenceNumber"] = op.reference
        item["isCurrent"] = op.reference == ctx.op.reference
        items.append(item)
    return json_response({"continuationToken": token, "items": items})

"""KSeF tokens: generate, list, read, revoke (API-NOTES §13)."""

from __future__ import annotations

from starlette.responses import Response

from ksef_tui.simulator.errors import ApiError, Forbidden, validation
from ksef_tui.simulator.model import SimToken
from ksef_tui.simulator.refs import iso, reference
from ksef_tui.simulator.routing import Ctx, json_response, page_by_continuation, route

TOKEN_PERMISSIONS = (
    "InvoiceRead",
    "InvoiceWrite",
    "CredentialsRead",
    "CredentialsManage",
    "SubunitManage",
    "EnforcementOperations",
    "Introspection",
)
STATUSES = ("Pending", "Active", "Revoking", "Revoked", "Failed")


def token_json(token: SimToken) -> dict:
    return {
        "referenceNumber": token.reference,
        "authorIdentifier": {"type": "Nip", "value": token.author_nip},
        "contextIdentifier": {"type": "Nip", "value": token.context_nip},
        "description": token.description,
        "requestedPermissions": sorted(token.permissions),
        "dateCreated": iso(token.created),
        "lastUseDate": iso(token.last_used) if token.last_used else None,
        "status": token.status,
        "statusDetails": list(token.status_details),
    }


def _visible(ctx: Ctx, token: SimToken, *, manage: bool = False) -> bool:
    """Who sees (or may revoke) which token, per the GET/DELETE /tokens descriptions."""
    op = ctx.op
    assert op is not None
    if token.context_nip != op.context_nip:
        return False
    if ctx.has_any("CredentialsManage") or (not manage and ctx.has_any("CredentialsRead")):
        return True
    if op.token_ref is not None:
        return token.reference == op.token_ref
    return token.author_nip == op.subject_nip


def runtime_activation(token: SimToken) -> None:
    # Runtime tokens (activation_reads >= 1 marks them) turn Active after they were seen once.
    if token.status == "Pending" and token.activation_reads > 0:
        if token.activation_reads >= 2:
            token.status = "Active"
        token.activation_reads += 1


@route("GET", "/tokens")
async def list_tokens(ctx: Ctx) -> Response:
    q = ctx.request.query_params
    page_size = ctx.query_int("pageSize", 10, 10, 100)
    wanted = q.getlist("status")
    if any(s not in STATUSES for s in wanted):
        raise validation("Nieprawidłowa wartość parametru status.")
    description = q.get("description")
    author = q.get("authorIdentifier")
    author_type = q.get("authorIdentifierType")
    for name, value in (("description", description), ("authorIdentifier", author)):
        if value is not None and len(value) < 3:
            raise validation(f"Parametr {name} musi mieć co najmniej 3 znaki.")
    if author_type is not None and author_type not in ("Nip", "Pesel", "Fingerprint"):
        raise validation("Nieprawidłowa wartość parametru authorIdentifierType.")
    tp = ctx.world.taxpayer(ctx.context_nip)
    tokens = list(tp.tokens) if tp else []
    for t in tokens:
        runtime_activation(t)
    out = [
        t
        for t in tokens
        if _visible(ctx, t)
        and (not wanted or t.status in wanted)
        and (description is None or description.lower() in t.description.lower())
        and (author is None or author.lower() in t.author_nip.lower())
        and (author_type is None or author_type == "Nip")
    ]
    out.sort(key=lambda t: t.created, reverse=True)
    page, token = page_by_continuation(ctx, f"tokens:{ctx.context_nip}", out, page_size)
    return json_response({"continuationToken": token, "tokens": [token_json(t) for t in page]})


def _find(ctx: Ctx, *, manage: bool = False) -> SimToken:
    ref = ctx.request.path_params["referenceNumber"]
    token = ctx.world.tokens.get(ref)
    if token is None or token.context_nip != ctx.context_nip:
        raise validation(f"Token o numerze referencyjnym {ref} nie został znaleziony.")
    if not _visible(ctx, token, manage=manage):
        raise Forbidden("insufficient-resource-access", "Brak dostępu do wskazanego zasobu.")
    return token


@route("GET", "/tokens/{referenceNumber}")
async def get_token(ctx: Ctx) -> Response:
    token = _find(ctx)
    runtime_activation(token)
    return json_response(token_json(token))


@route("DELETE", "/tokens/{referenceNumber}")
async def delete_token(ctx: Ctx) -> Response:
    token = _find(ctx, manage=True)
    if token.status in ("Pending", "Active", "Revoking"):
        token.status = "Revoked"
    return Response(status_code=204)


@route("POST", "/tokens")
async def post_token(ctx: Ctx) -> Response:
    op = ctx.op
    assert op is not None
    data = await ctx.json()
    perms = data.get("permissions")
    description = data.get("description")
    if not isinstance(perms, list) or not perms or any(p not in TOKEN_PERMISSIONS for p in perms):
        raise validation("Pole permissions jest wymagane i może zawierać tylko typy uprawnień tokena.")
    if not isinstance(description, str) or not 5 <= len(description) <= 256:
        raise validation("Pole description jest wymagane (5-256 znaków).")
    if op.context_type not in ("Nip", "InternalId"):
        raise ApiError(26002, f"Typ kontekstu {op.context_type}; dozwolone: Nip, InternalId.")
    if op.token_ref is not None:
        # A KSeF token can be generated only after a signature (XAdES) login (tokeny-ksef.md).
        raise Forbidden(
            "auth-method-not-allowed",
            "Ta operacja nie jest dostępna dla użytej metody uwierzytelnienia.",
            {"authenticationMethodCategory": "Token"},
        )
    missing = sorted(set(perms) - op.permissions)
    if missing:
        raise ApiError(26001, "Brakujące uprawnienia: " + ", ".join(missing))
    now = ctx.now()
    rng = ctx.world.runtime_rng
    ref = reference(rng, now, "EC")
    text = f"{ref}|nip-{op.context_nip}|{''.join(rng.choice('0123456789abcdef') for _ in range(64))}"
    token = SimToken(
        reference=ref,
        token=text,
        status="Pending",
        permissions=frozenset(perms),
        created=now,
        context_nip=op.context_nip,
        author_nip=op.subject_nip or op.context_nip,
        description=description,
        activation_reads=1,
    )
    tp = ctx.world.taxpayer(op.context_nip)
    if tp is not None:
        tp.tokens.append(token)
    ctx.world.tokens[ref] = token
    return json_response({"referenceNumber": ref, "token": text}, status=202)

"""Entity grants (issue 11 item 7): a client grants the office's NIP InvoiceRead / InvoiceWrite, revokes
them, and the office takes its census of what it received (OFFICE-2027.md D2).

- `POST /permissions/entities/grants` — in the granting client's context (CredentialsManage);
- `DELETE /permissions/common/grants/{permissionId}` — revocation, in the granting context;
- `GET /permissions/operations/{referenceNumber}` — the status of either (done at once here);
- `POST /permissions/query/entities/grants` — in the office's own context (CredentialsManage or
  CredentialsRead): one row per scope received, paged by pageOffset/pageSize (10-100), filtered by
  `contextIdentifier` (one granting client).
"""

from __future__ import annotations

import uuid

from starlette.responses import Response

from ksef_tui.simulator.errors import validation
from ksef_tui.simulator.model import Grant
from ksef_tui.simulator.refs import iso, reference
from ksef_tui.simulator.routing import Ctx, json_response, route
from ksef_tui.simulator.world import World

ENTITY_SCOPES = ("InvoiceRead", "InvoiceWrite")
_DONE = {"code": 200, "description": "Operacja zakończona sukcesem"}


def grant_entity(
    world: World, context_nip: str, subject_nip: str, scopes: dict[str, bool], description: str = ""
) -> list[Grant]:
    """What the endpoint does, for tests and the demo: `scopes` maps scope -> canDelegate. An existing
    grant of a scope is replaced (its delegation may change)."""
    made = []
    for scope, delegate in scopes.items():
        world.grants = [
            g
            for g in world.grants
            if not (g.context_nip == context_nip and g.subject_nip == subject_nip and g.permission == scope)
        ]
        grant = Grant(
            id=str(uuid.UUID(int=world.runtime_rng.getrandbits(128), version=4)),
            context_nip=context_nip,
            subject_nip=subject_nip,
            permission=scope,
            start=world.now,
            description=description or "Obsługa faktur przez biuro rachunkowe",
            can_delegate=delegate,
        )
        world.grants.append(grant)
        made.append(grant)
    return made


def revoke_entity(world: World, context_nip: str, subject_nip: str) -> int:
    """Revoke every entity grant `context_nip` gave `subject_nip`; how many were removed."""
    before = len(world.grants)
    world.grants = [
        g
        for g in world.grants
        if not (
            g.context_nip == context_nip and g.subject_nip == subject_nip and g.permission in ENTITY_SCOPES
        )
    ]
    return before - len(world.grants)


def _operation(ctx: Ctx) -> Response:
    ref = reference(ctx.world.runtime_rng, ctx.now(), "EG")
    ctx.world.permission_operations[ref] = 200
    return json_response({"referenceNumber": ref}, status=202)


@route("POST", "/permissions/entities/grants", permissions=("CredentialsManage",))
async def post_entity_grants(ctx: Ctx) -> Response:
    body = await ctx.json()
    subject = body.get("subjectIdentifier")
    if (
        not isinstance(subject, dict)
        or subject.get("type") != "Nip"
        or not str(subject.get("value", "")).isdigit()
    ):
        raise validation("Pole subjectIdentifier jest wymagane (type: Nip, value).")
    nip = str(subject["value"])
    if len(nip) != 10:
        raise validation("Identyfikator podmiotu musi mieć 10 cyfr.")
    perms = body.get("permissions")
    if not isinstance(perms, list) or not perms:
        raise validation("Pole permissions jest wymagane.")
    scopes: dict[str, bool] = {}
    for item in perms:
        if not isinstance(item, dict) or item.get("type") not in ENTITY_SCOPES:
            raise validation("Uprawnienie podmiotowe to InvoiceRead lub InvoiceWrite.")
        scopes[str(item["type"])] = item.get("canDelegate") is True
    details = body.get("subjectDetails")
    if not isinstance(details, dict) or not 5 <= len(str(details.get("fullName") or "")) <= 90:
        raise validation("Pole subjectDetails.fullName jest wymagane (5-90 znaków).")
    description = str(body.get("description") or "")
    if not 5 <= len(description) <= 256:
        raise validation("Pole description musi mieć od 5 do 256 znaków.")
    grant_entity(ctx.world, ctx.context_nip, nip, scopes, description)
    for grant in ctx.world.grants:
        if grant.context_nip == ctx.context_nip and grant.subject_nip == nip and grant.permission in scopes:
            grant.start = ctx.now()
    return _operation(ctx)


@route("DELETE", "/permissions/common/grants/{permissionId}", permissions=("CredentialsManage",))
async def delete_grant(ctx: Ctx) -> Response:
    permission_id = ctx.request.path_params["permissionId"]
    found = next(
        (g for g in ctx.world.grants if g.id == permission_id and g.context_nip == ctx.context_nip), None
    )
    if found is None:
        raise validation(f"Uprawnienie {permission_id} nie istnieje w bieżącym kontekście.")
    ctx.world.grants.remove(found)
    return _operation(ctx)


@route("GET", "/permissions/operations/{referenceNumber}")
async def get_operation(ctx: Ctx) -> Response:
    ref = ctx.request.path_params["referenceNumber"]
    if ref not in ctx.world.permission_operations:
        raise validation(f"Operacja {ref} nie istnieje.")
    return json_response({"status": dict(_DONE)})


@route("POST", "/permissions/query/entities/grants", permissions=("CredentialsManage", "CredentialsRead"))
async def query_entity_grants(ctx: Ctx) -> Response:
    offset = ctx.query_int("pageOffset", 0, 0)
    size = ctx.query_int("pageSize", 10, 10, 100)
    body = await ctx.json()
    office = ctx.context_nip
    rows = [
        g
        for g in ctx.world.grants
        if g.subject_nip == office and g.context_nip != office and g.permission in ENTITY_SCOPES
    ]
    context = body.get("contextIdentifier")
    if context is not None:
        if not isinstance(context, dict) or context.get("type") not in ("Nip", "InternalId"):
            raise validation("Nieprawidłowy contextIdentifier.")
        rows = [g for g in rows if g.context_nip == str(context.get("value", ""))]
    rows.sort(key=lambda g: (g.context_nip, g.permission, g.id))
    page = rows[offset * size : (offset + 1) * size]
    items = [
        {
            "id": g.id,
            "contextIdentifier": {"type": "Nip", "value": g.context_nip},
            "permissionScope": g.permission,
            "description": g.description or "Uprawnienie",
            "startDate": iso(g.start),
            "canDelegate": g.can_delegate,
        }
        for g in page
    ]
    return json_response({"permissions": items, "hasMore": (offset + 1) * size < len(rows)})

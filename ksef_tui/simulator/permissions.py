"""Own permissions (POST /permissions/query/personal/grants), rate limits and context limits."""

from __future__ import annotations

import uuid

from starlette.responses import Response

from ksef_tui.core.rate_limits import REPORTED_GROUPS
from ksef_tui.simulator.errors import validation
from ksef_tui.simulator.refs import iso
from ksef_tui.simulator.routing import Ctx, json_response, route

SCOPES = (
    "CredentialsManage",
    "CredentialsRead",
    "InvoiceWrite",
    "InvoiceRead",
    "Introspection",
    "SubunitManage",
    "EnforcementOperations",
    "VatUeManage",
)


def personal_grants(ctx: Ctx) -> list[dict]:
    """What the authenticated subject holds in the current context, one entry per permission."""
    op = ctx.op
    assert op is not None
    items = []
    if op.token_ref is not None:
        token = ctx.world.tokens.get(op.token_ref)
        start = token.created if token else op.started
        for perm in sorted(op.permissions):
            items.append(
                {
                    "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{op.token_ref}:{perm}")),
                    "contextIdentifier": {"type": "Nip", "value": op.context_nip},
                    "authorizedIdentifier": {"type": "Nip", "value": op.subject_nip or op.context_nip},
                    "permissionScope": perm,
                    "description": token.description if token else "Token KSeF",
                    "permissionState": "Active",
                    "startDate": iso(start),
                    "canDelegate": False,
                }
            )
    else:
        grants = list(ctx.world.grants_for(op.subject_nip, op.context_nip))
        if op.subject_nip == op.context_nip:
            # The owner also sees what other entities granted it to handle their invoices (spec).
            grants += [
                g
                for g in ctx.world.grants
                if g.subject_nip == op.subject_nip
                and g.context_nip != op.context_nip
                and g.permission in ("InvoiceRead", "InvoiceWrite")
            ]
        for grant in grants:
            if grant.permission not in SCOPES:
                continue
            items.append(
                {
                    "id": grant.id,
                    "contextIdentifier": {"type": "Nip", "value": grant.context_nip},
                    "authorizedIdentifier": {"type": "Nip", "value": grant.subject_nip},
                    "permissionScope": grant.permission,
                    "description": grant.description or "Uprawnienie",
                    "permissionState": "Active",
                    "startDate": iso(grant.start),
                    "canDelegate": grant.can_delegate,
                }
            )
    items.sort(key=lambda i: (i["startDate"], i["id"]), reverse=False)
    items.sort(key=lambda i: str(i["startDate"]), reverse=True)
    return items


@route("POST", "/permissions/query/personal/grants")
async def query_personal_grants(ctx: Ctx) -> Response:
    offset = ctx.query_int("pageOffset", 0, 0)
    size = ctx.query_int("pageSize", 10, 10, 100)
    body = await ctx.json()
    items = personal_grants(ctx)
    types = body.get("permissionTypes")
    if types is not None:
        if not isinstance(types, list) or any(t not in SCOPES for t in types):
            raise validation("Nieprawidłowa wartość permissionTypes.")
        items = [i for i in items if i["permissionScope"] in types]
    state = body.get("permissionState")
    if state is not None:
        if state not in ("Active", "Inactive"):
            raise validation("Nieprawidłowa wartość permissionState.")
        items = [i for i in items if i["permissionState"] == state]
    context = body.get("contextIdentifier")
    if context is not None:
        if not isinstance(context, dict) or context.get("type") not in ("Nip", "InternalId"):
            raise validation("Nieprawidłowy contextIdentifier.")
        items = [i for i in items if i["contextIdentifier"]["value"] == str(context.get("value", ""))]
    target = body.get("targetIdentifier")
    if target is not None:
        if not isinstance(target, dict) or target.get("type") not in ("Nip", "AllPartners", "InternalId"):
            raise validation("Nieprawidłowy targetIdentifier.")
        items = []  # no indirect permissions in the simulated world
    page = items[offset * size : (offset + 1) * size]
    return json_response({"permissions": page, "hasMore": (offset + 1) * size < len(items)})


QUERY_TYPES = ("PermissionsInCurrentContext", "PermissionsGrantedInCurrentContext")


@route("POST", "/permissions/query/persons/grants", permissions=("CredentialsManage", "CredentialsRead"))
async def query_persons_grants(ctx: Ctx) -> Response:
    """Who holds which permission in the current context (persons and entities alike: the simulated
    world records grants by NIP), paged by pageOffset/pageSize (10-100). The world does not record who
    granted what, so both query types list the same grants, authored by the context itself."""
    offset = ctx.query_int("pageOffset", 0, 0)
    size = ctx.query_int("pageSize", 10, 10, 100)
    body = await ctx.json()
    if body.get("queryType") not in QUERY_TYPES:
        raise validation("Pole queryType jest wymagane.")
    context = ctx.context_nip
    rows = [g for g in ctx.world.grants if g.context_nip == context and g.permission in SCOPES]
    types = body.get("permissionTypes")
    if types is not None:
        if not isinstance(types, list) or any(t not in SCOPES for t in types):
            raise validation("Nieprawidłowa wartość permissionTypes.")
        rows = [g for g in rows if g.permission in types]
    state = body.get("permissionState")
    if state is not None and state not in ("Active", "Inactive"):
        raise validation("Nieprawidłowa wartość permissionState.")
    if state == "Inactive":
        rows = []
    who = body.get("authorizedIdentifier")
    if who is not None:
        if not isinstance(who, dict) or not who.get("value"):
            raise validation("Nieprawidłowy authorizedIdentifier.")
        rows = [g for g in rows if g.subject_nip == str(who["value"])]
    rows.sort(key=lambda g: (g.start, g.id))
    rows.sort(key=lambda g: g.start, reverse=True)  # startDate desc, then id asc
    page = rows[offset * size : (offset + 1) * size]
    items = [
        {
            "id": g.id,
            "authorIdentifier": {"type": "Nip", "value": context},
            "authorizedIdentifier": {
                "type": "Pesel" if len(g.subject_nip) == 11 else "Nip",
                "value": g.subject_nip,
            },
            "permissionScope": g.permission,
            "description": g.description or "Uprawnienie",
            "permissionState": "Active",
            "startDate": iso(g.start),
            "canDelegate": g.can_delegate,
        }
        for g in page
    ]
    return json_response({"permissions": items, "hasMore": (offset + 1) * size < len(rows)})


@route("GET", "/rate-limits")
async def get_rate_limits(ctx: Ctx) -> Response:
    limiter = ctx.sim.limiter
    out = {}
    for group in REPORTED_GROUPS:
        s, m, h = limiter.limits(group)
        out[group] = {"perSecond": s or 0, "perMinute": m or 0, "perHour": h or 0}
    return json_response(out)


@route("GET", "/limits/context")
async def get_context_limits(ctx: Ctx) -> Response:
    limits = {"maxInvoiceSizeInMB": 1, "maxInvoiceWithAttachmentSizeInMB": 3, "maxInvoices": 10000}
    return json_response({"onlineSession": dict(limits), "batchSession": dict(limits)})

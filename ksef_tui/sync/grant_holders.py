"""Who else holds grants in a client's context (issue 15 item 3, the forum's GDPR worry): logged in in the
client's context with a credential the office holds, read

- `POST /permissions/query/persons/grants` (queryType PermissionsInCurrentContext): every person and
  entity that can work in the client's context, the office among them;
- `POST /permissions/query/entities/grants`: the invoice permissions the client's own entity received
  from other entities (whose invoices the client handles), for completeness.

Both need CredentialsManage or CredentialsRead in the client's context: the client's KSeF token usually
has CredentialsRead; the office certificate under an entity grant (InvoiceRead/InvoiceWrite) does not. The
credentials are tried in turn (tokens first) until one may read; when none may, the result says so.
Every page is read (100 a page). Audited ("grants.holders"). No textual here.
"""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ksef_tui.core.i18n import _
from ksef_tui.core.models import Client, Credential, CredentialKind
from ksef_tui.core.operators import Action
from ksef_tui.ksef.errors import AuthenticationError, Forbidden, KsefError, KsefHttpError
from ksef_tui.ksef.permissions import IN_CURRENT_CONTEXT
from ksef_tui.store import Store
from ksef_tui.sync.damage import login_damaged
from ksef_tui.sync.grants import KsefFactory, _office_identity, office_granted
from ksef_tui.sync.permissions import require
from ksef_tui.sync.sessions import USABLE

PAGE_SIZE = 100
PAGE_LIMIT = 1000


@dataclass(frozen=True)
class GrantHolder:
    source: str  # "persons": holds a permission in the client's context; "entities": the client received
    identifier_type: str  # Nip, Pesel, Fingerprint ...
    identifier: str
    scope: str  # InvoiceRead, CredentialsManage ...
    since: datetime | None
    can_delegate: bool
    description: str = ""
    is_office: bool = False  # the office's own NIP
    is_client: bool = False  # the client's own NIP (its owner's rights)

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "identifier_type": self.identifier_type,
            "identifier": self.identifier,
            "scope": self.scope,
            "since": self.since.isoformat() if self.since else None,
            "can_delegate": self.can_delegate,
            "description": self.description,
            "is_office": self.is_office,
            "is_client": self.is_client,
        }


@dataclass
class GrantHolders:
    client: Client
    holders: list[GrantHolder] = field(default_factory=list)
    received: list[GrantHolder] = field(default_factory=list)
    read: bool = False  # KSeF answered; False: `reason` says why not
    reason: str = ""
    via: str = ""  # the credential kind that could read

    @property
    def others(self) -> list[GrantHolder]:
        """Holders other than the office and the client itself."""
        return [h for h in self.holders if not h.is_office and not h.is_client]

    def to_json(self) -> dict[str, Any]:
        return {
            "client": self.client.short_code,
            "nip": self.client.nip,
            "read": self.read,
            "reason": self.reason,
            "via": self.via,
            "holders": [h.to_json() for h in self.holders],
            "received": [h.to_json() for h in self.received],
        }


def _candidates(store: Store, client: Client) -> list[Credential]:
    """The credentials to try, tokens first (they usually carry CredentialsRead), then certificates."""
    creds = [
        c
        for c in store.credentials.for_client(client.id or 0)
        if not login_damaged(client, c) and c.status in USABLE and c.secret
    ]
    if not client.login_damaged and office_granted(store, client.nip):
        office = store.office_certificate.get()
        if office is not None and not office.damaged and office.secret:
            creds.append(office)
    rank = {CredentialKind.KSEF_TOKEN: 0, CredentialKind.KSEF_CERTIFICATE: 1}
    return sorted(creds, key=lambda c: rank.get(c.kind, 2))


async def _all_persons(ctx: Any) -> list[Any]:
    out: list[Any] = []
    for offset in range(PAGE_LIMIT):
        page = await ctx.query_person_grants(
            IN_CURRENT_CONTEXT, {"permissionState": "Active"}, page_offset=offset, page_size=PAGE_SIZE
        )
        out += page.permissions
        if not page.has_more:
            break
    return out


async def _all_entities(ctx: Any) -> list[Any]:
    out: list[Any] = []
    for offset in range(PAGE_LIMIT):
        page = await ctx.query_entity_grants(None, page_offset=offset, page_size=PAGE_SIZE)
        out += page.permissions
        if not page.has_more:
            break
    return out


async def read_grant_holders(store: Store, factory: KsefFactory, client_id: int) -> GrantHolders:
    """Who holds grants in the client's context, as KSeF says now (see module doc)."""
    await asyncio.to_thread(require, store, Action.CHECK, client_id)  # a login to KSeF
    client: Client = await asyncio.to_thread(store.clients.get, client_id)
    office_nip, _name, _environment = await asyncio.to_thread(_office_identity, store)
    result = GrantHolders(client)
    creds = await asyncio.to_thread(_candidates, store, client)
    if not creds:
        result.reason = _("The office holds no usable credential for this client.")
        return result
    reasons: list[str] = []
    async with factory(client) as ksef:
        for cred in creds:
            ctx = ksef.for_context(client.nip)
            try:
                if cred.kind is CredentialKind.KSEF_TOKEN:
                    await ctx.authenticate_with_token(client.nip, cred.secret)
                else:
                    assert cred.certificate_pem is not None
                    await ctx.authenticate_with_certificate(client.nip, cred.certificate_pem, cred.secret)
                persons = await _all_persons(ctx)
                entities = await _all_entities(ctx)
            except (Forbidden, AuthenticationError) as err:
                reasons.append(f"{cred.kind.value}: {str(err)[:160]}")
                continue
            except (KsefHttpError, KsefError) as err:
                result.reason = str(err)[:300]
                await asyncio.to_thread(
                    store.audit.append, client.id, "grants.holders", "failed", type(err).__name__
                )
                return result
            finally:
                with contextlib.suppress(Exception):
                    await ctx.logout()
            result.read, result.via = True, cred.kind.value
            result.holders = [_person(p, office_nip, client.nips) for p in persons]
            result.received = [_entity(e, office_nip) for e in entities]
            break
    if not result.read:
        result.reason = _(
            "No credential the office holds may read this client's permissions (CredentialsRead or"
            " CredentialsManage is needed in the client's context)."
        )
        if reasons:
            result.reason += " " + "; ".join(reasons)
    await asyncio.to_thread(
        store.audit.append,
        client.id,
        "grants.holders",
        "ok" if result.read else "failed",
        f"{len(result.holders)} holders, {len(result.received)} received" if result.read else "no access",
    )
    return result


def _person(item: Any, office_nip: str, own: list[str]) -> GrantHolder:
    who = item.authorized_identifier
    value = (who.value if who else "") or ""
    return GrantHolder(
        "persons",
        (who.type if who else "") or "",
        value,
        item.permission_scope or "",
        item.start_date,
        bool(item.can_delegate),
        item.description or "",
        bool(office_nip) and value == office_nip,
        value in own,
    )


def _entity(item: Any, office_nip: str) -> GrantHolder:
    ctx = item.context_identifier
    value = (ctx.value if ctx else "") or ""
    return GrantHolder(
        "entities",
        (ctx.type if ctx else "") or "Nip",
        value,
        item.permission_scope or "",
        item.start_date,
        bool(item.can_delegate),
        item.description or "",
        bool(office_nip) and value == office_nip,
    )


def describe_holders(result: GrantHolders) -> list[str]:
    """The result in words, one line each (the screen's dialog and the CLI's table)."""
    if not result.read:
        return [_("Could not read the permissions: {reason}").format(reason=result.reason)]
    lines = [
        _("Who holds permissions in the context of {name} (NIP {nip}):").format(
            name=result.client.name, nip=result.client.nip
        )
    ]
    if not result.holders:
        lines.append("  " + _("nobody"))
    for h in result.holders:
        since = h.since.date().isoformat() if h.since else "—"
        mark = _(" (our office)") if h.is_office else _(" (the client itself)") if h.is_client else ""
        delegate = _(", may delegate") if h.can_delegate else ""
        lines.append(
            "  "
            + _("{kind} {id}{mark}: {scope}{delegate}, since {since}").format(
                kind=h.identifier_type,
                id=h.identifier,
                mark=mark,
                scope=h.scope,
                delegate=delegate,
                since=since,
            )
        )
    if result.received:
        lines.append(_("This client itself handles invoices of:"))
        for h in result.received:
            since = h.since.date().isoformat() if h.since else "—"
            lines.append(
                "  "
                + _("{kind} {id}{mark}: {scope}{delegate}, since {since}").format(
                    kind=h.identifier_type, id=h.identifier, mark="", scope=h.scope, delegate="", since=since
                )
            )
    others = len(result.others)
    lines.append(
        _("Others than our office: {n}.").format(n=others)
        if others
        else _("Nobody but the client and our office holds permissions here.")
    )
    return lines

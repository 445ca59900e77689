"""The demo office in 2027 terms (issue 11 item 8): its profile (NIP, name), its own KSeF certificate,
a grant census as KSeF's world holds it, and the grant requests the office has made. With the roster's
office grants (core/demo_roster.py) every readiness state appears."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from ksef_tui.core.demo_roster import RosterEntry
from ksef_tui.core.models import Credential, CredentialKind, Environment
from ksef_tui.core.readiness import Census, OfficeGrant
from ksef_tui.store.repositories.office import OFFICE_CLIENT_ID
from ksef_tui.sync.office import OfficeProfile, write_profile

ENTITY_SCOPES = ("InvoiceRead", "InvoiceWrite")


def world_census(world: Any, taken_at: datetime) -> Census:
    """The census the office would take of `world` now: every entity grant to the office's NIP."""
    rows: dict[str, dict[str, Any]] = {}
    for g in world.grants:
        if g.subject_nip != world.office_nip or g.context_nip == world.office_nip:
            continue
        if g.permission not in ENTITY_SCOPES:
            continue
        row = rows.setdefault(
            g.context_nip, {"read": False, "write": False, "d": False, "since": g.start, "ids": []}
        )
        row["read" if g.permission == "InvoiceRead" else "write"] = True
        row["d"] = row["d"] or g.can_delegate
        row["since"] = min(row["since"], g.start)
        row["ids"].append(g.id)
    return Census(
        taken_at,
        {
            n: OfficeGrant(n, r["read"], r["write"], r["d"], r["since"], tuple(r["ids"]))
            for n, r in rows.items()
        },
    )


def seed_office(store: Any, roster: list[RosterEntry], world: Any, now: datetime) -> None:
    write_profile(
        store, OfficeProfile(nip=world.office_nip, name=world.office_name, environment=Environment.DEMO)
    )
    sim = world.office_certificate
    if sim is not None:
        store.office_certificate.put(
            Credential(
                OFFICE_CLIENT_ID,
                CredentialKind.OFFICE_CERTIFICATE,
                secret=sim.private_key_pem,
                certificate_pem=sim.certificate_pem,
                serial=sim.serial,
                valid_from=sim.valid_from,
                valid_until=sim.valid_to,
                label="Certyfikat KSeF biura",
            ),
            sim.serial,
        )
    store.grant_censuses.record(world_census(world, now - timedelta(hours=2)))
    by_code = {c.short_code: c for c in store.clients.list()}
    for entry in roster:
        client = by_code.get(entry.short_code)
        if client is not None and entry.grant_requested_days is not None:
            day = (now - timedelta(days=entry.grant_requested_days)).date()
            store.client_office.set_grant_requested(client.id, day)

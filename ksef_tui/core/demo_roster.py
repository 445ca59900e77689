"""The demo's cast: plausible Polish companies with valid NIPs, one for every credential-health state.

Pure data, derived from a seed and a clock. Two consumers read it:
- the simulator builds its KSeF world from it (the truth in KSeF: tokens, certificates, grants);
- the demo store is seeded from it (what the office knows: credentials and the last live check).
They disagree on purpose for some profiles (e.g. "revoked": the office still holds the token; the
last live check found it revoked), so that a live check in the demo changes colours for real reasons.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ksef_tui.core.ksef_number import checksum
from ksef_tui.core.models import (
    CheckOutcome,
    CredentialKind,
    CredentialStatus,
    Permission,
    suggest_short_code,
)
from ksef_tui.core.nip import random_nip

ALL_PERMS = frozenset(
    {Permission.INVOICE_READ, Permission.INVOICE_WRITE, Permission.INTROSPECTION, Permission.CREDENTIALS_READ}
)
NO_INTROSPECTION = ALL_PERMS - {Permission.INTROSPECTION}
NO_WRITE = ALL_PERMS - {Permission.INVOICE_WRITE}
NO_READ = ALL_PERMS - {Permission.INVOICE_READ}


@dataclass(frozen=True)
class CredentialSpec:
    kind: CredentialKind
    # The truth in KSeF.
    ksef_status: CredentialStatus = CredentialStatus.ACTIVE
    permissions: frozenset[str] = ALL_PERMS
    valid_from: datetime | None = None
    valid_until: datetime | None = None  # None for tokens: they live until the sunset
    created: datetime | None = None
    # What the office's store believes and last saw.
    stored_status: CredentialStatus = CredentialStatus.ACTIVE
    last_check_at: datetime | None = None  # None: never checked
    last_check_outcome: CheckOutcome = CheckOutcome.OK
    last_check_code: int | None = None
    last_check_message: str = ""
    # For KSEF_TOKEN: the full token text (reference|nip-…|secret), deterministic from the seed.
    token: str = ""
    token_reference: str = ""


@dataclass(frozen=True)
class RosterEntry:
    name: str
    nips: tuple[str, ...]
    short_code: str
    profile: str  # which health state this client demonstrates (a stable id, used in tests)
    credentials: tuple[CredentialSpec, ...] = ()
    notes: str = ""
    sync_failed: bool = False
    extra: dict[str, str] = field(default_factory=dict)
    # Issue 11: what the client granted the office's NIP in KSeF (entity grant scopes), and how many
    # days ago the office asked for the grant (None: never asked).
    office_grant: tuple[str, ...] = ()
    grant_requested_days: int | None = None

    @property
    def nip(self) -> str:
        return self.nips[0]


_FIRST = [
    "Piekarnia",
    "Hurtownia",
    "Usługi Budowlane",
    "Transport",
    "Apteka",
    "Kancelaria",
    "Studio",
    "Zakład Stolarski",
    "Warsztat",
    "Drukarnia",
    "Ogrodnictwo",
    "Gabinet",
    "Biuro Projektowe",
    "Sklep",
    "Serwis",
    "Agencja",
    "Pracownia",
    "Przedsiębiorstwo Handlowe",
    "Mleczarnia",
    "Tartak",
]
_SECOND = [
    "Kowalski",
    "Nowak",
    "Wiśniewski",
    "Zielińska",
    "Mazur",
    "Wójcik",
    "Kamińska",
    "Lewandowski",
    "Dąbrowski",
    "Szymańska",
    "Jabłoński",
    "Król",
    "Pawłowski",
    "Grabowska",
    "Zając",
    "Michalak",
    "Wróbel",
    "Sikora",
    "Baran",
    "Łuczak",
    "Górski",
    "Żak",
    "Kaczmarek",
    "Ostrowska",
    "Sowa",
]
_CITY = ["Kraków", "Poznań", "Gdańsk", "Łódź", "Lublin", "Rzeszów", "Toruń", "Opole", "Kielce", "Płock"]
_FORM = ["Sp. z o.o.", "s.c.", "S.A.", "Sp. j.", "Sp. k.", ""]


def _token(rng: random.Random, nip: str, created: datetime) -> tuple[str, str]:
    hex10a = "".join(rng.choice("0123456789ABCDEF") for _ in range(10))
    hex10b = "".join(rng.choice("0123456789ABCDEF") for _ in range(10))
    head = f"{created:%Y%m%d}-EC-{hex10a}-{hex10b}"
    reference = f"{head}-{checksum(head)}"
    secret = "".join(rng.choice("0123456789abcdef") for _ in range(64))
    return f"{reference}|nip-{nip}|{secret}", reference


def make_roster(now: datetime, seed: int = 2026, extra_healthy: int = 24) -> list[RosterEntry]:
    """At least 40 clients covering every health state; `extra_healthy` adds plain green ones."""
    rng = random.Random(seed)
    used_nips: set[str] = set()
    used_codes: set[str] = set()
    day = timedelta(days=1)
    entries: list[RosterEntry] = []

    def company() -> str:
        while True:
            form = rng.choice(_FORM)
            name = f"{rng.choice(_FIRST)} {rng.choice(_SECOND)} {form}".strip()
            if rng.random() < 0.3:
                name = f"{name} ({rng.choice(_CITY)})"
            if name not in {e.name for e in entries}:
                return name

    def token(nip: str, **kw: Any) -> CredentialSpec:
        created = kw.pop("created", now - rng.randint(30, 300) * day)
        text, ref = _token(rng, nip, created)
        checked = kw.pop(
            "last_check_at", now - rng.randint(0, 3) * day - rng.randint(1, 600) * timedelta(minutes=1)
        )
        return CredentialSpec(
            CredentialKind.KSEF_TOKEN,
            created=created,
            token=text,
            token_reference=ref,
            last_check_at=checked,
            **kw,
        )

    def cert(
        days_left: float, kind: CredentialKind = CredentialKind.KSEF_CERTIFICATE, **kw: Any
    ) -> CredentialSpec:
        until = now + timedelta(days=days_left)
        checked = kw.pop(
            "last_check_at", now - rng.randint(0, 3) * day - rng.randint(1, 600) * timedelta(minutes=1)
        )
        return CredentialSpec(
            kind,
            valid_from=min(until - 730 * day, now - 30 * day),
            valid_until=until,
            created=now - 40 * day,
            last_check_at=checked,
            **kw,
        )

    def add(
        profile: str,
        make: Callable[[str], Iterable[CredentialSpec]],
        nips: int = 1,
        notes: str = "",
        sync_failed: bool = False,
    ) -> None:
        name = company()
        ids = tuple(random_nip(rng, used_nips) for _ in range(nips))
        code = suggest_short_code(name, ids[0])
        while code in used_codes:
            code = code[:-3] + f"{rng.randint(0, 999):03d}"
        used_codes.add(code)
        entries.append(RosterEntry(name, ids, code, profile, tuple(make(ids[0])), notes, sync_failed))

    # Red states.
    add("expired", lambda n: [cert(-4)])
    add(
        "revoked",
        lambda n: [
            token(
                n,
                ksef_status=CredentialStatus.REVOKED,
                last_check_outcome=CheckOutcome.REVOKED,
                last_check_code=450,
                last_check_message="Token unieważniony",
            )
        ],
    )
    add("expiring_3", lambda n: [cert(3)])
    add(
        "auth_failed",
        lambda n: [
            token(
                n,
                ksef_status=CredentialStatus.FAILED,
                last_check_outcome=CheckOutcome.AUTH_FAILED,
                last_check_code=450,
                last_check_message="Nieprawidłowy token",
            )
        ],
    )
    add("no_invoice_read", lambda n: [token(n, permissions=NO_READ)])
    add("no_credential", lambda n: [])
    add("no_credential", lambda n: [], notes="Nowy klient od grudnia: czeka na certyfikat KSeF.")
    # Yellow states.
    add("expiring_10", lambda n: [cert(10)])
    add("expiring_25", lambda n: [cert(25, kind=CredentialKind.OFFICE_CERTIFICATE)])
    add("token_sunset", lambda n: [token(n)])
    add("token_sunset", lambda n: [token(n)], notes="Klient zwleka z certyfikatem.")
    add("missing_introspection", lambda n: [token(n, permissions=NO_INTROSPECTION), cert(400)])
    add("missing_write", lambda n: [cert(500, permissions=NO_WRITE)])
    add("never_checked", lambda n: [cert(300, last_check_at=None)])
    add("check_stale", lambda n: [cert(450, last_check_at=now - 12 * day)])
    add("sync_failed", lambda n: [cert(520)], sync_failed=True)
    add(
        "pending_token",
        lambda n: [token(n, ksef_status=CredentialStatus.PENDING, stored_status=CredentialStatus.PENDING)],
    )
    # Green states.
    add("cert_600", lambda n: [cert(600)])
    add("token_and_cert", lambda n: [token(n), cert(650)])
    add("office_cert", lambda n: [cert(700, kind=CredentialKind.OFFICE_CERTIFICATE)])
    add(
        "group", lambda n: [cert(380)], nips=3, notes="Grupa kapitałowa: trzy spółki, jeden certyfikat biura."
    )
    for _ in range(extra_healthy):
        add(
            "healthy",
            lambda n: (
                [cert(rng.randint(120, 720))]
                if rng.random() < 0.7
                else [token(n), cert(rng.randint(200, 700))]
            ),
        )
    return _with_office_grants(entries)


# Issue 11: clients in every readiness state for 2027 (core/readiness.py). By profile and occurrence:
# own certificates ending before 2027 with an office grant read+write / read only, a grant requested;
# the office-certificate profiles already hold every permission; token-only clients have no grant.
_OFFICE_GRANTS: dict[tuple[str, int], dict[str, Any]] = {
    ("expiring_10", 0): {"office_grant": (Permission.INVOICE_READ.value, Permission.INVOICE_WRITE.value)},
    ("expiring_3", 0): {"office_grant": (Permission.INVOICE_READ.value,)},
    ("token_sunset", 1): {"grant_requested_days": 12},
}


def _with_office_grants(entries: list[RosterEntry]) -> list[RosterEntry]:
    seen: dict[str, int] = {}
    out = []
    for entry in entries:
        n = seen.get(entry.profile, 0)
        seen[entry.profile] = n + 1
        change = _OFFICE_GRANTS.get((entry.profile, n))
        out.append(dataclasses.replace(entry, **change) if change else entry)
    return out

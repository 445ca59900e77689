"""Readiness for 1 January 2027 (issue 11 item 5): which credential will work for each client once KSeF
tokens are gone, and what will not.

Pure: the credentials, the office certificate, the grant census, the probe and the clock's `now` are
all passed in. The rules (docs/DECISIONS.md "Readiness for 2027"):

- the client's own KSeF certificate valid past the cut-off -> ready, via its own certificate;
- else the office certificate valid past the cut-off and a verified grant (the latest census, not
  contradicted by a later probe) of InvoiceRead + InvoiceWrite -> ready, via the office certificate;
- InvoiceRead only -> partly (purchase invoices yes; UPO, other parties' sessions and sending no);
  InvoiceWrite only -> partly (sending yes; purchase invoices no);
- no grant, only a token, no office certificate, or nothing at all -> not ready.

"Grant requested on <date>" (recorded when the office asks the client) is named in the reason.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum

from ksef_tui.core.clock import WARSAW
from ksef_tui.core.humanize_pl import until_words
from ksef_tui.core.i18n import N_, _, ngettext
from ksef_tui.core.models import Client, Credential, CredentialKind, CredentialStatus, Permission
from ksef_tui.core.nip import format_nip

# The first day without KSeF tokens (the token sunset is the end of 2026-12-31, Polish time).
READINESS_DATE = date(2027, 1, 1)
OFFICE_PERMISSIONS = (Permission.INVOICE_READ.value, Permission.INVOICE_WRITE.value)
# Probe statuses that say something about the grant or the certificate (500/550: KSeF's own trouble).
DECISIVE_PROBES = frozenset({415, 425, 460, 480})
_UNUSABLE = {
    CredentialStatus.REVOKED,
    CredentialStatus.REVOKING,
    CredentialStatus.FAILED,
    CredentialStatus.EXPIRED,
}


class Ready(StrEnum):
    YES = "yes"
    PARTLY = "partly"
    NO = "no"


class Via(StrEnum):
    OWN_CERTIFICATE = "own_certificate"
    OFFICE_CERTIFICATE = "office_certificate"


@dataclass(frozen=True)
class OfficeGrant:
    """What one client granted the office's NIP, as the census found it (one row per client NIP)."""

    nip: str
    read: bool = False
    write: bool = False
    can_delegate: bool = False
    since: datetime | None = None  # the earliest startDate of the grant's scopes
    ids: tuple[str, ...] = ()  # KSeF permission ids (to revoke or compare)

    @property
    def level(self) -> str:
        """ "none", "read", "write" or "read_write" (stable words for the store, JSON and tests)."""
        if self.read and self.write:
            return "read_write"
        if self.read:
            return "read"
        if self.write:
            return "write"
        return "none"

    def to_json(self) -> dict[str, object]:
        return {
            "nip": self.nip,
            "read": self.read,
            "write": self.write,
            "can_delegate": self.can_delegate,
            "since": self.since.isoformat() if self.since else None,
            "ids": list(self.ids),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> OfficeGrant:
        since = data.get("since")
        ids = data.get("ids")
        return cls(
            nip=str(data.get("nip", "")),
            read=data.get("read") is True,
            write=data.get("write") is True,
            can_delegate=data.get("can_delegate") is True,
            since=datetime.fromisoformat(since) if isinstance(since, str) and since else None,
            ids=tuple(str(i) for i in ids) if isinstance(ids, list) else (),
        )


@dataclass(frozen=True)
class Census:
    """One grant census: what every granting NIP gave the office, at `taken_at`."""

    taken_at: datetime
    grants: Mapping[str, OfficeGrant] = field(default_factory=dict)  # NIP -> grant (no-grant NIPs absent)

    def grant_for(self, nip: str) -> OfficeGrant:
        return self.grants.get(nip) or OfficeGrant(nip)


@dataclass(frozen=True)
class GrantChange:
    nip: str
    before: str  # OfficeGrant.level
    after: str


def census_changes(previous: Census | None, current: Census) -> list[GrantChange]:
    """Every NIP whose grant level or delegation changed between two censuses (new and removed ones
    included), sorted by NIP. No previous census: every grant found is new."""
    before = previous.grants if previous is not None else {}
    out = []
    for nip in sorted(set(before) | set(current.grants)):
        old = before.get(nip) or OfficeGrant(nip)
        new = current.grants.get(nip) or OfficeGrant(nip)
        if old.level != new.level or old.can_delegate != new.can_delegate:
            out.append(GrantChange(nip, old.level, new.level))
    return out


def not_clients(census: Census, client_nips: Iterable[str]) -> list[str]:
    """NIPs that granted the office something but are not (yet) clients: offered for adding."""
    known = set(client_nips)
    return sorted(n for n, g in census.grants.items() if n not in known and (g.read or g.write))


@dataclass(frozen=True)
class Probe:
    """The office certificate's login in one client's context: `status` is KSeF's authentication
    status (200 works, 415 no grant, 460/480/425/500/550 ...), None when KSeF could not be reached."""

    at: datetime
    status: int | None
    message: str = ""


@dataclass(frozen=True)
class Readiness:
    client: Client
    ready: Ready
    via: Via | None
    missing: tuple[str, ...]
    reason: str

    def to_json(self) -> dict[str, object]:
        return {
            "short_code": self.client.short_code,
            "nip": self.client.nip,
            "name": self.client.name,
            "ready": self.ready.value,
            "via": self.via.value if self.via else None,
            "missing": list(self.missing),
            "reason": self.reason,
        }


def cutoff_moment(cutoff: date = READINESS_DATE) -> datetime:
    """Midnight at the start of `cutoff`, Polish time."""
    return datetime.combine(cutoff, time(0, 0), tzinfo=WARSAW)


def works_on(cred: Credential, moment: datetime) -> bool:
    """A certificate that will still be valid at `moment` (not revoked, not damaged)."""
    if cred.damaged or cred.status in _UNUSABLE or cred.kind is CredentialKind.KSEF_TOKEN:
        return False
    return cred.valid_until is not None and cred.valid_until > moment


def _requested_words(requested: date | None) -> str:
    if requested is None:
        return ""
    return " " + _("Grant requested on {date}.").format(date=requested.isoformat())


def client_readiness(
    client: Client,
    credentials: Sequence[Credential],
    office_certificate: Credential | None,
    census: Census | None,
    now: datetime,
    *,
    probe: Probe | None = None,
    grant_requested: date | None = None,
    cutoff: date = READINESS_DATE,
) -> Readiness:
    """Will this client work from `cutoff` on, and through which credential?"""
    moment = max(now, cutoff_moment(cutoff))
    own = [c for c in credentials if c.kind is CredentialKind.KSEF_CERTIFICATE and works_on(c, moment)]
    if own:
        best = max(own, key=lambda c: c.valid_until or moment)
        until = best.valid_until.astimezone(WARSAW).date().isoformat() if best.valid_until else "?"
        return Readiness(
            client,
            Ready.YES,
            Via.OWN_CERTIFICATE,
            (),
            _("Own KSeF certificate valid until {date}.").format(date=until),
        )
    # The office's certificate: the office-level one, or a per-client copy left by the merge.
    office = [c for c in [office_certificate, *credentials] if c is not None]
    office = [c for c in office if c.kind is CredentialKind.OFFICE_CERTIFICATE and works_on(c, moment)]
    requested = _requested_words(grant_requested)
    has_token = any(c.kind is CredentialKind.KSEF_TOKEN for c in credentials)
    all_perms = tuple(OFFICE_PERMISSIONS)
    if not office:
        if has_token:
            reason = _("Only a KSeF token: tokens stop working after 2026-12-31.")
        elif credentials:
            reason = _("No certificate valid on {date}.").format(date=cutoff.isoformat())
        else:
            reason = _("No KSeF credential.")
        if office_certificate is None:
            reason += " " + _("The office has no KSeF certificate valid on {date}.").format(
                date=cutoff.isoformat()
            )
        return Readiness(client, Ready.NO, None, all_perms, reason + requested)
    if census is None:
        return Readiness(
            client,
            Ready.NO,
            None,
            all_perms,
            _("No grant census yet: run the census to see what the client granted the office.") + requested,
        )
    grant = census.grant_for(client.nip)
    if probe is not None and probe.at >= census.taken_at and probe.status in DECISIVE_PROBES:
        # A later login in the client's context says more than the census.
        if probe.status == 415:
            grant = OfficeGrant(client.nip)
        else:
            return Readiness(client, Ready.NO, None, all_perms, probe_words(probe.status) + requested)
    missing = tuple(
        p for p, held in zip(OFFICE_PERMISSIONS, (grant.read, grant.write), strict=True) if not held
    )
    if not missing:
        since = f" ({grant.since.astimezone(WARSAW).date().isoformat()})" if grant.since else ""
        return Readiness(
            client,
            Ready.YES,
            Via.OFFICE_CERTIFICATE,
            (),
            _("Office certificate with the client's grant: InvoiceRead and InvoiceWrite{since}.").format(
                since=since
            ),
        )
    if grant.read:
        return Readiness(
            client,
            Ready.PARTLY,
            Via.OFFICE_CERTIFICATE,
            missing,
            _("InvoiceRead only: purchase invoices yes; UPO, sessions and sending no.") + requested,
        )
    if grant.write:
        return Readiness(
            client,
            Ready.PARTLY,
            Via.OFFICE_CERTIFICATE,
            missing,
            _("InvoiceWrite only: sending yes; purchase invoices no.") + requested,
        )
    token = _("Only a KSeF token: tokens stop working after 2026-12-31.") + " " if has_token else ""
    return Readiness(
        client,
        Ready.NO,
        None,
        missing,
        token + _("The client has not granted the office any permission.") + requested,
    )


def readiness_counts(rows: Iterable[Readiness]) -> dict[Ready, int]:
    counts = {r: 0 for r in Ready}
    for row in rows:
        counts[row.ready] += 1
    return counts


def readiness_exit_code(rows: Sequence[Readiness]) -> int:
    """0 all ready, 1 some partly ready (none not ready), 2 some not ready."""
    levels = {r.ready for r in rows}
    if Ready.NO in levels:
        return 2
    if Ready.PARTLY in levels:
        return 1
    return 0


# --- the probe's words --------------------------------------------------------------------------------

_PROBE_WORDS = {
    200: N_("The office certificate works in this client's context."),
    415: N_("No grant: the client has not given the office's NIP any permission (ask for it)."),
    425: N_("The authentication was revoked: log in again; if it repeats, check the office certificate."),
    460: N_("KSeF refused the office certificate (invalid, expired or revoked): renew or enrol it again."),
    480: N_("KSeF blocked the authentication after a security incident: contact the KSeF helpdesk."),
    500: N_("KSeF failed with an unknown error: try again later."),
    550: N_("KSeF cancelled the authentication: try again in a moment."),
}


def probe_words(status: int | None) -> str:
    """What a probe's status means and what to do, in the user's language."""
    if status is None:
        return _("KSeF could not be reached: nothing is known, try again later.")
    text = _PROBE_WORDS.get(status)
    if text is None:
        return _("KSeF refused the login with status {code}.").format(code=status)
    return _(text)


# --- the office certificate's dependants ---------------------------------------------------------------


@dataclass(frozen=True)
class OfficeCertificateSummary:
    expires: datetime | None
    dependants: int  # clients without an own working certificate
    text: str


def depends_on_office(credentials: Sequence[Credential], now: datetime) -> bool:
    """A client without an own KSeF certificate that works now depends on the office certificate."""
    return not any(c.kind is CredentialKind.KSEF_CERTIFICATE and works_on(c, now) for c in credentials)


def office_certificate_summary(
    office_certificate: Credential | None,
    credentials_by_client: Mapping[int, Sequence[Credential]],
    client_ids: Iterable[int],
    now: datetime,
) -> OfficeCertificateSummary:
    """ "office certificate expires in 25 days — 120 clients depend on it" (or that there is none)."""
    dependants = sum(1 for cid in client_ids if depends_on_office(credentials_by_client.get(cid, ()), now))
    clients = ngettext("{n} client depends on it", "{n} clients depend on it", dependants).format(
        n=dependants
    )
    if office_certificate is None:
        text = _("No office certificate — {clients}.").format(clients=clients)
        return OfficeCertificateSummary(None, dependants, text)
    until = office_certificate.valid_until
    if until is None:
        text = _("Office certificate without an expiry date — {clients}.").format(clients=clients)
    elif until <= now:
        text = _("Office certificate expired {when} — {clients}.").format(
            when=until_words(until, now), clients=clients
        )
    else:
        text = _("Office certificate expires {when} — {clients}.").format(
            when=until_words(until, now), clients=clients
        )
    return OfficeCertificateSummary(until, dependants, text)


# --- asking the client for the grant --------------------------------------------------------------------


def grant_request_text(office_nip: str, office_name: str, client: Client) -> str:
    """A step-by-step request to the client, in the user's language, with the office's NIP filled in:
    what to click in Aplikacja Podatnika KSeF, which boxes to tick and why each."""
    nip = format_nip(office_nip) if len(office_nip) == 10 else office_nip
    office = office_name or _("our accounting office")
    lines = [
        _("Dear {client},").format(client=client.name),
        "",
        _(
            "From 1 January 2027 KSeF tokens stop working. To keep handling your invoices in KSeF,"
            " {office} needs your permission in KSeF, given to our NIP {nip}. It takes a few minutes:"
        ).format(office=office, nip=nip),
        "",
        _(
            "1. Open Aplikacja Podatnika KSeF (https://ap.ksef.mf.gov.pl) and log in to the context of"
            " your company (NIP {client_nip}) with a trusted profile, a qualified signature or a seal."
        ).format(client_nip=format_nip(client.nip)),
        _('2. Choose "Uprawnienia", then "Nadaj uprawnienie".'),
        _('3. Choose to grant the permission to an entity ("podmiot") and enter our NIP: {nip}.').format(
            nip=nip
        ),
        _(
            '4. Tick "przeglądanie faktur" (InvoiceRead): we download your purchase invoices and check'
            " what was issued in your name."
        ),
        _(
            '5. Tick "wystawianie faktur" (InvoiceWrite): we send your sales invoices to KSeF and'
            " fetch their official receipts (UPO)."
        ),
        _(
            '6. Optionally tick "prawo do dalszego przekazywania" (canDelegate): our staff can then'
            " log in personally under this permission; without it only the office's certificate works."
        ),
        _('7. Confirm with "Nadaj". The permission can be withdrawn at any time in the same place.'),
        "",
        _("Please let us know once it is done. Thank you."),
        office,
    ]
    return "\n".join(lines)


@dataclass(frozen=True)
class ClientOfficeState:
    """What the office recorded about one client and its grant: when it asked for the grant, and the
    office certificate's latest probe in the client's context."""

    client_id: int
    grant_requested: date | None = None
    probe: Probe | None = None
    damaged: frozenset[str] = frozenset()

    def to_json(self) -> dict[str, object]:
        probe = self.probe
        return {
            "grant_requested": self.grant_requested.isoformat() if self.grant_requested else None,
            "probe": {"at": probe.at.isoformat(), "status": probe.status, "message": probe.message}
            if probe
            else None,
        }

    @classmethod
    def from_json(cls, client_id: int, data: Mapping[str, object]) -> ClientOfficeState:
        requested = data.get("grant_requested")
        raw = data.get("probe")
        probe = None
        if isinstance(raw, Mapping) and isinstance(raw.get("at"), str):
            status = raw.get("status")
            probe = Probe(
                datetime.fromisoformat(str(raw["at"])),
                status if isinstance(status, int) else None,
                str(raw.get("message") or ""),
            )
        return cls(
            client_id,
            date.fromisoformat(requested) if isinstance(requested, str) and requested else None,
            probe,
        )


def still_not_granted(
    states: Iterable[ClientOfficeState],
    census: Census | None,
    client_nips: Mapping[int, str],
    now: datetime,
    days: int,
) -> list[int]:
    """Clients asked for the grant at least `days` ago that still have none (in the latest census)."""
    out = []
    for state in states:
        if (
            state.grant_requested is None
            or (now.astimezone(WARSAW).date() - state.grant_requested).days < days
        ):
            continue
        nip = client_nips.get(state.client_id)
        grant = census.grant_for(nip) if census is not None and nip else None
        if grant is None or not (grant.read or grant.write):
            out.append(state.client_id)
    return out

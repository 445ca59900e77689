"""The client board's rows: health judged, words chosen, sorted by urgency, filtered as you type.

Pure (no I/O, no textual): the Clients screen and `ksef-tui status` both build on it.

Issue 11: each entry also carries the client's readiness for 2027-01-01 (core/readiness.py, computed
with the clock's `now` passed in), and a client without an own KSeF certificate has its health judged
with the office certificate it depends on.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from ksef_tui.core.health import Health, HealthSettings, Level, client_health, urgency_key
from ksef_tui.core.humanize_pl import in_words, until_words
from ksef_tui.core.i18n import N_, _
from ksef_tui.core.models import CREDENTIAL_KIND_LABELS, Client, Credential, LiveCheck, SyncState
from ksef_tui.core.nip import format_nip
from ksef_tui.core.readiness import Census, ClientOfficeState, Readiness, Ready, client_readiness

# Readiness for 2027 in one cell: a glyph that reads without colour, and words for the detail line.
READY_GLYPHS = {Ready.YES: "✓", Ready.PARTLY: "½", Ready.NO: "✗"}
READY_WORDS = {Ready.YES: N_("ready"), Ready.PARTLY: N_("partly ready"), Ready.NO: N_("not ready")}


def ready_words(ready: Ready) -> str:
    return _(READY_WORDS[ready])


@dataclass(frozen=True)
class BoardEntry:
    client: Client
    health: Health
    credential_kind: str  # words: "token", "certyfikat", ... or "—"
    expires_words: str  # "za 12 dni", "3 dni temu", "—"
    last_check_words: str  # "2 godziny temu", "nigdy"
    nip_formatted: str
    haystack: str  # lower-cased name, NIPs and short code without dashes, for the filter
    readiness: Readiness | None = None  # for 2027-01-01 (None only where nobody asked for it)

    @property
    def level(self) -> Level:
        return self.health.level

    @property
    def ready_glyph(self) -> str:
        return READY_GLYPHS[self.readiness.ready] if self.readiness is not None else " "

    @property
    def ready_for_2027(self) -> bool:
        return self.readiness is None or self.readiness.ready is Ready.YES


def _latest_check(checks: dict[int, LiveCheck]) -> LiveCheck | None:
    return max(checks.values(), key=lambda c: c.checked_at, default=None)


def build_entry(
    client: Client,
    credentials: Sequence[Credential],
    checks: dict[int, LiveCheck],
    sync: SyncState | None,
    now: datetime,
    settings: HealthSettings,
    *,
    office: Credential | None = None,
    census: Census | None = None,
    state: ClientOfficeState | None = None,
) -> BoardEntry:
    health = client_health(client, list(credentials), checks, sync, now, settings, office)
    cred = health.credential
    kind = _(CREDENTIAL_KIND_LABELS[cred.kind]) if cred is not None else "—"
    if len({c.kind for c in credentials}) > 1 and cred is not None:
        kind = f"{kind} +{len(credentials) - 1}"
    expires = until_words(health.expires, now) if health.expires else "—"
    last = _latest_check(checks)
    last_words = in_words(last.checked_at - now) if last else _("never")
    hay = " ".join([client.name, client.short_code, *client.nips, *(format_nip(n) for n in client.nips)])
    haystack = hay.lower().replace("-", "")
    readiness = client_readiness(
        client,
        credentials,
        office,
        census,
        now,
        probe=state.probe if state else None,
        grant_requested=state.grant_requested if state else None,
    )
    return BoardEntry(client, health, kind, expires, last_words, format_nip(client.nip), haystack, readiness)


def build_board(
    rows: Iterable[tuple[Client, Sequence[Credential], dict[int, LiveCheck], SyncState | None]],
    now: datetime,
    settings: HealthSettings = HealthSettings(),
    *,
    office: Credential | None = None,
    census: Census | None = None,
    states: Mapping[int, ClientOfficeState] | None = None,
) -> list[BoardEntry]:
    """Every client's entry, most urgent first (red, yellow, green; then nearest expiry; then name).

    `office`: the office certificate (judges the health of clients that depend on it); `census` and
    `states` (client id -> what the office recorded): what readiness for 2027 is computed from."""
    states = states or {}
    entries = [
        build_entry(
            c,
            creds,
            checks,
            sync,
            now,
            settings,
            office=office,
            census=census,
            state=states.get(c.id or 0),
        )
        for c, creds, checks, sync in rows
    ]
    entries.sort(key=lambda e: (*urgency_key(e.health), e.client.name.lower()))
    return entries


def filter_board(entries: Sequence[BoardEntry], query: str) -> list[BoardEntry]:
    """Entries whose name, NIP (with or without dashes) or short code contain every word of `query`."""
    words = query.lower().replace("-", "").split()
    if not words:
        return list(entries)
    return [e for e in entries if all(w in e.haystack for w in words)]


def not_ready_2027(entries: Sequence[BoardEntry]) -> list[BoardEntry]:
    """The board's filter "not ready for 2027": clients not ready or only partly ready."""
    return [e for e in entries if not e.ready_for_2027]


def level_counts(entries: Iterable[BoardEntry]) -> dict[Level, int]:
    counts = {level: 0 for level in Level}
    for e in entries:
        counts[e.level] += 1
    return counts

"""The client board's rows: health judged, words chosen, sorted by urgency, filtered as you type.

Pure (no I/O, no textual): the Clients screen and `ksef-tui status` both build on it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from ksef_tui.core.health import Health, HealthSettings, Level, client_health, urgency_key
from ksef_tui.core.humanize_pl import in_words, until_words
from ksef_tui.core.i18n import _
from ksef_tui.core.models import CREDENTIAL_KIND_LABELS, Client, Credential, LiveCheck, SyncState
from ksef_tui.core.nip import format_nip


@dataclass(frozen=True)
class BoardEntry:
    client: Client
    health: Health
    credential_kind: str  # words: "token", "certyfikat", ... or "—"
    expires_words: str  # "za 12 dni", "3 dni temu", "—"
    last_check_words: str  # "2 godziny temu", "nigdy"
    nip_formatted: str
    haystack: str  # lower-cased name, NIPs and short code without dashes, for the filter

    @property
    def level(self) -> Level:
        return self.health.level


def _latest_check(checks: dict[int, LiveCheck]) -> LiveCheck | None:
    return max(checks.values(), key=lambda c: c.checked_at, default=None)


def build_entry(
    client: Client,
    credentials: Sequence[Credential],
    checks: dict[int, LiveCheck],
    sync: SyncState | None,
    now: datetime,
    settings: HealthSettings,
) -> BoardEntry:
    health = client_health(client, list(credentials), checks, sync, now, settings)
    cred = health.credential
    kind = _(CREDENTIAL_KIND_LABELS[cred.kind]) if cred is not None else "—"
    if len({c.kind for c in credentials}) > 1 and cred is not None:
        kind = f"{kind} +{len(credentials) - 1}"
    expires = until_words(health.expires, now) if health.expires else "—"
    last = _latest_check(checks)
    last_words = in_words(last.checked_at - now) if last else _("never")
    hay = " ".join([client.name, client.short_code, *client.nips, *(format_nip(n) for n in client.nips)])
    haystack = hay.lower().replace("-", "")
    return BoardEntry(client, health, kind, expires, last_words, format_nip(client.nip), haystack)


def build_board(
    rows: Iterable[tuple[Client, Sequence[Credential], dict[int, LiveCheck], SyncState | None]],
    now: datetime,
    settings: HealthSettings = HealthSettings(),
) -> list[BoardEntry]:
    """Every client's entry, most urgent first (red, yellow, green; then nearest expiry; then name)."""
    entries = [build_entry(c, creds, checks, sync, now, settings) for c, creds, checks, sync in rows]
    entries.sort(key=lambda e: (*urgency_key(e.health), e.client.name.lower()))
    return entries


def filter_board(entries: Sequence[BoardEntry], query: str) -> list[BoardEntry]:
    """Entries whose name, NIP (with or without dashes) or short code contain every word of `query`."""
    words = query.lower().replace("-", "").split()
    if not words:
        return list(entries)
    return [e for e in entries if all(w in e.haystack for w in words)]


def level_counts(entries: Iterable[BoardEntry]) -> dict[Level, int]:
    counts = {level: 0 for level in Level}
    for e in entries:
        counts[e.level] += 1
    return counts

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
from enum import Enum
from typing import Any

from ksef_tui.core.health import Health, HealthSettings, Level, client_health, urgency_key
from ksef_tui.core.humanize_pl import in_words, until_words
from ksef_tui.core.i18n import N_, _
from ksef_tui.core.models import (
    CREDENTIAL_KIND_LABELS,
    Client,
    Credential,
    CredentialKind,
    LiveCheck,
    SyncState,
)
from ksef_tui.core.nip import format_nip
from ksef_tui.core.readiness import Census, ClientOfficeState, Readiness, Ready, client_readiness
from ksef_tui.core.search_text import fold, nip_digits

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
    haystack: str  # folded (core.search_text.fold) name, NIPs and short code without dashes, for the filter
    readiness: Readiness | None = None  # for 2027-01-01 (None only where nobody asked for it)
    kinds: frozenset[CredentialKind] = frozenset()  # the kinds of the client's own credentials (the filter)

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
    haystack = fold(hay).replace("-", "")
    readiness = client_readiness(
        client,
        credentials,
        office,
        census,
        now,
        probe=state.probe if state else None,
        grant_requested=state.grant_requested if state else None,
    )
    kinds = frozenset(c.kind for c in credentials)
    nip = format_nip(client.nip)
    return BoardEntry(client, health, kind, expires, last_words, nip, haystack, readiness, kinds)


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


# The board filter's words (docs/DECISIONS.md "Finding things"), folded: an accountant types the colour or
# the credential as they say it, in Polish or English, in any of its forms, with or without diacritics. A
# word of at least four letters that begins one of these counts too ("czer", "toke"), so the filter
# narrows as you type. Each such word also matches a client whose name contains it ("Zielony Ogród").
LEVEL_WORDS: dict[Level, tuple[str, ...]] = {
    Level.RED: ("czerwony", "czerwona", "czerwone", "czerwoni", "czerwonych", "red"),
    Level.YELLOW: ("zolty", "zolta", "zolte", "zolci", "zoltych", "yellow"),
    Level.GREEN: ("zielony", "zielona", "zielone", "zieloni", "zielonych", "green"),
}
CERTIFICATES = frozenset({CredentialKind.KSEF_CERTIFICATE, CredentialKind.OFFICE_CERTIFICATE})
KIND_WORDS: dict[frozenset[CredentialKind], tuple[str, ...]] = {
    frozenset({CredentialKind.KSEF_TOKEN}): ("token", "tokeny", "tokenem", "tokenu", "tokenow", "tokens"),
    CERTIFICATES: (
        "certyfikat",
        "certyfikaty",
        "certyfikatem",
        "certyfikatu",
        "certyfikatow",
        "cert",
        "certificate",
        "certificates",
    ),
}
ONLY_WORDS = ("tylko", "only")  # "tylko token": the client has tokens and nothing else
WITHOUT_WORDS = ("bez", "without")  # "bez certyfikatu": the client has no certificate of its own


class Mode(Enum):
    HAS = "has"
    ONLY = "only"
    WITHOUT = "without"


@dataclass(frozen=True)
class FilterTerm:
    """One word of the board filter: text to find, and what else it may mean."""

    text: str  # folded, without dashes
    nip: str | None = None  # digits of a NIP (or a part of one)
    level: Level | None = None
    kinds: frozenset[CredentialKind] | None = None
    mode: Mode = Mode.HAS

    def matches(self, entry: BoardEntry) -> bool:
        if self.kinds is not None and self.mode is not Mode.HAS:
            if self.mode is Mode.ONLY:
                return bool(entry.kinds) and entry.kinds <= self.kinds
            return not entry.kinds & self.kinds
        if self.text and self.text in entry.haystack:
            return True
        if self.nip is not None and any(self.nip in n for n in entry.client.nips):
            return True
        if self.level is not None and entry.level is self.level:
            return True
        return self.kinds is not None and bool(entry.kinds & self.kinds)


def _keyword(word: str, table: Mapping[Any, tuple[str, ...]]) -> Any:
    for key, forms in table.items():
        if word in forms or (len(word) >= 4 and any(f.startswith(word) for f in forms)):
            return key
    return None


def parse_filter(query: str) -> list[FilterTerm]:
    """The board filter's terms: every one must match (see LEVEL_WORDS and KIND_WORDS).

    A NIP may be typed with `PL`, dashes or spaces (`PL 763-901-77-57`); `tylko`/`only` before a credential
    word keeps the clients with that kind and no other, `bez`/`without` those without it."""
    whole = nip_digits(query)
    if whole is not None:
        return [FilterTerm(whole, nip=whole)]
    terms: list[FilterTerm] = []
    mode, modifier = Mode.HAS, ""
    for word in fold(query).replace("-", "").split():
        if word in ONLY_WORDS or word in WITHOUT_WORDS:
            mode, modifier = (Mode.ONLY if word in ONLY_WORDS else Mode.WITHOUT), word
            continue
        kinds = _keyword(word, KIND_WORDS)
        if mode is not Mode.HAS and kinds is None:  # "tylko" before a name: just a word to find
            terms.append(FilterTerm(modifier))
        terms.append(
            FilterTerm(
                word,
                nip=nip_digits(word),
                level=_keyword(word, LEVEL_WORDS),
                kinds=kinds,
                mode=mode if kinds else Mode.HAS,
            )
        )
        mode = Mode.HAS
    return terms


def filter_board(entries: Sequence[BoardEntry], query: str) -> list[BoardEntry]:
    """Entries that every term of `query` matches: name, NIP (any spelling) or short code, diacritics
    and case ignored; a colour; a credential kind (see `parse_filter`)."""
    terms = parse_filter(query)
    if not terms:
        return list(entries)
    return [e for e in entries if all(t.matches(e) for t in terms)]


def not_ready_2027(entries: Sequence[BoardEntry]) -> list[BoardEntry]:
    """The board's filter "not ready for 2027": clients not ready or only partly ready."""
    return [e for e in entries if not e.ready_for_2027]


def level_counts(entries: Iterable[BoardEntry]) -> dict[Level, int]:
    counts = {level: 0 for level in Level}
    for e in entries:
        counts[e.level] += 1
    return counts

"""The office-wide audit log (issue 15 item 2): pages of entries for the admin screen and the CLI, the
filters as typed, and the chain's verification in words. Blocking (SQLite): screens call these from a
thread worker. No textual here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from ksef_tui.core.clock import WARSAW
from ksef_tui.core.i18n import _
from ksef_tui.store import Store
from ksef_tui.store.blind_index import normalise_nip
from ksef_tui.store.repositories.audit import (
    AuditEntry,
    AuditFilter,
    BreakKind,
    ChainBreak,
    ChainReport,
)

__all__ = [
    "AuditEntry",
    "AuditFilter",
    "AuditLine",
    "AuditLines",
    "AuditQuery",
    "BreakKind",
    "ChainBreak",
    "ChainReport",
    "describe_break",
    "load_lines",
    "parse_period",
    "verify_chain",
]


@dataclass(frozen=True)
class AuditQuery:
    """The filters as a person types them; each empty one is no filter."""

    client: str = ""  # part of a client's short code or name, or a NIP; "-" for the office's own entries
    operator: str = ""  # part of the operator's name
    action: str = ""  # start of the action id ("booking.", "sessions.login")
    since: date | None = None  # Warsaw days, inclusive
    until: date | None = None


@dataclass(frozen=True)
class AuditLine:
    entry: AuditEntry
    client: str  # the short code; "#12" for a client no longer in the store; "" for the office's entries

    @property
    def when(self) -> str:
        """Warsaw time, as the office reads it."""
        return self.entry.at.astimezone(WARSAW).strftime("%Y-%m-%d %H:%M:%S")


@dataclass(frozen=True)
class AuditLines:
    lines: list[AuditLine]
    next_before: int | None  # the next (older) page starts below this id; None: the end
    no_client: bool = False  # the client filter matched nobody


def parse_period(text: str) -> tuple[date | None, date | None] | None:
    """A period as typed: "" (any), "2026" (a year), "2026-03" (a month), "2026-03-02" (from that day
    on), "2026-03-01..2026-03-15" (both ends inclusive, either may be left out). None: not a period."""
    text = text.strip()
    if not text:
        return None, None
    if ".." in text:
        first, _sep, last = text.partition("..")
        ends = [_day_or_none(part) for part in (first, last)]
        if _NOT_A_DAY in ends:
            return None
        return ends[0], ends[1]
    try:
        if len(text) == 4 and text.isdigit():
            return date(int(text), 1, 1), date(int(text), 12, 31)
        if len(text) == 7 and text[4] == "-":
            year, month = int(text[:4]), int(text[5:])
            following = date(year + month // 12, month % 12 + 1, 1)
            return date(year, month, 1), following - timedelta(days=1)
        return date.fromisoformat(text), None
    except ValueError:
        return None


_NOT_A_DAY = date.min  # what _day_or_none says for text that is not a day


def _day_or_none(text: str) -> date | None:
    """The day, None when blank, _NOT_A_DAY when not a day."""
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        return _NOT_A_DAY


def warsaw_day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=WARSAW)


def to_filter(store: Store, query: AuditQuery, codes: dict[int, str] | None = None) -> AuditFilter | None:
    """The store's filter for `query`; None when the client filter matches no client at all."""
    client_ids: frozenset[int] | None = None
    wanted = query.client.strip()
    if wanted:
        client_ids = _matching_clients(store, wanted, codes)
        if not client_ids:
            return None
    return AuditFilter(
        client_ids=client_ids,
        since=warsaw_day_start(query.since) if query.since else None,
        until=warsaw_day_start(query.until + timedelta(days=1)) if query.until else None,
        operator=query.operator.strip(),
        action=query.action.strip(),
    )


def _matching_clients(store: Store, wanted: str, codes: dict[int, str] | None) -> frozenset[int]:
    if wanted.startswith("#") and wanted[1:].isdigit():  # a removed client, by its id
        return frozenset({int(wanted[1:])})
    folded = wanted.casefold()
    digits = normalise_nip(wanted)
    found = set()
    for client in store.clients.list():
        if client.id is None:
            continue
        named = folded in client.short_code.casefold() or folded in client.name.casefold()
        by_nip = digits.isdigit() and any(digits in normalise_nip(n) for n in client.nips)
        if named or by_nip:
            found.add(client.id)
    if codes is not None:
        found.update(cid for cid, code in codes.items() if folded in code.casefold())
    return frozenset(found)


def client_codes(store: Store) -> dict[int, str]:
    return {c.id: c.short_code for c in store.clients.list() if c.id is not None}


def load_lines(
    store: Store,
    query: AuditQuery,
    before_id: int | None = None,
    limit: int = 50,
    codes: dict[int, str] | None = None,
) -> AuditLines:
    """One page of the office-wide log, newest first (blocking: call from a thread)."""
    codes = client_codes(store) if codes is None else codes
    where = to_filter(store, query, codes)
    if where is None:
        return AuditLines([], None, no_client=True)
    page = store.audit.page(where, before_id, limit)
    return AuditLines(
        [AuditLine(e, client_label(e.client_id, codes)) for e in page.entries], page.next_before
    )


def client_label(client_id: int | None, codes: dict[int, str]) -> str:
    if client_id is None:
        return ""
    return codes.get(client_id, f"#{client_id}")


def verify_chain(store: Store) -> ChainReport:
    return store.audit.verify()


def describe_break(broken: ChainBreak) -> str:
    """Where the chain breaks, in the user's language."""
    entry = broken.entry_id
    if broken.kind is BreakKind.DELETED:
        if broken.next_id is None:
            return _("Entries from no. {id} on were deleted (the log ends before them).").format(id=entry)
        if broken.next_id == entry + 1:
            return _("Entry no. {id} was deleted.").format(id=entry)
        return _("Entries no. {first} to {last} were deleted.").format(first=entry, last=broken.next_id - 1)
    if broken.kind is BreakKind.MOVED:
        return _("Entry no. {id} was moved: it was written as entry no. {original}.").format(
            id=entry, original=broken.original_id
        )
    if broken.kind is BreakKind.REWRITTEN:
        words = _("The chain no longer passes through the digest noted for entry no. {id}: it was rewritten.")
        return words.format(id=entry)
    words = _("Entry no. {id} was altered (its content, time, client or link no longer match).")
    return words.format(id=entry)


def describe_report(report: ChainReport) -> list[str]:
    """The verdict, the place if broken, and the last digest to note down outside the file."""
    lines: list[str] = []
    if report.broken is None:
        words = _("The audit log is intact: {n} entries, none deleted, altered or moved.")
        lines.append(words.format(n=report.entries))
    else:
        lines.append(_("The audit log has been tampered with.") + " " + describe_break(report.broken))
        lines.append(_("{n} entries before that place verify.").format(n=report.entries))
    if report.redacted:
        lines.append(_("{n} entries were redacted when a client was offboarded.").format(n=report.redacted))
    if report.last_id is not None:
        words = _("Last verified entry: no. {id}, digest {digest}")
        lines.append(words.format(id=report.last_id, digest=report.last_digest))
        words = _(
            "Note both outside the store: `ksef-tui audit verify --anchor {id}:DIGEST` later proves"
            " that nothing up to that entry was rewritten."
        )
        lines.append(words.format(id=report.last_id))
    return lines

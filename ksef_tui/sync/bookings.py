"""The approval queue's use cases (issue 13). Screens and the CLI call only these.

Blocking functions: call them in a thread. The store persists (`store.bookings`: bookings, rules,
dictionaries, settings, one transaction per decision with its audit entries); the pure engine in core
decides. The engine is called only from the `_engine` section below, imported lazily:

- `core.booking_draft.draft_booking(client_id, record, invoice, *, settings, queued_at) -> Booking`
- `core.booking_rules.propose(booking, rules, history, settings, now, *, dictionaries) -> Booking`
- `core.booking_rules.SellerHistory(count=int, median_gross=Decimal | None)`
- `core.booking_rules.learn(rules, proposed, approved, now) -> tuple[Rule | None, Rule]`
- `core.booking_queue.approve(bookings, by, now) -> Decision`
- `core.booking_queue.exclude(bookings, reason, by, now) -> Decision`
- `core.booking_queue.reject(bookings, by, now) -> Decision`
- `core.booking_queue.edit(before, after, by, now) -> Decision`
- `core.booking_queue.matches_text(booking, text) -> bool` (the queue's type-to-filter)
- `core.booking_rules.office_rule_candidates(rules) -> list[OfficeRuleCandidate]`

Proposals are derived values: after any change of a client's rules (learning from a decision, its undo,
the rules screen) the client's OPEN bookings of the sellers concerned are proposed again. Approved,
exported and excluded bookings are never touched by rules.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from ksef_tui.core import booking_draft, booking_queue, booking_rules
from ksef_tui.core.bookings import (
    OPEN_STATUSES,
    Booking,
    BookingStatus,
    Decision,
    Dictionaries,
    QueueSettings,
    ReviewReason,
    Rule,
    RuleTemplate,
    Strength,
)
from ksef_tui.core.clock import WARSAW, Clock
from ksef_tui.core.i18n import _
from ksef_tui.core.operators import Action
from ksef_tui.core.purchases import PurchaseRecord, normalise_number
from ksef_tui.store import NotFound, Store
from ksef_tui.store.blind_index import normalise_nip
from ksef_tui.store.repositories.bookings import SellerStats
from ksef_tui.sync.permissions import require

BookingKey = tuple[int, str]  # (client id, KSeF number)


@dataclass(frozen=True)
class QueueFilter:
    client_ids: Sequence[int] | None = None  # None: every client
    statuses: frozenset[BookingStatus] = OPEN_STATUSES
    text: str = ""  # seller name, NIP (any spelling), invoice or KSeF number, amount
    min_confidence: int = 0
    strength: Strength | None = None
    vat_period: str = ""  # "YYYY-MM"


@dataclass(frozen=True)
class QueueRow:
    booking: Booking
    client_code: str
    client_nip: str
    age_hours: float  # since it entered the queue
    past_sla: bool


@dataclass(frozen=True)
class QueuePage:
    rows: list[QueueRow]
    total: int  # rows matching the filter (the page is a slice of them)
    counts: dict[BookingStatus, int] = field(default_factory=dict)  # per status, over the filter's clients
    past_sla: int = 0


DEFAULT_OPERATOR = "biuro"  # who decided, when the store has no operator name (it always has one today)
INVOICE_DOCUMENT = "invoice"  # the document kind the purchase sync stores XML under


def operator_name(store: Store) -> str:
    """Who decides: the store's operator (the key slot's name), else "biuro"."""
    try:
        name = store.operator
    except Exception:  # a store-like fake without one
        name = ""
    return name.strip() or DEFAULT_OPERATOR


# --- the engine (core), imported lazily ---------------------------------------------------------------


def _history(stats: SellerStats | None) -> Any:
    history_type = booking_rules.SellerHistory
    if stats is None:
        return history_type(count=0, median_gross=None)
    return history_type(count=stats.count, median_gross=stats.median_gross)


def unreadable_booking(record: PurchaseRecord, queued_at: datetime) -> Booking:
    """A booking for an invoice whose XML cannot be read: no lines, for a person to look at."""
    receipt = record.acquisition_date
    return Booking(
        client_id=record.client_id,
        ksef_number=normalise_number(record.ksef_number),
        status=BookingStatus.NEEDS_REVIEW,
        lines=(),
        seller_nip=record.seller_nip,
        seller_name=record.seller_name,
        invoice_number=record.invoice_number,
        issue_date=record.issue_date,
        receipt_date=receipt.astimezone(WARSAW).date() if receipt is not None else None,  # Polish day
        currency=record.currency,
        gross=record.gross or Decimal("0.00"),
        reason=_("The invoice could not be read: book it by hand."),
        review_reasons=(ReviewReason.NO_RULE,),
        queued_at=queued_at,
    )


def draft(record: PurchaseRecord, invoice: Any, settings: QueueSettings, queued_at: datetime) -> Booking:
    """The NEW booking of one stored invoice (`invoice`: the FA reader's Invoice, None when the XML
    could not be parsed: then a booking without lines, NEEDS_REVIEW)."""
    if invoice is None:
        return unreadable_booking(record, queued_at)
    try:
        booking: Booking = booking_draft.draft_booking(
            record.client_id, record, invoice, settings=settings, queued_at=queued_at
        )
    except (ValueError, ArithmeticError, TypeError):  # an invoice the arithmetic cannot book
        return unreadable_booking(record, queued_at)
    return booking


def _propose_all(
    store: Store, bookings: Sequence[Booking], settings: QueueSettings, now: datetime
) -> list[Booking]:
    """The engine's proposal for each booking, with the client's and the office's rules for its seller
    and the seller's history at the client (each loaded once per client)."""
    propose = booking_rules.propose
    by_client: dict[int, list[Booking]] = {}
    for booking in bookings:
        by_client.setdefault(booking.client_id, []).append(booking)
    out: list[Booking] = []
    for client_id, group in by_client.items():
        history = store.bookings.seller_history(client_id)
        words = store.bookings.dictionaries(client_id)
        rules: dict[str, list[Rule]] = {}
        for rule in store.bookings.rules(client_id):
            rules.setdefault(normalise_nip(rule.seller_nip), []).append(rule)
        for booking in group:
            seller = normalise_nip(booking.seller_nip)
            found = rules.get(seller, [])
            out.append(
                propose(booking, found, _history(history.get(seller)), settings, now, dictionaries=words)
            )
    return out


def _repropose(store: Store, sellers: Iterable[tuple[int, str]], clock: Clock) -> int:
    """Propose again the open bookings of these (client, seller NIP) pairs after their rules changed.
    Not a decision (no audit entry): proposals are derived from the rules."""
    wanted: dict[int, set[str]] = {}
    for client_id, seller in sellers:
        if client_id is not None:
            wanted.setdefault(client_id, set()).add(normalise_nip(seller))
    if not wanted:
        return 0
    open_ = [
        b
        for client_id, nips in wanted.items()
        for b in store.bookings.list([client_id], OPEN_STATUSES)
        if normalise_nip(b.seller_nip) in nips
    ]
    if not open_:
        return 0
    settings = store.bookings.queue_settings()
    proposed = _propose_all(store, open_, settings, clock())
    changed = [new for old, new in zip(open_, proposed, strict=True) if new != old]
    if changed:
        store.bookings.put_many(changed)
    return len(changed)


def _sellers_of(changes: Iterable[tuple[Rule | None, Rule | None]]) -> set[tuple[int, str]]:
    """(client, seller) pairs whose rules changed; an office rule concerns every client, which is
    handled by proposing the clients' own open bookings of that seller."""
    out: set[tuple[int, str]] = set()
    for before, after in changes:
        for rule in (before, after):
            if rule is not None and rule.client_id is not None:
                out.add((rule.client_id, rule.seller_nip))
    return out


def _learn(
    store: Store, pairs: Sequence[tuple[Booking, Booking]], now: datetime
) -> tuple[tuple[Rule | None, Rule | None], ...]:
    """Rule changes learned from approvals (proposed, approved): each rule's first before-state and
    last after-state, so several bookings of one seller in one step make one change per rule."""
    learn = booking_rules.learn
    current: dict[tuple[int, str], list[Rule]] = {}
    first_before: dict[Any, Rule | None] = {}
    last_after: dict[Any, Rule] = {}
    order: list[Any] = []

    def identity(rule: Rule) -> Any:
        if rule.id is not None:
            return ("id", rule.id)
        return (
            "new",
            rule.client_id,
            normalise_nip(rule.seller_nip),
            rule.item_text,
            rule.item_code,
            rule.doc_kind,
        )

    for proposed, approved in pairs:
        seller = (approved.client_id, normalise_nip(approved.seller_nip))
        if seller not in current:
            current[seller] = store.bookings.rules(approved.client_id, seller_nip=approved.seller_nip)
        rules = current[seller]
        before, after = learn(rules, proposed, approved, now)
        if before == after:
            continue
        key = identity(after)
        if before is not None and identity(before) != key:
            key = identity(before)
        if key not in first_before:
            first_before[key] = before
            order.append(key)
        last_after[key] = after
        rules = [r for r in rules if r is not before]
        if before is not None:
            rules = [r for r in rules if not (r.id is not None and r.id == before.id)]
        current[seller] = [*rules, after]
    return tuple((first_before[k], last_after[k]) for k in order)


# --- the queue ------------------------------------------------------------------------------------


def _plain(flt: QueueFilter) -> bool:
    return not flt.text.strip() and flt.min_confidence <= 0 and flt.strength is None and not flt.vat_period


def _keep(flt: QueueFilter) -> Any:
    text = flt.text.strip()
    matches = booking_queue.text_matcher(text) if text else None  # built once, not per row

    if matches is not None and flt.min_confidence <= 0 and flt.strength is None and not flt.vat_period:
        return matches  # the text alone: one call per row (20,000 per keystroke)

    def keep(booking: booking_queue.QueueFacts) -> bool:
        if booking.confidence < flt.min_confidence:
            return False
        if flt.strength is not None and booking.strength is not flt.strength:
            return False
        if flt.vat_period and booking.vat_period != flt.vat_period:
            return False
        return matches is None or bool(matches(booking))

    return keep


def age_hours(booking: Booking, now: datetime) -> float:
    if booking.queued_at is None:
        return 0.0
    return max(0.0, (now - booking.queued_at).total_seconds() / 3600)


def load_queue(
    store: Store,
    flt: QueueFilter,
    clock: Clock,
    *,
    offset: int = 0,
    limit: int = 500,
    settings: QueueSettings | None = None,
) -> QueuePage:
    """Open bookings oldest first (SLA age), filtered, one page (`settings`: the office's queue settings,
    when the caller has them already)."""
    now = clock()
    settings = store.bookings.queue_settings() if settings is None else settings
    ids = list(flt.client_ids) if flt.client_ids is not None else None
    counts = store.bookings.counts(ids)
    if _plain(flt):  # status and client only: SQL pages, only the page is unsealed
        bookings = store.bookings.list(ids, flt.statuses, offset, limit)
        total = sum(counts.get(BookingStatus(s), 0) for s in set(flt.statuses))  # no second count(*)
    else:  # the rest is sealed: every candidate unsealed once and kept decoded (the next keystroke
        # unseals only rows written since), filtered, sliced
        bookings, total = store.bookings.scan(ids, flt.statuses, _keep(flt), offset, limit)
    clients = store.bookings.client_codes()  # unsealed again only after a write
    rows = []
    for booking in bookings:
        code, nip = clients.get(booking.client_id, ("", ""))
        age = age_hours(booking, now)
        rows.append(
            QueueRow(
                booking=booking,
                client_code=code,
                client_nip=nip,
                age_hours=age,
                past_sla=booking.status in OPEN_STATUSES and age > settings.sla_hours,
            )
        )
    past = store.bookings.queued_before(now - timedelta(hours=settings.sla_hours), ids, OPEN_STATUSES)
    return QueuePage(rows=rows, total=total, counts=counts, past_sla=past)


def warm_queue(store: Store, flt: QueueFilter) -> None:
    """Unseal the filter's candidates ahead of the first typed character (the queue screen calls this in
    a thread once its first page is painted), so a keystroke filters decoded bookings."""
    ids = list(flt.client_ids) if flt.client_ids is not None else None
    store.bookings.scan(ids, flt.statuses, lambda booking: False, 0, 0)


def forget_queue(store: Store) -> None:
    """Drop the decoded bookings kept for the filter (the queue screen closed)."""
    store.bookings.forget(clients=False)


def propose_new(store: Store, clock: Clock, client_ids: Sequence[int] | None = None) -> int:
    """Run the rules over bookings still NEW (drafted at sync time); returns how many were proposed.

    Stored purchase invoices without a booking (stores synced before bookings existed, or a draft that
    failed) are drafted first, from their stored XML."""
    require(store, Action.QUEUE)
    from ksef_tui.core.fa import FaParseError, parse_invoice

    now = clock()
    settings = store.bookings.queue_settings()
    drafts = []
    for record in store.purchases.unbooked(client_ids):
        xml = store.documents.get(record.client_id, INVOICE_DOCUMENT, record.ksef_number)
        invoice = None
        if xml is not None:
            try:
                invoice = parse_invoice(xml).invoice
            except FaParseError:
                invoice = None
        drafts.append(draft(record, invoice, settings, now))
    if drafts:
        store.bookings.put_many(drafts)
    new = store.bookings.list(client_ids, [BookingStatus.NEW])
    if not new:
        return 0
    proposed = _propose_all(store, new, settings, now)
    store.bookings.put_many(proposed)
    return sum(1 for b in proposed if b.status is not BookingStatus.NEW)


def _load(store: Store, keys: Sequence[BookingKey]) -> list[Booking]:
    found = []
    for client_id, number in keys:
        booking = store.bookings.get(client_id, number)
        if booking is None:
            raise NotFound(_("Booking {number} not found.").format(number=number))
        found.append(booking)
    return found


def approve(store: Store, keys: Sequence[BookingKey], by: str, clock: Clock) -> Decision:
    """Approve these bookings as proposed, in one transaction (each a confirmation of its rule)."""
    require(store, Action.QUEUE)
    now = clock()
    before = _load(store, keys)
    decision: Decision = booking_queue.approve(before, by, now)
    pairs = [
        (old, new)
        for old, new in zip(decision.before, decision.after, strict=True)
        if new.status is BookingStatus.APPROVED and old.status is not BookingStatus.APPROVED
    ]
    decision = replace(decision, rule_changes=(*decision.rule_changes, *_learn(store, pairs, now)))
    saved = store.bookings.decide(decision)
    _repropose(store, _sellers_of(saved.rule_changes), clock)
    return saved


def save_booking(store: Store, booking: Booking, by: str, clock: Clock, *, approve: bool = True) -> Decision:
    """The booking as edited in the form; approved unless `approve=False`. Learns: creates or updates
    the client's rule for the seller and counts the override (only when approved: a booking saved for
    later is not yet a decision to learn from)."""
    require(store, Action.QUEUE)
    now = clock()
    before = store.bookings.get(booking.client_id, booking.ksef_number)
    if before is None:
        raise NotFound(_("Booking {number} not found.").format(number=booking.ksef_number))
    after = replace(booking, id=before.id, queued_at=before.queued_at)
    if approve:
        after = replace(after, status=BookingStatus.APPROVED, decided_by=by, decided_at=now)
    decision: Decision = booking_queue.edit(before, after, by, now)
    if approve:
        learned = _learn(store, [(before, decision.after[0])], now)
        decision = replace(decision, rule_changes=(*decision.rule_changes, *learned))
    saved = store.bookings.decide(decision)
    _repropose(store, _sellers_of(saved.rule_changes), clock)
    return saved


def exclude(store: Store, keys: Sequence[BookingKey], reason: str, by: str, clock: Clock) -> Decision:
    """Not the client's cost (a private purchase, a paper duplicate, ...): EXCLUDED with the reason."""
    require(store, Action.QUEUE)
    decision: Decision = booking_queue.exclude(_load(store, keys), reason, by, clock())
    return store.bookings.decide(decision)


def reject(store: Store, keys: Sequence[BookingKey], by: str, clock: Clock) -> Decision:
    """Back to NEEDS_REVIEW (an approval taken back before export)."""
    require(store, Action.QUEUE)
    decision: Decision = booking_queue.reject(_load(store, keys), by, clock())
    return store.bookings.decide(decision)


def undo(store: Store, decision: Decision, by: str, clock: Clock) -> None:
    """Restore exactly the state before `decision` (bookings and rules); audited. Refused
    (BookingChanged, nothing written) when a booking was changed since."""
    require(store, Action.QUEUE)
    store.bookings.undo(decision, by, clock())
    _repropose(store, _sellers_of(decision.rule_changes), clock)


def list_rules(store: Store, client_id: int | None = None) -> list[Rule]:
    """The client's rules and the office's; None: every client's rules and the office's."""
    return store.bookings.rules(client_id)


def save_rule(store: Store, rule: Rule, by: str, clock: Clock) -> Rule:
    """Create (no id) or change a rule (audited); the client's open bookings of that seller are proposed
    again with it."""
    require(store, Action.QUEUE)
    before = store.bookings.rule(rule.id) if rule.id is not None else None
    saved = store.bookings.save_rule(rule, by, clock())
    _repropose(store, _sellers_of([(before, saved)]), clock)
    return saved


def delete_rule(store: Store, rule_id: int, by: str, clock: Clock) -> None:
    require(store, Action.QUEUE)
    rule = store.bookings.rule(rule_id)
    store.bookings.delete_rule(rule_id, by, clock())
    _repropose(store, _sellers_of([(rule, None)]), clock)


def office_rule_candidates(store: Store) -> list[Any]:
    """Sellers where at least three clients' rules agree on the treatment (and no office rule with the
    same narrowing exists yet): `core.booking_rules.OfficeRuleCandidate` values, by seller NIP. Reads
    every client's rules (one unsealing pass): call it when the rules screen opens, not per keystroke."""
    found: list[Any] = booking_rules.office_rule_candidates(store.bookings.rules(None))
    return found


def promote_office_rule(store: Store, seller_nip: str, template: RuleTemplate, by: str, clock: Clock) -> Rule:
    """Create the office rule (client None) a candidate offers, audited as `booking_rule.promoted` with
    the clients that agreed. Client rules stay and keep precedence; the open bookings of the seller are
    proposed again, so a client without its own rule sees the office's proposal (a PATTERN, never strong
    on its own). Refused (ValueError) when the seller is no longer a candidate with that template (the
    rules changed meanwhile, or an office rule already exists)."""
    require(store, Action.OFFICE)
    seller = normalise_nip(seller_nip)
    candidate = next(
        (
            c
            for c in office_rule_candidates(store)
            if normalise_nip(c.rule.seller_nip) == seller and c.rule.template == template
        ),
        None,
    )
    if candidate is None:
        raise ValueError(
            _("NIP {nip} is no longer offered as an office rule: the rules changed meanwhile.").format(
                nip=seller_nip
            )
        )
    now = clock()
    rule = replace(candidate.rule, created=now)
    saved = store.bookings.save_rule(
        rule, by, now, action="promoted", clients=list(candidate.clients), disagreeing=candidate.disagreeing
    )
    _repropose(store, [(c.id, saved.seller_nip) for c in store.clients.list() if c.id is not None], clock)
    return saved


def dictionaries(store: Store, client_id: int) -> Dictionaries:
    """The client's dictionaries (registers, accounts, cost centres); Polish defaults until changed."""
    return store.bookings.dictionaries(client_id)


def save_dictionaries(store: Store, client_id: int, value: Dictionaries) -> None:
    require(store, Action.QUEUE, client_id)
    store.bookings.set_dictionaries(client_id, value)


def queue_settings(store: Store) -> QueueSettings:
    """The office's queue settings (SLA, fixed-asset threshold, ...); defaults until changed."""
    return store.bookings.queue_settings()


def save_queue_settings(store: Store, value: QueueSettings) -> None:
    require(store, Action.OFFICE)
    store.bookings.set_queue_settings(value)

"""Proposals that explain themselves, and learning from the accountant (issue 13 items 2 and 3).

Pure: no I/O, the clock passed in. The decisions (docs/DECISIONS.md "The booking engine's rules"):

- **Precedence**: a client rule narrowed by an item (line text or code) that matches > a client rule for
  the seller (the more narrowing criteria it has — document kind, amount range — the earlier) > an
  office-wide rule (PATTERN: never strong on its own) > none. Ties: more confirmations, then the lower id.
- **Confidence** (0–100): NONE 0; PATTERN at most 60; a client rule is strong (≥ 90) once it has
  `min_confirmations` confirmations plus one more per override it ever had (an override resets the
  confirmations, see `learn`), below 90 until then. A booking that needs review shows at most 50, so
  "mark everything above 90 %" never takes in a never-auto case.
- **Never auto** (NEEDS_REVIEW whatever the rule): corrections, advance (ZAL) and final (ROZ) invoices, the
  first invoice from the seller, a reverse-charge line, a foreign currency, one item of goods whose net
  exceeds the fixed-asset threshold (`Booking.max_item_net`: a unit of a line in pieces or sets, or without
  a unit; services and a VAT-rate bucket of many small items are not fixed assets), a gross outside [median
  ÷ factor, median × factor] of the seller's approved invoices (when there are at least 3, and not for
  corrections), the client as Podmiot3.
- **Exclusion**: a rule that excludes proposes the exclusion (`excluded_reason` set) with the status it
  would otherwise have; approving such a proposal makes the booking EXCLUDED.
- **Learning**: approved as proposed → the rule's confirmations + 1. Approved with changes → the rule's
  template becomes the approved treatment, overrides + 1 and confirmations restart at 1 (the approval
  that set it). No client rule (none matched, or an office rule did) → a new client rule for the seller
  with confirmations 1. The template is taken from the booking's largest line (by |net|): a booking split
  into lines treated differently teaches the rule its main line only; item-narrowed rules are written on
  the rules screen, not learned.
- Rules never touch APPROVED, EXPORTED or EXCLUDED bookings: `propose` returns them unchanged.
"""

from __future__ import annotations

import copy
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

from ksef_tui.core.booking_draft import RATE_BUCKET, shorten
from ksef_tui.core.bookings import (
    OPEN_STATUSES,
    Booking,
    BookingLine,
    BookingStatus,
    Deduction,
    Dictionaries,
    JpkGroup,
    QueueSettings,
    ReviewReason,
    Rule,
    RuleTemplate,
    Strength,
)
from ksef_tui.core.fa.model import ADVANCE_KINDS, CORRECTION_KINDS, SETTLEMENT_KINDS
from ksef_tui.core.i18n import N_, _, ngettext

STRONG = 90
PATTERN_MAX = 60
REVIEW_MAX = 50
MIN_OFFICE_CLIENTS = 3
DEFAULT_DICTIONARIES = Dictionaries()

REVIEW_LABELS: dict[ReviewReason, str] = {
    ReviewReason.NO_RULE: N_("no rule"),
    ReviewReason.FIRST_FROM_SELLER: N_("first invoice from this seller"),
    ReviewReason.CORRECTION: N_("correction"),
    ReviewReason.ADVANCE: N_("advance invoice"),
    ReviewReason.FINAL: N_("final invoice after advances"),
    ReviewReason.REVERSE_CHARGE: N_("reverse charge"),
    ReviewReason.FOREIGN_CURRENCY: N_("foreign currency"),
    ReviewReason.FIXED_ASSET: N_("possible fixed asset"),
    ReviewReason.UNUSUAL_AMOUNT: N_("amount unusual for this seller"),
    ReviewReason.THIRD_PARTY: N_("client is a third party (Podmiot3)"),
}


_Frozen = TypeVar("_Frozen", Booking, BookingLine)


def evolve(obj: _Frozen, **changes: object) -> _Frozen:
    """`dataclasses.replace` for the hot path: a shallow copy with the changed fields set, without
    running `__init__` over all ~40 fields of a Booking again (4× faster; proposing 10,000 bookings
    spends most of its time here otherwise). Booking and BookingLine are frozen, have no
    `__post_init__` and no validation in `__init__`, so the result is the same object `replace` builds;
    an unknown field name is refused like `replace` refuses it."""
    fields = obj.__dataclass_fields__
    new = copy.copy(obj)
    for name, value in changes.items():
        if name not in fields:
            raise TypeError(f"{type(obj).__name__} has no field {name!r}")
        object.__setattr__(new, name, value)
    return new


def review_label(reason: ReviewReason) -> str:
    """The reason in the user's language."""
    return _(REVIEW_LABELS[reason])


# ------------------------------------------------------------------------------------------------
# the seller's history


@dataclass(frozen=True)
class SellerHistory:
    """What the client's approved bookings from one seller say: how many, and the usual gross."""

    count: int = 0
    median_gross: Decimal | None = None

    @classmethod
    def of(cls, grosses: Iterable[Decimal]) -> SellerHistory:
        values = sorted(grosses)
        if not values:
            return cls()
        return cls(count=len(values), median_gross=Decimal(statistics.median(values)))


def seller_histories(bookings: Iterable[Booking]) -> dict[tuple[int, str], SellerHistory]:
    """Per (client, seller NIP): the history of its APPROVED and EXPORTED bookings (corrections left out
    of the median, which they would drag down, but counted: the seller is known)."""
    grosses: dict[tuple[int, str], list[Decimal]] = defaultdict(list)
    counts: dict[tuple[int, str], int] = defaultdict(int)
    for b in bookings:
        if b.status not in (BookingStatus.APPROVED, BookingStatus.EXPORTED):
            continue
        key = (b.client_id, b.seller_nip)
        counts[key] += 1
        if b.doc_kind not in CORRECTION_KINDS:
            grosses[key].append(b.gross)
    out: dict[tuple[int, str], SellerHistory] = {}
    for key, count in counts.items():
        values = sorted(grosses.get(key, []))
        median = Decimal(statistics.median(values)) if values else None
        out[key] = SellerHistory(count=count, median_gross=median)
    return out


# ------------------------------------------------------------------------------------------------
# matching


def _norm_code(code: str) -> str:
    return "".join(code.split()).casefold()


def item_matches(rule: Rule, booking: Booking) -> bool:
    """The rule's item narrowing (text contained in a line name, or a code equal to a line's code)."""
    if rule.item_text:
        needle = rule.item_text.casefold()
        if any(needle in name.casefold() for name in booking.item_names):
            return True
    if rule.item_code:
        needle = _norm_code(rule.item_code)
        if any(needle == _norm_code(code) for code in booking.item_codes):
            return True
    return False


def rule_matches(rule: Rule, booking: Booking) -> bool:
    """Whether the rule applies to the booking: seller, client (or office-wide), and every narrowing."""
    if rule.client_id is not None and rule.client_id != booking.client_id:
        return False
    if rule.seller_nip:
        if rule.seller_nip != booking.seller_nip:
            return False
    elif not (rule.item_text or rule.item_code):
        return False  # a rule for any seller must at least name an item
    if (rule.item_text or rule.item_code) and not item_matches(rule, booking):
        return False
    if rule.doc_kind and rule.doc_kind.upper() != booking.doc_kind.upper():
        return False
    if rule.amount_min is not None and booking.gross < rule.amount_min:
        return False
    return not (rule.amount_max is not None and booking.gross > rule.amount_max)


def strength_of(rule: Rule) -> Strength:
    if rule.client_id is None or not rule.seller_nip:
        return Strength.PATTERN
    if rule.item_text or rule.item_code:
        return Strength.SELLER_ITEMS
    return Strength.SELLER


_RANK = {Strength.SELLER_ITEMS: 0, Strength.SELLER: 1, Strength.PATTERN: 2, Strength.NONE: 3}


def _specificity(rule: Rule) -> int:
    return sum(
        (
            bool(rule.item_text or rule.item_code),
            bool(rule.doc_kind),
            rule.amount_min is not None or rule.amount_max is not None,
        )
    )


def rule_order(rule: Rule) -> tuple[int, int, int, int]:
    """Sort key: the rule to use first."""
    return (
        _RANK[strength_of(rule)],
        -_specificity(rule),
        -rule.confirmations,
        rule.id if rule.id is not None else 1 << 62,
    )


def best_rule(booking: Booking, rules: Iterable[Rule]) -> Rule | None:
    matching = [r for r in rules if rule_matches(r, booking)]
    return min(matching, key=rule_order) if matching else None


class RuleIndex:
    """Rules by (client, seller NIP) — office rules under client None — and the sellerless pattern rules,
    so proposing 10,000 bookings looks at a handful of rules each, not every rule of every client."""

    def __init__(self, rules: Iterable[Rule]) -> None:
        self.by_key: dict[tuple[int | None, str], list[Rule]] = defaultdict(list)
        self.patterns: list[Rule] = []
        for rule in rules:
            if rule.seller_nip:
                self.by_key[(rule.client_id, rule.seller_nip)].append(rule)
            else:
                self.patterns.append(rule)

    def candidates(self, booking: Booking) -> list[Rule]:
        get = self.by_key.get
        return [
            *get((booking.client_id, booking.seller_nip), ()),
            *get((None, booking.seller_nip), ()),
            *self.patterns,
        ]


# ------------------------------------------------------------------------------------------------
# confidence and reasons


def confidence_of(rule: Rule | None, strength: Strength, settings: QueueSettings) -> int:
    if rule is None or strength is Strength.NONE:
        return 0
    c, o = rule.confirmations, rule.overrides
    if strength is Strength.PATTERN:
        return max(10, min(PATTERN_MAX, 30 + 10 * c - 10 * o))
    needed = max(1, settings.min_confirmations + o)
    bonus = 2 if strength is Strength.SELLER_ITEMS else 0
    if c >= needed:
        return min(100, STRONG + bonus + min(c - needed, 8))
    return min(STRONG - 1, 40 + bonus + (49 * c) // needed)


def _times(n: int) -> str:
    return ngettext("{n} time", "{n} times", n).format(n=n)


def _changes(n: int) -> str:
    return ngettext("{n} change", "{n} changes", n).format(n=n)


def match_reason(rule: Rule | None, strength: Strength, history: SellerHistory) -> str:
    """One line in the user's language: why this proposal."""
    if rule is None:
        if history.count == 0:
            return _("new supplier — no rule")
        return _("no rule for this supplier ({times} approved before)").format(times=_times(history.count))
    if strength is Strength.PATTERN:
        if not rule.seller_nip:
            return _("office pattern “{item}” — check the booking").format(
                item=rule.item_text or rule.item_code
            )
        return _("office rule for this supplier, not yet confirmed for this client")
    if strength is Strength.SELLER_ITEMS:
        return _("known supplier and item “{item}”: approved the same way {times}, {changes}").format(
            item=shorten(rule.item_text or rule.item_code, 30),
            times=_times(rule.confirmations),
            changes=_changes(rule.overrides),
        )
    return _("known supplier: approved the same way {times}, {changes}").format(
        times=_times(rule.confirmations), changes=_changes(rule.overrides)
    )


# ------------------------------------------------------------------------------------------------
# the never-auto list


def review_reasons(booking: Booking, history: SellerHistory, settings: QueueSettings) -> list[ReviewReason]:
    """Every reason this booking is never approved without a look (the order is the display order)."""
    out: list[ReviewReason] = []
    kind = booking.doc_kind.upper()
    correction = kind in CORRECTION_KINDS
    if correction:
        out.append(ReviewReason.CORRECTION)
    if kind in ADVANCE_KINDS:
        out.append(ReviewReason.ADVANCE)
    if kind in SETTLEMENT_KINDS:
        out.append(ReviewReason.FINAL)
    if history.count == 0:
        out.append(ReviewReason.FIRST_FROM_SELLER)
    if any(RATE_BUCKET.get(line.vat_rate) == "10" for line in booking.lines):
        out.append(ReviewReason.REVERSE_CHARGE)
    if booking.currency.upper() != "PLN":
        out.append(ReviewReason.FOREIGN_CURRENCY)
    if booking.max_item_net is not None and booking.max_item_net > settings.fixed_asset_threshold:
        out.append(ReviewReason.FIXED_ASSET)
    median = history.median_gross
    if not correction and history.count >= 3 and median is not None and median > 0:
        factor = settings.unusual_factor
        if booking.gross > median * factor or booking.gross < median / factor:
            out.append(ReviewReason.UNUSUAL_AMOUNT)
    if booking.third_party:
        out.append(ReviewReason.THIRD_PARTY)
    return out


# ------------------------------------------------------------------------------------------------
# proposing


def default_contra(booking: Booking, dictionaries: Dictionaries) -> str:
    return f"{dictionaries.contra_prefix}-{booking.seller_nip}" if booking.seller_nip else ""


def _template_lines(booking: Booking, template: RuleTemplate | None, contra: str) -> tuple[BookingLine, ...]:
    if template is None:
        return tuple(x if x.gl_contra or not contra else evolve(x, gl_contra=contra) for x in booking.lines)
    contra = template.gl_contra or contra

    def line(x: BookingLine) -> BookingLine:
        deduction, pct, group = x.deduction, x.deduction_pct, x.jpk_group
        if _taxed(x):  # an exempt or 0 % line keeps "no deduction, not in JPK" whatever the rule says
            if template.deduction is not None:
                deduction = template.deduction
                pct = template.deduction_pct if deduction is Deduction.PROPORTION else None
            if template.jpk_group is not None:
                group = template.jpk_group
        return evolve(
            x,
            deduction=deduction,
            deduction_pct=pct,
            jpk_group=group,
            kpir_column=template.kpir_column if template.kpir_column is not None else x.kpir_column,
            cost_share_pct=(
                template.cost_share_pct if template.cost_share_pct is not None else x.cost_share_pct
            ),
            gl_account=template.gl_account if template.gl_account is not None else x.gl_account,
            gl_contra=contra or x.gl_contra,
            cost_centre=template.cost_centre if template.cost_centre is not None else x.cost_centre,
        )

    return tuple(line(x) for x in booking.lines)


def apply_template(
    booking: Booking, template: RuleTemplate, dictionaries: Dictionaries = DEFAULT_DICTIONARIES
) -> Booking:
    """The template's fields over every line (None: leave as drafted); the contra account defaults to
    `<contra prefix>-<seller NIP>`."""
    return evolve(
        booking,
        lines=_template_lines(booking, template, default_contra(booking, dictionaries)),
        vat_register=template.vat_register if template.vat_register is not None else booking.vat_register,
        description=template.description if template.description is not None else booking.description,
    )


def propose(
    booking: Booking,
    rules: Iterable[Rule],
    history: SellerHistory,
    settings: QueueSettings,
    now: datetime,
    *,
    dictionaries: Dictionaries = DEFAULT_DICTIONARIES,
) -> Booking:
    """The proposal for an open booking: the best rule's template on every line, strength, confidence,
    reason, and PROPOSED or NEEDS_REVIEW. Decided bookings (approved, exported, excluded) come back
    unchanged. `now` is when the proposal is made (kept for symmetry with the other steps; the booking's
    SLA clock is `queued_at`)."""
    del now  # the proposal itself does not depend on the time
    if booking.status not in OPEN_STATUSES:
        return booking
    rule = best_rule(booking, rules)
    template = rule.template if rule is not None else None
    strength = strength_of(rule) if rule is not None else Strength.NONE
    reasons = review_reasons(booking, history, settings)
    if rule is None:
        reasons.insert(0, ReviewReason.NO_RULE)
    confidence = confidence_of(rule, strength, settings)
    why = match_reason(rule, strength, history)
    said = {ReviewReason.NO_RULE, ReviewReason.FIRST_FROM_SELLER} if rule is None else {ReviewReason.NO_RULE}
    shown = [r for r in reasons if r not in said]  # "new supplier — no rule" says these already
    if shown:
        why = _("{reasons}; {why}").format(reasons=", ".join(review_label(r) for r in shown), why=why)
        confidence = min(confidence, REVIEW_MAX)
    return evolve(
        booking,
        lines=_template_lines(booking, template, default_contra(booking, dictionaries)),
        vat_register=(
            template.vat_register
            if template is not None and template.vat_register is not None
            else booking.vat_register
        ),
        description=(
            template.description
            if template is not None and template.description is not None
            else booking.description
        ),
        status=BookingStatus.NEEDS_REVIEW if reasons else BookingStatus.PROPOSED,
        strength=strength,
        confidence=confidence,
        reason=why,
        review_reasons=tuple(reasons),
        rule_id=rule.id if rule is not None else None,
        excluded_reason=_("not the client's cost (rule)")
        if template is not None and template.exclude
        else "",
    )


def propose_all(
    bookings: Sequence[Booking],
    rules: Iterable[Rule],
    histories: dict[tuple[int, str], SellerHistory],
    settings: QueueSettings,
    now: datetime,
    *,
    dictionaries: dict[int, Dictionaries] | None = None,
) -> list[Booking]:
    """`propose` over many bookings, with the rules indexed by seller once."""
    index = RuleIndex(rules)
    dicts = dictionaries or {}
    empty = SellerHistory()
    return [
        propose(
            b,
            index.candidates(b),
            histories.get((b.client_id, b.seller_nip), empty),
            settings,
            now,
            dictionaries=dicts.get(b.client_id, DEFAULT_DICTIONARIES),
        )
        for b in bookings
    ]


# ------------------------------------------------------------------------------------------------
# learning


def _taxed(line: BookingLine) -> bool:
    """A line with input VAT to decide on (drafted so: taxed rates and the reverse charge)."""
    return bool(line.vat) or line.deduction is not Deduction.NONE or line.jpk_group is not JpkGroup.NONE


def _main_line(booking: Booking) -> BookingLine | None:
    """The largest line by |net|, a taxed one when there is any (an exempt line has no VAT treatment to
    teach)."""
    pool = [x for x in booking.lines if _taxed(x)] or list(booking.lines)
    if not pool:
        return None
    return max(pool, key=lambda x: (abs(x.net), -x.line_no))


def template_of(booking: Booking, description: str | None = None) -> RuleTemplate:
    """The treatment the booking carries, as a rule template (from its main line: see `_main_line`)."""
    main = _main_line(booking)
    excluded = booking.status is BookingStatus.EXCLUDED or bool(booking.excluded_reason)
    if main is None:
        return RuleTemplate(vat_register=booking.vat_register, description=description, exclude=excluded)
    taxed = _taxed(main)
    return RuleTemplate(
        vat_register=booking.vat_register,
        deduction=main.deduction if taxed else None,
        deduction_pct=main.deduction_pct if taxed and main.deduction is Deduction.PROPORTION else None,
        jpk_group=main.jpk_group if taxed else None,
        kpir_column=main.kpir_column,
        cost_share_pct=main.cost_share_pct,
        gl_account=main.gl_account,
        gl_contra=main.gl_contra,
        cost_centre=main.cost_centre,
        description=description,
        exclude=excluded,
    )


def _decision_fields(booking: Booking) -> tuple[object, ...]:
    """What an accountant decides on a booking (not the amounts, not who or when)."""
    return (
        booking.vat_register,
        booking.vat_period,
        booking.cost_period,
        booking.description,
        booking.status is BookingStatus.EXCLUDED or bool(booking.excluded_reason),
        tuple(
            (
                x.vat_rate,
                x.net,
                x.vat,
                x.deduction,
                x.deduction_pct,
                x.jpk_group,
                x.kpir_column,
                x.cost_share_pct,
                x.gl_account,
                x.gl_contra,
                x.cost_centre,
                x.source_lines,
            )
            for x in booking.lines
        ),
    )


def unchanged(proposed: Booking, approved: Booking) -> bool:
    """Approved exactly as proposed (the note and who/when aside)."""
    return _decision_fields(proposed) == _decision_fields(approved)


def learn(
    rules: Sequence[Rule], proposed: Booking, approved: Booking, now: datetime
) -> tuple[Rule | None, Rule]:
    """What an approval teaches: (the rule before, the rule after); before is None for a new rule."""
    rule = next((r for r in rules if proposed.rule_id is not None and r.id == proposed.rule_id), None)
    if rule is not None and rule.client_id is None:
        rule = None  # an office rule proposed it: the client gets a rule of its own
    if rule is not None and unchanged(proposed, approved):
        return rule, replace(rule, confirmations=rule.confirmations + 1, last_confirmed=now)
    description_changed = approved.description != proposed.description
    if rule is not None:
        description = approved.description if description_changed else rule.template.description
        return rule, replace(
            rule,
            template=template_of(approved, description),
            overrides=rule.overrides + 1,
            confirmations=1,
            last_confirmed=now,
        )
    return None, Rule(
        client_id=approved.client_id,
        seller_nip=approved.seller_nip,
        template=template_of(approved, approved.description if description_changed else None),
        confirmations=1,
        overrides=0,
        last_confirmed=now,
        created=now,
    )


@dataclass(frozen=True)
class OfficeRuleCandidate:
    """A seller for which several clients treat the invoices the same way: offered as an office rule."""

    rule: Rule  # client_id None, the shared treatment, no client-specific accounts
    clients: tuple[int, ...]  # the clients that agree
    disagreeing: int  # clients with a rule for the seller that treat it otherwise


def _shared(template: RuleTemplate) -> RuleTemplate:
    """The part of a template that can be shared between clients (no contra, MPK or description)."""
    return replace(template, gl_contra=None, cost_centre=None, description=None)


def office_rule_candidates(rules: Iterable[Rule]) -> list[OfficeRuleCandidate]:
    """Sellers where at least three clients' rules (same narrowing) agree on the treatment and they are
    the majority of the clients with such a rule; sellers already covered by an office rule with the same
    narrowing are left out. Sorted by seller NIP."""
    Key = tuple[str, str, str, str, Decimal | None, Decimal | None]
    votes: dict[Key, dict[RuleTemplate, set[int]]] = defaultdict(lambda: defaultdict(set))
    office: set[Key] = set()
    for r in rules:
        key: Key = (r.seller_nip, r.item_text, r.item_code, r.doc_kind, r.amount_min, r.amount_max)
        if r.client_id is None:
            office.add(key)
        elif r.seller_nip:
            votes[key][_shared(r.template)].add(r.client_id)
    out: list[OfficeRuleCandidate] = []
    for key, by_template in votes.items():
        if key in office:
            continue
        everyone = set().union(*by_template.values())
        template, clients = max(by_template.items(), key=lambda kv: (len(kv[1]), -min(kv[1])))
        if len(clients) < MIN_OFFICE_CLIENTS or 2 * len(clients) <= len(everyone):
            continue
        seller, text, code, kind, lo, hi = key
        out.append(
            OfficeRuleCandidate(
                rule=Rule(
                    client_id=None,
                    seller_nip=seller,
                    template=template,
                    item_text=text,
                    item_code=code,
                    doc_kind=kind,
                    amount_min=lo,
                    amount_max=hi,
                ),
                clients=tuple(sorted(clients)),
                disagreeing=len(everyone - clients),
            )
        )
    out.sort(key=lambda c: (c.rule.seller_nip, c.rule.item_text, c.rule.item_code, c.rule.doc_kind))
    return out

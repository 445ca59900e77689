"""Realistic bookings and a fake of the queue's use cases (`ksef_tui.sync.bookings`) that behaves: it
filters and sorts like the real one, approves, excludes, rejects and undoes exactly, and learns — saving a
booking in the form creates (or updates) the client's rule for that seller, so the next invoice from that
seller arriving (`FakeQueue.arrive`) is proposed with that booking.

The fake replaces module attributes of `ksef_tui.sync.bookings`; the screens look them up at call time.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from ksef_tui.core.booking_rules import office_rule_candidates
from ksef_tui.core.bookings import (
    Booking,
    BookingLine,
    BookingStatus,
    Decision,
    Deduction,
    Dictionaries,
    JpkGroup,
    KpirColumn,
    QueueSettings,
    ReviewReason,
    Rule,
    RuleTemplate,
    Strength,
)
from ksef_tui.core.ksef_number import make_ksef_number
from ksef_tui.sync import bookings as booking_sync
from ksef_tui.sync.bookings import BookingKey, QueueFilter, QueuePage, QueueRow

from .helpers import NOW

CENT = Decimal("0.01")

# Recurring suppliers: name, NIP, invoice number pattern, net, VAT rate, register, deduction, KPiR, account.
KNOWN: tuple[tuple[str, str, str, str, str, Deduction, KpirColumn, str], ...] = (
    (
        "Energa Obrót SA",
        "9570957722",
        "E/{n:06d}/11/2026",
        "412.35",
        "23",
        Deduction.FULL,
        KpirColumn.OTHER,
        "401-02",
    ),
    (
        "Orange Polska SA",
        "5260250995",
        "F{n:08d}",
        "149.59",
        "23",
        Deduction.FULL,
        KpirColumn.OTHER,
        "402-02",
    ),
    (
        "ORLEN SA",
        "7740001454",
        "FV/{n}/2026/ST12",
        "373.17",
        "23",
        Deduction.HALF,
        KpirColumn.OTHER,
        "409-01",
    ),
    (
        "Biurowiec Zielna Sp. z o.o.",
        "5252812119",
        "NAJEM/{n}/2026",
        "6500.00",
        "23",
        Deduction.FULL,
        KpirColumn.OTHER,
        "402-01",
    ),
    (
        "Hurtownia Papieru Kraft",
        "5213000011",
        "HP/{n}/11/26",
        "811.80",
        "23",
        Deduction.FULL,
        KpirColumn.GOODS,
        "301-01",
    ),
    (
        "Piekarnia Kłos s.c.",
        "7122900011",
        "{n}/2026",
        "96.30",
        "5",
        Deduction.FULL,
        KpirColumn.GOODS,
        "301-01",
    ),
)
NEW_SUPPLIER = ("Serwis Klimatyzacji Polar Sp. z o.o.", "6762468391", "PLR/{n}/2026", "2450.00", "23")


def ksef_number(nip: str, at: datetime, index: int) -> str:
    return make_ksef_number(nip, at.strftime("%Y%m%d"), f"{0xB00C00000000 + index * 7919:012X}")


def line_for(net: Decimal, rate: str, **kw: Any) -> BookingLine:
    vat = (net * Decimal(rate) / 100).quantize(CENT) if rate.isdigit() else Decimal("0.00")
    return BookingLine(1, rate, net, vat, **kw)


def proposed(client_id: int, index: int, *, hours: float, confidence: int = 96, known: int = 0) -> Booking:
    name, nip, pattern, net_text, rate, deduction, kpir, account = KNOWN[known % len(KNOWN)]
    received = NOW - timedelta(hours=hours)
    net = Decimal(net_text) + index
    line = line_for(
        net,
        rate,
        deduction=deduction,
        kpir_column=kpir,
        gl_account=account,
        gl_contra=f"202-{nip}",
        cost_share_pct=75 if deduction is Deduction.HALF else 100,
    )
    times = 14 - known
    return Booking(
        client_id=client_id,
        ksef_number=ksef_number(nip, received, index),
        status=BookingStatus.PROPOSED,
        lines=(line,),
        seller_nip=nip,
        seller_name=name,
        invoice_number=pattern.format(n=1000 + index),
        issue_date=(received - timedelta(days=1)).date(),
        receipt_date=received.date(),
        vat_period="2026-11",
        cost_period="2026-11",
        vat_register="ZAKUP-50" if deduction is Deduction.HALF else "ZAKUP",
        gross=line.net + line.vat,
        description=f"{name}: {pattern.format(n=1000 + index)}",
        strength=Strength.SELLER,
        confidence=confidence,
        reason=f"dostawca znany: {times} razy zatwierdzone tak samo, 0 zmian",
        rule_id=100 + known,
        queued_at=received,
    )


def needs_review(
    client_id: int,
    index: int,
    *,
    hours: float,
    reasons: tuple[ReviewReason, ...] = (ReviewReason.FIRST_FROM_SELLER, ReviewReason.NO_RULE),
    supplier: tuple[str, str, str, str, str] = NEW_SUPPLIER,
    currency: str = "PLN",
    doc_kind: str = "VAT",
    sign: int = 1,
) -> Booking:
    name, nip, pattern, net_text, rate = supplier
    received = NOW - timedelta(hours=hours)
    net = sign * (Decimal(net_text) + index)
    line = line_for(net, rate, gl_contra=f"202-{nip}")
    return Booking(
        client_id=client_id,
        ksef_number=ksef_number(nip, received, index),
        status=BookingStatus.NEEDS_REVIEW,
        lines=(line,),
        doc_kind=doc_kind,
        seller_nip=nip,
        seller_name=name,
        invoice_number=pattern.format(n=500 + index),
        issue_date=(received - timedelta(days=2)).date(),
        receipt_date=received.date(),
        vat_period="2026-11",
        cost_period="2026-11",
        vat_register="ZAKUP",
        currency=currency,
        fx_rate=Decimal("4.2617") if currency != "PLN" else None,
        gross=line.net + line.vat,
        strength=Strength.NONE,
        confidence=0,
        reason="pierwsza faktura od tego dostawcy: brak reguły",
        review_reasons=reasons,
        queued_at=received,
    )


def morning(client_ids: Sequence[int]) -> list[Booking]:
    """The 09:30 scene, small: 12 strongly proposed (confidence ≥ 90) across the clients, 2 proposed
    weakly (pattern), 4 needing review (a new supplier, a foreign currency invoice, a correction, and a
    fuel invoice far above the usual); three of them waiting past the 24-hour SLA."""
    out: list[Booking] = []
    first = client_ids[0]
    for i in range(12):
        client = client_ids[i % len(client_ids)]
        out.append(proposed(client, i, hours=2 + i * 1.5, confidence=99 - (i % 5), known=i))
    for i in range(2):
        weak = proposed(client_ids[1 % len(client_ids)], 20 + i, hours=5 + i, confidence=72 - i, known=i + 2)
        out.append(
            dataclasses.replace(weak, strength=Strength.PATTERN, reason="wzorzec biura: 3 klientów tak samo")
        )
    out.append(needs_review(first, 30, hours=52))  # the new supplier, past the SLA
    gcp = ("Google Cloud Poland Sp. z o.o.", "5252822767", "GCP-{n:07d}", "1790.00", "np II")
    out.append(
        needs_review(
            first,
            31,
            hours=30,
            supplier=gcp,
            currency="EUR",
            reasons=(ReviewReason.FOREIGN_CURRENCY, ReviewReason.REVERSE_CHARGE),
        )
    )
    energa = (*KNOWN[0][:4], "23")
    out.append(
        needs_review(
            first, 32, hours=6, supplier=energa, doc_kind="KOR", sign=-1, reasons=(ReviewReason.CORRECTION,)
        )
    )
    orlen = (*KNOWN[2][:3], "9873.17", "23")
    out.append(needs_review(first, 33, hours=26, supplier=orlen, reasons=(ReviewReason.UNUSUAL_AMOUNT,)))
    return out


def key(b: Booking) -> BookingKey:
    return (b.client_id, b.ksef_number)


def template_of(booking: Booking) -> RuleTemplate:
    line = booking.lines[0]
    return RuleTemplate(
        vat_register=booking.vat_register,
        deduction=line.deduction,
        deduction_pct=line.deduction_pct,
        jpk_group=line.jpk_group,
        kpir_column=line.kpir_column,
        cost_share_pct=line.cost_share_pct,
        gl_account=line.gl_account,
        gl_contra=line.gl_contra,
        cost_centre=line.cost_centre,
    )


def apply_template(booking: Booking, rule: Rule) -> Booking:
    t = rule.template
    lines = tuple(
        dataclasses.replace(
            ln,
            deduction=t.deduction or ln.deduction,
            deduction_pct=t.deduction_pct,
            jpk_group=t.jpk_group or ln.jpk_group,
            kpir_column=t.kpir_column or ln.kpir_column,
            cost_share_pct=ln.cost_share_pct if t.cost_share_pct is None else t.cost_share_pct,
            gl_account=t.gl_account or ln.gl_account,
            gl_contra=t.gl_contra or ln.gl_contra,
            cost_centre=t.cost_centre or ln.cost_centre,
        )
        for ln in booking.lines
    )
    times = rule.confirmations + rule.overrides
    return dataclasses.replace(
        booking,
        lines=lines,
        vat_register=t.vat_register or booking.vat_register,
        status=BookingStatus.PROPOSED,
        strength=Strength.SELLER,
        confidence=80,
        reason=f"dostawca znany: {times} raz zatwierdzone, {rule.overrides} zmian",
        review_reasons=(),
        rule_id=rule.id,
    )


@dataclass
class FakeQueue:
    """The queue's use cases faked over a dict of Booking values (and rules), with a call log."""

    bookings: dict[BookingKey, Booking] = field(default_factory=dict)
    codes: dict[int, tuple[str, str]] = field(default_factory=dict)  # client id -> (short code, NIP)
    rules: dict[int, Rule] = field(default_factory=dict)
    settings: QueueSettings = field(default_factory=QueueSettings)
    calls: list[tuple[str, Any]] = field(default_factory=list)
    loads: int = 0

    @classmethod
    def for_store(cls, store: Any, bookings: Sequence[Booking]) -> FakeQueue:
        codes = {c.id: (c.short_code, c.nip) for c in store.clients.list()}
        return cls(bookings={key(b): b for b in bookings}, codes=codes)

    def install(self, monkeypatch: pytest.MonkeyPatch) -> FakeQueue:
        for name in (
            "load_queue",
            "approve",
            "save_booking",
            "exclude",
            "reject",
            "undo",
            "list_rules",
            "save_rule",
            "delete_rule",
            "office_rule_candidates",
            "promote_office_rule",
            "dictionaries",
            "queue_settings",
        ):
            monkeypatch.setattr(booking_sync, name, getattr(self, name))
        return self

    # --- reading -------------------------------------------------------------------------------

    def _matches_text(self, b: Booking, text: str) -> bool:
        if not text:
            return True
        needle = text.lower().replace("-", "").replace(" ", "")
        hay = [
            b.seller_name.lower().replace(" ", ""),
            b.seller_nip,
            b.invoice_number.lower().replace("-", "").replace(" ", ""),
            b.ksef_number.lower().replace("-", ""),
            str(b.gross).replace(".", ","),
            str(b.gross),
        ]
        return any(needle in h for h in hay)

    def load_queue(
        self,
        store: Any,
        flt: QueueFilter,
        clock: Callable[[], datetime],
        *,
        offset: int = 0,
        limit: int = 500,
        settings: QueueSettings | None = None,
    ) -> QueuePage:
        self.loads += 1
        now = clock()
        clients = set(flt.client_ids) if flt.client_ids is not None else None
        mine = [b for b in self.bookings.values() if clients is None or b.client_id in clients]
        counts: dict[BookingStatus, int] = {}
        for b in mine:
            counts[b.status] = counts.get(b.status, 0) + 1
        chosen = [
            b
            for b in mine
            if b.status in flt.statuses
            and b.confidence >= flt.min_confidence
            and (flt.strength is None or b.strength is flt.strength)
            and (not flt.vat_period or b.vat_period == flt.vat_period)
            and self._matches_text(b, flt.text)
        ]
        chosen.sort(key=lambda b: (b.queued_at or now, b.ksef_number))

        def row(b: Booking) -> QueueRow:
            age = (now - (b.queued_at or now)).total_seconds() / 3600
            code, nip = self.codes.get(b.client_id, (str(b.client_id), ""))
            return QueueRow(b, code, nip, age, age > self.settings.sla_hours)

        past = sum(
            1
            for b in mine
            if b.status in (BookingStatus.PROPOSED, BookingStatus.NEEDS_REVIEW, BookingStatus.NEW)
            and (now - (b.queued_at or now)).total_seconds() / 3600 > self.settings.sla_hours
        )
        return QueuePage([row(b) for b in chosen[offset : offset + limit]], len(chosen), counts, past)

    def queue_settings(self, store: Any) -> QueueSettings:
        return self.settings

    def dictionaries(self, store: Any, client_id: int) -> Dictionaries:
        return Dictionaries(cost_centres=("ADM", "HANDEL"))

    # --- deciding ------------------------------------------------------------------------------

    def _step(self, action: str, keys: Sequence[BookingKey], by: str, clock: Any, change: Any) -> Decision:
        before = tuple(self.bookings[k] for k in keys)
        after = tuple(change(b) for b in before)
        for b in after:
            self.bookings[key(b)] = b
        decision = Decision(action, before, after, by, clock())
        self.calls.append((action, decision))
        return decision

    def approve(self, store: Any, keys: Sequence[BookingKey], by: str, clock: Any) -> Decision:
        return self._step(
            "approve",
            keys,
            by,
            clock,
            lambda b: dataclasses.replace(
                b, status=BookingStatus.APPROVED, decided_by=by, decided_at=clock()
            ),
        )

    def exclude(self, store: Any, keys: Sequence[BookingKey], reason: str, by: str, clock: Any) -> Decision:
        return self._step(
            "exclude",
            keys,
            by,
            clock,
            lambda b: dataclasses.replace(
                b, status=BookingStatus.EXCLUDED, excluded_reason=reason, decided_by=by
            ),
        )

    def reject(self, store: Any, keys: Sequence[BookingKey], by: str, clock: Any) -> Decision:
        return self._step(
            "reject",
            keys,
            by,
            clock,
            lambda b: dataclasses.replace(
                b, status=BookingStatus.NEEDS_REVIEW, decided_by="", decided_at=None
            ),
        )

    def save_booking(
        self, store: Any, booking: Booking, by: str, clock: Any, *, approve: bool = True
    ) -> Decision:
        before = self.bookings[key(booking)]
        status = BookingStatus.APPROVED if approve else booking.status
        after = dataclasses.replace(booking, status=status, decided_by=by, decided_at=clock())
        old = next(
            (
                r
                for r in self.rules.values()
                if r.client_id == booking.client_id and r.seller_nip == booking.seller_nip
            ),
            None,
        )
        if old is None:
            new = Rule(
                booking.client_id, booking.seller_nip, template_of(after), overrides=1, created=clock()
            )
            new = dataclasses.replace(new, id=max(self.rules, default=0) + 1)
        else:
            new = dataclasses.replace(old, template=template_of(after), overrides=old.overrides + 1)
        self.rules[new.id or 0] = new
        self.bookings[key(after)] = after
        decision = Decision("edit", (before,), (after,), by, clock(), rule_changes=((old, new),))
        self.calls.append(("edit", decision))
        return decision

    def undo(self, store: Any, decision: Decision, by: str, clock: Any) -> None:
        for b in decision.before:
            self.bookings[key(b)] = b
        for old, new in reversed(decision.rule_changes):
            if old is None and new is not None:
                self.rules.pop(new.id or 0, None)
            elif old is not None:
                self.rules[old.id or 0] = old
        self.calls.append(("undo", decision))

    # --- rules -------------------------------------------------------------------------------------

    def list_rules(self, store: Any, client_id: int | None = None) -> list[Rule]:
        return [r for r in self.rules.values() if client_id is None or r.client_id in (client_id, None)]

    def save_rule(self, store: Any, rule: Rule, by: str, clock: Any) -> Rule:
        self.rules[rule.id or 0] = rule
        self.calls.append(("save_rule", rule))
        return rule

    def delete_rule(self, store: Any, rule_id: int, by: str, clock: Any) -> None:
        self.rules.pop(rule_id)
        self.calls.append(("delete_rule", rule_id))

    def office_rule_candidates(self, store: Any) -> list[Any]:
        return office_rule_candidates(self.rules.values())

    def promote_office_rule(
        self, store: Any, seller_nip: str, template: RuleTemplate, by: str, clock: Any
    ) -> Rule:
        (offer,) = [
            c
            for c in self.office_rule_candidates(store)
            if c.rule.seller_nip == seller_nip and c.rule.template == template
        ]
        rule = dataclasses.replace(offer.rule, id=max(self.rules, default=0) + 1)
        self.rules[rule.id or 0] = rule
        self.calls.append(("promote_office_rule", rule))
        return rule

    # --- the world moving on ---------------------------------------------------------------------

    def arrive(self, booking: Booking) -> Booking:
        """A new invoice synced and proposed: by the client's rule for its seller when there is one."""
        rule = next(
            (
                r
                for r in self.rules.values()
                if r.client_id == booking.client_id and r.seller_nip == booking.seller_nip
            ),
            None,
        )
        if rule is not None:
            booking = apply_template(booking, rule)
        self.bookings[key(booking)] = booking
        return booking


def sample_rules(client_id: int) -> list[Rule]:
    """Three of a client's rules and an office-wide one, as learnt from a previous month."""
    rules = []
    for i, known in enumerate((0, 2, 4)):
        _name, nip, _p, _n, _r, deduction, kpir, account = KNOWN[known]
        template = RuleTemplate(
            vat_register="ZAKUP-50" if deduction is Deduction.HALF else "ZAKUP",
            deduction=deduction,
            kpir_column=kpir,
            gl_account=account,
            cost_share_pct=75 if deduction is Deduction.HALF else None,
            jpk_group=JpkGroup.OTHER,
        )
        rules.append(
            Rule(
                client_id,
                nip,
                template,
                item_text="paliwo" if known == 2 else "",
                confirmations=14 - i * 3,
                overrides=i,
                created=NOW - timedelta(days=60),
                id=100 + known,
            )
        )
    office = Rule(
        None,
        "5260250995",
        RuleTemplate(
            vat_register="ZAKUP", deduction=Deduction.FULL, kpir_column=KpirColumn.OTHER, gl_account="402-02"
        ),
        confirmations=31,
        id=900,
    )
    return [*rules, office]


def agreeing_rules(client_ids: Sequence[int]) -> list[Rule]:
    """The first client's rule for KNOWN[4]'s seller, copied to the next two clients (their own contra
    accounts): three clients agreeing, an office rule on offer."""
    first = sample_rules(client_ids[0])[2]
    return [
        dataclasses.replace(
            first,
            client_id=cid,
            template=dataclasses.replace(first.template, gl_contra=f"202-0{i}"),
            confirmations=4 + i,
            overrides=0,
            id=200 + i,
        )
        for i, cid in enumerate(client_ids[1:3], start=1)
    ]


def day_of(hours: float) -> date:
    return (NOW - timedelta(hours=hours)).date()

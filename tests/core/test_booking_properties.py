"""Hypothesis properties of the booking engine: lines always sum to the invoice (random rate buckets and
FX rates), approving then undoing restores exactly, splitting keeps the sums, proposals never change
amounts or decided bookings."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given
from hypothesis import strategies as st

from ksef_tui.core.booking_draft import BUCKET_RATE, allocate, draft_booking, split_by_lines
from ksef_tui.core.booking_queue import approve, exclude, reject, undo
from ksef_tui.core.booking_rules import SellerHistory, propose
from ksef_tui.core.bookings import Booking, BookingStatus, Deduction, Rule, RuleTemplate
from ksef_tui.core.fa.model import VatRateSummary
from tests.core.booking_helpers import SETTINGS, T0, booking, draft, purchase, record

D = Decimal
CENT = D("0.01")
BASE_EUR = purchase("chmura-it", currency="EUR")
BASE_PLN = purchase("telkom-net")
MANY_LINES = purchase("orlen-stacja", seed=10, lines=8)

amounts = st.decimals(min_value=D("-999999.99"), max_value=D("999999.99"), places=2)
rates = st.decimals(min_value=D("0.0001"), max_value=D("99.9999"), places=4)


@st.composite
def buckets(draw: st.DrawFn, with_pln_vat: bool) -> tuple[VatRateSummary, ...]:
    codes = draw(st.lists(st.sampled_from(sorted(BUCKET_RATE)), min_size=1, max_size=6, unique=True))
    out = []
    for code in codes:
        vat_pln = draw(st.none() | amounts) if with_pln_vat else None
        out.append(VatRateSummary(code, "", draw(amounts), draw(st.none() | amounts), vat_pln))
    return tuple(out)


def _money(x: Decimal) -> Decimal:
    return x.quantize(CENT, rounding=ROUND_HALF_UP)


def _check(b: Booking, exact: dict[str, tuple[Decimal, Decimal]]) -> None:
    by_rate = {x.vat_rate: x for x in b.lines}
    assert len(by_rate) == len(b.lines) == len(exact)
    total_net = _money(sum((n for n, _v in exact.values()), D(0)))
    total_vat = _money(sum((v for _n, v in exact.values()), D(0)))
    assert sum((x.net for x in b.lines), D(0)) == total_net
    assert sum((x.vat for x in b.lines), D(0)) == total_vat
    assert b.gross == total_net + total_vat
    for code, (net, vat) in exact.items():
        line = by_rate[BUCKET_RATE[code]]
        assert abs(line.net - net) < CENT and abs(line.vat - vat) < CENT
        assert line.net == line.net.quantize(CENT) and line.vat == line.vat.quantize(CENT)


@given(buckets(with_pln_vat=False))
def test_a_pln_invoices_lines_are_its_buckets_exactly(bs: tuple[VatRateSummary, ...]) -> None:
    invoice = replace(BASE_PLN, vat_rates=bs, lines=())
    b = draft(invoice)
    assert [(x.net, x.vat) for x in b.lines] == [(s.net, s.vat or D(0)) for s in b_sorted(bs)]


def b_sorted(bs: tuple[VatRateSummary, ...]) -> list[VatRateSummary]:
    order = list(BUCKET_RATE)
    return sorted(bs, key=lambda s: order.index(s.code))


@given(buckets(with_pln_vat=True), rates)
def test_foreign_lines_sum_to_the_invoice_in_pln_at_its_rate(
    bs: tuple[VatRateSummary, ...], rate: Decimal
) -> None:
    invoice = replace(BASE_EUR, vat_rates=bs, lines=(), exchange_rate=rate)
    b = draft(invoice)
    assert b.fx_rate == rate
    exact = {
        s.code: (s.net * rate, s.vat_pln if s.vat_pln is not None else (s.vat or D(0)) * rate) for s in bs
    }
    _check(b, exact)


@given(buckets(with_pln_vat=True), rates)
def test_a_rate_given_by_hand_converts_everything(bs: tuple[VatRateSummary, ...], rate: Decimal) -> None:
    invoice = replace(BASE_EUR, vat_rates=bs, lines=())
    b = draft_booking(1, record(invoice), invoice, settings=SETTINGS, queued_at=T0, fx_rate=rate)
    _check(b, {s.code: (s.net * rate, (s.vat or D(0)) * rate) for s in bs})


@given(st.lists(st.decimals(min_value=D("-1e6"), max_value=D("1e6"), places=6), min_size=1, max_size=20))
def test_allocate_sums_to_the_rounded_total_within_a_grosz_each(exact: list[Decimal]) -> None:
    total = _money(sum(exact, D(0)))
    out = allocate(total, exact)
    assert sum(out, D(0)) == total
    assert all(abs(o - e) < CENT for o, e in zip(out, exact, strict=True))


# ------------------------------------------------------------------------------------------------
# splitting


def _per_rate(b: Booking) -> dict[str, tuple[Decimal, Decimal]]:
    out: dict[str, tuple[Decimal, Decimal]] = defaultdict(lambda: (D(0), D(0)))
    for x in b.lines:
        n, v = out[x.vat_rate]
        out[x.vat_rate] = (n + x.net, v + x.vat)
    return dict(out)


@given(st.lists(st.sampled_from(range(-1, 5)), min_size=8, max_size=8))
def test_split_keeps_every_rates_sums(assignment: list[int]) -> None:
    """Each of the 8 invoice lines goes to one of up to five groups, or to none (-1)."""
    groups: dict[int, list[int]] = defaultdict(list)
    for ordinal, group in enumerate(assignment, 1):
        if group >= 0:
            groups[group].append(ordinal)
    b = draft(MANY_LINES)
    split = split_by_lines(b, MANY_LINES, [groups[k] for k in sorted(groups)])
    assert _per_rate(split) == _per_rate(b)
    assert [x.line_no for x in split.lines] == list(range(1, len(split.lines) + 1))
    covered = [o for x in split.lines for o in x.source_lines]
    assert len(covered) == len(set(covered))
    for x in split.lines:
        assert x.net == x.net.quantize(CENT)


# ------------------------------------------------------------------------------------------------
# steps and undo


open_status = st.sampled_from([BookingStatus.NEW, BookingStatus.PROPOSED, BookingStatus.NEEDS_REVIEW])


@st.composite
def open_bookings(draw: st.DrawFn) -> list[Booking]:
    n = draw(st.integers(min_value=1, max_value=6))
    out = []
    for i in range(n):
        nets = tuple(str(x) for x in draw(st.lists(amounts, min_size=1, max_size=3)))
        b = booking(number=f"FV/{i}", nets=nets, status=draw(open_status), client_id=draw(st.integers(1, 3)))
        out.append(
            replace(b, note=draw(st.text(max_size=5)), excluded_reason=draw(st.sampled_from(["", "x"])))
        )
    return out


@given(open_bookings())
def test_approve_then_undo_restores_exactly(bs: list[Booking]) -> None:
    d = approve(bs, "anna", T0)
    assert all(x.status in (BookingStatus.APPROVED, BookingStatus.EXCLUDED) for x in d.after)
    assert undo(d, current=d.after) == tuple(bs)


@given(open_bookings(), st.text(min_size=1, max_size=10).filter(str.strip))
def test_exclude_or_reject_then_undo_restores_exactly(bs: list[Booking], reason: str) -> None:
    d = exclude(bs, reason, "anna", T0)
    assert undo(d) == tuple(bs)
    approved = approve(bs, "anna", T0).after
    r = reject(approved, "ewa", T0)
    assert undo(r, current=r.after) == approved


@given(open_bookings(), st.integers(0, 5), st.integers(0, 3), st.sampled_from(list(Deduction)))
def test_proposals_never_change_amounts_and_never_touch_decided(
    bs: list[Booking], confirmations: int, overrides: int, deduction: Deduction
) -> None:
    rules = [
        Rule(
            client_id=c,
            seller_nip=bs[0].seller_nip,
            template=RuleTemplate(deduction=deduction, deduction_pct=D("50"), cost_share_pct=75),
            confirmations=confirmations,
            overrides=overrides,
            id=c,
        )
        for c in (1, 2)
    ]
    history = SellerHistory(count=3, median_gross=D("100"))
    for b in bs:
        p = propose(b, rules, history, SETTINGS, T0)
        assert [(x.net, x.vat) for x in p.lines] == [(x.net, x.vat) for x in b.lines]
        assert 0 <= p.confidence <= 100
        assert p.status in (BookingStatus.PROPOSED, BookingStatus.NEEDS_REVIEW)
        assert (p.status is BookingStatus.NEEDS_REVIEW) == bool(p.review_reasons)
        decided = approve([p], "anna", T0).after[0]
        assert propose(decided, rules, history, SETTINGS, T0) is decided

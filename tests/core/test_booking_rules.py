"""The rule engine: precedence, narrowing, the never-auto list, confidence and reasons, learning, office
rule candidates, and no rewrite of decided bookings (issue 13 items 2 and 3)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from ksef_tui.core.booking_queue import approve, edit
from ksef_tui.core.booking_rules import (
    REVIEW_MAX,
    SellerHistory,
    evolve,
    learn,
    office_rule_candidates,
    propose,
    propose_all,
    seller_histories,
)
from ksef_tui.core.bookings import (
    Booking,
    BookingStatus,
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
from ksef_tui.core.i18n import set_language
from tests.core.booking_helpers import SETTINGS, T0, booking, draft, purchase, sample

D = Decimal
SELLER = "7934628101"  # Stacja Paliw Autostrada (simulator catalogue: orlen-stacja)
KNOWN = SellerHistory(count=5, median_gross=D("123.00"))
FUEL_HALF = RuleTemplate(
    vat_register="ZAKUP-50",
    deduction=Deduction.HALF,
    kpir_column=KpirColumn.OTHER,
    cost_share_pct=75,
    gl_account="401-01",
)


def rule(
    template: RuleTemplate = FUEL_HALF,
    *,
    id: int = 1,
    client_id: int | None = 1,
    seller_nip: str = SELLER,
    confirmations: int = 5,
    overrides: int = 0,
    **narrow: object,
) -> Rule:
    return Rule(
        client_id=client_id,
        seller_nip=seller_nip,
        template=template,
        confirmations=confirmations,
        overrides=overrides,
        id=id,
        **narrow,  # type: ignore[arg-type]
    )


def run(
    b: Booking, rules: list[Rule], history: SellerHistory = KNOWN, settings: QueueSettings = SETTINGS
) -> Booking:
    return propose(b, rules, history, settings, T0)


# ------------------------------------------------------------------------------------------------
# precedence and narrowing


def test_the_client_rule_is_applied_to_every_line() -> None:
    b = booking(nets=("100.00", "50.00"))
    p = run(b, [rule()])
    assert (p.status, p.strength, p.rule_id, p.vat_register) == (
        BookingStatus.PROPOSED,
        Strength.SELLER,
        1,
        "ZAKUP-50",
    )
    for x in p.lines:
        assert (x.deduction, x.cost_share_pct, x.gl_account, x.kpir_column) == (
            Deduction.HALF,
            75,
            "401-01",
            KpirColumn.OTHER,
        )
        assert x.gl_contra == f"202-{SELLER}"  # the default contra: <prefix>-<seller NIP>
    assert [(x.net, x.vat) for x in p.lines] == [(x.net, x.vat) for x in b.lines]


def test_contra_prefix_comes_from_the_clients_dictionaries() -> None:
    p = propose(booking(), [rule()], KNOWN, SETTINGS, T0, dictionaries=Dictionaries(contra_prefix="210"))
    assert p.lines[0].gl_contra == f"210-{SELLER}"
    explicit = rule(replace(FUEL_HALF, gl_contra="202-ORLEN"))
    assert run(booking(), [explicit]).lines[0].gl_contra == "202-ORLEN"


def test_the_same_seller_is_half_vat_for_one_client_and_full_for_another() -> None:
    rules = [rule(id=1, client_id=1), rule(RuleTemplate(deduction=Deduction.FULL), id=2, client_id=2)]
    assert run(booking(client_id=1), rules).lines[0].deduction is Deduction.HALF
    assert run(booking(client_id=2), rules).lines[0].deduction is Deduction.FULL
    assert run(booking(client_id=3), rules).strength is Strength.NONE


def test_precedence_item_rule_then_seller_rule_then_office_rule() -> None:
    office = rule(RuleTemplate(deduction=Deduction.NONE), id=1, client_id=None)
    seller = rule(RuleTemplate(deduction=Deduction.FULL), id=2)
    items = rule(RuleTemplate(deduction=Deduction.HALF), id=3, item_text="olej napędowy")
    b = booking(items=("Olej napędowy ON", "Myjnia"))
    p = run(b, [office, seller, items])
    assert (p.rule_id, p.strength, p.lines[0].deduction) == (3, Strength.SELLER_ITEMS, Deduction.HALF)
    p = run(booking(items=("Hot-dog",)), [office, seller, items])
    assert (p.rule_id, p.strength) == (2, Strength.SELLER)
    p = run(b, [office])
    assert (p.rule_id, p.strength, p.lines[0].deduction) == (1, Strength.PATTERN, Deduction.NONE)


def test_item_code_matches_ignoring_spaces_and_case() -> None:
    r = rule(id=3, item_code="8418 21 91")
    assert run(booking(codes=("841821 91",)), [r]).strength is Strength.SELLER_ITEMS
    assert run(booking(codes=("8418 40 20",)), [r]).strength is Strength.NONE


def test_narrowing_by_document_kind_and_amount_prefers_the_narrower_rule() -> None:
    general = rule(RuleTemplate(deduction=Deduction.FULL), id=1)
    big = rule(RuleTemplate(jpk_group=JpkGroup.FIXED_ASSETS), id=2, amount_min=D("5000"))
    corrections = rule(RuleTemplate(vat_register="KOREKTY"), id=3, doc_kind="KOR")
    rules = [general, big, corrections]
    assert run(booking(), rules).rule_id == 1
    assert run(booking(nets=("8000.00",)), rules).rule_id == 2
    assert run(booking(doc_kind="KOR", nets=("-10.00",)), rules).rule_id == 3
    capped = rule(id=4, amount_max=D("50"))
    assert run(booking(), [capped]).strength is Strength.NONE  # 123.00 gross is over 50


def test_a_sellerless_office_pattern_needs_an_item_and_is_only_a_pattern() -> None:
    pattern = rule(
        RuleTemplate(kpir_column=KpirColumn.OTHER), client_id=None, seller_nip="", item_text="paliwo"
    )
    assert run(booking(items=("Paliwo Pb95",)), [pattern]).strength is Strength.PATTERN
    bare = rule(client_id=None, seller_nip="")
    assert run(booking(), [bare]).strength is Strength.NONE


def test_an_exempt_line_keeps_no_deduction_whatever_the_rule() -> None:
    b = draft(sample("FA_3_Przykład_9.xml"))  # 23 % + zw
    seller = b.seller_nip
    p = propose(b, [rule(seller_nip=seller)], KNOWN, SETTINGS, T0)
    assert [(x.deduction, x.jpk_group) for x in p.lines] == [
        (Deduction.HALF, JpkGroup.OTHER),
        (Deduction.NONE, JpkGroup.NONE),
    ]


def test_propose_all_uses_each_clients_history_and_rules() -> None:
    b1, b2 = booking(client_id=1), booking(client_id=2, number="FV/2")
    out = propose_all([b1, b2], [rule(client_id=1)], {(1, SELLER): KNOWN}, SETTINGS, T0)
    assert [x.status for x in out] == [BookingStatus.PROPOSED, BookingStatus.NEEDS_REVIEW]
    assert out[1].review_reasons == (ReviewReason.NO_RULE, ReviewReason.FIRST_FROM_SELLER)


# ------------------------------------------------------------------------------------------------
# strength, confidence, reason


def test_a_known_supplier_with_enough_confirmations_is_strong_and_says_why() -> None:
    p = run(booking(), [rule(confirmations=14)])
    assert p.confidence >= 90
    assert p.reason == "dostawca znany: 14 razy zatwierdzone tak samo, 0 zmian"


def test_fewer_confirmations_or_overrides_lower_the_confidence() -> None:
    strong = run(booking(), [rule(confirmations=2)]).confidence
    one = run(booking(), [rule(confirmations=1)]).confidence
    overridden = run(booking(), [rule(confirmations=2, overrides=1)])
    assert strong >= 90 > one
    assert overridden.confidence < 90
    assert overridden.reason == "dostawca znany: 2 razy zatwierdzone tak samo, 1 zmiana"
    assert run(booking(), [rule(confirmations=3, overrides=1)]).confidence >= 90  # one more confirmation
    assert run(booking(), [rule(confirmations=30)]).confidence <= 100


def test_pattern_is_at_most_60_and_none_is_0() -> None:
    office = run(booking(), [rule(client_id=None, confirmations=50)])
    assert office.strength is Strength.PATTERN and office.confidence <= 60
    assert office.reason == "reguła biura dla tego dostawcy, jeszcze niepotwierdzona u tego klienta"
    none = run(booking(), [])
    assert (none.strength, none.confidence, none.status) == (Strength.NONE, 0, BookingStatus.NEEDS_REVIEW)
    assert none.review_reasons == (ReviewReason.NO_RULE,)
    assert none.reason == "brak reguły dla tego dostawcy (wcześniej zatwierdzone 5 razy)"
    assert none.lines[0].gl_contra == f"202-{SELLER}"


def test_a_new_supplier_says_so() -> None:
    p = run(booking(), [], SellerHistory())
    assert p.reason == "nowy dostawca — brak reguły"
    assert p.review_reasons == (ReviewReason.NO_RULE, ReviewReason.FIRST_FROM_SELLER)


def test_reason_in_english_too() -> None:
    set_language("en")
    try:
        p = run(booking(), [rule(confirmations=1, item_text="olej")])
        assert p.reason == "known supplier and item “olej”: approved the same way 1 time, 0 changes"
    finally:
        set_language("pl")


# ------------------------------------------------------------------------------------------------
# the never-auto list


NEVER_AUTO = [
    (ReviewReason.CORRECTION, dict(doc_kind="KOR", nets=("-10.00",))),
    (ReviewReason.ADVANCE, dict(doc_kind="ZAL")),
    (ReviewReason.FINAL, dict(doc_kind="ROZ")),
    (ReviewReason.REVERSE_CHARGE, dict(vat_rate="oo")),
    (ReviewReason.FOREIGN_CURRENCY, dict(currency="EUR", fx_rate=D("4.25"))),
    (ReviewReason.FIXED_ASSET, dict(nets=("10000.01",), max_item="10000.01")),
    (ReviewReason.UNUSUAL_AMOUNT, dict(nets=("400.00",))),  # gross 492 > 3 × 123
    (ReviewReason.UNUSUAL_AMOUNT, dict(nets=("30.00",))),  # gross 36.90 < 123 / 3
    (ReviewReason.THIRD_PARTY, dict(third_party=True)),
]


@pytest.mark.parametrize(
    ("reason", "shape"), NEVER_AUTO, ids=[f"{r.value}-{i}" for i, (r, _s) in enumerate(NEVER_AUTO)]
)
def test_never_auto_even_with_a_strong_rule(reason: ReviewReason, shape: dict[str, object]) -> None:
    p = run(booking(**shape), [rule(confirmations=20)])  # type: ignore[arg-type]
    assert p.status is BookingStatus.NEEDS_REVIEW
    assert reason in p.review_reasons
    assert p.confidence <= REVIEW_MAX  # "mark all above 90 %" never takes it in
    assert p.strength is Strength.SELLER  # the proposal is still there to review
    assert p.lines[0].gl_account == "401-01"


def test_first_invoice_from_the_seller_is_never_auto() -> None:
    p = run(booking(), [rule(confirmations=20)], SellerHistory())
    assert (p.status, p.review_reasons) == (BookingStatus.NEEDS_REVIEW, (ReviewReason.FIRST_FROM_SELLER,))


def test_reasons_are_named_in_the_one_line_reason() -> None:
    p = run(
        booking(doc_kind="KOR", currency="EUR", fx_rate=D("4.25"), nets=("-5.00",)), [rule(confirmations=3)]
    )
    assert p.reason.startswith("korekta, waluta obca; dostawca znany: 3 razy")


def test_the_usual_amount_needs_three_invoices_and_ignores_corrections() -> None:
    two = SellerHistory(count=2, median_gross=D("123.00"))
    assert run(booking(nets=("4000.00",)), [rule()], two).review_reasons == ()
    kor = run(booking(doc_kind="KOR", nets=("-4000.00",)), [rule()])
    assert ReviewReason.UNUSUAL_AMOUNT not in kor.review_reasons
    settings = QueueSettings(unusual_factor=D("10"))
    assert run(booking(nets=("400.00",)), [rule()], settings=settings).status is BookingStatus.PROPOSED


def test_fixed_asset_threshold_is_a_setting() -> None:
    b = booking(nets=("3600.00",), max_item="3600.00")
    history = SellerHistory(count=5, median_gross=b.gross)
    assert run(b, [rule()], history).status is BookingStatus.PROPOSED
    lower = QueueSettings(fixed_asset_threshold=D("3500.00"))
    assert run(b, [rule()], history, lower).review_reasons == (ReviewReason.FIXED_ASSET,)


def test_fixed_asset_is_one_item_of_goods_over_the_threshold_not_a_rate_bucket() -> None:
    # A bucket of many small items (a 23 % line of 12,000 zł), or one month's rent of 12,000 zł: no hint;
    # one item of goods over the threshold: the hint (the largest item is drafted from the FaWiersz).
    history = SellerHistory(count=5, median_gross=D("14760.00"))
    bucket = booking(nets=("12000.00",), max_item="1200.00")
    assert run(bucket, [rule()], history).status is BookingStatus.PROPOSED
    rent = booking(nets=("12000.00",), items=("Czynsz najmu lokalu",), max_item=None)
    assert run(rent, [rule()], history).status is BookingStatus.PROPOSED
    machine = booking(nets=("12000.00",), max_item="12000.00")
    assert run(machine, [rule()], history).review_reasons == (ReviewReason.FIXED_ASSET,)


def test_real_invoices_of_each_never_auto_kind_need_review() -> None:
    cases = {
        "KSEF_02_KOR.xml": ReviewReason.CORRECTION,
        "KSEF_03_ZAL.xml": ReviewReason.ADVANCE,
        "KSEF_09_ROZ_A.xml": ReviewReason.FINAL,
        "FA_3_Przykład_21.xml": ReviewReason.FOREIGN_CURRENCY,
        "Fa_3_Przykład_17.xml": ReviewReason.FIXED_ASSET,  # a flat, one piece: 307,500 zł
    }
    for name, reason in cases.items():
        b = draft(sample(name))
        p = propose(b, [rule(seller_nip=b.seller_nip, confirmations=9)], KNOWN, SETTINGS, T0)
        assert p.status is BookingStatus.NEEDS_REVIEW and reason in p.review_reasons, name
    oo = draft(purchase("stal-slask", reverse_charge=True))
    p = propose(oo, [rule(seller_nip=oo.seller_nip)], KNOWN, SETTINGS, T0)
    assert ReviewReason.REVERSE_CHARGE in p.review_reasons


# ------------------------------------------------------------------------------------------------
# exclusion, and decided bookings


def test_an_excluding_rule_proposes_the_exclusion_and_approving_makes_it_excluded() -> None:
    r = rule(RuleTemplate(exclude=True))
    p = run(booking(), [r])
    assert p.status is BookingStatus.PROPOSED and p.excluded_reason == "nie jest kosztem klienta (reguła)"
    decided = approve([p], "anna", T0).after[0]
    assert decided.status is BookingStatus.EXCLUDED


@pytest.mark.parametrize("status", [BookingStatus.APPROVED, BookingStatus.EXPORTED, BookingStatus.EXCLUDED])
def test_rules_never_rewrite_decided_bookings(status: BookingStatus) -> None:
    b = booking(status=status)
    assert run(b, [rule()]) is b


def test_proposing_again_replaces_an_earlier_proposal() -> None:
    first = run(booking(), [rule(RuleTemplate(exclude=True))])
    again = run(first, [rule(RuleTemplate(deduction=Deduction.FULL), id=2)])
    assert (again.rule_id, again.excluded_reason) == (2, "")


# ------------------------------------------------------------------------------------------------
# learning


def test_approved_unchanged_counts_a_confirmation() -> None:
    r = rule(confirmations=4)
    p = run(booking(), [r])
    approved = approve([p], "anna", T0).after[0]
    before, after = learn([r], p, approved, T0)
    assert before == r
    assert (after.confirmations, after.overrides, after.last_confirmed, after.template) == (
        5,
        0,
        T0,
        r.template,
    )


def test_approved_with_changes_updates_the_rule_and_counts_the_override() -> None:
    r = rule(confirmations=4)
    p = run(booking(), [r])
    changed = replace(
        p, lines=tuple(replace(x, deduction=Deduction.FULL, cost_share_pct=100) for x in p.lines)
    )
    approved = edit(p, replace(changed, status=BookingStatus.APPROVED), "anna", T0).after[0]
    before, after = learn([r], p, approved, T0)
    assert before == r
    assert (after.confirmations, after.overrides) == (1, 1)
    assert (after.template.deduction, after.template.cost_share_pct, after.template.gl_account) == (
        Deduction.FULL,
        100,
        "401-01",
    )
    assert after.id == r.id and after.seller_nip == r.seller_nip


def test_no_rule_creates_the_clients_rule_and_the_next_invoice_is_proposed_with_it() -> None:
    """The morning: a new supplier is classified once; its next invoice comes proposed that way."""
    b = draft(purchase("paliwa-mazur", seed=1))
    p = propose(b, [], SellerHistory(), SETTINGS, T0)
    assert p.status is BookingStatus.NEEDS_REVIEW
    classified = replace(
        p,
        status=BookingStatus.APPROVED,
        vat_register="ZAKUP-50",
        lines=tuple(
            replace(x, deduction=Deduction.HALF, cost_share_pct=75, gl_account="401-01") for x in p.lines
        ),
    )
    approved = edit(p, classified, "anna", T0).after[0]
    before, new = learn([], p, approved, T0)
    assert before is None
    assert (new.client_id, new.seller_nip, new.confirmations, new.overrides, new.created) == (
        1,
        b.seller_nip,
        1,
        0,
        T0,
    )
    new = replace(new, id=7)
    history = seller_histories([approved])[(1, b.seller_nip)]
    nxt = draft(purchase("paliwa-mazur", seed=2, number="PM/2"), queued_at=T0 + timedelta(days=3))
    q = propose(nxt, [new], history, SETTINGS, T0)
    assert (q.status, q.strength, q.rule_id, q.vat_register) == (
        BookingStatus.PROPOSED,
        Strength.SELLER,
        7,
        "ZAKUP-50",
    )
    assert all(x.deduction is Deduction.HALF and x.cost_share_pct == 75 for x in q.lines)
    assert q.reason == "dostawca znany: 1 raz zatwierdzone tak samo, 0 zmian"


def test_an_office_rules_proposal_teaches_the_client_a_rule_of_its_own() -> None:
    office = rule(client_id=None, id=9)
    p = run(booking(), [office])
    approved = approve([p], "anna", T0).after[0]
    before, new = learn([office], p, approved, T0)
    assert before is None and new.client_id == 1 and new.template.deduction is Deduction.HALF


def test_a_changed_description_is_learned_an_untouched_one_is_not() -> None:
    p = run(booking(), [])
    approved = approve([p], "anna", T0).after[0]
    assert learn([], p, approved, T0)[1].template.description is None
    described = edit(
        p, replace(p, description="Paliwo do samochodu osobowego", status=BookingStatus.APPROVED), "anna", T0
    ).after[0]
    assert learn([], p, described, T0)[1].template.description == "Paliwo do samochodu osobowego"


def test_an_exclusion_is_learned() -> None:
    from ksef_tui.core.booking_queue import exclude

    p = run(booking(), [])
    excluded = exclude([p], "zakup prywatny", "anna", T0).after[0]
    assert learn([], p, excluded, T0)[1].template.exclude


def test_the_learned_template_comes_from_the_taxed_main_line() -> None:
    b = draft(sample("FA_3_Przykład_9.xml"))  # 2000 at 23 %, 300 zw
    p = propose(b, [], KNOWN, SETTINGS, T0)
    approved = approve([p], "anna", T0).after[0]
    template = learn([], p, approved, T0)[1].template
    assert (template.deduction, template.jpk_group) == (Deduction.FULL, JpkGroup.OTHER)


# ------------------------------------------------------------------------------------------------
# office rule candidates and history


def test_three_clients_agreeing_make_an_office_rule_candidate() -> None:
    rules = [
        rule(replace(FUEL_HALF, gl_contra=f"202-{c}", cost_centre=f"MPK{c}"), id=c, client_id=c)
        for c in (1, 2, 3)
    ]
    (candidate,) = office_rule_candidates(rules)
    assert candidate.clients == (1, 2, 3) and candidate.disagreeing == 0
    assert candidate.rule.client_id is None and candidate.rule.seller_nip == SELLER
    assert candidate.rule.template == replace(FUEL_HALF, gl_contra=None, cost_centre=None)
    assert office_rule_candidates(rules[:2]) == []
    full = RuleTemplate(deduction=Deduction.FULL)
    split_vote = rules + [rule(full, id=10 + c, client_id=c) for c in (4, 5, 6)]
    assert office_rule_candidates(split_vote) == []  # 3 against 3: no majority
    covered = [*rules, rule(client_id=None, id=99)]
    assert office_rule_candidates(covered) == []


def test_seller_history_counts_decided_invoices_and_takes_the_median() -> None:
    approved = [
        replace(booking(number=f"FV/{i}", nets=(n,)), status=BookingStatus.APPROVED)
        for i, n in enumerate(("100.00", "200.00", "1000.00"))
    ]
    kor = replace(booking(number="K", doc_kind="KOR", nets=("-50.00",)), status=BookingStatus.EXPORTED)
    open_one = booking(number="open", nets=("9999.00",))
    h = seller_histories([*approved, kor, open_one])[(1, SELLER)]
    assert (h.count, h.median_gross) == (4, D("246.00"))
    assert SellerHistory.of([D("1"), D("3")]) == SellerHistory(2, D("2"))


def test_evolve_builds_what_replace_builds_and_refuses_unknown_fields() -> None:
    b = booking()
    assert evolve(b, status=BookingStatus.PROPOSED, confidence=7) == replace(
        b, status=BookingStatus.PROPOSED, confidence=7
    )
    assert b.status is BookingStatus.NEW  # the original is untouched
    with pytest.raises(TypeError, match="no field 'statu'"):
        evolve(b, statu=BookingStatus.PROPOSED)

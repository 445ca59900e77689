"""Drafting bookings from real FA invoices, and the booking arithmetic (issue 13 item 1)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from ksef_tui.core.booking_draft import (
    BookingError,
    allocate,
    cost,
    draft_booking,
    needs_fx_rate,
    pln_amounts,
    proportion_pct,
    split_by_lines,
    totals,
    vat_deductible,
    vat_nondeductible,
)
from ksef_tui.core.bookings import BookingLine, BookingStatus, Deduction, JpkGroup
from ksef_tui.core.fa.model import VatRateSummary
from ksef_tui.core.purchases import SUBJECT_THIRD
from ksef_tui.simulator.purchase_fa import EUR_RATE, Correction
from ksef_tui.simulator.suppliers import CATALOGUE
from tests.core.booking_helpers import SETTINGS, T0, draft, purchase, record, sample

D = Decimal


def sums(b):  # type: ignore[no-untyped-def]
    return sum((x.net for x in b.lines), D(0)), sum((x.vat for x in b.lines), D(0))


# ------------------------------------------------------------------------------------------------
# one line per rate, in PLN


def test_a_pln_invoice_gets_one_line_per_rate_summing_to_its_p13_and_p14() -> None:
    invoice = purchase("orlen-stacja", seed=11, lines=4)  # 23 %, 8 % and 5 % lines
    b = draft(invoice)
    assert b.status is BookingStatus.NEW
    assert [(x.vat_rate, x.net, x.vat) for x in b.lines] == [
        ("23", D("159.13"), D("36.60")),
        ("8", D("20.22"), D("1.62")),
        ("5", D("46.36"), D("2.32")),
    ]
    assert sums(b) == (invoice.total_net, invoice.total_vat)
    assert b.gross == invoice.gross
    assert [x.line_no for x in b.lines] == [1, 2, 3]
    assert all(x.deduction is Deduction.FULL and x.jpk_group is JpkGroup.OTHER for x in b.lines)
    assert (b.currency, b.fx_rate) == ("PLN", None)


def test_every_catalogue_supplier_books_to_the_invoice_totals() -> None:
    for supplier in CATALOGUE:
        for seed in (1, 2, 3):
            currency = "EUR" if supplier.eur else "PLN"
            invoice = purchase(supplier.key, seed=seed, currency=currency)
            b = draft(invoice)
            expected = pln_amounts(invoice, currency)
            assert sums(b) == (expected.total_net, expected.total_vat), supplier.key
            assert b.gross == expected.total_net + expected.total_vat
            if currency == "PLN":
                assert b.gross == invoice.gross, supplier.key


def test_an_exempt_bucket_is_a_line_with_no_deduction_and_outside_jpk() -> None:
    b = draft(sample("FA_3_Przykład_9.xml"))  # leasing 23 % + insurance zw
    assert [(x.vat_rate, x.net, x.vat, x.deduction, x.jpk_group) for x in b.lines] == [
        ("23", D("2000.00"), D("460.00"), Deduction.FULL, JpkGroup.OTHER),
        ("zw", D("300.00"), D("0.00"), Deduction.NONE, JpkGroup.NONE),
    ]
    assert b.gross == D("2760.00")


def test_reverse_charge_is_an_oo_line_without_vat() -> None:
    invoice = purchase("stal-slask", reverse_charge=True)
    b = draft(invoice)
    assert [(x.vat_rate, x.vat, x.jpk_group) for x in b.lines] == [("oo", D("0.00"), JpkGroup.OTHER)]
    assert b.lines[0].net == invoice.gross


def test_margin_bucket_is_kept_apart() -> None:
    b = draft(sample("Fa_3_Przykład_19.xml"))
    assert [(x.vat_rate, x.net, x.vat) for x in b.lines] == [
        ("23", D("813.00"), D("187.00")),
        ("margin", D("2000.00"), D("0.00")),
    ]


# ------------------------------------------------------------------------------------------------
# corrections


def test_a_correction_is_negative_as_the_fa_gives_it() -> None:
    b = draft(sample("KSEF_02_KOR.xml"))
    assert b.doc_kind == "KOR"
    assert [(x.net, x.vat) for x in b.lines] == [(D("-406.50"), D("-93.50"))]
    assert b.gross == D("-500.00")


def test_a_generated_correction_books_the_difference_per_rate() -> None:
    original = purchase("energa-obrot", seed=5, number="EP/1/02/2026", issue=date(2026, 2, 5))
    kor = purchase(
        "energa-obrot",
        seed=9,
        kind="KOR",
        number="EP/K/1/03/2026",
        corrects=Correction("X-1", "EP/1/02/2026", date(2026, 2, 5), seed=5, lines=3),
    )
    b = draft(kor)
    assert b.doc_kind == "KOR"
    assert sums(b) == (kor.total_net, kor.total_vat)
    assert all(x.net < 0 for x in b.lines)
    assert original.total_net + b.lines[0].net > 0


def test_a_correction_of_data_only_is_one_zero_line() -> None:
    b = draft(sample("FA_3_Przykład_5.xml"))
    assert [(x.vat_rate, x.net, x.vat) for x in b.lines] == [("", D("0.00"), D("0.00"))]
    assert b.gross == D("0.00")


# ------------------------------------------------------------------------------------------------
# foreign currency


def test_eur_is_converted_at_the_invoice_rate_vat_from_p14w() -> None:
    invoice = purchase("chmura-it", currency="EUR")
    (vat_rate,) = invoice.vat_rates
    b = draft(invoice)
    assert (b.currency, b.fx_rate) == ("EUR", EUR_RATE)
    (line,) = b.lines
    assert line.net == (vat_rate.net * EUR_RATE).quantize(D("0.01"))  # 176.64 × 4.2537 = 751.37
    assert line.net == D("751.37")
    assert line.vat == vat_rate.vat_pln == D("172.83")  # the VAT in PLN the invoice states
    assert b.gross == D("924.20")


def test_lines_with_their_own_rates_are_converted_line_by_line() -> None:
    # MF example 21: three lines at 4.4080, 4.5005 and 4.3250 EUR/PLN, P_14_1W = 13768.14.
    b = draft(sample("FA_3_Przykład_21.xml"))
    (line,) = b.lines
    assert line.net == D("4060") * D("4.4080") + D("5000") * D("4.5005") + D("4500") * D("4.3250")
    assert line.net == D("59861.48")
    assert line.vat == D("13768.14")
    assert b.fx_rate == D("4.4080")  # the first line's


def test_foreign_invoice_without_a_rate_stays_unconverted_until_one_is_given() -> None:
    invoice = sample("KSEF_05_WDT.xml")  # EUR, no KursWaluty anywhere
    b = draft(invoice)
    assert b.fx_rate is None and needs_fx_rate(b)
    assert b.lines[0].net == D("10000.00")
    rec = record(invoice)
    given = draft_booking(1, rec, invoice, settings=SETTINGS, queued_at=T0, fx_rate=D("4.2811"))
    assert not needs_fx_rate(given)
    assert given.lines[0].net == D("42811.00")


# ------------------------------------------------------------------------------------------------
# rounding


def test_largest_remainder_puts_the_missing_grosz_where_the_remainder_is_largest() -> None:
    assert allocate(D("1.00"), [D("0.3333"), D("0.3333"), D("0.3334")]) == [D("0.33"), D("0.33"), D("0.34")]
    assert allocate(D("1.00"), [D("0.335"), D("0.335"), D("0.33")]) == [D("0.34"), D("0.33"), D("0.33")]
    assert allocate(D("-1.00"), [D("-0.3333"), D("-0.3333"), D("-0.3334")]) == [
        D("-0.33"),
        D("-0.33"),
        D("-0.34"),
    ]


def test_rounding_each_rate_alone_would_miss_the_total_the_lines_do_not() -> None:
    # Three rates of 10.00 EUR at 4.12345: each is 41.2345 (41.23 rounded alone, 123.69 in all) while the
    # invoice's net in PLN is 123.7035 → 123.70. The first line takes the missing grosz.
    base = purchase("chmura-it", currency="EUR")
    buckets = tuple(VatRateSummary(code, "", D("10.00"), D("0.00"), None) for code in ("1", "2", "3"))
    invoice = replace(base, vat_rates=buckets, lines=())
    b = draft_booking(1, record(invoice), invoice, settings=SETTINGS, queued_at=T0, fx_rate=D("4.12345"))
    assert [x.net for x in b.lines] == [D("41.24"), D("41.23"), D("41.23")]
    assert sums(b)[0] == D("123.70")


# ------------------------------------------------------------------------------------------------
# periods, kind, description, what the rules need


def test_receipt_date_and_vat_period_are_polish_time_cost_period_the_issue_month() -> None:
    invoice = purchase("telkom-net", issue=date(2026, 3, 28))
    b = draft(invoice, acquired=datetime(2026, 3, 31, 22, 30, tzinfo=UTC))  # 00:30 on 1 April in Warsaw
    assert b.receipt_date == date(2026, 4, 1)
    assert (b.vat_period, b.cost_period) == ("2026-04", "2026-03")
    assert b.issue_date == date(2026, 3, 28)
    assert b.queued_at == T0


def test_a_receipt_time_without_zone_is_refused() -> None:
    invoice = purchase("telkom-net")
    with pytest.raises(BookingError, match="strefy czasowej"):
        draft(invoice, acquired=datetime(2026, 3, 31, 22, 30))


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("KSEF_03_ZAL.xml", "ZAL"),
        ("KSEF_09_ROZ_A.xml", "ROZ"),
        ("KSEF_08_KOR_ZAL_B.xml", "KOR_ZAL"),
        ("KSEF_11_KOR_ROZ_A.xml", "KOR_ROZ"),
        ("KSEF_04_UPR.xml", "UPR"),
    ],
)
def test_doc_kind_comes_from_rodzaj_faktury(name: str, kind: str) -> None:
    assert draft(sample(name)).doc_kind == kind


def test_a_simplified_invoice_with_only_the_gross_takes_the_vat_out_of_it() -> None:
    b = draft(sample("FA_3_Przykład_16.xml"))  # UPR: P_15 = 450, one line at 23 %, no P_13_1
    assert [(x.vat_rate, x.net, x.vat) for x in b.lines] == [("23", D("365.85"), D("84.15"))]


def test_description_items_codes_and_podmiot3() -> None:
    invoice = sample("FA_3_Przykład_4.xml")
    b = draft(invoice, subject=SUBJECT_THIRD)
    assert b.description == "ABC AGD sp. z o. o.: lodówka Zimnotech mk1, zamrażarka Zimnotech mk2"
    assert b.item_names[:2] == ("lodówka Zimnotech mk1", "zamrażarka Zimnotech mk2")
    assert "8418 21 91" in b.item_codes
    assert b.third_party
    assert not draft(invoice).third_party
    long = draft(sample("KSEF_03_ZAL.xml")).description
    assert len(long) <= 80 and long.endswith("…")


# ------------------------------------------------------------------------------------------------
# splitting by invoice line


def test_split_by_lines_keeps_each_rates_sums() -> None:
    invoice = purchase("orlen-stacja", seed=1, lines=4)  # lines 1, 3, 4 at 23 %; 2 at 8 %
    b = draft(invoice)
    split = split_by_lines(b, invoice, [[3], [4]])
    assert [(x.vat_rate, x.source_lines) for x in split.lines] == [
        ("23", (3,)),
        ("23", (4,)),
        ("23", (1,)),
        ("8", ()),
    ]
    assert [x.line_no for x in split.lines] == [1, 2, 3, 4]
    assert sums(split) == sums(b)
    assert [x.net for x in split.lines[:3]] == [D("127.00"), D("37.49"), D("131.40")]
    assert sum((x.vat for x in split.lines[:3]), D(0)) == b.lines[0].vat


def test_split_again_within_a_split_line() -> None:
    invoice = purchase("orlen-stacja", seed=2, lines=4)  # four lines at 23 %
    once = split_by_lines(draft(invoice), invoice, [[1, 2]])
    twice = split_by_lines(once, invoice, [[2]])
    assert [x.source_lines for x in twice.lines] == [(2,), (1,), (3, 4)]
    assert sums(twice) == sums(once)


def test_split_keeps_the_treatment_of_the_line_it_came_from() -> None:
    invoice = purchase("orlen-stacja", seed=2, lines=4)
    b = draft(invoice)
    b = replace(b, lines=(replace(b.lines[0], deduction=Deduction.HALF, cost_share_pct=75),))
    split = split_by_lines(b, invoice, [[1]])
    assert all(x.deduction is Deduction.HALF and x.cost_share_pct == 75 for x in split.lines)


@pytest.mark.parametrize(
    ("groups", "message"),
    [([[9]], "nie ma wiersza 9"), ([[1], [1]], "w dwóch grupach")],
)
def test_split_refuses_unknown_or_repeated_lines(groups: list[list[int]], message: str) -> None:
    invoice = purchase("orlen-stacja", seed=2, lines=4)
    with pytest.raises(BookingError, match=message):
        split_by_lines(draft(invoice), invoice, groups)


def test_split_of_a_correction_nets_the_before_and_after_rows() -> None:
    kor = purchase(
        "komputery-sikora",
        seed=9,
        kind="KOR",
        corrects=Correction("X-1", "FV/1/02/2026", date(2026, 2, 5), seed=4, lines=3),
    )
    b = draft(kor)
    split = split_by_lines(b, kor, [[1]])
    assert sums(split) == sums(b)
    first = [x for x in kor.lines if x.number == 1]
    assert len(first) == 2  # StanPrzed and after
    after = next(x.net for x in first if not x.before_correction)
    before = next(x.net for x in first if x.before_correction)
    assert [x.source_lines for x in split.lines] == [(1,), (2, 3)]
    assert split.lines[0].net == after - before < 0


# ------------------------------------------------------------------------------------------------
# derived values


def line(vat: str, deduction: Deduction, pct: str | None = None, share: int = 100, net: str = "100.00"):  # type: ignore[no-untyped-def]
    return BookingLine(
        1,
        "23",
        D(net),
        D(vat),
        deduction=deduction,
        deduction_pct=D(pct) if pct is not None else None,
        cost_share_pct=share,
    )


def test_half_vat_is_rounded_half_up_and_mirrors_for_corrections() -> None:
    assert vat_deductible(line("23.00", Deduction.HALF)) == D("11.50")
    assert vat_deductible(line("0.05", Deduction.HALF)) == D("0.03")
    assert vat_nondeductible(line("0.05", Deduction.HALF)) == D("0.02")
    assert vat_deductible(line("-0.05", Deduction.HALF)) == D("-0.03")


def test_full_and_none() -> None:
    assert vat_deductible(line("23.00", Deduction.FULL)) == D("23.00")
    assert vat_deductible(line("23.00", Deduction.NONE)) == D("0.00")
    assert vat_nondeductible(line("23.00", Deduction.NONE)) == D("23.00")


def test_proportion_rounds_the_percent_up_then_the_vat_half_up() -> None:
    assert proportion_pct(D("762000"), D("1000000")) == D("77")  # 76.2 % → 77 % (art. 90 ust. 4)
    assert proportion_pct(D("760000"), D("1000000")) == D("76")
    assert proportion_pct(D("5"), D("0")) == D("0")
    assert vat_deductible(line("230.00", Deduction.PROPORTION, "76")) == D("174.80")
    assert vat_deductible(line("230.00", Deduction.PROPORTION, "76.2")) == D("177.10")  # as 77 %
    assert vat_deductible(line("0.13", Deduction.PROPORTION, "50")) == D("0.07")  # 0.065 → 0.07


def test_cost_is_net_plus_vat_not_deducted_times_the_share() -> None:
    # A mixed-use car: 50 % VAT, 75 % of the rest a tax cost.
    car = line("23.00", Deduction.HALF, share=75)
    assert cost(car) == D("83.63")  # (100.00 + 11.50) × 75 % = 83.625
    assert cost(line("23.00", Deduction.FULL)) == D("100.00")
    assert cost(line("23.00", Deduction.NONE)) == D("123.00")
    assert cost(line("23.00", Deduction.FULL, share=0)) == D("0.00")
    assert cost(line("-23.00", Deduction.HALF, share=75, net="-100.00")) == D("-83.63")


def test_totals_of_a_booking() -> None:
    b = draft(sample("FA_3_Przykład_9.xml"))
    t = totals(b)
    assert (t.net, t.vat, t.deductible, t.nondeductible, t.cost, t.gross) == (
        D("2300.00"),
        D("460.00"),
        D("460.00"),
        D("0.00"),
        D("2300.00"),
        D("2760.00"),
    )


# ------------------------------------------------------------------------------------------------
# the largest item of goods (the fixed-asset hint)


def test_max_item_net_is_one_unit_of_goods_in_pln_services_and_meters_left_out() -> None:
    # A flat (1 szt., 307,500 zł) beside "usługi dodatkowe" (a service, in szt.): the flat.
    assert draft(sample("Fa_3_Przykład_17.xml")).max_item_net == D("307500.00")
    # Kitchen appliances in one 23 % bucket over 10,000 zł: the dearest single appliance, not the bucket.
    appliances = draft(sample("FA_3_Przykład_4.xml"))
    assert appliances.max_item_net is not None and appliances.max_item_net < D("10000")
    assert max(x.net for x in appliances.lines) > D("10000")
    # Rent (mies.) and energy (kWh, mies.) are not items of goods at all.
    assert draft(purchase("biurowiec-arkada")).max_item_net is None
    assert draft(purchase("energa-obrot")).max_item_net is None
    # A laptop line of several pieces counts one laptop; in EUR, converted at the invoice's rate.
    laptops = purchase("komputery-sikora", seed=3, lines=1)
    (line,) = laptops.lines
    assert line.net is not None and line.quantity is not None
    assert draft(laptops).max_item_net == (line.net / line.quantity).quantize(D("0.01"))
    eur = purchase("komputery-sikora", seed=3, lines=1, currency="EUR")
    assert draft(eur).max_item_net == (line.net / line.quantity * EUR_RATE).quantize(D("0.01"))

"""Purchase invoices over time (issue 12 item 9): late invoices and the HWM, the movable clock,
/_sim/purchases and arrivals.add_purchases, and the demo world's month of purchases."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta
from decimal import Decimal as D

import pytest
from lxml import etree

from ksef_tui.core.clock import WARSAW, fixed_clock
from ksef_tui.core.demo_roster import make_roster
from ksef_tui.core.fa.checks import run_checks
from ksef_tui.core.fa.findings import Severity
from ksef_tui.core.fa.parse import parse_invoice
from ksef_tui.core.ksef_number import is_valid_ksef_number
from ksef_tui.core.nip import is_valid_nip
from ksef_tui.simulator.app import create_app
from ksef_tui.simulator.arrivals import add_purchases, third_party_purchase
from ksef_tui.simulator.clock import SimClock
from ksef_tui.simulator.faults import Faults
from ksef_tui.simulator.ratelimit import RateLimitConfig
from ksef_tui.simulator.refs import checksum as fast_checksum
from ksef_tui.simulator.refs import iso
from ksef_tui.simulator.suppliers import BY_NIP, CATALOGUE
from ksef_tui.simulator.world import World, build_world
from ksef_tui.simulator.xsd import fa3_schema
from tests.simulator import kit
from tests.simulator.conftest import NOW, by_profile, office_token

LAG = timedelta(minutes=2)
NS = "{http://crd.gov.pl/wzor/2025/06/25/13775/}"


def movable_app(world: World, faults: Faults | None = None):  # type: ignore[no-untyped-def]
    clock = SimClock(fixed_clock(NOW))
    return create_app(world, rate_limits=RateLimitConfig(enabled=False), clock=clock, faults=faults), clock


async def login(http, world: World) -> tuple[str, dict[str, str]]:  # type: ignore[no-untyped-def]
    nip, token = office_token(world, "token_and_cert")
    tokens = await kit.login_token(http, nip, token)
    return nip, kit.bearer(tokens["accessToken"]["token"])


def query(start: str, *, restrict: bool = False, to: str | None = None) -> dict:
    rng: dict = {"dateType": "PermanentStorage", "from": start}
    if to is not None:
        rng["to"] = to
    if restrict:
        rng["restrictToPermanentStorageHwmDate"] = True
    return {"subjectType": "Subject2", "dateRange": rng}


async def listed(http, h, filters: dict) -> tuple[list[dict], str]:  # type: ignore[no-untyped-def]
    """Every invoice of a metadata query (all pages) and its HWM."""
    out: list[dict] = []
    page = 0
    while True:
        r = await http.post(
            "/invoices/query/metadata", params={"pageSize": 250, "pageOffset": page}, json=filters, headers=h
        )
        assert r.status_code == 200, r.text
        body = r.json()
        out += body["invoices"]
        if not body["hasMore"]:
            return out, body["permanentStorageHwmDate"]
        page += 1


# ---- HWM and late invoices --------------------------------------------------------------------------


def test_late_invoice_holds_the_hwm_below_its_storage_date(world: World) -> None:
    nip = by_profile(world, "healthy").nip
    stored = NOW - timedelta(minutes=30)
    (late,) = add_purchases(world, nip, 1, now=NOW, storage_from=stored, visible_after_seconds=3600)
    assert late.late and not late.visible(NOW)
    assert world.hwm(NOW, LAG) == stored - timedelta(milliseconds=1)
    # Once it is visible the HWM trails the clock again.
    later = NOW + timedelta(minutes=31)
    assert late.visible(later)
    assert world.hwm(later, LAG) == later - LAG
    # A late invoice stored after the lagging mark does not lower it.
    add_purchases(
        world, nip, 1, now=later, storage_from=later - timedelta(seconds=30), visible_after_seconds=600
    )
    assert world.hwm(later, LAG) == later - LAG


def test_hwm_never_above_a_not_yet_visible_invoice() -> None:
    """Random late arrivals across two days; at every sampled instant everything stored at or below the
    HWM is listed, and the HWM lies below every stored-but-invisible invoice."""
    world = build_world(seed=5, now=NOW)
    rng = random.Random(12)
    buyers = list(world.taxpayers)[:5]
    for _ in range(60):
        start = NOW + timedelta(minutes=rng.randint(-600, 2400))
        add_purchases(
            world,
            rng.choice(buyers),
            rng.randint(1, 3),
            now=NOW,
            storage_from=start,
            spacing_seconds=rng.randint(0, 120),
            visible_after_seconds=rng.choice((None, 30, 300, 5000, 20000)),
        )
    assert len(world.late) > 20
    everything = [i for nip in buyers for i in world.taxpayers[nip].purchases]
    for minute in range(0, 3000, 7):
        now = NOW + timedelta(minutes=minute)
        mark = world.hwm(now, LAG)
        assert mark <= now - LAG
        for inv in everything:
            assert inv.permanent_storage_date is not None
            if inv.permanent_storage_date <= mark:
                assert inv.visible(now), (now, mark, inv.ksef_number)
            if inv.permanent_storage_date <= now and not inv.visible(now):
                assert mark < inv.permanent_storage_date


async def test_hwm_lag_is_a_fault_and_reported_by_queries(world: World) -> None:
    app, _clock = movable_app(world, Faults(hwm_lag_seconds=900))
    async with kit.client(app, kit.Conformance()) as http:
        _nip, h = await login(http, world)
        _rows, mark = await listed(http, h, query((NOW - timedelta(days=1)).isoformat()))
    assert mark == (NOW - timedelta(seconds=900)).isoformat(timespec="milliseconds")


async def test_late_invoice_between_hwm_and_newest_seen_is_found_from_the_hwm(world: World) -> None:
    """The peers' bug (toudi/ksef): an invoice lands late with a storage date below the newest one already
    seen. A cursor at the max seen misses it; a cursor at the HWM gets it once it is visible."""
    app, clock = movable_app(world)
    async with kit.client(app, kit.Conformance()) as http:
        nip, h = await login(http, world)
        add_purchases(world, nip, 1, now=NOW, storage_from=NOW - timedelta(minutes=10))
        (newest,) = add_purchases(world, nip, 1, now=NOW, storage_from=NOW - timedelta(seconds=30))
        (late,) = add_purchases(
            world, nip, 1, now=NOW, storage_from=NOW - timedelta(seconds=90), visible_after_seconds=600
        )
        start = (NOW - timedelta(hours=1)).isoformat()
        restricted, mark = await listed(http, h, query(start, restrict=True))
        unrestricted, _ = await listed(http, h, query(start))
        seen = {m["ksefNumber"] for m in unrestricted}
        max_seen = max(m["permanentStorageDate"] for m in unrestricted)
        assert newest.ksef_number in seen and late.ksef_number not in seen
        assert newest.ksef_number not in {m["ksefNumber"] for m in restricted}  # above the HWM
        assert mark < iso(late.permanent_storage_date) < max_seen
        clock.advance(15 * 60)
        h = (await login(http, world))[1]
        from_max, _ = await listed(http, h, query(max_seen))
        from_hwm, _ = await listed(http, h, query(mark, restrict=True))
    assert late.ksef_number not in {m["ksefNumber"] for m in from_max}
    assert {late.ksef_number, newest.ksef_number} <= {m["ksefNumber"] for m in from_hwm}


async def test_advancing_the_clock_makes_later_invoices_visible(world: World) -> None:
    app, _clock = movable_app(world)
    async with kit.client(app, kit.Conformance()) as http:
        nip, h = await login(http, world)
        start = (NOW - timedelta(days=20)).isoformat()
        before, _ = await listed(http, h, query(start))
        r = await http.post("http://sim.test/_sim/clock", json={"advance_seconds": 14 * 86400})
        assert r.status_code == 200
        h = (await login(http, world))[1]
        after, _ = await listed(http, h, query(start))
    tp = world.taxpayers[nip]
    arriving = {
        p.ksef_number for p in tp.purchases if NOW < p.permanent_storage_date <= NOW + timedelta(days=14)
    }  # type: ignore[operator]
    assert arriving
    assert {m["ksefNumber"] for m in after} - {m["ksefNumber"] for m in before} == arriving


async def test_a_not_yet_visible_invoice_cannot_be_downloaded(world: World) -> None:
    app, clock = movable_app(world)
    async with kit.client(app, kit.Conformance()) as http:
        nip, h = await login(http, world)
        (late,) = add_purchases(
            world, nip, 1, now=NOW, storage_from=NOW - timedelta(minutes=5), visible_after_seconds=600
        )
        hidden = await http.get(f"/invoices/ksef/{late.ksef_number}", headers=h)
        clock.advance(300)
        shown = await http.get(f"/invoices/ksef/{late.ksef_number}", headers=h)
    assert hidden.json()["exception"]["exceptionDetailList"][0]["exceptionCode"] == 21164
    assert shown.status_code == 200 and kit.sha(shown.content) == late.hash


async def test_a_third_party_invoice_is_listed_for_subject3_only_and_downloadable(world: World) -> None:
    app, _clock = movable_app(world)
    async with kit.client(app, kit.Conformance()) as http:
        nip, h = await login(http, world)
        inv = third_party_purchase(world, world.taxpayers[nip], random.Random(5), NOW - timedelta(hours=2))
        start = (NOW - timedelta(days=1)).isoformat()
        as_buyer, _ = await listed(http, h, query(start))
        as_third, _ = await listed(http, h, {**query(start), "subjectType": "Subject3"})
        body = await http.get(f"/invoices/ksef/{inv.ksef_number}", headers=h)
    assert inv.buyer_nip != nip and inv.third_party_nip == nip
    assert inv.ksef_number not in {m["ksefNumber"] for m in as_buyer}
    assert [m["ksefNumber"] for m in as_third] == [inv.ksef_number]
    assert body.status_code == 200 and kit.sha(body.content) == inv.hash
    assert fa3_schema().validate(etree.fromstring(body.content)), fa3_schema().error_log.last_error


# ---- /_sim/clock ----------------------------------------------------------------------------------


async def test_sim_clock_get_advance_set(world: World) -> None:
    app, _clock = movable_app(world)
    async with kit.client(app) as http:
        got = (await http.get("http://sim.test/_sim/clock")).json()
        assert got["now"] == NOW.isoformat(timespec="milliseconds") and got["movable"] is True
        moved = (await http.post("http://sim.test/_sim/clock", json={"advance_seconds": 90})).json()
        assert moved["now"] == (NOW + timedelta(seconds=90)).isoformat(timespec="milliseconds")
        target = NOW + timedelta(days=3)
        setto = (await http.post("http://sim.test/_sim/clock", json={"now": target.isoformat()})).json()
        assert setto["now"] == target.isoformat(timespec="milliseconds")
        assert app.state.sim.now() == target
        for bad in (
            {},
            {"advance_seconds": "x"},
            {"now": "yesterday"},
            {"now": "2026-03-01T00:00:00Z", "advance_seconds": 1},
        ):
            assert (await http.post("http://sim.test/_sim/clock", json=bad)).status_code == 400, bad


async def test_sim_clock_standalone_is_the_system_clock_plus_an_offset(world: World) -> None:
    app = create_app(world, rate_limits=RateLimitConfig(enabled=False))
    clock = app.state.clock
    assert isinstance(clock, SimClock)
    clock.base = fixed_clock(NOW)  # the wall clock, pinned for the test
    async with kit.client(app) as http:
        r = await http.post("http://sim.test/_sim/clock", json={"advance_seconds": 3600})
    assert r.json()["now"] == (NOW + timedelta(hours=1)).isoformat(timespec="milliseconds")
    assert clock.offset == timedelta(hours=1)


async def test_sim_clock_injected_fixed_clock_is_not_movable(app, world: World) -> None:  # type: ignore[no-untyped-def]
    async with kit.client(app) as http:
        assert (await http.get("http://sim.test/_sim/clock")).json()["movable"] is False
        r = await http.post("http://sim.test/_sim/clock", json={"advance_seconds": 60})
    assert r.status_code == 409
    assert app.state.sim.now() == NOW


# ---- /_sim/purchases ------------------------------------------------------------------------------


async def test_sim_purchases_post_and_ground_truth(world: World) -> None:
    app, clock = movable_app(world)
    nip = by_profile(world, "token_and_cert").nip
    base = "http://sim.test/_sim/purchases"
    async with kit.client(app) as http:
        stored = NOW - timedelta(minutes=10)
        r = await http.post(
            base,
            json={"buyer_nip": nip, "count": 3, "storage_from": stored.isoformat(), "spacing_seconds": 30},
        )
        assert r.status_code == 201
        numbers = r.json()["ksefNumbers"]
        late = (
            await http.post(
                base,
                json={
                    "buyer_nip": nip,
                    "count": 1,
                    "storage_from": (NOW - timedelta(minutes=5)).isoformat(),
                    "visible_after_seconds": 900,
                    "acquisition_after_storage": True,
                },
            )
        ).json()["ksefNumbers"]
        truth = (await http.get(base, params={"buyer": nip})).json()
        clock.advance(1800)
        truth_later = (await http.get(base, params={"buyer": nip})).json()
        assert (await http.post(base, json={"buyer_nip": "1234563218", "count": 1})).status_code == 400
        assert (await http.post(base, json={"buyer_nip": nip, "count": 0})).status_code == 400
        assert (await http.post(base, json={"buyer_nip": nip, "seller_nip": "123"})).status_code == 400
        assert (await http.post(base, json={"buyer_nip": nip, "colour": "red"})).status_code == 400
        assert (await http.get(base, params={"buyer": "1234563218"})).status_code == 404
    assert len(numbers) == 3 and all(is_valid_ksef_number(n) for n in numbers)
    rows = {row["ksefNumber"]: row for row in truth["purchases"]}
    assert set(rows) == {p.ksef_number for p in world.taxpayers[nip].purchases}
    # Storage dates as asked; by default from the buyer's most frequent catalogue supplier.
    assert [rows[n]["permanentStorageDate"] for n in numbers] == [
        (stored + timedelta(seconds=30 * k)).isoformat(timespec="milliseconds") for k in range(3)
    ]
    assert {rows[n]["sellerNip"] for n in numbers} <= set(BY_NIP)
    assert all(rows[n]["visible"] and rows[n]["belowHwm"] for n in numbers)
    (ln,) = late
    assert rows[ln]["visibleFrom"] > rows[ln]["permanentStorageDate"] and not rows[ln]["visible"]
    assert not rows[ln]["belowHwm"]
    assert rows[ln]["acquisitionDate"] > rows[ln]["permanentStorageDate"]  # #459
    assert truth["hwm"] < rows[ln]["permanentStorageDate"]
    # Below the HWM: exactly the visible ones stored at or before it.
    for row in truth["purchases"]:
        assert row["belowHwm"] == (row["permanentStorageDate"] <= truth["hwm"])
        assert row["invoiceHash"] == world.invoices[row["ksefNumber"]].hash
    later = {row["ksefNumber"]: row for row in truth_later["purchases"]}
    assert later[ln]["visible"] and later[ln]["belowHwm"]


async def test_sim_purchases_explicit_seller(world: World) -> None:
    app, _clock = movable_app(world)
    nip = by_profile(world, "healthy").nip
    seller = world.externals[0]
    async with kit.client(app) as http:
        r = await http.post(
            "http://sim.test/_sim/purchases", json={"buyer_nip": nip, "count": 2, "seller_nip": seller[0]}
        )
    invoices = [world.invoices[n] for n in r.json()["ksefNumbers"]]
    assert {(i.seller_nip, i.seller_name) for i in invoices} == {seller}
    assert all(fa3_schema().validate(etree.fromstring(i.body)) for i in invoices)


# ---- the demo month --------------------------------------------------------------------------------


def _catalogue_purchases(world: World, nip: str) -> list:  # type: ignore[type-arg]
    return [p for p in world.taxpayers[nip].purchases if p.seller_nip in BY_NIP]


def test_demo_month_counts_and_recurring_suppliers(world: World) -> None:
    month = NOW - timedelta(days=30)
    for nip in world.taxpayers:
        mine = _catalogue_purchases(world, nip)
        past = [p for p in mine if month < p.permanent_storage_date <= NOW]
        ahead = [p for p in mine if NOW < p.permanent_storage_date <= NOW + timedelta(days=14)]
        assert len(mine) == len(past) + len(ahead)
        assert 30 <= len(past) <= 80, (nip, len(past))
        assert ahead, nip
        sellers = Counter(p.seller_nip for p in past)
        assert 6 <= len({p.seller_nip for p in mine}) <= 12
        for seller, n in sellers.items():
            supplier = BY_NIP[seller]
            if supplier.monthly:
                # Monthly bills come on the supplier's billing day.
                days = {
                    p.permanent_storage_date.astimezone(WARSAW).day for p in past if p.seller_nip == seller
                }
                assert days == {supplier.billing_day}
            else:
                assert n >= 2, (nip, supplier.key)  # recurring: the same shops, again and again
        cats = {BY_NIP[s].category for s in sellers}
        assert {"energy", "telecom"} <= cats
    assert all(is_valid_nip(s.nip) for s in CATALOGUE)
    assert len({s.nip for s in CATALOGUE}) == len(CATALOGUE)
    assert not {s.nip for s in CATALOGUE} & set(world.taxpayers)


def test_demo_month_kinds_dates_and_currencies(world: World) -> None:
    everything = [p for nip in world.taxpayers for p in _catalogue_purchases(world, nip)]
    kinds = Counter(p.kind for p in everything)
    assert kinds["KOR"] and kinds["ZAL"] and kinds["VAT"] > 0.8 * len(everything)
    assert sum(p.currency == "EUR" for p in everything) >= 5
    assert sum(p.reverse_charge for p in everything) >= 5
    late_acquired = sum(p.acquisition_date > p.permanent_storage_date for p in everything)
    assert 0.15 < late_acquired / len(everything) < 0.35  # about 1 in 4 (#459)
    for p in everything:
        if p.kind == "KOR":
            original = p.corrects
            assert original is not None and original.seller_nip == p.seller_nip
            assert original.permanent_storage_date < p.permanent_storage_date
            assert original.ksef_number in world.invoices
    assert all(not p.late for p in everything)  # the demo world's HWM just trails the clock


def _sample(world: World) -> dict[str, object]:
    everything = [p for nip in world.taxpayers for p in _catalogue_purchases(world, nip)]
    return {
        "VAT": next(
            p for p in everything if p.kind == "VAT" and p.currency == "PLN" and not p.reverse_charge
        ),
        "KOR": next(p for p in everything if p.kind == "KOR"),
        "ZAL": next(p for p in everything if p.kind == "ZAL"),
        "EUR": next(p for p in everything if p.currency == "EUR"),
        "oo": next(p for p in everything if p.reverse_charge and p.kind == "VAT"),
        "zw": next(p for p in everything if p.supplier == "mieszkania-kowalska"),
        "fuel": next(p for p in everything if BY_NIP[p.seller_nip].category == "fuel"),
        "ROZ": next(p for p in everything if p.kind == "ROZ"),
        "P3": next(p for tp in world.taxpayers.values() for p in tp.third_party),
    }


@pytest.mark.parametrize("kind", ["VAT", "KOR", "ZAL", "EUR", "oo", "zw", "fuel", "ROZ", "P3"])
def test_demo_month_bodies_are_valid_fa3(world: World, kind: str) -> None:
    inv = _sample(world)[kind]
    body = inv.body  # type: ignore[attr-defined]
    assert fa3_schema().validate(etree.fromstring(body)), fa3_schema().error_log.last_error
    root = etree.fromstring(body)
    fa = root.find(f"{NS}Fa")
    assert fa is not None
    assert fa.findtext(f"{NS}P_2") == inv.invoice_number  # type: ignore[attr-defined]
    assert root.findtext(f"{NS}Podmiot1/{NS}DaneIdentyfikacyjne/{NS}NIP") == inv.seller_nip  # type: ignore[attr-defined]
    assert root.findtext(f"{NS}Podmiot2/{NS}DaneIdentyfikacyjne/{NS}NIP") == inv.buyer_nip  # type: ignore[attr-defined]
    rates = {el.text for el in fa.iter(f"{NS}P_12")}
    if kind == "oo":
        assert rates == {"oo"} and fa.findtext(f"{NS}Adnotacje/{NS}P_18") == "1"
        assert fa.find(f"{NS}P_13_10") is not None and fa.find(f"{NS}P_14_1") is None
        assert fa.findtext(f"{NS}P_15") == fa.findtext(f"{NS}P_13_10")
    else:
        assert fa.findtext(f"{NS}Adnotacje/{NS}P_18") == "2"
    if kind == "KOR":
        original = inv.corrects  # type: ignore[attr-defined]
        assert fa.findtext(f"{NS}DaneFaKorygowanej/{NS}NrKSeFFaKorygowanej") == original.ksef_number
        assert fa.findtext(f"{NS}DaneFaKorygowanej/{NS}NrFaKorygowanej") == original.invoice_number
    if kind == "EUR":
        assert fa.findtext(f"{NS}KodWaluty") == "EUR"
    if kind == "zw":
        assert rates == {"zw"} and fa.findtext(f"{NS}Adnotacje/{NS}Zwolnienie/{NS}P_19") == "1"
    if kind == "fuel":
        assert rates <= {"23", "8", "5"}
    if kind == "ROZ":  # settles the supplier's earlier advance: the order's lines, the rest still due
        advance = inv.settles  # type: ignore[attr-defined]
        assert advance.kind == "ZAL" and advance.seller_nip == inv.seller_nip  # type: ignore[attr-defined]
        assert advance.permanent_storage_date < inv.permanent_storage_date  # type: ignore[attr-defined]
        assert fa.findtext(f"{NS}FakturaZaliczkowa/{NS}NrKSeFFaZaliczkowej") == advance.ksef_number
        assert fa.findtext(f"{NS}RodzajFaktury") == "ROZ" and fa.find(f"{NS}FaWiersz") is not None
        order = fa.findtext(f"{NS}Zamowienie/{NS}WartoscZamowienia")
        assert order is None
        (_n, _v, paid), (_n2, _v2, rest) = advance.amounts, inv.amounts  # type: ignore[attr-defined]
        lines_gross = sum(
            (D(x.findtext(f"{NS}P_11") or "0") * (1 + D(x.findtext(f"{NS}P_12") or "0") / 100))
            for x in fa.iter(f"{NS}FaWiersz")
        )
        assert abs(paid + rest - lines_gross) <= D("0.05")  # the advance and the rest make the order
    if kind == "P3":
        third = root.find(f"{NS}Podmiot3")
        assert third is not None and third.findtext(f"{NS}Rola") == "4"
        assert third.findtext(f"{NS}DaneIdentyfikacyjne/{NS}NIP") == inv.third_party_nip  # type: ignore[attr-defined]
        assert inv.buyer_nip != inv.third_party_nip and inv.third_party_nip in world.taxpayers  # type: ignore[attr-defined]
    # The app's own FA reader takes it, and the amounts the metadata reports are the body's.
    parsed = parse_invoice(body)
    findings = parsed.problems + run_checks(parsed.invoice, today=inv.issue_date)  # type: ignore[attr-defined]
    assert not [f for f in findings if f.severity is Severity.ERROR], findings
    net, vat, gross = inv.amounts  # type: ignore[attr-defined]
    assert gross == net + vat


def test_cheap_purchases_for_big_rosters() -> None:
    roster = make_roster(NOW, 3, extra_healthy=120)
    assert len(roster) > 100
    world = build_world(seed=3, now=NOW, roster=roster)
    assert not any(p.seller_nip in BY_NIP for tp in world.taxpayers.values() for p in tp.purchases)
    small = build_world(seed=3, now=NOW, roster=roster[:10], purchase_month=False)
    assert not any(p.seller_nip in BY_NIP for tp in small.taxpayers.values() for p in tp.purchases)


def test_table_checksum_matches_core() -> None:
    from ksef_tui.core.ksef_number import checksum

    rng = random.Random(1)
    for _ in range(200):
        text = "".join(rng.choice("0123456789ABCDEF-") for _ in range(32))
        assert fast_checksum(text) == checksum(text)

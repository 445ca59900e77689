"""Purchase invoices arriving in KSeF over time: the demo world's month of purchases and the ones tests add.

An invoice has a permanent storage date and, when it is "late", a later `visible_from`: until then KSeF
does not list it and holds the HWM just below its storage date (World.hwm). Everything here writes to the
world through `World.register_invoice`, which keeps the HWM's index of late invoices.

- `month_of_purchases`: a demo client's realistic month (30-80 invoices over the 30 days before `now`
  from 6-12 recurring catalogue suppliers, monthly bills on their billing day, some corrections, advances
  (each settled by the supplier's next invoice, a ROZ), EUR and reverse-charge invoices, acquisitionDate
  after permanentStorageDate for about 1 in 4; for about 3 clients in 10 an invoice to another company
  naming the client in Podmiot3), plus arrivals continuing 14 days after `now`, so that moving the clock
  brings new invoices.
- `add_purchases`: what `POST /_sim/purchases` does (app.py), for in-process tests too.
- `purchases_json`: the ground truth `GET /_sim/purchases` serves.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Protocol

from ksef_tui.core.clock import WARSAW
from ksef_tui.core.nip import is_valid_nip
from ksef_tui.simulator.model import Invoice, Taxpayer
from ksef_tui.simulator.refs import iso, purchase_ksef_number
from ksef_tui.simulator.suppliers import BY_NIP, CATALOGUE, Supplier


class World(Protocol):
    """What arrivals need of the world (simulator/world.py's World): a protocol, so that world.py can use
    this module to build its demo month without the two importing each other."""

    taxpayers: dict[str, Taxpayer]
    externals: list[tuple[str, str]]
    runtime_rng: random.Random

    def taxpayer(self, nip: str) -> Taxpayer | None: ...

    def next_number(self, seller_nip: str, when: datetime, prefix: str = "FV") -> str: ...

    def register_invoice(self, invoice: Invoice) -> None: ...


MONTH = timedelta(days=30)
AHEAD = timedelta(days=14)
RECENT = timedelta(days=6)  # a third-party invoice arrives in the last days (still in the demo's queue)
THIRD_PARTY_SHARE = 0.3  # of clients named in Podmiot3 on another company's invoice this month
MAX_ADD = 10_000


def _ms(dt: datetime) -> datetime:
    """KSeF's timestamps have millisecond precision."""
    return dt.replace(microsecond=dt.microsecond // 1000 * 1000)


def purchase(
    world: World,
    rng: random.Random,
    buyer: Taxpayer,
    stored: datetime,
    *,
    seller_nip: str,
    seller_name: str,
    supplier: Supplier | None = None,
    kind: str = "VAT",
    currency: str = "PLN",
    lines: int = 2,
    corrects: Invoice | None = None,
    settles: Invoice | None = None,
    reverse_charge: bool = False,
    acquisition_after_storage: bool = False,
    visible_from: datetime | None = None,
    issue_days_before: int = 0,
    for_buyer: tuple[str, str] | None = None,
) -> Invoice:
    """One accepted purchase invoice of `buyer`, permanently stored at `stored`, registered in the world.
    With `for_buyer` (NIP, name) the invoice is that company's and `buyer` is named in Podmiot3 on it."""
    stored = _ms(stored)
    if acquisition_after_storage:  # #459: seen for 1 in 3-4 invoices on KSeF TEST
        acquired = stored + timedelta(milliseconds=rng.randint(1_000, 600_000))
        invoicing = stored - timedelta(milliseconds=rng.randint(200, 5_000))
    else:
        acquired = stored - timedelta(milliseconds=rng.randint(1_000, 90_000))
        invoicing = acquired - timedelta(milliseconds=rng.randint(200, 3_000))
    issued = (invoicing.astimezone(WARSAW) - timedelta(days=issue_days_before)).date()
    buyer_nip, buyer_name = for_buyer if for_buyer is not None else (buyer.nip, buyer.name)
    inv = Invoice(
        seller_nip=seller_nip,
        seller_name=seller_name,
        buyer_nip=buyer_nip,
        buyer_name=buyer_name,
        invoice_number=world.next_number(seller_nip, invoicing, supplier.prefix if supplier else "FV"),
        issue_date=issued,
        invoicing_date=invoicing,
        currency=currency,
        kind=kind,
        lines=lines,
        gen_seed=rng.getrandbits(32),
        visible_from=_ms(visible_from) if visible_from is not None else None,
        supplier=supplier.key if supplier is not None else None,
        corrects=corrects,
        settles=settles,
        reverse_charge=reverse_charge,
        third_party_nip=buyer.nip if for_buyer is not None else "",
        third_party_name=buyer.name if for_buyer is not None else "",
    )
    inv.acquisition_date = acquired
    inv.permanent_storage_date = stored
    inv.ksef_number = purchase_ksef_number(rng, seller_nip, acquired.astimezone(WARSAW))
    inv.status_code = 200
    world.register_invoice(inv)
    return inv


# ---- the demo month ------------------------------------------------------------------------------


def pick_suppliers(rng: random.Random) -> list[Supplier]:
    """6-12 distinct suppliers: energy and telecom always, usually rent and fuel, the rest at random."""
    by_category: dict[str, list[Supplier]] = {}
    for s in CATALOGUE:
        by_category.setdefault(s.category, []).append(s)
    chosen = [rng.choice(by_category["energy"]), rng.choice(by_category["telecom"])]
    if rng.random() < 0.75:
        chosen.append(rng.choice(by_category["rent"]))
    if rng.random() < 0.85:
        chosen.append(rng.choice(by_category["fuel"]))
    want = rng.randint(6, 12)
    rest = [s for s in CATALOGUE if s not in chosen and not s.monthly]
    rng.shuffle(rest)
    monthly_rest = [
        s for s in CATALOGUE if s not in chosen and s.monthly and s.category not in ("energy", "rent")
    ]
    if rng.random() < 0.4 and monthly_rest:
        chosen.append(rng.choice(monthly_rest))
    while len(chosen) < want and rest:
        chosen.append(rest.pop())
    return chosen


def _billing_times(s: Supplier, rng: random.Random, start: datetime, end: datetime) -> list[datetime]:
    """Each month's bill of a monthly supplier, on its billing day at night (Warsaw), within (start, end]."""
    out = []
    local = start.astimezone(WARSAW)
    year, month = local.year, local.month
    while True:
        day = datetime.combine(date(year, month, s.billing_day), time(2, 0), WARSAW)
        when = day + timedelta(minutes=rng.randint(0, 239), milliseconds=rng.randint(0, 59_999))
        if when > end:
            break
        if when > start:
            out.append(when)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def _business_time(rng: random.Random, start: datetime, end: datetime) -> datetime:
    """A moment in (start, end], moved into working hours (07:00-20:00 Warsaw) when that stays inside."""
    raw = start + (end - start) * rng.random()
    local = raw.astimezone(WARSAW)
    if 7 <= local.hour < 20:
        return raw
    moved = datetime.combine(local.date(), time(rng.randint(7, 19), rng.randint(0, 59)), WARSAW)
    moved += timedelta(milliseconds=rng.randint(0, 59_999))
    return moved if start < moved <= end else raw


def month_of_purchases(world: World, tp: Taxpayer, rng: random.Random, now: datetime) -> list[Invoice]:
    """A demo client's purchases: the month before `now` and the 14 days after it (module docstring)."""
    suppliers = pick_suppliers(rng)
    monthly = [s for s in suppliers if s.monthly]
    others = [s for s in suppliers if not s.monthly]
    start, end = now - MONTH, now + AHEAD
    events: list[tuple[datetime, Supplier]] = []
    for s in monthly:
        events += [(t, s) for t in _billing_times(s, rng, start, end)]
    past_monthly = sum(1 for t, _s in events if t <= now)
    target = rng.randint(max(30, past_monthly + 2 * len(others)), 80)
    remainder = target - past_monthly
    counts = Counter({s.key: 2 for s in others})
    if others:
        for s in rng.choices(others, weights=[s.weight for s in others], k=remainder - 2 * len(others)):
            counts[s.key] += 1
        for s in others:
            events += [(_business_time(rng, start, now), s) for _ in range(counts[s.key])]
        ahead = round(remainder * AHEAD / MONTH)
        for s in rng.choices(others, weights=[s.weight for s in others], k=ahead):
            events.append((_business_time(rng, now, end), s))
    events.sort(key=lambda e: (e[0], e[1].key))
    made: list[Invoice] = []
    earlier: dict[str, list[Invoice]] = {}
    advances: dict[str, Invoice] = {}  # a ZAL not yet settled: the supplier's next invoice is its ROZ
    for when, s in events:
        prior = [i for i in earlier.get(s.key, []) if i.kind == "VAT"]
        kind, corrects, settles = "VAT", None, None
        if s.key in advances:
            kind, settles = "ROZ", advances.pop(s.key)
        elif prior and rng.random() < 0.06:
            kind, corrects = "KOR", rng.choice(prior)
        elif s.advances and rng.random() < 0.12:
            kind = "ZAL"
        if settles is not None:
            currency, reverse = settles.currency, False
        elif corrects is not None:
            currency, reverse = corrects.currency, corrects.reverse_charge
        else:
            currency = "EUR" if s.eur and kind == "VAT" and rng.random() < 0.3 else "PLN"
            reverse = s.reverse_charge and kind == "VAT" and currency == "PLN" and rng.random() < 0.5
        earlier_invoice = corrects or settles
        inv = purchase(
            world,
            rng,
            tp,
            when,
            seller_nip=s.nip,
            seller_name=s.name,
            supplier=s,
            kind=kind,
            currency=currency,
            lines=earlier_invoice.lines if earlier_invoice is not None else rng.randint(*s.lines),
            corrects=corrects,
            settles=settles,
            reverse_charge=reverse,
            acquisition_after_storage=rng.random() < 0.25,
            issue_days_before=0 if s.monthly else rng.choice((0, 0, 0, 1, 2)),
        )
        earlier.setdefault(s.key, []).append(inv)
        if kind == "ZAL":
            advances[s.key] = inv
        made.append(inv)
    if world.externals and rng.random() < THIRD_PARTY_SHARE:
        made.append(third_party_purchase(world, tp, rng, _business_time(rng, now - RECENT, now)))
    return made


def third_party_purchase(world: World, tp: Taxpayer, rng: random.Random, when: datetime) -> Invoice:
    """An invoice to another company naming `tp` in Podmiot3 (an additional buyer with a share, as when
    two firms buy a service together): KSeF lists it for `tp` as Subject3."""
    s = rng.choice([x for x in CATALOGUE if not x.monthly and not x.eur])
    partner = rng.choice(world.externals)
    return purchase(
        world,
        rng,
        tp,
        when,
        seller_nip=s.nip,
        seller_name=s.name,
        supplier=s,
        lines=rng.randint(*s.lines),
        for_buyer=partner,
    )


# ---- arrivals on demand (tests, /_sim/purchases) ----------------------------------------------------


def recurring_supplier(world: World, buyer: Taxpayer) -> tuple[str, str]:
    """(NIP, name) of the buyer's most frequent catalogue supplier, else its most frequent seller, else
    the first catalogue supplier."""
    counts = Counter(p.seller_nip for p in buyer.purchases)
    known = [(n, nip) for nip, n in counts.items() if nip in BY_NIP]
    if known:
        nip = max(known, key=lambda c: (c[0], c[1]))[1]
        return nip, BY_NIP[nip].name
    if counts:
        nip = counts.most_common(1)[0][0]
        return nip, next(p.seller_name for p in buyer.purchases if p.seller_nip == nip)
    return CATALOGUE[0].nip, CATALOGUE[0].name


def seller_name(world: World, nip: str) -> str:
    if nip in BY_NIP:
        return BY_NIP[nip].name
    tp = world.taxpayer(nip)
    if tp is not None:
        return tp.name
    return next((name for n, name in world.externals if n == nip), f"Dostawca {nip}")


def add_purchases(
    world: World,
    buyer_nip: str,
    count: int,
    *,
    now: datetime,
    seller_nip: str | None = None,
    storage_from: datetime | None = None,
    spacing_seconds: float = 60.0,
    visible_after_seconds: float | None = None,
    acquisition_after_storage: bool = False,
) -> list[Invoice]:
    """`count` purchase invoices of `buyer_nip` as its seller would send them: permanently stored from
    `storage_from` (default `now`) every `spacing_seconds`; each visible `visible_after_seconds` after its
    storage date when given (a late invoice), else at it. ValueError on bad arguments."""
    buyer = world.taxpayers.get(buyer_nip)
    if buyer is None:
        raise ValueError(f"unknown buyer NIP: {buyer_nip}")
    if not 1 <= count <= MAX_ADD:
        raise ValueError(f"count must be 1..{MAX_ADD}")
    if spacing_seconds < 0:
        raise ValueError("spacing_seconds must not be negative")
    if visible_after_seconds is not None and visible_after_seconds < 0:
        raise ValueError("visible_after_seconds must not be negative")
    if seller_nip is None:
        seller_nip, name = recurring_supplier(world, buyer)
    elif not is_valid_nip(seller_nip) or len(seller_nip) != 10:
        raise ValueError(f"invalid seller NIP: {seller_nip}")
    else:
        name = seller_name(world, seller_nip)
    supplier = BY_NIP.get(seller_nip)
    rng = world.runtime_rng
    first = storage_from if storage_from is not None else now
    out = []
    for k in range(count):
        stored = first + timedelta(seconds=spacing_seconds * k)
        visible = (
            stored + timedelta(seconds=visible_after_seconds) if visible_after_seconds is not None else None
        )
        out.append(
            purchase(
                world,
                rng,
                buyer,
                stored,
                seller_nip=seller_nip,
                seller_name=name,
                supplier=supplier,
                lines=rng.randint(*(supplier.lines if supplier else (1, 4))),
                acquisition_after_storage=acquisition_after_storage,
                visible_from=visible,
            )
        )
    return out


def purchases_json(world: World, buyer_nip: str, now: datetime, hwm: datetime) -> list[dict]:
    """Every purchase of `buyer_nip` KSeF holds or will hold, by storage date, with whether it is listed at
    `now` and whether it lies below the HWM (what a complete sync must have stored)."""
    buyer = world.taxpayers.get(buyer_nip)
    if buyer is None:
        raise ValueError(f"unknown buyer NIP: {buyer_nip}")
    rows = sorted(buyer.purchases, key=lambda i: (i.permanent_storage_date or now, i.ksef_number or ""))
    out = []
    for inv in rows:
        assert inv.permanent_storage_date is not None and inv.acquisition_date is not None
        visible_at = inv.visible_at
        assert visible_at is not None
        out.append(
            {
                "ksefNumber": inv.ksef_number,
                "sellerNip": inv.seller_nip,
                "invoiceNumber": inv.invoice_number,
                "invoiceType": inv.invoice_type,
                "currency": inv.currency,
                "acquisitionDate": iso(inv.acquisition_date),
                "permanentStorageDate": iso(inv.permanent_storage_date),
                "visibleFrom": iso(visible_at),
                "invoiceHash": inv.hash,
                "visible": visible_at <= now,
                "belowHwm": inv.permanent_storage_date <= hwm,
            }
        )
    return out

"""FA(3) purchase invoices from the supplier catalogue (suppliers.py), valid against the official XSD.

Like core/fa/generate.py (whose sales invoices the rest of the world uses), but with each supplier's own
items, units and VAT rates, and two more shapes:
- the reverse charge ("odwrotne obciążenie"): every line at P_12 = "oo", the net total in P_13_10 with no
  tax (P_15 = P_13_10) and the annotation Adnotacje/P_18 = 1 (the XSD: 'wyrazy "odwrotne obciążenie";
  należy podać wartość "1"');
- a correction (KOR) of a given earlier invoice: its lines regenerated from the same seed (before, with
  StanPrzed) and corrected (after), and DaneFaKorygowanej naming its number, date and KSeF number;
- an advance (ZAL) on an order, and its final invoice (ROZ): the order's lines regenerated from the ZAL's
  seed as FaWiersz, P_13_x/P_14_x the rest still due (the order less the advance, per rate) and
  FakturaZaliczkowa naming the ZAL's KSeF number;
- a third party (Podmiot3, role 4 "additional buyer", a 50 % share): KSeF lists the invoice for that NIP
  as Subject3.
Deterministic for a given seed; knows nothing of the simulator's model.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from ksef_tui.core.fa.parse import NS_FA3
from ksef_tui.core.fa.xml_parts import amount as _amt
from ksef_tui.core.fa.xml_parts import annotations_xml, totals_xml
from ksef_tui.core.fa.xml_parts import element as _el
from ksef_tui.core.fa.xml_parts import line_xml as _line_xml
from ksef_tui.core.fa.xml_parts import money as _money
from ksef_tui.core.fa.xml_parts import party as _party
from ksef_tui.core.fa.xml_parts import vat_of as _vat
from ksef_tui.simulator.suppliers import BY_KEY, Item, Supplier

EUR_RATE = Decimal("4.2537")
# P_12 -> (group of P_13_x/P_14_x, rate in %); the groups in the XSD's order.
_GROUPS = {"23": ("1", 23), "8": ("2", 8), "5": ("3", 5), "zw": ("7", 0), "oo": ("10", 0)}
_ORDER = ("1", "2", "3", "7", "10")
_TAXED = {"1", "2", "3"}
KINDS = ("VAT", "KOR", "ZAL", "ROZ")
ADVANCE_SHARE = Decimal("0.3")  # a ZAL is 30 % of the order's gross; its ROZ settles the rest


@dataclass(frozen=True)
class Correction:
    """What a KOR needs of the invoice it corrects (and a ROZ of the advance invoice it settles)."""

    ksef_number: str
    invoice_number: str
    issue_date: date
    seed: int
    lines: int


@dataclass(frozen=True)
class Line:
    name: str
    unit: str
    qty: Decimal
    price: Decimal
    rate: str  # P_12

    @property
    def group(self) -> str:
        return _GROUPS[self.rate][0]

    @property
    def percent(self) -> int:
        return _GROUPS[self.rate][1]

    @property
    def net(self) -> Decimal:
        return _money(self.qty * self.price)


USAGE_UNITS = frozenset({"kWh", "min", "MB", "godz."})  # metered or hourly: varies month to month


def _main_item(supplier: Supplier, buyer_nip: str) -> int:
    """The item this buyer mostly buys from a supplier (its diesel, its bricks): weighted by the item's
    typical value, so a fuel station's main item is fuel, not coffee."""
    rng = random.Random(f"{supplier.key}:{buyer_nip}:main")
    weights = [(sum(i.price) / 2) * (sum(i.qty) / 2) / (100 if i.fractional else 1) for i in supplier.items]
    return rng.choices(range(len(supplier.items)), weights=weights)[0]


def _base(supplier: Supplier, buyer_nip: str) -> list[tuple[Decimal, Decimal]]:
    """What this buyer usually takes of each item: (quantity, unit price), fixed per (supplier, buyer).
    A client's rent, subscriptions and retainers are the same every month and its fuel stop or material
    order is of a usual size: an accountant's "usual amount" for the seller exists (docs/DECISIONS.md
    "The demo's amounts")."""
    rng = random.Random(f"{supplier.key}:{buyer_nip}:usual")
    out = []
    for item in supplier.items:
        lo, hi = item.qty
        qty = lo + (hi - lo) * rng.random() ** 2  # small orders are commoner than big ones
        price = Decimal(rng.randint(*item.price)) / 100
        out.append((Decimal(qty), price))
    return out


def _quantity(item: Item, usual: Decimal, monthly: bool, rng: random.Random) -> Decimal:
    lo, hi = item.qty
    if lo == hi:
        spread = 0.0
    elif monthly:
        spread = 0.15 if item.fractional or item.unit in USAGE_UNITS else 0.0  # meters vary, counts do not
    else:
        spread = 0.4  # this week's order: 0.6-1.4 × the usual one
    raw = float(usual) * (1 + spread * (2 * rng.random() - 1))
    raw = min(max(raw, lo), hi)
    qty = Decimal(round(raw)) / 100 if item.fractional else Decimal(max(1, round(raw)))
    return qty if qty > 0 else Decimal(1)


def supplier_lines(
    supplier: Supplier, seed: int, count: int, reverse_charge: bool, buyer_nip: str = ""
) -> list[Line]:
    """The goods/services lines of one invoice: the same for the same (supplier, seed, count, buyer).
    Each item's quantity and price are around what this buyer usually takes (`_base`): a monthly bill
    within ±15 % on metered items and unchanged otherwise, a purchase 0.6-1.4 × the usual order, prices
    within ±3 %; a purchase's first line is the buyer's usual item (`_main_item`)."""
    rng = random.Random(seed)
    usual = _base(supplier, buyer_nip)
    if supplier.fixed_lines:
        picks = list(range(len(supplier.items)))
    else:
        picks = [rng.randrange(len(supplier.items)) for _ in range(max(1, count))]
        picks[0] = _main_item(supplier, buyer_nip)  # the usual purchase, and now and then something more
    out = []
    for index in picks:
        item = supplier.items[index]
        base_qty, base_price = usual[index]
        qty = _quantity(item, base_qty, supplier.monthly, rng)
        factor = Decimal(1) if supplier.monthly else Decimal(rng.randint(97, 103)) / 100
        price = _money(base_price * factor)
        out.append(Line(item.name, item.unit, qty, price, "oo" if reverse_charge else item.rate))
    return out


def _annotations(exempt: bool, reverse_charge: bool) -> str:
    return annotations_xml("art. 43 ust. 1 pkt 36 ustawy o VAT" if exempt else None, reverse_charge)


def _totals(nets: dict[str, Decimal], vats: dict[str, Decimal], fx: Decimal | None) -> tuple[str, Decimal]:
    return totals_xml(nets, vats, fx, _ORDER)


def _corrected(line: Line) -> Line:
    """A meter re-read or a return: a tenth less (fractional units) or one unit less."""
    if line.qty != line.qty.to_integral_value():
        qty = _money(line.qty * Decimal("0.9"))
    else:
        qty = max(line.qty - 1, Decimal(0))
    return Line(line.name, line.unit, qty, line.price, line.rate)


def _advance(gross: Decimal, pct: int, group: str) -> tuple[Decimal, Decimal]:
    """The advance on an order's gross at one rate, and the VAT in it: (gross, VAT)."""
    advance = _money(gross * ADVANCE_SHARE)
    return advance, _money(advance * pct / (100 + pct)) if group in _TAXED else Decimal(0)


def _third_party(nip: str, name: str) -> str:
    return (
        f"<Podmiot3><DaneIdentyfikacyjne>{_el('NIP', nip)}{_el('Nazwa', name)}</DaneIdentyfikacyjne>"
        "<Rola>4</Rola><Udzial>50</Udzial></Podmiot3>"
    )


def generate_purchase(
    supplier_key: str,
    seller_nip: str,
    buyer_nip: str,
    buyer_name: str,
    number: str,
    issue_date: date,
    *,
    kind: str = "VAT",
    currency: str = "PLN",
    lines: int = 2,
    seed: int = 0,
    reverse_charge: bool = False,
    corrects: Correction | None = None,
    settles: Correction | None = None,
    third_party: tuple[str, str] | None = None,
) -> bytes:
    """An FA(3) invoice from catalogue supplier `supplier_key` to the buyer (UTF-8 bytes, XSD-valid, adds
    up). `seller_nip` is normally the supplier's own NIP; a KOR needs `corrects`, a ROZ `settles` (the
    ZAL); `third_party` (NIP, name) is named in Podmiot3."""
    if kind not in KINDS:
        raise ValueError(f"unsupported kind {kind!r}; expected one of {KINDS}")
    if kind == "KOR" and corrects is None:
        raise ValueError("a correction (KOR) needs the invoice it corrects")
    if kind == "ROZ" and settles is None:
        raise ValueError("a final invoice (ROZ) needs the advance invoice it settles")
    supplier = BY_KEY[supplier_key]
    fx = None if currency == "PLN" else EUR_RATE
    rng = random.Random(f"{seed}:body")
    nets: dict[str, Decimal] = defaultdict(Decimal)
    vats: dict[str, Decimal] = defaultdict(Decimal)
    body: list[str] = []
    head_extra = ""
    tail = ""
    sale_date = issue_date - timedelta(days=rng.randint(0, 5))

    if kind == "VAT":
        items = supplier_lines(supplier, seed, lines, reverse_charge, buyer_nip)
        for item in items:
            nets[item.group] += item.net
        percents = {i.group: i.percent for i in items}
        for group, net in nets.items():
            vats[group] = _vat(net, percents[group])
        body = [_line_xml(n, item, fx) for n, item in enumerate(items, 1)]
    elif kind == "KOR":
        assert corrects is not None
        before = supplier_lines(supplier, corrects.seed, corrects.lines, reverse_charge, buyer_nip)
        after = [_corrected(x) for x in before]
        percents = {i.group: i.percent for i in before}
        before_net: dict[str, Decimal] = defaultdict(Decimal)
        after_net: dict[str, Decimal] = defaultdict(Decimal)
        for old, new in zip(before, after, strict=True):
            before_net[old.group] += old.net
            after_net[new.group] += new.net
        for group in before_net:
            nets[group] = after_net[group] - before_net[group]
            vats[group] = _vat(after_net[group], percents[group]) - _vat(before_net[group], percents[group])
        for n, (old, new) in enumerate(zip(before, after, strict=True), 1):
            body.append(_line_xml(n, old, fx, before=True))
            body.append(_line_xml(n, new, fx))
        reason = "Korekta odczytu licznika" if supplier.fixed_lines else "Zwrot części towaru"
        head_extra = (
            f"{_el('PrzyczynaKorekty', reason)}<TypKorekty>2</TypKorekty>"
            f"<DaneFaKorygowanej>{_el('DataWystFaKorygowanej', corrects.issue_date.isoformat())}"
            f"{_el('NrFaKorygowanej', corrects.invoice_number)}<NrKSeF>1</NrKSeF>"
            f"{_el('NrKSeFFaKorygowanej', corrects.ksef_number)}</DaneFaKorygowanej>"
        )
    elif kind == "ROZ":
        assert settles is not None
        items = supplier_lines(supplier, settles.seed, settles.lines, False, buyer_nip)
        full_net: dict[str, Decimal] = defaultdict(Decimal)
        percents = {i.group: i.percent for i in items}
        for item in items:
            full_net[item.group] += item.net
        for group, net in full_net.items():
            pct = percents[group]
            vat = _vat(net, pct) if group in _TAXED else Decimal(0)
            paid, paid_vat = _advance(net + vat, pct, group)
            nets[group] = net - (paid - paid_vat)
            vats[group] = vat - paid_vat
        body = [_line_xml(n, item, fx) for n, item in enumerate(items, 1)]
        head_extra = (
            f"<FakturaZaliczkowa>{_el('NrKSeFFaZaliczkowej', settles.ksef_number)}</FakturaZaliczkowa>"
        )
    else:  # ZAL: a 30 % advance on an order; the invoice carries the order lines, not FaWiersz
        items = supplier_lines(supplier, seed, lines, False, buyer_nip)
        order_total = Decimal(0)
        rows = []
        gross_by_group: dict[str, Decimal] = defaultdict(Decimal)
        percents = {i.group: i.percent for i in items}
        for n, item in enumerate(items, 1):
            vat = _vat(item.net, item.percent) if item.group in _TAXED else Decimal(0)
            order_total += item.net + vat
            gross_by_group[item.group] += item.net + vat
            rows.append(
                f"<ZamowienieWiersz>{_el('NrWierszaZam', n)}{_el('P_7Z', item.name)}"
                f"{_el('P_8AZ', item.unit)}{_el('P_8BZ', item.qty)}{_el('P_9AZ', item.price)}"
                f"{_el('P_11NettoZ', _amt(item.net))}{_el('P_11VatZ', _amt(vat))}{_el('P_12Z', item.rate)}"
                "</ZamowienieWiersz>"
            )
        for group, gross in gross_by_group.items():
            advance, vat = _advance(gross, percents[group], group)
            nets[group] = advance - vat
            vats[group] = vat
        tail = f"<Zamowienie>{_el('WartoscZamowienia', _amt(order_total))}{''.join(rows)}</Zamowienie>"

    amounts, gross = _totals(nets, vats, fx)
    account = "".join(str(rng.randint(0, 9)) for _ in range(26))
    payment = (
        f"<Platnosc><TerminPlatnosci>{_el('Termin', (issue_date + timedelta(days=14)).isoformat())}"
        f"</TerminPlatnosci><FormaPlatnosci>6</FormaPlatnosci>"
        f"<RachunekBankowy>{_el('NrRB', account)}</RachunekBankowy></Platnosc>"
    )
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<Faktura xmlns="{NS_FA3}">'
        '<Naglowek><KodFormularza kodSystemowy="FA (3)" wersjaSchemy="1-0E">FA</KodFormularza>'
        "<WariantFormularza>3</WariantFormularza>"
        f"{_el('DataWytworzeniaFa', issue_date.isoformat() + 'T06:00:00Z')}"
        f"{_el('SystemInfo', supplier.name + ' - system fakturowy')}</Naglowek>"
        + _party("Podmiot1", seller_nip, supplier.name, supplier.street, supplier.city, False)
        + _party("Podmiot2", buyer_nip, buyer_name, "ul. Główna 1", "00-950 Warszawa", True)
        + (_third_party(*third_party) if third_party is not None else "")
        + f"<Fa>{_el('KodWaluty', currency)}{_el('P_1', issue_date.isoformat())}"
        f"{_el('P_1M', supplier.city.split(' ', 1)[-1])}"
        f"{_el('P_2', number)}{_el('P_6', sale_date.isoformat())}{amounts}{_el('P_15', _amt(gross))}"
        f"{_el('KursWalutyZ', fx) if fx is not None and kind == 'ZAL' else ''}"
        f"{_annotations('7' in nets, reverse_charge)}{_el('RodzajFaktury', kind)}{head_extra}{''.join(body)}"
        f"{payment}{tail}</Fa>"
        "</Faktura>\n"
    )
    return xml.encode("utf-8")

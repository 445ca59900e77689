"""Generate FA(3) invoices that are valid against the official XSD and add up.

Used by the benchmark and by the simulator's seeded world. The output is deterministic for a given seed.
Supported kinds: VAT (basic), KOR (a correction with before/after lines, StanPrzed) and ZAL (an advance
payment invoice with its order, Zamowienie).
"""

from __future__ import annotations

import random
from collections import defaultdict
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
from ksef_tui.core.ksef_number import make_ksef_number

# (P_12 value, VAT group code, rate in %); weighted towards 23% like real sales.
_RATES: tuple[tuple[str, str, int], ...] = (
    ("23", "1", 23),
    ("23", "1", 23),
    ("23", "1", 23),
    ("8", "2", 8),
    ("5", "3", 5),
    ("zw", "7", 0),
)
_GROUP_ORDER = ("1", "2", "3", "7")
_TAXED = {"1", "2", "3"}
_PRODUCTS = (
    ("Usługa księgowa", "usł."),
    ("Papier A4 80g", "ryza"),
    ("Toner do drukarki", "szt."),
    ("Licencja oprogramowania", "szt."),
    ("Konsultacja podatkowa", "godz."),
    ("Transport", "km"),
    ("Segregator A4", "szt."),
    ("Szkolenie z KSeF", "os."),
    ("Kawa ziarnista 1 kg", "szt."),
    ("Wynajem sali", "godz."),
)
_EXCHANGE_RATES = {"EUR": Decimal("4.2537"), "USD": Decimal("3.9012"), "GBP": Decimal("5.0875")}
SUPPORTED_KINDS = ("VAT", "KOR", "ZAL")


class _Line:
    __slots__ = ("group", "name", "price", "qty", "rate", "unit", "value")

    def __init__(self, name: str, unit: str, qty: Decimal, price: Decimal, rate: tuple[str, str, int]):
        self.name, self.unit, self.qty, self.price = name, unit, qty, price
        self.rate, self.group, self.value = rate[0], rate[1], rate[2]

    @property
    def net(self) -> Decimal:
        return _money(self.qty * self.price)


def _random_lines(rng: random.Random, count: int) -> list[_Line]:
    out = []
    for _i in range(count):
        name, unit = rng.choice(_PRODUCTS)
        qty = Decimal(rng.randint(1, 40))
        price = Decimal(rng.randint(100, 250_000)) / 100
        out.append(_Line(name, unit, qty, price, rng.choice(_RATES)))
    return out


def _annotations(exempt: bool) -> str:
    return annotations_xml("art. 43 ust. 1 pkt 37 ustawy o VAT" if exempt else None)


def _totals(nets: dict[str, Decimal], vats: dict[str, Decimal], fx: Decimal | None) -> tuple[str, Decimal]:
    return totals_xml(nets, vats, fx, _GROUP_ORDER)


def generate_invoice(
    seller_nip: str,
    seller_name: str,
    buyer_nip: str,
    buyer_name: str,
    number: str,
    issue_date: date | str,
    lines: int = 10,
    currency: str = "PLN",
    kind: str = "VAT",
    seed: int = 0,
) -> bytes:
    """An FA(3) invoice (UTF-8 bytes) valid against the official XSD, with consistent arithmetic.

    `lines` is the number of goods/services lines (a KOR has each twice: before and after). A foreign
    `currency` gets a fixed exchange rate and VAT in PLN (P_14_xW).
    """
    if kind not in SUPPORTED_KINDS:
        raise ValueError(f"unsupported kind {kind!r}; expected one of {SUPPORTED_KINDS}")
    if lines < 1:
        raise ValueError("an invoice needs at least one line")
    issued = date.fromisoformat(issue_date) if isinstance(issue_date, str) else issue_date
    rng = random.Random(seed)
    fx = None if currency == "PLN" else _EXCHANGE_RATES.get(currency, Decimal("4.0000"))
    items = _random_lines(rng, lines)

    nets: dict[str, Decimal] = defaultdict(Decimal)
    vats: dict[str, Decimal] = defaultdict(Decimal)
    rate_of = {item.group: item.value for item in items}
    body: list[str] = []
    head_extra = ""
    tail = ""
    sale_date = issued - timedelta(days=rng.randint(0, 10))

    if kind == "VAT":
        for item in items:
            nets[item.group] += item.net
        for group, net in nets.items():
            vats[group] = _vat(net, rate_of[group])
        body = [_line_xml(i, item, fx) for i, item in enumerate(items, 1)]
    elif kind == "KOR":
        # Each line corrected: the quantity goes down by one (a return), priced as before.
        after = [
            _Line(x.name, x.unit, max(x.qty - 1, Decimal(0)), x.price, (x.rate, x.group, x.value))
            for x in items
        ]
        before_net: dict[str, Decimal] = defaultdict(Decimal)
        after_net: dict[str, Decimal] = defaultdict(Decimal)
        for old, new in zip(items, after, strict=True):
            before_net[old.group] += old.net
            after_net[new.group] += new.net
        for group in before_net:
            nets[group] = after_net[group] - before_net[group]
            vats[group] = _vat(after_net[group], rate_of[group]) - _vat(before_net[group], rate_of[group])
        for i, (old, new) in enumerate(zip(items, after, strict=True), 1):
            body.append(_line_xml(i, old, fx, before=True))
            body.append(_line_xml(i, new, fx))
        original_date = issued - timedelta(days=rng.randint(5, 40))
        ksef = make_ksef_number(seller_nip, original_date.strftime("%Y%m%d"), f"{rng.getrandbits(48):012X}")
        head_extra = (
            "<PrzyczynaKorekty>Zwrot części towaru</PrzyczynaKorekty><TypKorekty>2</TypKorekty>"
            f"<DaneFaKorygowanej>{_el('DataWystFaKorygowanej', original_date.isoformat())}"
            f"{_el('NrFaKorygowanej', 'ORIG/' + number)}<NrKSeF>1</NrKSeF>"
            f"{_el('NrKSeFFaKorygowanej', ksef)}</DaneFaKorygowanej>"
        )
    else:  # ZAL: 30% advance on an order; the invoice carries the order lines, not FaWiersz
        order_total = Decimal(0)
        rows = []
        gross_by_group: dict[str, Decimal] = defaultdict(Decimal)
        for i, item in enumerate(items, 1):
            vat = _vat(item.net, item.value) if item.group in _TAXED else Decimal(0)
            order_total += item.net + vat
            gross_by_group[item.group] += item.net + vat
            rows.append(
                f"<ZamowienieWiersz>{_el('NrWierszaZam', i)}{_el('P_7Z', item.name)}{_el('P_8AZ', item.unit)}"
                f"{_el('P_8BZ', item.qty)}{_el('P_9AZ', item.price)}{_el('P_11NettoZ', _amt(item.net))}"
                f"{_el('P_11VatZ', _amt(vat))}{_el('P_12Z', item.rate)}</ZamowienieWiersz>"
            )
        for group, gross in gross_by_group.items():
            advance = _money(gross * Decimal("0.3"))
            rate = rate_of[group]
            vat = _money(advance * rate / (100 + rate)) if group in _TAXED else Decimal(0)
            nets[group] = advance - vat
            vats[group] = vat
        tail = f"<Zamowienie>{_el('WartoscZamowienia', _amt(order_total))}{''.join(rows)}</Zamowienie>"

    amounts, gross = _totals(nets, vats, fx)
    exempt = "7" in nets
    account = "".join(str(rng.randint(0, 9)) for _i in range(26))
    payment = (
        f"<Platnosc><TerminPlatnosci>{_el('Termin', (issued + timedelta(days=14)).isoformat())}"
        f"</TerminPlatnosci><FormaPlatnosci>6</FormaPlatnosci>"
        f"<RachunekBankowy>{_el('NrRB', account)}</RachunekBankowy></Platnosc>"
    )
    xml = (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<Faktura xmlns="{NS_FA3}">'
        '<Naglowek><KodFormularza kodSystemowy="FA (3)" wersjaSchemy="1-0E">FA</KodFormularza>'
        "<WariantFormularza>3</WariantFormularza>"
        f"{_el('DataWytworzeniaFa', issued.isoformat() + 'T09:00:00Z')}"
        "<SystemInfo>ksef-tui</SystemInfo></Naglowek>"
        + _party("Podmiot1", seller_nip, seller_name, "ul. Marszałkowska 1", "00-001 Warszawa", False)
        + _party("Podmiot2", buyer_nip, buyer_name, "ul. Długa 5", "80-001 Gdańsk", True)
        + f"<Fa>{_el('KodWaluty', currency)}{_el('P_1', issued.isoformat())}<P_1M>Warszawa</P_1M>"
        f"{_el('P_2', number)}{_el('P_6', sale_date.isoformat())}{amounts}{_el('P_15', _amt(gross))}"
        f"{_el('KursWalutyZ', fx) if fx is not None and kind == 'ZAL' else ''}"
        f"{_annotations(exempt)}{_el('RodzajFaktury', kind)}{head_extra}{''.join(body)}{payment}{tail}</Fa>"
        "</Faktura>\n"
    )
    return xml.encode("utf-8")

"""Pieces of FA(3) XML shared by the two invoice generators: the demo's sales invoices
(`core/fa/generate.py`) and the simulator's purchase invoices (`simulator/purchase_fa.py`).

Amounts are `Decimal`, written with two places; every text is escaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Protocol
from xml.sax.saxutils import escape

CENT = Decimal("0.01")
TAXED_GROUPS = frozenset({"1", "2", "3"})  # P_13_x groups that carry VAT (P_14_x)


class LineLike(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def unit(self) -> str: ...
    @property
    def qty(self) -> Decimal: ...
    @property
    def price(self) -> Decimal: ...
    @property
    def rate(self) -> str: ...
    @property
    def net(self) -> Decimal: ...


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def amount(value: Decimal) -> str:
    value = money(value)
    return "0.00" if value == 0 else f"{value:.2f}"


def element(name: str, value: object) -> str:
    return f"<{name}>{escape(str(value))}</{name}>"


def vat_of(net: Decimal, percent: int) -> Decimal:
    return money(net * percent / 100)


def party(tag: str, nip: str, name: str, street: str, city: str, buyer: bool) -> str:
    extra = "<JST>2</JST><GV>2</GV>" if buyer else ""
    return (
        f"<{tag}><DaneIdentyfikacyjne>{element('NIP', nip)}{element('Nazwa', name)}</DaneIdentyfikacyjne>"
        f"<Adres><KodKraju>PL</KodKraju>{element('AdresL1', street)}{element('AdresL2', city)}</Adres>"
        f"{extra}</{tag}>"
    )


def annotations_xml(exempt_basis: str | None, reverse_charge: bool = False) -> str:
    """`Adnotacje`: P_18 1 for reverse charge; `exempt_basis` (the law's article) when a line is "zw"."""
    zw = (
        f"<Zwolnienie><P_19>1</P_19>{element('P_19A', exempt_basis)}</Zwolnienie>"
        if exempt_basis
        else "<Zwolnienie><P_19N>1</P_19N></Zwolnienie>"
    )
    return (
        f"<Adnotacje><P_16>2</P_16><P_17>2</P_17><P_18>{1 if reverse_charge else 2}</P_18><P_18A>2</P_18A>"
        f"{zw}<NoweSrodkiTransportu><P_22N>1</P_22N></NoweSrodkiTransportu><P_23>2</P_23>"
        "<PMarzy><P_PMarzyN>1</P_PMarzyN></PMarzy></Adnotacje>"
    )


def totals_xml(
    nets: dict[str, Decimal], vats: dict[str, Decimal], fx: Decimal | None, order: Sequence[str]
) -> tuple[str, Decimal]:
    """P_13_x / P_14_x (and P_14_xW in PLN for a foreign currency) in `order`, and the gross."""
    parts = []
    gross = Decimal(0)
    for group in order:
        if group not in nets:
            continue
        net = nets[group]
        gross += net
        parts.append(element(f"P_13_{group}", amount(net)))
        if group in TAXED_GROUPS:
            vat = vats[group]
            gross += vat
            parts.append(element(f"P_14_{group}", amount(vat)))
            if fx is not None:
                parts.append(element(f"P_14_{group}W", amount(vat * fx)))
    return "".join(parts), gross


def line_xml(no: int, line: LineLike, fx: Decimal | None, before: bool = False) -> str:
    return (
        f"<FaWiersz>{element('NrWierszaFa', no)}{element('P_7', line.name)}{element('P_8A', line.unit)}"
        f"{element('P_8B', line.qty)}{element('P_9A', line.price)}{element('P_11', amount(line.net))}"
        f"{element('P_12', line.rate)}"
        f"{element('KursWaluty', fx) if fx is not None else ''}"
        f"{'<StanPrzed>1</StanPrzed>' if before else ''}</FaWiersz>"
    )

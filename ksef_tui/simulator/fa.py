"""Invoice bodies for the world's invoices (FA(3), valid against the official XSD)."""

from __future__ import annotations

from decimal import Decimal

from lxml import etree

from ksef_tui.core.xml_safety import parse_untrusted
from ksef_tui.simulator.model import Invoice

FA3_NS = "http://crd.gov.pl/wzor/2025/06/25/13775/"


def generate_body(inv: Invoice) -> bytes:
    from ksef_tui.core.fa.generate import generate_invoice

    return generate_invoice(
        inv.seller_nip,
        inv.seller_name,
        inv.buyer_nip,
        inv.buyer_name,
        inv.invoice_number,
        inv.issue_date,
        lines=inv.lines,
        currency=inv.currency,
        kind=inv.kind,
        seed=inv.gen_seed,
    )


def read_amounts(body: bytes) -> tuple[Decimal, Decimal, Decimal]:
    """(net, vat, gross) from Fa/P_13_x, P_14_x and P_15."""
    root = parse_untrusted(body)
    fa = root.find(f"{{{FA3_NS}}}Fa")
    net = vat = gross = Decimal(0)
    if fa is None:
        return net, vat, gross
    for child in fa:
        tag = etree.QName(child).localname
        text = (child.text or "").strip()
        if not text:
            continue
        if tag.startswith("P_13_"):
            net += Decimal(text)
        elif tag.startswith("P_14_") and not tag.endswith("W"):
            vat += Decimal(text)
        elif tag == "P_15":
            gross = Decimal(text)
    return net, vat, gross

"""Generated documents validate against the official XSDs: FA(3) invoices and UPO v4-3."""

from __future__ import annotations

import random

from lxml import etree

from ksef_tui.simulator.upo import ISSUER_TE, invoice_upo, session_upo
from ksef_tui.simulator.world import World
from ksef_tui.simulator.xsd import fa3_schema, upo_schema


def test_sampled_invoices_are_valid_fa3(world: World) -> None:
    invoices = list(world.invoices.values())
    sample = random.Random(1).sample(invoices, 200)
    # Make sure the sample holds every kind and a foreign currency.
    sample += [next(i for i in invoices if i.kind == k) for k in ("KOR", "ZAL")]
    sample.append(next(i for i in invoices if i.currency != "PLN"))
    schema = fa3_schema()
    for inv in sample:
        root = etree.fromstring(inv.body)
        assert schema.validate(root), (inv.ksef_number, schema.error_log.last_error)
        ns = {"fa": etree.QName(root).namespace}
        assert root.findtext("fa:Fa/fa:P_2", namespaces=ns) == inv.invoice_number
        assert root.findtext("fa:Podmiot1/fa:DaneIdentyfikacyjne/fa:NIP", namespaces=ns) == inv.seller_nip
        assert root.findtext("fa:Podmiot2/fa:DaneIdentyfikacyjne/fa:NIP", namespaces=ns) == inv.buyer_nip
        net, vat, gross = inv.amounts
        if inv.currency == "PLN":
            assert net + vat == gross


def test_upos_are_valid_v4_3(world: World) -> None:
    schema = upo_schema()
    sessions = [s for s in world.sessions.values() if s.upo_pages]
    assert sessions
    for session in random.Random(2).sample(sessions, 25):
        for page in session.upo_pages:
            doc = session_upo(session, page)
            assert schema.validate(etree.fromstring(doc)), schema.error_log.last_error
            assert doc.count(b"<Dokument>") == len(session.accepted)
        for inv in session.accepted[:3]:
            assert schema.validate(etree.fromstring(invoice_upo(session, inv))), schema.error_log.last_error


def test_te_issuer_variant_fails_only_on_the_issuer_name(world: World) -> None:
    session = next(s for s in world.sessions.values() if s.upo_pages)
    schema = upo_schema()
    assert not schema.validate(etree.fromstring(session_upo(session, session.upo_pages[0], issuer=ISSUER_TE)))
    errors = list(schema.error_log)
    assert errors and all("NazwaPodmiotuPrzyjmujacego" in e.message for e in errors)

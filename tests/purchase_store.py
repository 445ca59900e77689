"""Purchase invoices stored in a real store as the sync stores them (record + XML, one package), without
a booking: what the booking tests start from (sync tests, the queue's real-store pilot test)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from ksef_tui.core.fa import parse_invoice
from ksef_tui.core.purchases import PurchaseRecord
from ksef_tui.simulator.purchase_fa import generate_purchase
from ksef_tui.simulator.suppliers import Supplier
from ksef_tui.store import Store
from ksef_tui.store.repositories.purchases import invoice_hash


def store_purchase(
    store: Store, client_id: int, buyer: tuple[str, str], supplier: Supplier, n: int, received: datetime
) -> str:
    """Invoice `n` of `supplier` to `buyer` (NIP, name), received at `received`; returns its KSeF number."""
    nip, name = buyer
    number = f"{supplier.nip}-{received:%Y%m%d}-{n:06X}00-{n % 251:02X}".upper()
    xml = generate_purchase(supplier.key, supplier.nip, nip, name, f"FV/{n}/2026", received.date(), seed=n)
    invoice = parse_invoice(xml).invoice
    record = PurchaseRecord(
        client_id,
        number,
        seller_nip=supplier.nip,
        seller_name=supplier.name,
        invoice_number=f"FV/{n}/2026",
        issue_date=received.date(),
        acquisition_date=received,
        gross=invoice.gross or Decimal("0.00"),
        invoice_hash=invoice_hash(xml),
    )
    store.purchases.commit_package(client_id, [(record, xml)], None)
    return number

"""Real FA invoices for the booking engine's tests: the repository's samples and the simulator's purchase
generator, parsed with the FA reader."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

from ksef_tui.core.booking_draft import draft_booking
from ksef_tui.core.bookings import Booking, BookingLine, BookingStatus, QueueSettings
from ksef_tui.core.fa import parse_invoice
from ksef_tui.core.fa.model import Invoice
from ksef_tui.core.purchases import SUBJECT_BUYER, PurchaseRecord
from ksef_tui.simulator.purchase_fa import Correction, generate_purchase
from ksef_tui.simulator.suppliers import BY_KEY

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples" / "fa3"
T0 = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
SETTINGS = QueueSettings()
BUYER_NIP = "7740001454"
BUYER_NAME = "Biuro Testowe Sp. z o.o."


def sample(name: str) -> Invoice:
    (path,) = SAMPLES.rglob(name)
    return parse_invoice(path.read_bytes()).invoice


def purchase(
    supplier: str,
    *,
    seed: int = 1,
    kind: str = "VAT",
    currency: str = "PLN",
    lines: int = 3,
    reverse_charge: bool = False,
    corrects: Correction | None = None,
    number: str = "FV/1/03/2026",
    issue: date = date(2026, 3, 2),
) -> Invoice:
    xml = generate_purchase(
        supplier,
        BY_KEY[supplier].nip,
        BUYER_NIP,
        BUYER_NAME,
        number,
        issue,
        kind=kind,
        currency=currency,
        lines=lines,
        seed=seed,
        reverse_charge=reverse_charge,
        corrects=corrects,
    )
    return parse_invoice(xml).invoice


def record(
    invoice: Invoice,
    *,
    client_id: int = 1,
    ksef_number: str = "",
    acquired: datetime = T0,
    subject: str = SUBJECT_BUYER,
) -> PurchaseRecord:
    seller = invoice.seller
    return PurchaseRecord(
        client_id=client_id,
        ksef_number=ksef_number or f"{seller.nip if seller else 'X'}-20260310-{invoice.number}",
        subject=subject,
        seller_nip=(seller.nip or "") if seller else "",
        seller_name=(seller.name or "") if seller else "",
        buyer_nip=BUYER_NIP,
        invoice_number=invoice.number or "",
        issue_date=invoice.issue_date,
        acquisition_date=acquired,
        currency=invoice.currency or "PLN",
        gross=invoice.gross,
        invoice_type=invoice.kind or "",
    )


def draft(invoice: Invoice, *, client_id: int = 1, queued_at: datetime = T0, **kw: object) -> Booking:
    rec = record(invoice, client_id=client_id, **kw)  # type: ignore[arg-type]
    return draft_booking(client_id, rec, invoice, settings=SETTINGS, queued_at=queued_at)


def booking(
    *,
    client_id: int = 1,
    seller_nip: str = "7934628101",
    number: str = "FV/1",
    nets: tuple[str, ...] = ("100.00",),
    vat_rate: str = "23",
    status: BookingStatus = BookingStatus.NEW,
    doc_kind: str = "VAT",
    currency: str = "PLN",
    fx_rate: Decimal | None = None,
    items: tuple[str, ...] = ("Olej napędowy ON",),
    codes: tuple[str, ...] = (),
    queued_at: datetime | None = T0,
    third_party: bool = False,
    max_item: str | None = None,
) -> Booking:
    """A hand-made booking for the rule-engine and queue tests (VAT at 23 %); `max_item`: the net of its
    largest item of goods (None: no goods line, as for fuel in litres)."""
    lines = tuple(
        BookingLine(
            line_no=i,
            vat_rate=vat_rate,
            net=Decimal(n),
            vat=(Decimal(n) * Decimal("0.23")).quantize(Decimal("0.01")),
        )
        for i, n in enumerate(nets, 1)
    )
    gross = sum((x.net + x.vat for x in lines), Decimal(0))
    return Booking(
        client_id=client_id,
        ksef_number=f"{seller_nip}-20260310-{number}",
        status=status,
        lines=lines,
        doc_kind=doc_kind,
        seller_nip=seller_nip,
        seller_name="Stacja Paliw Autostrada Sp. z o.o.",
        invoice_number=number,
        vat_period="2026-03",
        cost_period="2026-03",
        vat_register="ZAKUP",
        currency=currency,
        fx_rate=fx_rate,
        gross=gross,
        queued_at=queued_at,
        item_names=items,
        item_codes=codes,
        third_party=third_party,
        max_item_net=Decimal(max_item) if max_item is not None else None,
    )


def with_lines(b: Booking, **changes: object) -> Booking:
    """Every line of `b` changed the same way."""
    return replace(b, lines=tuple(replace(x, **changes) for x in b.lines))  # type: ignore[arg-type]

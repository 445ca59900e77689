"""Bookings, contexts and XML for the export tests (issue 14): realistic values, Polish text, a correction,
50 % VAT, a foreign-currency invoice and values a spreadsheet would run as formulas."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from ksef_tui.core.bookings import (
    Booking,
    BookingLine,
    BookingStatus,
    Deduction,
    JpkGroup,
    KpirColumn,
    Strength,
)
from ksef_tui.core.exports import ExportContext, PeriodKind, TaxpayerKind, TaxpayerProfile
from ksef_tui.core.purchases import normalise_number

CREATED = datetime(2026, 4, 3, 10, 15, tzinfo=UTC)
SELLER = "7740001454"
CLIENT_NIP = "5260250274"


def number(n: int, seller: str = SELLER) -> str:
    return normalise_number(f"{seller}-202603{(n % 28) + 1:02d}-{n:06X}00-{n % 251:02X}")


def booking(client_id: int, n: int, **changes: object) -> Booking:
    net = Decimal(f"{1000 + n}.37")
    vat = (net * Decimal("0.23")).quantize(Decimal("0.01"))
    values: dict[str, object] = {
        "client_id": client_id,
        "ksef_number": number(n),
        "status": BookingStatus.APPROVED,
        "lines": (
            BookingLine(1, "23", net, vat, deduction=Deduction.HALF, gl_account="401-01"),
            BookingLine(
                2,
                "8",
                Decimal("-12.50"),
                Decimal("-1.00"),
                deduction=Deduction.PROPORTION,
                deduction_pct=Decimal("76"),
                jpk_group=JpkGroup.CORRECTION_OTHER,
                kpir_column=KpirColumn.INCIDENTAL,
                cost_share_pct=75,
                gl_account="402-01",
                gl_contra=f"202-{SELLER}",
                cost_centre="MPK-żółw",
                source_lines=(2, 3),
            ),
        ),
        "doc_kind": "VAT",
        "seller_nip": SELLER,
        "seller_name": 'Stacja Paliw Źródło; "Orlen" S.A.',
        "invoice_number": f"FV/ŻÓŁĆ/{n}/2026",
        "issue_date": date(2026, 3, 1),
        "receipt_date": date(2026, 3, (n % 28) + 1),
        "vat_period": "2026-03",
        "cost_period": "2026-03",
        "vat_register": "ZAKUP-50",
        "gross": net + vat - Decimal("13.50"),
        "description": "Paliwo ON, myjnia",
        "strength": Strength.SELLER,
        "confidence": 93,
        "reason": "dostawca znany",
        "queued_at": datetime(2026, 3, 2, 6, 0, tzinfo=UTC) + timedelta(minutes=n),
        "decided_by": "Anna Nowak",
        "decided_at": datetime(2026, 3, 20, 9, 0, tzinfo=UTC) + timedelta(minutes=n),
    }
    values.update(changes)
    return Booking(**values)  # type: ignore[arg-type]


def context(client_id: int = 1, **changes: object) -> ExportContext:
    values: dict[str, object] = {
        "client_id": client_id,
        "client_name": "Piekarnia Nowak Sp. z o.o.",
        "client_nip": CLIENT_NIP,
        "short_code": "PIEKARNIA",
        "profile": TaxpayerProfile(
            kind=TaxpayerKind.COMPANY, email="biuro@piekarnia.pl", tax_office_code="1471"
        ),
        "period": "2026-03",
        "period_kind": PeriodKind.VAT,
        "created_at": CREATED,
        "office_name": "Biuro Rachunkowe Bilans",
        "office_nip": "1234563218",
    }
    values.update(changes)
    return ExportContext(**values)  # type: ignore[arg-type]


def invoice_xml(ksef_number: str) -> bytes:
    """Bytes standing for an invoice KSeF served: a BOM, CRLF and Polish letters, kept exactly."""
    return (
        '\ufeff<?xml version="1.0" encoding="UTF-8"?>\r\n<Faktura><!-- '
        + ksef_number
        + " --><P_2>FV/ŻÓŁĆ</P_2></Faktura>\r\n"
    ).encode()

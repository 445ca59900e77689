"""Bookings and rules for the store tests (issue 13): realistic values, no engine needed."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from ksef_tui.core.bookings import (
    Booking,
    BookingLine,
    BookingStatus,
    Decision,
    Deduction,
    JpkGroup,
    KpirColumn,
    Rule,
    RuleTemplate,
    Strength,
)
from ksef_tui.core.purchases import normalise_number

Q0 = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
SELLER = "7740001454"  # Orlen: a fuel station, 50 % VAT for one client and 100 % for another
SELLER_NAME = "Stacja Paliw Źródło Orlen S.A."


def number(n: int) -> str:
    return normalise_number(f"{SELLER}-20260302-{n:06X}00-{n % 251:02X}")


def booking(client_id: int, n: int, **changes: object) -> Booking:
    net = Decimal(f"{1000 + n}.37")
    vat = (net * Decimal("0.23")).quantize(Decimal("0.01"))
    values: dict[str, object] = {
        "client_id": client_id,
        "ksef_number": number(n),
        "status": BookingStatus.PROPOSED,
        "lines": (
            BookingLine(1, "23", net, vat, deduction=Deduction.HALF, kpir_column=KpirColumn.OTHER),
            BookingLine(
                2,
                "8",
                Decimal("-12.50"),
                Decimal("-1.00"),
                deduction=Deduction.PROPORTION,
                deduction_pct=Decimal("76"),
                jpk_group=JpkGroup.CORRECTION_OTHER,
                cost_share_pct=75,
                gl_account="402-01",
                gl_contra=f"202-{SELLER}",
                cost_centre="MPK-żółw",
                source_lines=(2, 3),
            ),
        ),
        "doc_kind": "VAT",
        "seller_nip": SELLER,
        "seller_name": SELLER_NAME,
        "invoice_number": f"FV/ŻÓŁĆ/{n}/2026",
        "issue_date": date(2026, 3, 1),
        "receipt_date": date(2026, 3, 2),
        "vat_period": "2026-03",
        "cost_period": "2026-03",
        "vat_register": "ZAKUP",
        "gross": net + vat + Decimal("-13.50"),
        "description": "Paliwo ON, myjnia",
        "strength": Strength.SELLER,
        "confidence": 93,
        "reason": "dostawca znany: 4 razy zatwierdzone tak samo, 0 zmian",
        "rule_id": None,
        "queued_at": Q0 + timedelta(minutes=n),
    }
    values.update(changes)
    return Booking(**values)  # type: ignore[arg-type]


def rule(client_id: int | None, **changes: object) -> Rule:
    values: dict[str, object] = {
        "client_id": client_id,
        "seller_nip": SELLER,
        "template": RuleTemplate(vat_register="ZAKUP-50", deduction=Deduction.HALF, gl_account="409-01"),
        "item_text": "paliwo",
        "amount_max": Decimal("5000.00"),
        "confirmations": 4,
        "created": Q0 - timedelta(days=40),
    }
    values.update(changes)
    return Rule(**values)  # type: ignore[arg-type]


def approval(bookings: list[Booking], at: datetime, by: str = "Anna Nowak") -> Decision:
    after = tuple(replace(b, status=BookingStatus.APPROVED, decided_by=by, decided_at=at) for b in bookings)
    return Decision("approve", tuple(bookings), after, by, at)

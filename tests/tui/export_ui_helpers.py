"""A real store for the export UI tests (issue 14 item 5): the demo roster's clients, one of them with
purchase bookings of October 2026 (the month before the tests' NOW) — approved ones with their invoice
XML, one still proposed and one excluded — and the office's export folder under the test's tmp_path."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from ksef_tui.core.bookings import Booking, BookingLine, BookingStatus, Deduction, JpkGroup
from ksef_tui.core.exports import TaxpayerProfile
from ksef_tui.sync.bookings import INVOICE_DOCUMENT
from ksef_tui.sync.office import set_value
from tests.export_helpers import booking, invoice_xml

from .helpers import make_store

PERIOD = "2026-10"  # the month before helpers.NOW


def october(client_id: int, n: int, **changes: object) -> Booking:
    values: dict[str, object] = {
        "vat_period": PERIOD,
        "cost_period": PERIOD,
        "receipt_date": date(2026, 10, n),
        "issue_date": date(2026, 10, n),
        "decided_at": datetime(2026, 11, 2, 9, 0, tzinfo=UTC) + timedelta(minutes=n),
    }
    values.update(changes)
    return booking(client_id, n, **values)


def fixed_asset(client_id: int, n: int) -> Booking:
    """A plain 23 % purchase of a fixed asset, fully deducted (a second JPK group in the sums)."""
    line = BookingLine(
        1,
        "23",
        Decimal("4000.00"),
        Decimal("920.00"),
        deduction=Deduction.FULL,
        jpk_group=JpkGroup.FIXED_ASSETS,
    )
    return october(client_id, n, lines=(line,), gross=Decimal("4920.00"), vat_register="ZAKUP")


def export_store(home: Path, out: Path):  # type: ignore[no-untyped-def]
    """(store, client id, its short code, the approved bookings) — approved: 3 fuel invoices (50 % VAT
    and a correction line) and 1 fixed asset; open: 1 proposed; 1 excluded; 1 of November."""
    store = make_store(home)
    client = store.clients.list()[0]
    cid = client.id
    approved = [october(cid, n) for n in (1, 2, 3)] + [fixed_asset(cid, 4)]
    others = [
        october(cid, 5, status=BookingStatus.PROPOSED),
        october(cid, 6, status=BookingStatus.EXCLUDED, excluded_reason="prywatny zakup"),
        october(cid, 7, vat_period="2026-11", cost_period="2026-11"),
    ]
    store.bookings.put_many([*approved, *others])
    for b in [*approved, *others]:
        store.documents.put(cid, INVOICE_DOCUMENT, b.ksef_number, invoice_xml(b.ksef_number))
    store.exports.set_profile(cid, TaxpayerProfile(email="biuro@example.pl", tax_office_code="1471"))
    set_value(store, "export_folder", str(out))
    return store, cid, client.short_code, approved

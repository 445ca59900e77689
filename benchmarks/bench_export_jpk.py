"""JPK exports at 10,000 bookings (issue 14 "Speed": 10,000 bookings to each format in under 3 s).

    .venv/bin/python benchmarks/bench_export_jpk.py [--bookings N] [--repeat R]

The bookings are drafted from the simulator's purchase invoices (every catalogue supplier, several seeds,
EUR where the supplier has it), parsed with the FA reader and approved; the N bookings spread those drafts
over new KSeF numbers, with a mix of decisions (full, 50 % with a 75 % cost share, a proportion, fixed
assets, the KPiR columns). Each item carries its invoice's XML, as the export service passes it
(JPK_PKPIR reads the seller's address from it).

Timed, best of `--repeat`: `write_jpk_v7m` and `write_jpk_pkpir` over all N (building the document,
checking every value, and validating the whole file against the official XSD before it is returned).
The baseline, in the same run, is the least any writer must do: per booking, the same amounts per JPK
group / KPiR column (the engine's `vat_deductible` and `cost`) and one plain tuple of the row's values as
strings, then `"\\n".join` over the rows. Nothing is asserted (docs/PERFORMANCE.md keeps the figures).
"""

from __future__ import annotations

import argparse
import gc
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

from ksef_tui.core.booking_draft import cost, draft_booking, vat_deductible
from ksef_tui.core.bookings import (
    Booking,
    BookingStatus,
    Deduction,
    JpkGroup,
    KpirColumn,
    QueueSettings,
)
from ksef_tui.core.export_jpk_pkpir import write_jpk_pkpir
from ksef_tui.core.export_jpk_v7m import write_jpk_v7m
from ksef_tui.core.exports import (
    ExportContext,
    ExportItem,
    Ledger,
    PeriodKind,
    TaxpayerProfile,
)
from ksef_tui.core.fa import parse_invoice
from ksef_tui.core.i18n import set_language
from ksef_tui.core.ksef_number import make_ksef_number
from ksef_tui.core.purchases import PurchaseRecord
from ksef_tui.simulator.purchase_fa import generate_purchase
from ksef_tui.simulator.suppliers import CATALOGUE

T0 = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
CLIENT_NIP = "7740001454"
CONTEXT = ExportContext(
    client_id=1,
    client_name="Klient Testowy sp. z o.o.",
    client_nip=CLIENT_NIP,
    short_code="KT",
    profile=TaxpayerProfile(email="biuro@klient.example.pl", tax_office_code="1471", ledger=Ledger.KPIR),
    period="2026-03",
    period_kind=PeriodKind.VAT,
    created_at=datetime(2026, 4, 2, 9, 0, tzinfo=UTC),
)


def templates(per_supplier: int) -> list[tuple[Booking, bytes]]:
    out = []
    for supplier in CATALOGUE:
        for seed in range(per_supplier):
            currency = "EUR" if supplier.eur and seed % 3 == 0 else "PLN"
            xml = generate_purchase(
                supplier.key,
                supplier.nip,
                CLIENT_NIP,
                "Klient",
                f"{supplier.prefix}/{seed}/03/2026",
                date(2026, 3, 2),
                currency=currency,
                lines=3,
                seed=seed,
            )
            invoice = parse_invoice(xml).invoice
            record = PurchaseRecord(
                client_id=1,
                ksef_number=make_ksef_number(supplier.nip, "20260310", f"{seed:012X}"),
                seller_nip=supplier.nip,
                seller_name=supplier.name,
                invoice_number=invoice.number or "",
                acquisition_date=T0,
            )
            booking = draft_booking(1, record, invoice, settings=QueueSettings(), queued_at=T0)
            out.append((booking, xml))
    return out


def decide(booking: Booking, i: int) -> Booking:
    """A mix of what accountants decide, so every branch of the writers runs."""
    kind = i % 5
    lines = []
    for line in booking.lines:
        if line.jpk_group is JpkGroup.NONE:
            lines.append(line)
        elif kind == 1:
            lines.append(replace(line, deduction=Deduction.HALF, cost_share_pct=75))
        elif kind == 2:
            lines.append(replace(line, deduction=Deduction.PROPORTION, deduction_pct=Decimal("76")))
        elif kind == 3:
            lines.append(replace(line, jpk_group=JpkGroup.FIXED_ASSETS, kpir_column=KpirColumn.GOODS))
        elif kind == 4:
            lines.append(replace(line, kpir_column=KpirColumn.INCIDENTAL))
        else:
            lines.append(line)
    return replace(booking, lines=tuple(lines), status=BookingStatus.APPROVED, vat_period="2026-03")


def world(n: int) -> list[ExportItem]:
    base = templates(6)
    items = []
    for i in range(n):
        booking, xml = base[i % len(base)]
        number = make_ksef_number(booking.seller_nip, "20260310", f"{i:012X}")
        items.append(ExportItem(decide(replace(booking, ksef_number=number), i), xml))
    return items


def baseline(items: list[ExportItem]) -> int:
    """The same rows as plain tuples of strings: amounts per JPK group and KPiR column, nothing else."""
    rows = []
    for lp, item in enumerate(items, 1):
        b = item.booking
        groups: dict[str, Decimal] = {}
        columns: dict[str, Decimal] = {}
        for line in b.lines:
            if line.jpk_group is not JpkGroup.NONE and line.deduction is not Deduction.NONE:
                key = line.jpk_group.value
                groups[key] = groups.get(key, Decimal(0)) + vat_deductible(line)
            if line.kpir_column is not KpirColumn.NONE:
                key = line.kpir_column.value
                columns[key] = columns.get(key, Decimal(0)) + cost(line)
        rows.append(
            (
                str(lp),
                b.seller_nip,
                b.seller_name,
                b.invoice_number,
                b.issue_date.isoformat() if b.issue_date else "",
                b.receipt_date.isoformat() if b.receipt_date else "",
                b.ksef_number,
                ";".join(f"{k}={v:.2f}" for k, v in groups.items()),
                ";".join(f"{k}={v:.2f}" for k, v in columns.items()),
            )
        )
    return len("\n".join("|".join(r) for r in rows))


def best(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    set_language("pl")
    items = world(args.bookings)
    write_jpk_v7m(items[:5], CONTEXT)  # compile both XSDs outside the timing (once per process)
    write_jpk_pkpir(items[:5], replace(CONTEXT, period_kind=PeriodKind.COST))

    v7m = write_jpk_v7m(items, CONTEXT)
    pkpir = write_jpk_pkpir(items, replace(CONTEXT, period_kind=PeriodKind.COST))
    print(f"bookings: {args.bookings}, repeat: {args.repeat} (best of)")
    print(
        f"JPK_V7M: {len(v7m.files)} file, {sum(len(f.data) for f in v7m.files)} bytes, "
        f"{len(v7m.warnings)} warnings {dict(Counter(w.code for w in v7m.warnings))}, "
        f"{len(v7m.problems)} problems"
    )
    print(
        f"JPK_PKPIR: {len(pkpir.files)} file, {sum(len(f.data) for f in pkpir.files)} bytes, "
        f"{len(pkpir.warnings)} warnings {dict(Counter(w.code for w in pkpir.warnings))}, "
        f"{len(pkpir.problems)} problems"
    )
    base = best(lambda: baseline(items), args.repeat)
    t_v7m = best(lambda: write_jpk_v7m(items, CONTEXT), args.repeat)
    t_pkpir = best(lambda: write_jpk_pkpir(items, replace(CONTEXT, period_kind=PeriodKind.COST)), args.repeat)
    print(f"baseline (plain tuples): {base:.3f} s")
    print(f"write_jpk_v7m: {t_v7m:.3f} s, {t_v7m / base:.1f}x baseline (target < 3 s)")
    print(f"write_jpk_pkpir: {t_pkpir:.3f} s, {t_pkpir / base:.1f}x baseline (target < 3 s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

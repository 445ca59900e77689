"""The EDI++ (.epp) writer: 10,000 approved bookings into one file (issue 14 "Speed": 10,000 bookings to
each format in under 3 s).

    .venv/bin/python benchmarks/bench_export_epp.py [--bookings N] [--repeat R]

The bookings are the simulator's purchase invoices (every catalogue supplier, several seeds, EUR and
reverse charge where the supplier has them), parsed with the FA reader and drafted once, then spread into
N APPROVED bookings (KSeF number and id changed; every fourth with 50 % VAT), each with its invoice's XML
as the store keeps it. Timed: `write_epp` (the XML read for the seller's address and the corrected
invoice, the VAT table by rate, every text checked against Windows-1250 and its field's length, the
encoding). The baseline, in the same run, is what any writer of the same rows must at least do:
`csv.writer` of one 62-value header and one row per booking line into memory, then encoded to cp1250 —
no XML, no checks. Best of `--repeat` runs; nothing is asserted.
"""

from __future__ import annotations

import argparse
import csv
import gc
import io
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime

from ksef_tui.core.booking_draft import draft_booking
from ksef_tui.core.bookings import BookingStatus, Deduction, QueueSettings
from ksef_tui.core.export_epp import write_epp
from ksef_tui.core.exports import ExportContext, ExportItem, PeriodKind, TaxpayerProfile
from ksef_tui.core.fa import parse_invoice
from ksef_tui.core.i18n import set_language
from ksef_tui.core.ksef_number import make_ksef_number
from ksef_tui.core.purchases import PurchaseRecord
from ksef_tui.simulator.purchase_fa import generate_purchase
from ksef_tui.simulator.suppliers import CATALOGUE

T0 = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
CONTEXT = ExportContext(
    client_id=1,
    client_name="Piekarnia Żółw",
    client_nip="7740001454",
    short_code="PIEK",
    profile=TaxpayerProfile(city="Łódź", postcode="90-001", street="ul. Piotrkowska", house_no="12"),
    period="2026-03",
    period_kind=PeriodKind.VAT,
    created_at=datetime(2026, 4, 3, 9, 0, tzinfo=UTC),
    office_name="Biuro Rachunkowe",
)


def templates(per_supplier: int) -> list[ExportItem]:
    out = []
    for supplier in CATALOGUE:
        for seed in range(per_supplier):
            xml = generate_purchase(
                supplier.key,
                supplier.nip,
                CONTEXT.client_nip,
                CONTEXT.client_name,
                f"{supplier.prefix}/{seed}/03/2026",
                date(2026, 3, 2),
                currency="EUR" if supplier.eur and seed % 3 == 0 else "PLN",
                lines=3,
                seed=seed,
                reverse_charge=supplier.reverse_charge and seed % 2 == 0,
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
            out.append(ExportItem(replace(booking, status=BookingStatus.APPROVED), xml))
    return out


def items(n: int) -> list[ExportItem]:
    base = templates(8)
    out = []
    for i in range(n):
        t = base[i % len(base)]
        b = t.booking
        if i % 4 == 0:
            b = replace(b, lines=tuple(replace(x, deduction=Deduction.HALF) for x in b.lines))
        number = make_ksef_number(b.seller_nip, "20260310", f"{i:012X}")
        out.append(ExportItem(replace(b, ksef_number=number, id=i + 1), t.xml))
    return out


def baseline_rows(chosen: Sequence[ExportItem]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    for item in chosen:
        b = item.booking
        header: list[object] = ["FZ", 1, 0, b.id, b.invoice_number, "", "", "", "", "", "", b.seller_nip]
        header += [b.seller_name, b.seller_name, "", "", "", b.seller_nip, b.vat_register, "", ""]
        header += [b.issue_date, b.issue_date, b.receipt_date, len(b.lines), 1, ""]
        header += [b.gross] * 3 + [""] * 17 + [b.currency, b.fx_rate, b.ksef_number] + [""] * 13
        w.writerow(header)
        for x in b.lines:
            w.writerow((x.vat_rate, x.vat_rate, x.net, x.vat, x.net + x.vat))
    return buf.getvalue().encode("cp1250", "replace")


def timed(work: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--bookings", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    set_language("pl")
    chosen = items(args.bookings)
    without_xml = [ExportItem(i.booking) for i in chosen]
    out = write_epp(chosen, CONTEXT)
    (file,) = out.files
    t_ours = timed(lambda: write_epp(chosen, CONTEXT), args.repeat)
    t_no_xml = timed(lambda: write_epp(without_xml, CONTEXT), args.repeat)
    t_base = timed(lambda: baseline_rows(chosen), args.repeat)
    print(f"bookings {len(chosen):,} · file {len(file.data):,} bytes · warnings {len(out.warnings)}")
    print(f"write_epp: {t_ours:.3f} s ({len(chosen) / t_ours:,.0f}/s) — target < 3 s")
    print(f"write_epp without the XML (no seller address): {t_no_xml:.3f} s")
    print(f"baseline (csv.writer of the same rows + cp1250): {t_base:.3f} s → ratio {t_ours / t_base:.1f}×")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

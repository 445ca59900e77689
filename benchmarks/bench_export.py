"""10,000 bookings through the export plan and every registered format's writer (issue 14 "Speed").

    .venv/bin/python benchmarks/bench_export.py [--bookings N] [--runs R]

Builds N approved bookings of one client and period (two lines each: 23 % with 50 % deduction, and a 8 %
correction line; every tenth in EUR), each with an invoice XML of about 3 KB, then times (median of R
runs) the plan (`core.export_plan.select`: filter, order, warnings, the preview's sums) and each writer of
`core.export_writers.WRITERS` (pure: the files in memory, no disk). A same-run baseline — `json.dumps` of
the same bookings as plain values — puts each time in proportion to this machine's speed, so figures from
different machines compare. Target (issue): each format under 3 s for 10,000 bookings. No timing is
asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ksef_tui.core.export_bundle import plain
from ksef_tui.core.export_plan import select
from ksef_tui.core.export_writers import WRITERS
from ksef_tui.core.exports import (
    ExportItem,
    Ledger,
    PeriodKind,
    TaxpayerKind,
    TaxpayerProfile,
)
from tests.export_helpers import booking, context, invoice_xml

PROFILE = TaxpayerProfile(
    kind=TaxpayerKind.PERSON,
    full_name="Piekarnia Nowak",
    first_name="Jan",
    last_name="Nowak",
    birth_date=date(1975, 5, 17),
    email="biuro@piekarnia-nowak.pl",
    phone="+48 601 234 567",
    tax_office_code="1435",
    ledger=Ledger.KPIR,
    voivodeship="mazowieckie",
    county="Warszawa",
    commune="Warszawa",
    street="ul. Długa",
    house_no="12",
    city="Warszawa",
    postcode="00-950",
    post_office="Warszawa",
)


def _timed(run: Callable[[], Any], runs: int) -> tuple[float, Any]:
    times, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def make_items(n: int) -> list[ExportItem]:
    padding = "<!-- " + "Pozycja faktury: chleb żytni, bułki, rogale. " * 60 + " -->"
    items = []
    for k in range(n):
        b = booking(1, k, seller_nip=f"{7740001454 + (k % 400) * 10:010d}"[:10])
        if k % 10 == 0:
            b = replace(b, currency="EUR", fx_rate=Decimal("4.2934"))
        items.append(ExportItem(b, invoice_xml(b.ksef_number) + padding.encode()))
    return items


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bookings", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    items = make_items(args.bookings)
    bookings = [i.booking for i in items]
    xml = {i.booking.ksef_number: i.xml for i in items}
    ctx = context(1, profile=PROFILE)
    print(f"bookings: {args.bookings}, lines: {sum(len(b.lines) for b in bookings)}, runs: {args.runs}")

    baseline, _ = _timed(lambda: json.dumps([plain(b) for b in bookings]), args.runs)
    print(f"baseline (json.dumps of the bookings): {baseline:.3f} s")
    planned, selection = _timed(lambda: select(bookings, "2026-03", PeriodKind.VAT), args.runs)
    chosen = [ExportItem(b, xml[b.ksef_number]) for b in selection.bookings]
    print(
        f"plan (select + sums): {planned:.3f} s ({planned / baseline:.2f}x baseline), "
        f"{selection.summary.count} bookings"
    )
    for fmt, writer in WRITERS.items():
        took, output = _timed(lambda w=writer: w(chosen, ctx), args.runs)  # type: ignore[misc]
        size = sum(len(f.data) for f in output.files)
        print(
            f"{fmt.value}: {took:.3f} s ({took / baseline:.2f}x baseline), {len(output.files)} files, "
            f"{size / 1_000_000:.1f} MB, {len(output.warnings)} warnings, {len(output.problems)} problems"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

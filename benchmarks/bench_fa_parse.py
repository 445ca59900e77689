"""FA(3) parsing speed: ksef_tui.core.fa against xmlschema's to_dict, on the same files, in one run.

    .venv/bin/python benchmarks/bench_fa_parse.py [--invoices N] [--lines L] [--baseline N]

Target (issue): parse + model + checks (XSD apart) >= 1,000 invoices/s on one core, and >= 5x faster than
xmlschema.XMLSchema.to_dict. XSD validation (lxml, the official schema) is reported separately.
Everything runs in one process on one core; no timing is asserted in tests.
"""

from __future__ import annotations

import argparse
import gc
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from lxml import etree

from ksef_tui.core.fa import inspect_bytes, parse_invoice, run_checks
from ksef_tui.core.fa.generate import generate_invoice
from ksef_tui.core.fa.model import FormCode
from ksef_tui.core.fa.secure_xml import parse_xml
from ksef_tui.core.fa.xsd import get_schema, schema_path, validate

TODAY = date(2026, 11, 21)


def make_invoices(count: int, lines: int) -> list[bytes]:
    return [
        generate_invoice(
            "5260250274",
            "Biuro Rachunkowe Przykład sp. z o.o.",
            "7740001454",
            f"Klient {i}",
            f"FV/2026/11/{i}",
            date(2026, 11, 2),
            lines=lines,
            seed=i,
        )
        for i in range(count)
    ]


def rate(label: str, items: list, work: Callable[[object], object], min_seconds: float = 1.0) -> float:
    """Invoices per second for `work` over `items`, repeated until at least `min_seconds` elapse."""
    gc.collect()
    done = 0
    start = time.perf_counter()
    while True:
        for item in items:
            work(item)
        done += len(items)
        elapsed = time.perf_counter() - start
        if elapsed >= min_seconds:
            break
    per_second = done / elapsed
    print(f"  {label:<52} {per_second:>9,.0f} invoices/s  ({done} in {elapsed:.2f} s)")
    return per_second


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--invoices", type=int, default=1000, help="distinct generated invoices")
    ap.add_argument("--lines", type=int, default=10, help="FaWiersz per invoice")
    ap.add_argument("--baseline", type=int, default=150, help="invoices given to xmlschema (it is slow)")
    args = ap.parse_args()

    print(f"Generating {args.invoices} FA(3) invoices with {args.lines} lines each ...")
    invoices = make_invoices(args.invoices, args.lines)
    size = sum(map(len, invoices)) / len(invoices)
    print(f"  average size {size:,.0f} bytes")

    # Warm up: compile the schema and touch every code path once.
    get_schema(FormCode.FA3)
    assert inspect_bytes(invoices[0], today=TODAY).valid

    print("ksef_tui.core.fa")

    def ours(data: object) -> None:
        parsed = parse_invoice(data)  # type: ignore[arg-type]
        run_checks(parsed.invoice, today=TODAY)

    ours_rate = rate("parse + model + checks (XSD apart)", invoices, ours, 3.0)
    rate("parse + model only", invoices, lambda d: parse_invoice(d), 1.0)  # type: ignore[arg-type]
    roots = [parse_xml(d) for d in invoices]
    xsd_rate = rate("XSD validation (lxml, pre-parsed tree)", roots, lambda r: validate(r, FormCode.FA3), 2.0)
    rate(
        "inspect_bytes: parse + model + XSD + checks",
        invoices,
        lambda d: inspect_bytes(d, today=TODAY),  # type: ignore[arg-type]
        2.0,
    )

    print("baseline: xmlschema")
    import xmlschema  # dev dependency, used only here

    build = time.perf_counter()
    xs = xmlschema.XMLSchema(str(schema_path(FormCode.FA3)))
    print(f"  (schema build {time.perf_counter() - build:.2f} s, not counted)")
    texts = [d.decode("utf-8") for d in invoices[: args.baseline]]
    base_rate = rate("xmlschema to_dict (validates while decoding)", texts, lambda t: xs.to_dict(t), 3.0)
    lxml_parse = rate("lxml etree.fromstring only (floor)", invoices, lambda d: etree.fromstring(d), 1.0)

    print()
    verdict = "OK" if ours_rate >= 1000 else "MISS"
    print(f"RESULT parse+model+checks: {ours_rate:,.0f}/s (target >= 1,000/s): {verdict}")
    print(f"RESULT ratio vs xmlschema to_dict: {ours_rate / base_rate:.1f}x (target >= 5x)")
    print(f"RESULT XSD validation: {xsd_rate:,.0f}/s; raw lxml parse {lxml_parse:,.0f}/s")
    print(f"(invoices: {args.invoices} x {args.lines} lines, avg {size:,.0f} B; file: {Path(__file__).name})")


if __name__ == "__main__":
    main()

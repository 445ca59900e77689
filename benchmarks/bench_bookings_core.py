"""Proposing bookings in core: 10,000 drafted bookings against 300 clients' rules (issue 13 "Speed":
proposing bookings for 10,000 newly synced invoices < 2 s).

    .venv/bin/python benchmarks/bench_bookings_core.py [--bookings N] [--clients C] [--repeat R]

The invoices are the simulator's purchase invoices (every catalogue supplier, several seeds, EUR and
reverse charge where the supplier has them), parsed with the FA reader and drafted once; the 10,000
bookings are those drafts spread over the clients (client id, KSeF number and queue time changed). Every
client has a rule for most of its suppliers (some narrowed by item, some by amount), a few suppliers have
office rules, and each (client, seller) has a history. Timed: `propose_all` over all of them (the rules
indexed by seller, the templates applied, strength, confidence, reason, the never-auto checks). The
baseline is the least any proposer must do: per booking, two dict lookups (its rules and its history)
and building the result with one copy (`booking_rules.evolve`, the same cheap copy the engine uses).
Store I/O is not included (that is the store's benchmark). Best of `--repeat` runs; nothing is asserted.
"""

from __future__ import annotations

import argparse
import gc
import random
import time
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from ksef_tui.core.booking_draft import draft_booking
from ksef_tui.core.booking_rules import SellerHistory, evolve, propose_all
from ksef_tui.core.bookings import (
    Booking,
    BookingStatus,
    Deduction,
    KpirColumn,
    QueueSettings,
    Rule,
    RuleTemplate,
    Strength,
)
from ksef_tui.core.fa import parse_invoice
from ksef_tui.core.i18n import set_language
from ksef_tui.core.purchases import PurchaseRecord
from ksef_tui.simulator.purchase_fa import generate_purchase
from ksef_tui.simulator.suppliers import CATALOGUE

T0 = datetime(2026, 3, 10, 8, 0, tzinfo=UTC)
SETTINGS = QueueSettings()


def drafts(per_supplier: int) -> list[Booking]:
    out = []
    for supplier in CATALOGUE:
        for seed in range(per_supplier):
            currency = "EUR" if supplier.eur and seed % 3 == 0 else "PLN"
            xml = generate_purchase(
                supplier.key,
                supplier.nip,
                "7740001454",
                "Klient",
                f"{supplier.prefix}/{seed}/03/2026",
                date(2026, 3, 2),
                currency=currency,
                lines=3,
                seed=seed,
                reverse_charge=supplier.reverse_charge and seed % 2 == 0,
            )
            invoice = parse_invoice(xml).invoice
            record = PurchaseRecord(
                client_id=0,
                ksef_number=f"{supplier.nip}-20260310-{seed:012d}-00",
                seller_nip=supplier.nip,
                seller_name=supplier.name,
                invoice_number=invoice.number or "",
                acquisition_date=T0,
            )
            out.append(draft_booking(0, record, invoice, settings=SETTINGS, queued_at=T0))
    return out


def world(
    n_bookings: int, n_clients: int, rng: random.Random
) -> tuple[list[Booking], list[Rule], dict[tuple[int, str], SellerHistory]]:
    templates = drafts(8)
    bookings = []
    for i in range(n_bookings):
        t = templates[i % len(templates)]
        client = 1 + i % n_clients
        bookings.append(
            replace(
                t,
                client_id=client,
                ksef_number=f"{t.seller_nip}-20260310-{i:012X}-00",
                queued_at=T0 + timedelta(minutes=i % 600),
            )
        )
    rules: list[Rule] = []
    next_id = 1
    for client in range(1, n_clients + 1):
        for supplier in CATALOGUE:
            if rng.random() < 0.15:
                continue  # a supplier this client has no rule for yet
            deduction = Deduction.HALF if supplier.category == "fuel" and client % 2 else Deduction.FULL
            template = RuleTemplate(
                vat_register="ZAKUP",
                deduction=deduction,
                kpir_column=KpirColumn.OTHER,
                cost_share_pct=75 if deduction is Deduction.HALF else 100,
                gl_account="402-01",
            )
            rules.append(
                Rule(
                    client,
                    supplier.nip,
                    template,
                    confirmations=rng.randint(0, 20),
                    overrides=rng.randint(0, 1),
                    id=next_id,
                )
            )
            next_id += 1
            if rng.random() < 0.1:
                item = supplier.items[0].name.split()[0]
                rules.append(
                    Rule(client, supplier.nip, template, item_text=item, confirmations=3, id=next_id)
                )
                next_id += 1
            if rng.random() < 0.05:
                rules.append(Rule(client, supplier.nip, template, amount_min=Decimal("5000"), id=next_id))
                next_id += 1
    for supplier in CATALOGUE[:5]:
        rules.append(Rule(None, supplier.nip, RuleTemplate(deduction=Deduction.FULL), id=next_id))
        next_id += 1
    histories = {
        (client, s.nip): SellerHistory(count=rng.randint(0, 12), median_gross=Decimal(rng.randint(100, 5000)))
        for client in range(1, n_clients + 1)
        for s in CATALOGUE
    }
    return bookings, rules, histories


def timed(work, repeat: int) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        start = time.perf_counter()
        work()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bookings", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    set_language("pl")
    rng = random.Random(13)
    bookings, rules, histories = world(args.bookings, args.clients, rng)

    result: list[Booking] = []

    def ours() -> None:
        result[:] = propose_all(bookings, rules, histories, SETTINGS, T0)

    by_key: dict[tuple[int, str], list[Rule]] = {}
    for r in rules:
        by_key.setdefault((r.client_id or 0, r.seller_nip), []).append(r)
    empty = SellerHistory()

    def baseline() -> None:
        out = []
        for b in bookings:
            found = by_key.get((b.client_id, b.seller_nip))
            history = histories.get((b.client_id, b.seller_nip), empty)
            out.append(
                evolve(
                    b,
                    status=BookingStatus.PROPOSED if found else BookingStatus.NEEDS_REVIEW,
                    confidence=history.count,
                )
            )

    t_ours = timed(ours, args.repeat)
    t_base = timed(baseline, args.repeat)
    strong = sum(1 for b in result if b.status is BookingStatus.PROPOSED and b.confidence >= 90)
    review = sum(1 for b in result if b.status is BookingStatus.NEEDS_REVIEW)
    none = sum(1 for b in result if b.strength is Strength.NONE)
    print(f"bookings {len(bookings):,} · clients {args.clients} · rules {len(rules):,}")
    print(f"proposed ≥ 90 %: {strong:,} · needs review: {review:,} · no rule: {none:,}")
    print(f"propose_all: {t_ours:.3f} s ({len(bookings) / t_ours:,.0f}/s) — target < 2 s")
    print(f"baseline (two dict lookups + one copy): {t_base:.3f} s → ratio {t_ours / t_base:.1f}×")


if __name__ == "__main__":
    main()

"""The generator: XSD-valid FA(3), arithmetic that adds up, deterministic per seed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from lxml import etree

from ksef_tui.core.fa import exit_code, inspect_bytes, parse_invoice
from ksef_tui.core.fa.generate import generate_invoice
from ksef_tui.core.fa.model import FormCode
from ksef_tui.core.fa.xsd import schema_path
from tests.fa.helpers import NIP_BUYER, NIP_SELLER, TODAY, expected_summary

SCHEMA = etree.XMLSchema(etree.parse(str(schema_path(FormCode.FA3))))


def _make(**kw: object) -> bytes:
    args: dict[str, object] = dict(lines=10, seed=1)
    args.update(kw)
    return generate_invoice(
        NIP_SELLER,
        "Biuro Rachunkowe <A&B> sp. z o.o.",
        NIP_BUYER,
        "Nabywca",
        "FV/2026/11/1",
        date(2026, 11, 2),
        **args,
    )


@pytest.mark.parametrize("kind", ["VAT", "KOR", "ZAL"])
@pytest.mark.parametrize("currency", ["PLN", "EUR", "USD"])
@pytest.mark.parametrize("seed", range(5))
def test_generated_invoice_is_valid_and_consistent(kind: str, currency: str, seed: int) -> None:
    data = _make(kind=kind, currency=currency, seed=seed, lines=1 + seed * 7)
    assert SCHEMA.validate(etree.fromstring(data)), SCHEMA.error_log
    report = inspect_bytes(data, today=TODAY)
    assert report.valid and exit_code(report) == 0, [p.message for p in report.problems]
    summary = expected_summary(data)
    inv = report.invoice
    assert summary["kind"] == inv.kind == kind
    assert summary["currency"] == currency
    assert summary["lines"] == inv.line_count == (1 + seed * 7) * (2 if kind == "KOR" else 1)
    assert Decimal(summary["totals"]["net"]) + Decimal(summary["totals"]["vat"]) == Decimal(
        summary["totals"]["gross"]
    )


def test_deterministic_and_seed_sensitive() -> None:
    assert _make(seed=3) == _make(seed=3)
    assert _make(seed=3) != _make(seed=4)


def test_parties_and_escaping() -> None:
    inv = parse_invoice(_make()).invoice
    assert inv.seller.nip == NIP_SELLER and inv.seller.name == "Biuro Rachunkowe <A&B> sp. z o.o."
    assert inv.buyer.nip == NIP_BUYER
    assert inv.number == "FV/2026/11/1" and str(inv.issue_date) == "2026-11-02"


def test_kor_refers_to_a_valid_ksef_number() -> None:
    inv = parse_invoice(_make(kind="KOR")).invoice
    (ref,) = inv.correction.corrected
    from ksef_tui.core.ksef_number import is_valid_ksef_number

    assert is_valid_ksef_number(ref.ksef_number)


def test_unsupported_kind() -> None:
    with pytest.raises(ValueError):
        _make(kind="ROZ")
    with pytest.raises(ValueError):
        _make(lines=0)

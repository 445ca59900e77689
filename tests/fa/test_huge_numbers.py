"""Regression (found by the fuzzer): 20-digit quantities and prices must not crash the checks."""

from __future__ import annotations

from pathlib import Path

from ksef_tui.core.fa.report import exit_code, inspect_bytes

SAMPLE = Path(__file__).resolve().parent.parent / "data/samples/fa3/ksef2-test-suite/KSEF_11_KOR_ROZ_A.xml"


def test_huge_quantity_times_price_is_reported_not_raised() -> None:
    data = SAMPLE.read_bytes()
    nines = b"9" * 20
    # Quantity and unit price of the same line (the second one), as the fuzzer drew them.
    line = b"<P_8B>1</P_8B>\r\n\t\t\t<P_9A>175925.93</P_9A>"
    assert line in data
    data = data.replace(line, b"<P_8B>" + nines + b"</P_8B>\r\n\t\t\t<P_9A>" + nines + b"</P_9A>", 1)
    report = inspect_bytes(data, source="huge.xml")
    assert report.invoice is not None
    codes = {p.code for p in report.problems}
    assert "internal-error" not in codes  # the checks ran to the end
    assert "line-amount-mismatch" in codes  # and say that the line no longer adds up
    assert exit_code(report) in (1, 2)


def test_thousand_digit_amount_is_reported_not_raised() -> None:
    data = SAMPLE.read_bytes().replace(b"<P_15>-10000</P_15>", b"<P_15>" + b"7" * 1000 + b"</P_15>", 1)
    report = inspect_bytes(data, source="long.xml")
    assert "internal-error" not in {p.code for p in report.problems}
    assert exit_code(report) == 2

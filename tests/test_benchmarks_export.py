"""The export benchmark runs with tiny arguments and prints a line per registered format (issue 14
"Speed"). Only the output's shape and the counts are asserted, never a time."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

import pytest

from ksef_tui.core.export_writers import WRITERS

BENCH = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_export.py"
NUMBER = r"\d+(?:\.\d+)?"


def test_the_export_benchmark_times_the_plan_and_every_registered_format(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    spec = importlib.util.spec_from_file_location("bench_export", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "bench_export", module)
    spec.loader.exec_module(module)
    assert module.main(["--bookings", "20", "--runs", "1"]) == 0
    out = capsys.readouterr().out
    assert "bookings: 20, lines: 40, runs: 1" in out
    assert re.search(rf"plan \(select \+ sums\): {NUMBER} s \({NUMBER}x baseline\), 20 bookings", out)
    assert re.search(rf"bundle: {NUMBER} s \({NUMBER}x baseline\), 23 files, .* 0 problems", out)
    assert len(re.findall(r"x baseline\), \d+ files", out)) == len(WRITERS)

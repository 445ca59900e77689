"""The purchase-sync benchmarks run with tiny arguments and print their figures (issue 12 "Speed").

Only the output's shape and the counts are asserted, never a time or a rate: those are measured by the
scripts (docs/PERFORMANCE.md), not judged here.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"
NUMBER = r"\d+(?:\.\d+)?"


def _load(name: str, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(BENCHMARKS))  # bench_purchase_budget imports bench_purchase_sync
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)
    spec.loader.exec_module(module)
    return module


def test_the_sync_benchmark_stores_every_invoice_both_ways_and_prints_both_rates(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bench = _load("bench_purchase_sync", monkeypatch)
    assert bench.main(["--clients", "3", "--invoices", "30", "--concurrency", "2"]) == 0
    out = capsys.readouterr().out
    assert "clients: 3, invoices per client: 30, concurrency: 2, invoices expected: 90" in out
    assert re.search(
        rf"end to end \(sync_purchases\): {NUMBER} s \({NUMBER} s CPU\), stored 90 in 3 packages, "
        r"\d+ HTTP requests, 0 clients failed",
        out,
    ), out
    assert re.search(rf"bare \(inspect_bytes \+ record \+ commit_package, no HTTP\): {NUMBER} s", out), out
    assert re.search(
        rf"rate end to end \d+ invoices/s, bare \d+ invoices/s, ratio {NUMBER}  \(target ≥ 0\.5\)", out
    ), out
    assert re.search(rf"per CPU second: end to end \d+ invoices/s, bare \d+ invoices/s, ratio {NUMBER}", out)
    assert re.search(rf"the in-process simulator's handlers took {NUMBER} s CPU", out), out


def test_the_sync_benchmark_refuses_fewer_invoices_than_a_client_already_has(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bench = _load("bench_purchase_sync", monkeypatch)
    with pytest.raises(SystemExit, match="purchases already, more than 1"):
        bench.main(["--clients", "1", "--invoices", "1"])


def test_the_budget_benchmark_drains_the_backlog_one_export_per_package(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bench = _load("bench_purchase_budget", monkeypatch)
    code = bench.main(["--contexts", "1", "--invoices", "20", "--truncate", "4", "--scale", "7200"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "scale: 7200x (an hour = 0.5 s), invoiceExport limits 8/s 16/min 20/h" in out
    assert re.search(r"sync: [\d.]+ s, 0 clients failed", out), out
    found = re.search(r"stored (\d+) of (\d+), packages (\d+), export starts (\d+), refused (\d+)", out)
    assert found, out
    stored, expected, packages, starts, _refused = map(int, found.groups())
    assert stored == expected >= 20
    # A truncated package's last invoice starts the next window (and is stored once), so a package of 4
    # brings at least 3 new ones; every package is one accepted export start.
    assert packages == starts >= expected // 3
    assert re.search(r"starts per full hour window: (\[[\d, ]*\]|none \(less than an hour\))", out), out
    assert re.search(r"budget used: (\d+\.\d%|n/a)  \(target ≥ 90 %\)", out), out
    assert re.search(r"429 answers: \d+ \(rate limiter refusals: \d+, export starts among them: \d+\)", out)


def test_export_starts_are_counted_per_full_hour_window(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bench = _load("bench_purchase_budget", monkeypatch)
    assert bench.per_window([], 0.5) == []
    assert bench.per_window([0.0, 0.1, 0.3], 0.5) == []  # less than one full window
    # Windows [0, 0.5) and [0.5, 1.0); the start at 1.2 is in the last, partial window.
    assert bench.per_window([0.0, 0.1, 0.49, 0.5, 0.9, 1.2], 0.5) == [3, 2]


def test_the_ideal_export_schedule_follows_all_three_windows(monkeypatch: pytest.MonkeyPatch) -> None:
    bench = _load("bench_purchase_budget", monkeypatch)
    # 8/s, 16/min, 20/h at 100x: 8 at once, 8 more 10 ms later, the 17th after the minute (0.6 s), the
    # 21st after the hour (36 s).
    assert bench.ideal_duration(8, 100.0) == 0.0
    assert bench.ideal_duration(16, 100.0) == pytest.approx(0.01)
    assert bench.ideal_duration(17, 100.0) == pytest.approx(0.6)
    assert bench.ideal_duration(21, 100.0) == pytest.approx(36.0)

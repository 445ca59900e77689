"""Hypothesis mutates real samples (byte flips, truncation, element deletion and duplication): the parser
may refuse them only with FaParseError, and the checks and the report never crash."""

from __future__ import annotations

import json
import re

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ksef_tui.core.fa import FaParseError, inspect_bytes, parse_invoice, render_json, render_text, run_checks
from tests.fa.helpers import TODAY, sample_bytes, sample_files

SAMPLES = [sample_bytes(p) for p in sample_files()]
FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_ELEMENT = re.compile(rb"<([A-Za-z_0-9]+)>[^<>]*</\1>|<([A-Za-z_0-9]+)>")


def _exercise(data: bytes) -> None:
    try:
        parsed = parse_invoice(data)
    except FaParseError as exc:
        assert exc.code and exc.message
    else:
        run_checks(parsed.invoice, today=TODAY)
    report = inspect_bytes(data, today=TODAY)
    assert not any(p.code == "internal-error" for p in report.problems)
    doc = json.loads(render_json(report))
    assert isinstance(doc["valid"], bool)
    render_text(report)


@FUZZ
@given(
    st.sampled_from(SAMPLES),
    st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), max_size=8),
)
def test_byte_flips(data: bytes, flips: list[tuple[float, int]]) -> None:
    buf = bytearray(data)
    for where, value in flips:
        buf[int(where * len(buf))] = value
    _exercise(bytes(buf))


@FUZZ
@given(st.sampled_from(SAMPLES), st.floats(0, 1))
def test_truncation(data: bytes, where: float) -> None:
    _exercise(data[: int(where * len(data))])


@FUZZ
@given(st.sampled_from(SAMPLES), st.data())
def test_element_deletion_and_duplication(data: bytes, draw: st.DataObject) -> None:
    for _round in range(draw.draw(st.integers(1, 4))):
        matches = list(_ELEMENT.finditer(data))
        if not matches:
            break
        m = draw.draw(st.sampled_from(matches))
        if draw.draw(st.booleans()):
            data = data[: m.start()] + data[m.end() :]
        else:
            data = data[: m.end()] + m.group(0) + data[m.end() :]
    _exercise(data)


@FUZZ
@given(st.sampled_from(SAMPLES), st.data())
def test_value_replacement(data: bytes, draw: st.DataObject) -> None:
    """Leaf values replaced by odd text: numbers, dates and flags that are not what they claim."""
    leaves = list(re.finditer(rb">([^<>\s][^<>]*)<", data))
    for _round in range(draw.draw(st.integers(1, 5))):
        m = draw.draw(st.sampled_from(leaves))
        value = draw.draw(
            st.sampled_from(
                ["NaN", "1e999999", "-0", "", "  ", "2025-13-45", "99999999999999999999", "1,5", "∞", "&amp;"]
            )
        ).encode()
        data = data[: m.start(1)] + value + data[m.end(1) :]
        leaves = list(re.finditer(rb">([^<>\s][^<>]*)<", data))
    _exercise(data)


@FUZZ
@given(st.binary(max_size=2000))
def test_arbitrary_bytes(data: bytes) -> None:
    _exercise(data)

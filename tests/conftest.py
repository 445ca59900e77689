"""Shared test setup.

- Clears NO_COLOR / TEXTUAL_THEME / colour-system overrides so snapshots do not depend on the shell.
- Points pytest-textual-snapshot at `snapshots/` in the repository root (DESIGN.md "Tests and proof").
- Forces Polish (the default UI language) for every test unless a test switches it.
- Makes Hypothesis deterministic and untimed (see below).
- Keeps cursors from blinking (snapshots caught them dark on a busy machine).
- Starts every app with animations off: Tabs' underline and animated scrolls take 0.3 s, and the pilot
  waits for every animation after each key, so they cost seconds per test and prove nothing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

for _var in ("NO_COLOR", "TEXTUAL_THEME", "TEXTUAL_COLOR_SYSTEM", "KSEF_TUI_HOME"):
    os.environ.pop(_var, None)

# For subprocesses, and for this process: textual.constants is read once, at its import, and the snapshot
# plugin imports textual before this file runs; App() reads the constant when it is made.
os.environ["TEXTUAL_ANIMATIONS"] = "none"
import textual.constants  # noqa: E402

textual.constants.TEXTUAL_ANIMATIONS = "none"

# Cursors do not blink in tests: a blink is a 0.5 s wall-clock timer, so whether a snapshot shows the
# cursor depended on how long the machine took to get there (a busy machine caught it dark). The cursor
# stays as focus sets it: shown in the focused field, hidden elsewhere. (Private Textual methods, so a
# rename in a Textual upgrade fails here, loudly, instead of letting the blink back in.)
from textual.widgets import Input, TextArea  # noqa: E402

assert callable(getattr(Input, "_toggle_cursor", None)), "Textual renamed Input's blink toggle"
assert callable(getattr(TextArea, "_toggle_cursor_blink_visible", None)), "Textual renamed TextArea's"
Input._toggle_cursor = lambda self: None  # type: ignore[method-assign]
TextArea._toggle_cursor_blink_visible = lambda self: None  # type: ignore[method-assign]

# Property tests replay: the examples come from a seed derived from each test (not from the run), no
# example database carries failures from one run to the next, and nothing is timed (Hypothesis's
# per-example deadline and its "too slow" check fail on a busy machine, not on a defect).
# `pytest --hypothesis-profile=default` explores new examples on purpose.
from hypothesis import HealthCheck, settings  # noqa: E402

settings.register_profile(
    "ksef-tui",
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    print_blob=True,
)
settings.load_profile("ksef-tui")

ROOT = Path(__file__).resolve().parent.parent
SNAPSHOT_DIR = ROOT / "snapshots"
DATA = Path(__file__).resolve().parent / "data"

try:
    from pytest_textual_snapshot import SVGImageExtension

    def _snapshot_dirname(cls, *, test_location) -> str:  # type: ignore[no-untyped-def]
        return str(SNAPSHOT_DIR / Path(test_location.filepath).stem / test_location.basename)

    SVGImageExtension.dirname = classmethod(_snapshot_dirname)  # type: ignore[method-assign]
except ImportError:  # pragma: no cover - the plugin is a dev dependency
    pass


@pytest.fixture(autouse=True)
def _polish_by_default():
    from ksef_tui.core.i18n import DEFAULT_LANGUAGE, set_language

    set_language(DEFAULT_LANGUAGE)
    yield
    set_language(DEFAULT_LANGUAGE)


@pytest.fixture
def data_dir() -> Path:
    return DATA


# A fresh demo with purchases and the mid-month bookings takes ~15 s to build: the modules that read it
# (test_demo_bookings, test_demo_export) share one per worker, and their `xdist_group` puts them on the
# same worker (`--dist loadgroup`). Read it only: a test that writes copies it first.
DEMO_NOW = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="session")
def purchases_demo_home(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    from ksef_tui.core.clock import fixed_clock
    from ksef_tui.demo import prepare_demo
    from ksef_tui.store import KdfLimits

    home = tmp_path_factory.mktemp("demo") / "home"
    demo = prepare_demo(
        DEMO_NOW, kdf=KdfLimits.FAST_FOR_TESTS, home=home, purchases=True, clock=fixed_clock(DEMO_NOW)
    )
    yield home
    demo.cleanup()

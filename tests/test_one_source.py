"""One source of each thing (issue 9 item 3), checked in the source so a second copy cannot creep back.

- One Warsaw zone: `ksef_tui.core.clock.WARSAW`; no other module builds a `ZoneInfo`.
- Every wait in the KSeF client, the use cases and the store goes through the injected `Timing.sleep`
  (core/clock.py), so a test's virtual clock sees it and retries stay in ksef/retry.py's policy.
(One hardened XML parser factory: tests/test_xml_safety.py; one rate-limit table:
tests/core/test_rate_limits.py.)
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from ksef_tui.core import clock

PACKAGE = Path(clock.__file__).resolve().parents[1]

ZONE = re.compile(r"\bZoneInfo\s*\(")
DIRECT_SLEEP = re.compile(r"\b(asyncio|time)\.sleep\s*\(")


def _hits(pattern: re.Pattern[str], folders: tuple[str, ...], allowed: set[Path]) -> list[str]:
    hits = []
    for folder in folders:
        for path in sorted((PACKAGE / folder).rglob("*.py")):
            if path in allowed:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if pattern.search(line):
                    hits.append(f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}")
    return hits


def test_one_warsaw_zone() -> None:
    assert str(clock.WARSAW) == "Europe/Warsaw"
    assert _hits(ZONE, (".",), {Path(clock.__file__).resolve()}) == []


def test_no_direct_sleep_in_the_client_the_use_cases_or_the_store() -> None:
    assert _hits(DIRECT_SLEEP, ("ksef", "sync", "store"), set()) == []


def test_the_source_checks_can_fail() -> None:
    assert ZONE.search('WARSAW = ZoneInfo("Europe/Warsaw")')
    assert not ZONE.search("from zoneinfo import ZoneInfo")
    assert DIRECT_SLEEP.search("await asyncio.sleep(delay)")
    assert DIRECT_SLEEP.search("time.sleep(0.1)")
    assert not DIRECT_SLEEP.search("await self.core.sleep(delay)  # cancellable")
    # the walker sees the definition it is told to allow
    definition = f'core/clock.py:{_line_of_warsaw()}: WARSAW = ZoneInfo("Europe/Warsaw")'
    assert _hits(ZONE, ("core",), set()) == [definition]


def _line_of_warsaw() -> int:
    lines = Path(clock.__file__).read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if line.startswith("WARSAW = "))


# Imports sit at the top of modules; the few deferred ones say why with a measured cost (issue 9 item 3).
# The costliest is Textual, which no headless command may load.
HEADLESS_PROBE = (
    "import sys, ksef_tui.cli, ksef_tui.cli.status; "
    "print(sorted(m for m in ('textual', 'starlette', 'uvicorn', 'sqlite_utils') if m in sys.modules))"
)


def test_headless_commands_do_not_import_textual_or_the_simulator_server() -> None:
    done = subprocess.run([sys.executable, "-c", HEADLESS_PROBE], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_headless_probe_can_fail() -> None:
    probe = HEADLESS_PROBE.replace("ksef_tui.cli.status;", "ksef_tui.cli.status, ksef_tui.ui.app;")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert "'textual'" in done.stdout, done.stderr

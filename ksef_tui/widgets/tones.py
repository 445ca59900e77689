"""State tones: how a state (red, yellow, green, ...) is drawn, readable in every colour mode (issue 16).

A row or a counter says what its state is (a `Tone`); this module says how that looks. In colour each
tone is an explicit colour chosen to keep WCAG AA contrast (4.5:1) on the app's dark backgrounds in
truecolor, in 256 colours and in 16 colours (explicit colours downgrade to the bright ANSI ones; named
ANSI colours pass through the theme and can land on dark red or dark cyan, about 2:1 on black). With
`NO_COLOR` colours become greys of their brightness, which made red the dimmest row; there emphasis
follows urgency instead: red is bold reverse video, yellow bold, green plain text.

tests/tui/test_contrast.py computes the contrast from the rendered segments in the three modes.
"""

from __future__ import annotations

from enum import Enum

from ksef_tui.core.health import Level
from ksef_tui.core.readiness import Ready


class Tone(Enum):
    ALARM = "alarm"  # red: act now
    WARN = "warn"  # yellow: soon, or look at it
    OK = "ok"  # green
    DONE = "done"  # green, stronger: approved
    INFO = "info"  # a neutral state: in progress, exported, office-wide
    MUTED = "muted"  # less important: new, excluded, nothing to show


COLOUR: dict[Tone, str] = {
    Tone.ALARM: "bold #ff4040",
    Tone.WARN: "#f0c000",
    Tone.OK: "#40c040",
    Tone.DONE: "bold #40c040",
    Tone.INFO: "#40d0f0",
    Tone.MUTED: "#a0a0a0",
}

NO_COLOUR: dict[Tone, str] = {
    Tone.ALARM: "bold reverse",
    Tone.WARN: "bold",
    Tone.OK: "",
    Tone.DONE: "",
    Tone.INFO: "",
    Tone.MUTED: "italic",
}

LEVEL_TONE = {Level.RED: Tone.ALARM, Level.YELLOW: Tone.WARN, Level.GREEN: Tone.OK}
READY_TONE = {Ready.YES: Tone.OK, Ready.PARTLY: Tone.WARN, Ready.NO: Tone.ALARM}


def tone_style(tone: Tone | None, no_color: bool = False) -> str:
    """The Rich style string of `tone` (empty for None): colours, or emphasis when `no_color`."""
    if tone is None:
        return ""
    return NO_COLOUR[tone] if no_color else COLOUR[tone]

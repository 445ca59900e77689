"""Relative time in words ("za 12 dni", "3 dni temu") via humanize, in the current language."""

from __future__ import annotations

from datetime import timedelta

import humanize

from ksef_tui.i18n import _


def in_words(delta: timedelta) -> str:
    """`delta` is target minus now: positive is in the future."""
    words = humanize.naturaldelta(abs(delta))
    if abs(delta) < timedelta(minutes=1):
        return _("now")
    if delta > timedelta(0):
        return _("in {delta}").format(delta=words)
    return _("{delta} ago").format(delta=words)

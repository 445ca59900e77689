"""Relative time in words ("za 12 dni", "3 dni temu") via humanize, in the current language."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import humanize

from ksef_tui.core.clock import WARSAW
from ksef_tui.core.i18n import _, current_language

# humanize keeps its active locale per thread; boards are built in worker threads, so each thread
# activates the UI language the first time (and again if the language changes).
_thread_state = threading.local()
_HUMANIZE_LOCALES = {"pl": "pl_PL"}


def _ensure_locale() -> None:
    language = current_language()
    if getattr(_thread_state, "language", None) == language:
        return
    locale = _HUMANIZE_LOCALES.get(language)
    if locale:
        humanize.i18n.activate(locale)
    else:
        humanize.i18n.deactivate()
    _thread_state.language = language


def duration_words(delta: timedelta) -> str:
    """Days up to a year ("40 dni"), then the largest unit only ("1 rok"): the exact date is elsewhere."""
    _ensure_locale()
    delta = abs(delta)
    if timedelta(days=1) <= delta < timedelta(days=365):
        # Whole days, rounded: a certificate issued "3 days from now" a minute ago still reads "3 dni".
        return humanize.naturaldelta(timedelta(days=round(delta / timedelta(days=1))), months=False)
    if delta < timedelta(days=365):
        return humanize.naturaldelta(delta, months=False)
    return humanize.naturaldelta(delta, months=True).split(",")[0]


def until_words(target: datetime, now: datetime) -> str:
    """Like `in_words(target - now)`, but a day or more away counts calendar days in Polish time:
    on 21 November, something valid through 31 December ends "za 40 dni", whatever the hour."""
    delta = target - now
    if abs(delta) < timedelta(days=1):
        return in_words(delta)
    days = (target.astimezone(WARSAW).date() - now.astimezone(WARSAW).date()).days
    return in_words(timedelta(days=days))


def in_words(delta: timedelta) -> str:
    """`delta` is target minus now: positive is in the future."""
    if abs(delta) < timedelta(minutes=1):
        return _("now")
    words = duration_words(delta)
    if delta > timedelta(0):
        return _("in {delta}").format(delta=words)
    return _("{delta} ago").format(delta=words)

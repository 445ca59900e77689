"""Rich renderables made safe to show: control and bidi characters from data become U+FFFD.

`core/display_text.py` says why and which characters. This module applies it to what the widgets
build: `plain()` makes a sanitised `Text` from a value, `safe_text()` cleans a `Text` in place and
`safe_renderable()` walks a Group/Table/Padding/Panel tree cleaning every `Text` in it — the choke
point for the invoice inspector, whose sections are built as one tree per tab. Each replacement is
one character for one, so a Text's style spans stay where they were.
"""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ksef_tui.core.display_text import same_length_safe


def plain(value: object, style: str = "", **kwargs: Any) -> Text:
    """A Text of `value` (never parsed as markup) with control and bidi characters replaced."""
    return Text(same_length_safe("" if value is None else str(value), newlines=True), style=style, **kwargs)


def safe_text(text: Text) -> Text:
    """Clean `text` in place (and return it)."""
    value = text.plain
    cleaned = same_length_safe(value, newlines=True)
    if cleaned != value:
        text.plain = cleaned
    return text


def safe_renderable(renderable: Any) -> Any:
    """Clean every Text inside `renderable` in place (and return it); strings are left to the caller."""
    if isinstance(renderable, Text):
        return safe_text(renderable)
    if isinstance(renderable, Group):
        for part in renderable.renderables:
            safe_renderable(part)
    elif isinstance(renderable, Table):
        for extra in (renderable.title, renderable.caption):
            safe_renderable(extra)
        for column in renderable.columns:
            safe_renderable(column.header)
            safe_renderable(column.footer)
            for cell in column.cells:
                safe_renderable(cell)
    elif isinstance(renderable, Panel):
        safe_renderable(renderable.title)
        safe_renderable(renderable.subtitle)
        safe_renderable(renderable.renderable)
    elif isinstance(renderable, Padding):
        safe_renderable(renderable.renderable)
    return renderable

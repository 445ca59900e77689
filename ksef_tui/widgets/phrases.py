"""A line of phrases fitted to a width by leaving whole phrases out, least important first (issue 16).

Cutting "sprawdzony w KSeF: 4 godziny temu" at the edge left "4 godziny": the opposite of what it says.
A line built from phrases drops the phrases that matter least until it fits, and cuts (with an ellipsis)
only when the one phrase left is still too long. A long reason is fitted sentence by sentence.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from rich.cells import cell_len, set_cell_size

SEP = " · "


def fit_phrases(phrases: Sequence[tuple[str, int]], width: int, sep: str = SEP) -> str:
    """`phrases` (text, rank: 0 is never left out, higher ranks go first) joined by `sep`, in their order,
    without the highest-ranked ones that do not fit in `width` cells."""
    kept = [(text, rank) for text, rank in phrases if text]
    while True:
        line = sep.join(text for text, _rank in kept)
        droppable = [item for item in kept if item[1] > 0]
        if cell_len(line) <= width or not droppable:
            break
        kept.remove(max(droppable, key=lambda item: item[1]))
    if cell_len(line) > width:
        return set_cell_size(line, max(0, width - 1)) + "…"
    return line


def sentences(text: str) -> list[tuple[str, int]]:
    """`text` as phrases for `fit_phrases(..., sep=" ")`: its sentences, the later ones left out first."""
    parts = [part for part in re.split(r"(?<=[.!?])\s+", text.strip()) if part]
    return [(part, index) for index, part in enumerate(parts)]

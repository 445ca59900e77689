"""Issue 16 item 7: the "in progress" glyph of sessions and their invoices is not "…" (read as cut text)."""

from __future__ import annotations

from rich.cells import cell_len

from ksef_tui.core.session_status import StatusGroup
from ksef_tui.widgets.session_table import GROUP_GLYPH, IN_PROGRESS_GLYPH


def test_in_progress_is_a_glyph_of_its_own_one_cell_wide() -> None:
    assert GROUP_GLYPH[StatusGroup.IN_PROGRESS] == IN_PROGRESS_GLYPH
    assert "…" not in GROUP_GLYPH.values() and IN_PROGRESS_GLYPH != "..."
    assert len(set(GROUP_GLYPH.values())) == len(GROUP_GLYPH)
    assert all(cell_len(glyph) == 1 for glyph in GROUP_GLYPH.values())

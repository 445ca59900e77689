"""The readiness screen's table: one line per client, readiness for 2027-01-01 first (issue 11).

A line table (widgets/line_table.py): fixed columns, only the lines on screen drawn. At 80 columns the
"via" column is left out (the line under the table names it for the selected client). It receives
readiness rows and shows them; it never touches the store.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ksef_tui.core.board import READY_GLYPHS
from ksef_tui.core.i18n import N_, _
from ksef_tui.core.models import permission_words
from ksef_tui.core.nip import format_nip
from ksef_tui.core.readiness import OFFICE_PERMISSIONS, Readiness, Via
from ksef_tui.ui.commands import bindings_for
from ksef_tui.widgets.line_table import Cell, Column, LineTable
from ksef_tui.widgets.tones import READY_TONE

VIA_WORDS = {Via.OWN_CERTIFICATE: N_("own certificate"), Via.OFFICE_CERTIFICATE: N_("office certificate")}
# Short names of the permissions an office needs, for the narrow "missing" column.
_SHORT = {OFFICE_PERMISSIONS[0]: N_("viewing"), OFFICE_PERMISSIONS[1]: N_("issuing")}


def via_words(via: Via | None) -> str:
    return _(VIA_WORDS[via]) if via is not None else "—"


def missing_words(missing: Sequence[str], short: bool = False) -> str:
    if not missing:
        return "—"
    if short:
        return "+".join(_(_SHORT[m]) if m in _SHORT else m for m in missing)
    return permission_words(missing)


def readiness_columns() -> tuple[Column, ...]:
    return (
        Column("ready", "2027", 4),
        Column("code", _("Code"), 12),
        Column("nip", _("NIP"), 13),
        Column("via", _("Via"), 18, drop=1),
        Column("missing", _("Missing"), 13),
        Column("reason", _("Reason"), 30),  # the flexible last column
    )


class ReadinessTable(LineTable, inherit_bindings=False):
    """Rows of Readiness; line 0 is the header. Arrows only: the screen's letters are commands."""

    SCOPE = "client_table"
    BINDINGS = bindings_for(SCOPE)

    class Highlighted(LineTable.Highlighted):
        def __init__(self, table: LineTable, row: int, readiness: Readiness | None) -> None:
            super().__init__(table, row)
            self.readiness = readiness

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._rows: list[Readiness] = []

    def show(self, rows: Sequence[Readiness], width: int) -> None:
        """Replace the rows, keeping the cursor on the same client."""
        keep = self.selected_client_id()
        self._rows = list(rows)
        self.set_columns(readiness_columns(), width)
        index = 0
        if keep is not None:
            index = next((i for i, r in enumerate(self._rows) if r.client.id == keep), 0)
        self.move_cursor(index, force_message=True)

    @property
    def row_count(self) -> int:
        return len(self._rows)

    def selected(self) -> Readiness | None:
        if 0 <= self.cursor_row < len(self._rows):
            return self._rows[self.cursor_row]
        return None

    def selected_client_id(self) -> int | None:
        row = self.selected()
        return row.client.id if row else None

    def select_client(self, client_id: int) -> bool:
        for index, row in enumerate(self._rows):
            if row.client.id == client_id:
                self.move_cursor(index)
                return True
        return False

    def _post_highlighted(self) -> None:
        self.post_message(self.Highlighted(self, self.cursor_row, self.selected()))

    def row_cells(self, index: int) -> Mapping[str, Cell]:
        row = self._rows[index]
        style = READY_TONE[row.ready]
        return {
            "ready": (f" {READY_GLYPHS[row.ready]}", style),
            "code": (row.client.short_code, None),
            "nip": (format_nip(row.client.nip), None),
            "via": (via_words(row.via), None),
            "missing": (missing_words(row.missing, short=True), None),
            "reason": (row.reason, None),
        }

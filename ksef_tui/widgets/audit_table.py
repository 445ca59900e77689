"""The office audit log in a line table: number, Warsaw time, operator, client, action, result and
detail, newest first. Only the rows on screen are drawn; the screen appends pages as the cursor nears
the end. No I/O."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ksef_tui.core.clock import WARSAW
from ksef_tui.core.i18n import _
from ksef_tui.widgets.line_table import Cell, Column, LineTable

WIDE = 110
_FAILED = ("failed", "alarm", "gaps", "revoked", "auth_failed")


@dataclass(frozen=True)
class AuditRow:
    """One entry as the table shows it (the screen makes these from the use case's lines)."""

    id: int
    at: datetime
    operator: str
    client: str  # short code, "#12" for a removed client, "" for the office's own entries
    action: str
    result: str
    detail: str
    redacted: bool = False
    damaged: bool = False


def audit_columns(width: int) -> list[Column]:
    wide = width >= WIDE
    return [
        Column("id", "#", 5),
        Column("at", _("Time"), 16),
        Column("operator", _("Operator"), 14 if wide else 10),
        Column("client", _("Client"), 10 if wide else 8),
        Column("action", _("Action"), 24 if wide else 18),
        Column("result", _("Result"), 10, drop=1),
        Column("detail", _("Detail"), 9),
    ]


def result_style(result: str) -> str | None:
    if result == "ok":
        return "green"
    if result.startswith(_FAILED) or result in _FAILED:
        return "red"
    if result == "damaged":
        return "yellow"
    return None


class AuditTable(LineTable):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.lines: list[AuditRow] = []

    def show(self, lines: Sequence[AuditRow], width: int, *, keep_cursor: bool = False) -> None:
        self.lines = list(lines)
        self.set_columns(audit_columns(width), width)
        index = min(self.cursor_row, max(0, len(self.lines) - 1)) if keep_cursor else 0
        self.move_cursor(index, force_message=True)

    @property
    def row_count(self) -> int:
        return len(self.lines)

    def row_cells(self, index: int) -> Mapping[str, Cell]:
        e = self.lines[index]
        detail = e.detail
        if e.redacted:
            detail = f"[{_('redacted')}] {detail}"
        return {
            "id": (str(e.id).rjust(5), "dim"),
            "at": (e.at.astimezone(WARSAW).strftime("%Y-%m-%d %H:%M"), None),
            "operator": (e.operator, None),
            "client": (e.client or "—", None if e.client else "dim"),
            "action": (e.action, "yellow" if e.damaged else None),
            "result": (e.result, result_style(e.result)),
            "detail": (detail, "italic" if e.redacted else None),
        }

    def selected(self) -> AuditRow | None:
        if not self.lines or not 0 <= self.cursor_row < len(self.lines):
            return None
        return self.lines[self.cursor_row]

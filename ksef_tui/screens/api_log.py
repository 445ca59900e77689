"""The API log: a client's recent KSeF calls, the way a browser's network inspector shows them.

Secrets never reach this screen: entries are redacted when they are recorded (ksef_tui/ksef/apilog.py).
"""

from __future__ import annotations

import json
from typing import Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import DataTable, Static

from ksef_tui.core.clock import WARSAW
from ksef_tui.core.i18n import _
from ksef_tui.core.models import Client
from ksef_tui.ui.commands import RegistryKeys, bindings_for
from ksef_tui.widgets.key_bar import KeyBar
from ksef_tui.widgets.safe_text import plain, safe_text


def status_style(status: int | None) -> str:
    if status is None or status >= 500:
        return "bold red"
    if status >= 400:
        return "yellow"
    return "green"


class ApiLogScreen(RegistryKeys, Screen[None]):
    SCOPE = "api_log"
    KEEP_ON_LOCK = True  # a view: back as it was after a lock
    BINDINGS = bindings_for(SCOPE)
    DEFAULT_CSS = """
    ApiLogScreen #title { height: 1; padding: 0 1; background: $primary-darken-3; }
    ApiLogScreen DataTable { height: 1fr; }
    ApiLogScreen #entry { height: 8; padding: 0 1; border-top: solid $primary-darken-2; overflow-y: auto; }
    """

    def __init__(self, api_log: Any, client: Client, limit: int = 200) -> None:
        super().__init__()
        self.api_log = api_log
        self.client = client
        self.limit = limit
        self.entries: list[Any] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="title")
        yield DataTable(cursor_type="row", id="calls")
        yield Static("", id="entry")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label, width in (
            (_("Time"), 8),
            (_("Method"), 6),
            (_("Path"), 34),
            (_("Status"), 6),
            (_("ms"), 6),
            (_("KSeF codes"), 12),
        ):
            table.add_column(label, width=width)
        self.action_refresh()
        table.focus()

    def action_refresh(self) -> None:
        self.entries = self.api_log.recent(self.client.nip, self.limit) if self.api_log else []
        table = self.query_one(DataTable)
        table.clear()
        for e in self.entries:
            table.add_row(
                e.timestamp.astimezone(WARSAW).strftime("%H:%M:%S"),  # Polish time, as every screen
                e.method,
                plain(e.path, overflow="ellipsis", no_wrap=True),
                Text(str(e.status) if e.status is not None else "—", style=status_style(e.status)),
                f"{e.duration_ms:.0f}",
                ", ".join(str(c) for c in e.ksef_codes),
            )
        title = Text()
        title.append(_("KSeF calls"), style="bold")
        title.append(f" · {self.client.short_code} · {self.client.name} · ")
        title.append(_("{n} recent").format(n=len(self.entries)))
        # KSeF's own bodies carry UTC ("...Z"): say which time the column is, so nobody compares the two.
        title.append(" · " + _("times: Polish (Europe/Warsaw)"), style="dim")
        self.query_one("#title", Static).update(safe_text(title))
        self._show(0)

    @on(DataTable.RowHighlighted)
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show(event.cursor_row)

    def _show(self, index: int) -> None:
        panel = self.query_one("#entry", Static)
        if not self.entries or not 0 <= index < len(self.entries):
            panel.update(_("No KSeF calls for this client yet: run a live check (c) first."))
            return
        e = self.entries[index]
        text = Text()
        text.append(f"{e.method} {e.route or e.path}", style="bold")
        text.append(f"  · {_('attempt')} {e.attempt}")
        at = e.timestamp.astimezone(WARSAW)
        text.append("  · " + _("{when} (Polish time)").format(when=f"{at:%Y-%m-%d %H:%M:%S}"), style="dim")
        if e.error:
            text.append(f"\n{e.error}", style="red")
        for label, body in ((_("Request"), e.request_body), (_("Response"), e.response_body)):
            if body is not None:
                rendered = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
                text.append(f"\n{label}: ", style="dim")
                text.append(rendered[:600])
        panel.update(safe_text(text))  # KSeF's bodies and errors: no control or bidi characters

    def action_back(self) -> None:
        self.dismiss(None)

"""The grant request for one client (issue 11 item 6): a step-by-step text, with the office's NIP filled
in, telling the client what to click in Aplikacja Podatnika KSeF. `c` copies it (OSC 52), `s` saves it as a
file in the office's export folder (a new file each time: -2, -3 … never over another); either records
that the office asked for the grant today ("poproszono dnia …")."""

from __future__ import annotations

from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from ksef_tui.core.clock import WARSAW
from ksef_tui.core.i18n import _
from ksef_tui.core.models import Client
from ksef_tui.sync.grants import OfficeNotReady, grant_request_for, mark_grant_requested, save_grant_request
from ksef_tui.ui.commands import RegistryKeys, bindings_for
from ksef_tui.ui.config import AppConfig
from ksef_tui.ui.messages import GrantRequestLoaded, GrantRequestMarked, GrantRequestSaved, OfficeWorkFailed
from ksef_tui.widgets.key_bar import KeyBar
from ksef_tui.widgets.safe_text import plain


class GrantRequestScreen(RegistryKeys, Screen[bool]):
    """Dismissed with True when the request was copied or saved (the office asked: recorded)."""

    SCOPE = "grant_request"
    BINDINGS = bindings_for(SCOPE)
    DEFAULT_CSS = """
    GrantRequestScreen #title { height: 1; padding: 0 1; background: $primary-darken-3; }
    GrantRequestScreen #body { height: 1fr; padding: 0 1; }
    GrantRequestScreen #request { padding: 1 1; }
    GrantRequestScreen #status { height: auto; padding: 0 1; background: $accent-darken-2; }
    """

    def __init__(self, services: AppConfig, client: Client) -> None:
        super().__init__()
        self.services = services
        self.client = client
        self.text = ""
        self._asked = False

    def compose(self) -> ComposeResult:
        yield Static(
            plain(
                _("Grant request for {name} ({code})").format(
                    name=self.client.name, code=self.client.short_code
                )
            ),
            id="title",
        )
        with VerticalScroll(id="body"):
            yield Static("", id="request")
        yield Static(plain(_("c copies · s saves as a file · Esc goes back")), id="status")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#body").focus()
        self._load()

    @work(thread=True, exclusive=True, group="grant-request")
    def _load(self) -> None:
        store = self.services.store
        assert store is not None
        try:
            text = grant_request_for(store, self.client.id or 0)
        except OfficeNotReady as err:
            self.post_message(OfficeWorkFailed(str(err)))
            return
        self.post_message(GrantRequestLoaded(text))

    def on_grant_request_loaded(self, message: GrantRequestLoaded) -> None:
        self.text = message.text
        self.query_one("#request", Static).update(plain(message.text))

    def on_office_work_failed(self, message: OfficeWorkFailed) -> None:
        self._say(message.reason)

    # --- copy, save ----------------------------------------------------------------------------------

    def action_copy(self) -> None:
        if not self.text:
            return
        self.app.copy_to_clipboard(self.text)
        self._mark()

    @work(thread=True, exclusive=True, group="grant-request-mark")
    def _mark(self) -> None:
        store = self.services.store
        assert store is not None
        mark_grant_requested(store, self.client.id or 0, self.services.clock().astimezone(WARSAW).date())
        self.post_message(GrantRequestMarked(self.client.id or 0))

    def on_grant_request_marked(self, message: GrantRequestMarked) -> None:
        self._asked = True
        self._say(_("Copied to the clipboard; recorded that the client was asked today."))

    def action_save_file(self) -> None:
        if not self.text:
            return
        self._save(self.services.office.export_path())

    @work(thread=True, exclusive=True, group="grant-request-save")
    def _save(self, folder: Path) -> None:
        store = self.services.store
        assert store is not None
        try:
            path = save_grant_request(store, self.client.id or 0, folder, self.services.clock())
        except OSError as err:
            self.post_message(
                OfficeWorkFailed(_("Not saved: {reason}").format(reason=err.strerror or str(err)))
            )
            return
        self.post_message(GrantRequestSaved(path))

    def on_grant_request_saved(self, message: GrantRequestSaved) -> None:
        self._asked = True
        self._say(_("Saved to {path}; recorded that the client was asked today.").format(path=message.path))

    def _say(self, message: str) -> None:
        self.query_one("#status", Static).update(plain(message))

    def action_back(self) -> None:
        self.dismiss(self._asked)

"""Who else holds grants in a client's context (issue 15 item 3, the forum's GDPR worry): from the client
screen (`g`), KSeF is asked in the client's context (`persons/grants`, `entities/grants`, every page) with
a credential the office holds; the list marks the office and the client itself and counts the others.
`r` asks again."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Static

from ksef_tui.core.i18n import _
from ksef_tui.core.models import Client
from ksef_tui.sync.grant_holders import describe_holders, read_grant_holders
from ksef_tui.ui.commands import RegistryKeys, bindings_for
from ksef_tui.ui.config import AppConfig
from ksef_tui.widgets.key_bar import KeyBar
from ksef_tui.widgets.safe_text import plain


class GrantHoldersScreen(RegistryKeys, Screen[None]):
    SCOPE = "grant_holders"
    KEEP_ON_LOCK = True  # a view: back as it was after a lock
    BINDINGS = bindings_for(SCOPE)
    DEFAULT_CSS = """
    GrantHoldersScreen #title { height: 1; padding: 0 1; background: $primary-darken-3; }
    GrantHoldersScreen #body { height: 1fr; padding: 0 1; }
    GrantHoldersScreen #holders { height: auto; }
    """

    def __init__(self, services: AppConfig, client: Client) -> None:
        super().__init__()
        self.services = services
        self.client = client
        self.lines: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static(
            plain(
                _("Permissions in the context of {name} ({code})").format(
                    name=self.client.name, code=self.client.short_code
                )
            ),
            id="title",
        )
        with VerticalScroll(id="body"):
            yield Static("", id="holders")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#body").focus()
        self.action_refresh()

    def action_refresh(self) -> None:
        self._show([_("Asking KSeF…")])
        self._load()

    @work(exclusive=True, group="grant-holders", exit_on_error=False)
    async def _load(self) -> None:
        store, factory = self.services.store, self.services.ksef_factory
        assert store is not None
        if factory is None or self.client.id is None:
            self._show([_("KSeF is not configured.")])
            return
        result = await read_grant_holders(store, factory, self.client.id)  # KSeF's refusals are in it
        self._show(describe_holders(result))

    def _show(self, lines: list[str]) -> None:
        self.lines = lines
        self.query_one("#holders", Static).update(plain("\n".join(lines)))

    def action_back(self) -> None:
        self.dismiss(None)

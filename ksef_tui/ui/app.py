"""The Textual App: wiring only. AppConfig (store, clock, KSeF factory) are passed in."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from rich.errors import MarkupError
from rich.segment import Segments
from rich.text import Text
from textual import events
from textual.app import App, SystemCommand
from textual.screen import Screen

from ksef_tui.core.display_text import safe_display
from ksef_tui.core.i18n import _
from ksef_tui.screens.clients import ClientsScreen
from ksef_tui.screens.first_run import FirstRunScreen
from ksef_tui.screens.help import HelpScreen
from ksef_tui.screens.message_history import MessageHistoryScreen, Notice, remember
from ksef_tui.screens.unlock import UnlockScreen
from ksef_tui.store import Store
from ksef_tui.sync.office import read_profile
from ksef_tui.ui.commands import bindings_for
from ksef_tui.ui.config import AppConfig
from ksef_tui.ui.palette import ClientsProvider, FoldingSystemCommands
from ksef_tui.ui.palette_invoices import InvoicesProvider

THEME = "textual-dark"


def _plain(message: str, markup: bool) -> str:
    """The words of a toast: its markup applied (a message written with markup keeps no tags)."""
    if not markup:
        return message
    try:
        return Text.from_markup(message).plain
    except MarkupError:
        return message


class KsefApp(App[int]):
    CSS_PATH = "app.tcss"
    TITLE = "ksef-tui"
    # Textual's own system-commands provider replaced by one that folds diacritics (ui/palette.py).
    COMMANDS = {FoldingSystemCommands, ClientsProvider, InvoicesProvider}
    BINDINGS = bindings_for("global")

    def __init__(self, services: AppConfig, initial_screen: Callable[[], Screen[Any]] | None = None) -> None:
        super().__init__()
        self.services = services
        # A screen to open instead of the store (e.g. `ksef-tui inspect FILE`, which needs no secrets).
        self._initial_screen = initial_screen
        # Fixed here (not from the shell's TEXTUAL_THEME) so that screens and snapshots look the same.
        self.theme = THEME
        self.notices: list[Notice] = []  # every message shown this session (F9), forgotten on lock
        self._locked_store: Store | None = None  # the store as it was locked (another operator may unlock)

    def on_mount(self) -> None:
        self.sub_title = _("demo") if self.services.demo else ""
        if self._initial_screen is not None:
            self.push_screen(self._initial_screen(), callback=lambda _result: self.exit())
            return
        if self.services.store is not None and not self.services.store.is_locked:
            self._use_office_profile(self.services.store)
            self.show_board()
        elif Store.exists(self.services.home):
            self.push_unlock()
        else:
            self.push_screen(FirstRunScreen(self.services), callback=self._unlocked)
        self.set_interval(10, self._lock_if_idle)

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: Any = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Every toast (screens' too) without control or bidi characters: messages carry KSeF's words.
        Each is kept, whole, for the message history (F9)."""
        message, title = safe_display(message, newlines=True), safe_display(title)
        remember(self.notices, Notice(self.services.clock(), str(severity), title, _plain(message, markup)))
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    def action_message_history(self) -> None:
        if isinstance(self.screen, MessageHistoryScreen):
            self.screen.dismiss(None)
            return
        store = self.services.store
        if store is not None and store.is_locked:
            return
        self.push_screen(MessageHistoryScreen(self.notices))

    # --- locking -------------------------------------------------------------------------------

    def push_unlock(self) -> None:
        self._locked_store = self.services.store
        self.push_screen(UnlockScreen(self.services), callback=self._unlocked)

    def _unlocked(self, ok: bool | None) -> None:
        if not ok:
            return
        store = self.services.store
        assert store is not None
        if self._locked_store is not None and store is not self._locked_store:
            # Another operator unlocked: nothing of the previous one's screens may stay (other clients).
            while len(self.screen_stack) > 2 and not isinstance(self.screen, ClientsScreen):
                self.pop_screen()
        store.idle_timeout = self.services.idle_timeout
        self._use_office_profile(store)
        # After a lock the board is still under the unlock screen: refresh it rather than open another.
        board = next((s for s in self.screen_stack if isinstance(s, ClientsScreen)), None)
        if board is None:
            self.show_board()
        else:
            board.reload()

    def _use_office_profile(self, store: Store) -> None:
        """The office's thresholds, idle lock and defaults, readable now that the store is open. One
        small read on the UI thread (one sealed setting), before the board's first load uses them."""
        self.services.use_office(read_profile(store))

    async def on_unmount(self) -> None:
        """Close the KSeF connection (one per process, shared by every screen) in the loop it ran in."""
        factory = self.services.ksef_factory
        aclose = getattr(factory, "aclose", None)
        if aclose is not None:
            await aclose()

    def show_board(self) -> None:
        self.push_screen(ClientsScreen(self.services))

    def _lock_if_idle(self) -> None:
        store = self.services.store
        if store is None or store.is_locked:
            return
        if store.lock_if_idle(self.services.clock()):
            self._show_locked()

    def _show_locked(self) -> None:
        self.notices.clear()  # messages name clients: they go with the keys
        # Close forms and dialogs that may hold typed input or secrets; the views under them (the board,
        # a client, the queue, an invoice...) stay under the unlock screen and are back after the unlock.
        stack = self.screen_stack
        kept = 2  # the default screen and the board (or the first screen) always stay
        while kept < len(stack) and getattr(stack[kept], "KEEP_ON_LOCK", False):
            kept += 1
        while len(self.screen_stack) > kept and not isinstance(self.screen, UnlockScreen):
            self.pop_screen()
        self.push_unlock()

    def action_lock(self) -> None:
        store = self.services.store
        if store is None or store.is_locked:
            return
        store.lock()
        self._show_locked()

    async def on_event(self, event: events.Event) -> None:
        # Any key or click counts as activity for the idle lock.
        if isinstance(event, events.Key | events.MouseDown) and self.services.store is not None:
            store = self.services.store
            if not store.is_locked:
                store.touch()
        await super().on_event(event)

    def _fatal_error(self) -> None:
        """Textual's crash report prints every frame's local variables, which may hold a pasted token or a
        decrypted key. Print the traceback without locals (docs/SECURITY.md)."""
        # deferred: rich.traceback pulls in pygments, +83 ms on every start (measured: the import on top of
        # `ksef_tui.cli` and `ksef_tui.ui.app`, median of 5), and only a crash needs it.
        from rich.traceback import Traceback

        self.bell()
        traceback = Traceback(show_locals=False, width=None)
        self._exit_renderables.append(Segments(self.console.render(traceback, self.console.options)))
        self._close_messages_no_wait()

    # --- help ----------------------------------------------------------------------------------

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            self.screen.dismiss()
            return
        self.push_screen(HelpScreen.for_screen(self.screen))

    # --- command palette -------------------------------------------------------------------------

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        """The current screen's registry commands, then what we keep of Textual's own (in Polish)."""
        from ksef_tui.ui.palette import registry_commands, window_commands  # loads textual.command lazily

        yield from registry_commands(self, screen)
        yield from window_commands(self, screen)

    def action_command_palette(self) -> None:
        """Textual's palette with its prompt and "no matches" in our words."""
        from textual.command import CommandPalette

        from ksef_tui.ui.palette import Palette

        if self.use_command_palette and not isinstance(self.screen, CommandPalette):
            self.push_screen(Palette())

    # --- the approval queue (F4 / ctrl+k on every screen) -----------------------------------------

    def action_open_queue(self) -> None:
        """Every client's queue over the screen in use: not over a dialog, the unlock or first-run screen,
        nor over a queue already open."""
        from textual.screen import ModalScreen

        from ksef_tui.screens.queue import QueueScreen

        store = self.services.store
        if store is None or store.is_locked:
            return
        if isinstance(self.screen, ModalScreen | QueueScreen | UnlockScreen | FirstRunScreen):
            return
        if not any(isinstance(s, ClientsScreen) for s in self.screen_stack):
            return
        self.push_screen(QueueScreen(self.services, None))

    def jump_to_client(self, client_id: int) -> None:
        while len(self.screen_stack) > 1 and not isinstance(self.screen, ClientsScreen):
            self.pop_screen()
        if isinstance(self.screen, ClientsScreen):
            self.screen.select_client(client_id)

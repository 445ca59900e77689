"""Command palette: the current screen's registry commands, and a jump to any client by name, NIP or
short code. Every search folds case and Polish diacritics (core.search_text.fold: "odswiez" finds
"Odśwież", "wrobel" finds "Wróbel") and takes a NIP with `PL`, dashes or spaces."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from functools import partial
from typing import Any

from rich.align import Align
from rich.markup import escape
from rich.text import Text
from textual.actions import parse
from textual.app import App, SystemCommand
from textual.command import CommandList, CommandPalette, DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.fuzzy import Matcher
from textual.screen import Screen
from textual.style import Style
from textual.system_commands import SystemCommandsProvider
from textual.widgets.option_list import Option

from ksef_tui.core.display_text import safe_display
from ksef_tui.core.i18n import _
from ksef_tui.core.nip import format_nip
from ksef_tui.core.search_text import fold, nip_digits
from ksef_tui.ui.commands import Command, back_help, commands_for, key_label


def folded_match(query: str, text: str, style: Style | None = None) -> tuple[float, Content]:
    """Textual's fuzzy score of `query` in `text` with case and diacritics folded, and `text` (as given,
    never read as markup) with the matched letters highlighted. `fold` keeps every position, so the
    letters found in the folded text are the ones to highlight in the original."""
    matcher = Matcher(fold(query), match_style=style)
    folded = fold(text)
    score = matcher.match(folded)
    if score <= 0:
        return 0.0, Content(text)
    return score, Content(text, spans=list(matcher.highlight(folded).spans))


class FoldingSystemCommands(SystemCommandsProvider):
    """Textual's system commands (ours from the registry first, see `KsefApp.get_system_commands`),
    searched with diacritics folded: "odswiez" finds "Odśwież"."""

    async def search(self, query: str) -> Hits:
        for name, help_text, callback, *_rest in self.app.get_system_commands(self.screen):
            score, shown = folded_match(query, name, self.match_style)
            if score > 0:
                yield Hit(score, shown, callback, help=help_text)


def registry_commands(app: App[Any], screen: Screen[Any]) -> Iterator[SystemCommand]:
    """The registry's commands of `screen` (and the global ones) for `App.get_system_commands`: the
    translated title, the key under it; choosing one runs the same action as the key, on that screen."""
    scope = getattr(screen, "SCOPE", None)
    if scope is None:
        return
    stack = app.screen_stack
    below = stack[stack.index(screen) - 1] if screen in stack and stack.index(screen) > 1 else None
    by_action: dict[str, list[Command]] = {}
    for command in commands_for(scope):
        by_action.setdefault(command.action, []).append(command)
    for action, commands in by_action.items():
        namespace, name, params = parse(action)
        target: Any = app if namespace == "app" else screen
        if not target.check_action(name, params):
            continue  # switched off on this screen right now (a screen's `check_action`)
        first = commands[0]
        keys = " / ".join(dict.fromkeys(key_label(c) for c in commands))
        yield SystemCommand(
            _(first.title) if first.title else back_help(first, below),
            _("Key: {keys}").format(keys=keys),
            partial(app.run_action, action, screen),
        )


def window_commands(app: App[Any], screen: Screen[Any]) -> Iterator[SystemCommand]:
    """What we keep of Textual's own palette commands, in our words. Left out: "Theme" (the theme is
    fixed: contrast is tested in it), "Keys" (the help screen, `?`, lists every key in Polish),
    "Screenshot" (an SVG of client data in the working folder) and "Quit" (the registry's, with its key)."""
    if screen.maximized is not None:
        yield SystemCommand(_("Restore the panel"), _("Back to the normal size"), screen.action_minimize)
    elif screen.focused is not None and screen.focused.allow_maximize:
        yield SystemCommand(
            _("Maximise the panel"), _("The focused panel over the whole screen"), screen.action_maximize
        )


class Palette(CommandPalette):
    """Textual's command palette with its own words in Polish: the prompt and "no matches"."""

    def __init__(self) -> None:
        super().__init__(id="--command-palette", placeholder=_("Search for commands…"))

    def _start_no_matches_countdown(self, search_value: str) -> None:
        # Textual's own shows a fixed English line; the same timer with our words.
        self._stop_no_matches_countdown()

        def show_no_matches() -> None:
            if search_value:
                self.query_one(CommandList).add_option(
                    Option(
                        Align.center(Text(_("No matches found"), style="not bold")),
                        disabled=True,
                        id=self._NO_MATCHES,
                    )
                )
                self._list_visible = True
            else:
                self._list_visible = False

        self._no_matches_timer = self.set_timer(self._NO_MATCHES_COUNTDOWN, show_no_matches)


class ClientsProvider(Provider):
    _cached: list[tuple[int, str, str]] = []

    def _clients(self) -> list[tuple[int, str, str]]:
        # Provider.app is typed as textual's App; ours (KsefApp) has .services and .jump_to_client.
        store = getattr(self.app, "services", None) and self.app.services.store  # type: ignore[attr-defined]
        if store is None or store.is_locked:
            return []
        # Names are shown as given, less control and bidi characters.
        return [
            (c.id or 0, safe_display(c.name), f"{c.short_code} · {' '.join(format_nip(n) for n in c.nips)}")
            for c in store.clients.list()
        ]

    async def startup(self) -> None:
        # Once per opening of the palette, not per keystroke: listing decrypts every client's name.
        # SQLite work stays off the event loop (DESIGN.md "Layers").
        self._cached = await asyncio.to_thread(self._clients)

    async def search(self, query: str) -> Hits:
        nip = nip_digits(query)  # "PL7639017757", "763-901-77-57", "763 901 77 57"
        for client_id, name, detail in self._cached:
            text = f"{name} {detail}"
            score, shown = folded_match(query, text, self.match_style)
            if nip is not None and nip in detail.replace("-", ""):
                score = max(score, 0.9)
                shown = Content(text)
            if score > 0:
                yield Hit(
                    score,
                    shown,
                    partial(self.app.jump_to_client, client_id),  # type: ignore[attr-defined]  # KsefApp (see above)
                    help=_("Go to client"),
                )

    async def discover(self) -> Hits:
        for client_id, name, detail in self._cached[:20]:
            yield DiscoveryHit(
                escape(f"{name} {detail}"),
                partial(self.app.jump_to_client, client_id),  # type: ignore[attr-defined]  # KsefApp (see above)
                help=_("Go to client"),
            )

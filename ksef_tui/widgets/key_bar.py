"""The footer of every screen: the screen's keys on one line, drawn by one widget.

Why not Textual's `Footer`: it mounts a widget per key and recomposes all of them whenever the bindings
change (every focus change, every screen shown). On the approval queue that was the largest share of the
first paint (issue 13 "Speed", docs/PERFORMANCE.md). This bar renders one `Text` and repaints.

When the line is too narrow, keys drop from the right, but the ways out never do: help (`?`), quit and
the key that goes back (Esc) keep their place (issue 16 item 4: at 80 columns the board's footer hid
`? Pomoc` and `q Wyjdź`). The command palette's key is drawn at the right edge while there is room.
A click on a key presses it, as with Textual's footer.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.widget import Widget

from ksef_tui.core.i18n import _

PINNED_ACTIONS = frozenset({"app.help", "app.quit", "back", "cancel", "close", "app.pop_screen"})


@dataclass(frozen=True)
class _Key:
    key: str  # what a click presses
    display: str
    description: str
    enabled: bool
    pinned: bool

    @property
    def width(self) -> int:
        return cell_len(self.display) + 2 + (cell_len(self.description) + 1 if self.description else 0)


def _pinned(binding: Binding) -> bool:
    return binding.action in PINNED_ACTIONS or binding.key.split(",")[0] == "escape"


class KeyBar(Widget):
    """Drop-in for `textual.widgets.Footer` (docked at the bottom, one line, the footer's colours)."""

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"key-bar--key", "key-bar--description", "key-bar--disabled"}
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        & > .key-bar--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        & > .key-bar--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        & > .key-bar--disabled {
            text-style: dim;
        }
    }
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self._spans: list[tuple[int, int, _Key]] = []  # (from x, to x, key) of what was drawn
        self._keys: tuple[list[_Key], _Key | None] | None = None  # read again when the bindings change

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, _screen: object) -> None:
        keys = self.keys()
        if keys != self._keys:  # (the signal fires on every focus change; most leave the keys alone)
            self._keys = keys
            self.refresh()

    def keys(self) -> tuple[list[_Key], _Key | None]:
        """The keys to show (the screen's order, one per action) and the palette's key, if any."""
        active = self.screen.active_bindings
        shown: dict[str, _Key] = {}
        for _node, binding, enabled, _tooltip in active.values():
            if not binding.show or binding.action in shown:
                continue
            shown[binding.action] = _Key(
                binding.key.split(",")[0],
                self.app.get_key_display(binding),
                binding.description,
                enabled,
                _pinned(binding),
            )
        palette: _Key | None = None
        if self.app.ENABLE_COMMAND_PALETTE:
            found = active.get(self.app.COMMAND_PALETTE_BINDING)
            if found is not None:
                binding = found[1]
                palette = _Key(binding.key, self.app.get_key_display(binding), _("Commands"), found[2], False)
        return list(shown.values()), palette

    @staticmethod
    def fit(keys: list[_Key], palette: _Key | None, width: int) -> tuple[list[_Key], _Key | None]:
        """What fits in `width` cells: keys drop from the right, pinned ones last; the palette's key goes
        first of all."""
        kept = list(keys)
        total = sum(k.width for k in kept)
        if palette is not None and total + palette.width > width:
            palette = None
        for candidate in [k for k in reversed(keys) if not k.pinned] + [
            k for k in reversed(keys) if k.pinned
        ]:
            if total <= width:
                break
            kept.remove(candidate)
            total -= candidate.width
        return kept, palette

    def render(self) -> Text:
        key_style = self.get_component_rich_style("key-bar--key")
        description_style = self.get_component_rich_style("key-bar--description")
        dim = self.get_component_rich_style("key-bar--disabled")
        if self._keys is None:
            self._keys = self.keys()
        keys, palette = self.fit(*self._keys, self.size.width)
        line = Text(no_wrap=True, overflow="crop")
        spans: list[tuple[int, int, _Key]] = []

        def draw(key: _Key) -> None:
            start = line.cell_len
            extra = dim if not key.enabled else None
            line.append(f" {key.display} ", key_style + extra if extra else key_style)
            if key.description:
                line.append(f"{key.description} ", description_style + extra if extra else description_style)
            spans.append((start, line.cell_len, key))

        for key in keys:
            draw(key)
        if palette is not None:
            line.append(" " * max(0, self.size.width - line.cell_len - palette.width))
            draw(palette)
        self._spans = spans
        return line

    def text(self) -> str:
        """The bar as plain text (tests, the help screen)."""
        return self.render().plain

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._spans:
            if start <= event.x < end:
                event.stop()
                if key.enabled:
                    self.app.simulate_key(key.key)
                else:
                    self.app.bell()
                return

"""The board's banner when the store holds values it could not authenticate (tampered or corrupted).

Hidden while there is no damage. Names how many values and whose (short codes), never a value; each
client's screen lists that client's damaged rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from rich.text import Text
from textual.widgets import Static

from ksef_tui.core.display_text import safe_display
from ksef_tui.i18n import _, ngettext


class DamageEntry(Protocol):
    """What the banner reads of one damaged value (the store's DamageEntry; widgets never import it)."""

    @property
    def client_words(self) -> str | None: ...


MAX_CODES = 4  # short codes named in the banner; the rest are counted


def banner_text(damage: Sequence[DamageEntry]) -> Text:
    values = ngettext("{n} damaged value", "{n} damaged values", len(damage)).format(n=len(damage))
    codes = list(dict.fromkeys(w for e in damage if (w := e.client_words) is not None))
    text = Text("⚠ ", style="bold")
    if codes:
        shown = ", ".join(codes[:MAX_CODES]) + (
            f" +{len(codes) - MAX_CODES}" if len(codes) > MAX_CODES else ""
        )
        text.append(
            _(
                "Store: {values} (clients {codes}). Restore from a backup or import again;"
                " details on the client screen."
            ).format(values=values, codes=safe_display(shown))
        )
    else:
        text.append(_("Store: {values}. Restore the store from a backup.").format(values=values))
    return text


class DamageBanner(Static):
    DEFAULT_CSS = """
    DamageBanner { height: auto; padding: 0 1; background: $error-darken-2; color: $text; display: none; }
    """

    def show(self, damage: Sequence[DamageEntry]) -> None:
        self.display = bool(damage)
        if damage:
            self.update(banner_text(damage))

"""One translation mechanism for every user-facing string (stdlib gettext).

Message ids are English; Polish is the default language. Catalogue sources live in
`ksef_tui/locale/src/pl/*.po` (one file per area so parallel work does not collide) and are
compiled into `ksef_tui/locale/pl/LC_MESSAGES/ksef_tui.mo` by `scripts/i18n.py compile`.
This module imports nothing from textual, so every layer may use it.
"""

from __future__ import annotations

import gettext
from pathlib import Path

DOMAIN = "ksef_tui"
LOCALE_DIR = Path(__file__).parent.parent / "locale"
SUPPORTED = ("pl", "en")
DEFAULT_LANGUAGE = "pl"

_translations: gettext.NullTranslations = gettext.NullTranslations()
_language = "en"


def set_language(language: str) -> None:
    """Switch every later `_()` call to `language` ("pl" or "en")."""
    global _translations, _language
    if language not in SUPPORTED:
        raise ValueError(f"unsupported language: {language!r}")
    _language = language
    if language == "en":
        _translations = gettext.NullTranslations()
    else:
        _translations = gettext.translation(DOMAIN, LOCALE_DIR, languages=[language], fallback=True)


def current_language() -> str:
    return _language


def _(message: str) -> str:
    """Translate `message` into the current language."""
    return _translations.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translations.ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark `message` for extraction without translating it now (translate later with `_`)."""
    return message


set_language(DEFAULT_LANGUAGE)

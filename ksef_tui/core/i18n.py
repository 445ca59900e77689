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


def resolve_language(value: str | None) -> tuple[str, str | None]:
    """The language a `KSEF_TUI_LANG` value asks for, and a one-line notice when it is not one we have.

    Case and locale forms are accepted: "PL", "pl_PL.UTF-8", "pl-PL", "en_US", "EN". Empty or unset is
    the default. Anything else (e.g. "de") falls back to the default language, Polish, with a notice in
    Polish naming the value and the choices (docs/DECISIONS.md): the app still starts, in the language
    an office in Poland reads, and the typo is visible."""
    text = (value or "").strip()
    if not text:
        return DEFAULT_LANGUAGE, None
    # "pl_PL.UTF-8@euro" -> "pl": the language part of a POSIX locale or a BCP 47 tag.
    code = text.split(".")[0].split("@")[0].replace("-", "_").split("_")[0].lower()
    if code in SUPPORTED:
        return code, None
    notice = gettext.translation(DOMAIN, LOCALE_DIR, languages=[DEFAULT_LANGUAGE], fallback=True).gettext(
        N_("Unknown language {value!r} in KSEF_TUI_LANG: using Polish (choose pl or en).")
    )
    return DEFAULT_LANGUAGE, notice.format(value=text)


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

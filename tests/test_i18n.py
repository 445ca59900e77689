"""Every user-facing string has a Polish translation, and the compiled catalogue is current."""

from __future__ import annotations

import gettext
import importlib.util
import io
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _tool():
    spec = importlib.util.spec_from_file_location("i18n_tool", ROOT / "scripts" / "i18n.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_msgid_in_code_has_a_polish_translation() -> None:
    assert _tool().missing("pl") == []


def test_every_msgid_has_one_home() -> None:
    assert _tool().duplicates("pl") == []


def _messages(mo: bytes) -> tuple[dict[object, str], list[int]]:
    """What a catalogue translates: msgid (or (msgid, n) for each plural form) → msgstr, and which
    plural form its Plural-Forms rule picks for n = 0…999. The header's text is left out on purpose:
    two Babel releases write it differently (even the same CLDR rule as a different expression)."""
    catalogue = gettext.GNUTranslations(io.BytesIO(mo))
    messages = {key: value for key, value in catalogue._catalog.items() if key != ""}  # type: ignore[attr-defined]
    return messages, [catalogue.plural(n) for n in range(1000)]  # type: ignore[attr-defined]


def test_compiled_catalogue_matches_sources() -> None:
    compiled = ROOT / "ksef_tui" / "locale" / "pl" / "LC_MESSAGES" / "ksef_tui.mo"
    have, have_plural = _messages(compiled.read_bytes())
    want, want_plural = _messages(_tool().mo_bytes("pl"))
    hint = "run: python scripts/i18n.py compile"
    assert sorted(map(str, set(want) - set(have))) == [], hint  # translated in the sources, not compiled
    assert sorted(map(str, set(have) - set(want))) == [], hint  # compiled, no longer in the sources
    assert {k: v for k, v in have.items() if want[k] != v} == {}, hint
    assert have_plural == want_plural, hint
    assert any(isinstance(key, tuple) for key in want), "plural forms are compared too"


def test_catalogue_comparison_sees_messages_not_the_header() -> None:
    """The comparison above can fail: a changed translation, plural form or plural rule shows; a
    header that differs in its text only does not."""
    from babel.messages.catalog import Catalog
    from babel.messages.mofile import write_mo

    forms = ("{n} klient", "{n} klientów", "{n} klientów")

    def mo(
        clients: str = "Klienci", plural: tuple[str, ...] = forms, version: str = "1", locale: str = "pl"
    ) -> bytes:
        catalog = Catalog(locale=locale, domain="ksef_tui", project="ksef-tui", version=version)
        catalog.add("Clients", clients)
        catalog.add(("{n} client", "{n} clients"), plural)
        buf = io.BytesIO()
        write_mo(buf, catalog)
        return buf.getvalue()

    assert mo(version="2") != mo()  # other bytes, the same messages
    assert _messages(mo(version="2")) == _messages(mo())
    assert _messages(mo(clients="Klienty")) != _messages(mo())
    assert _messages(mo(plural=("{n} klient", "{n} klienci", "{n} klientów"))) != _messages(mo())
    assert _messages(mo(locale="cs")) != _messages(mo())  # Czech: three forms too, another rule


def test_english_is_the_identity_and_polish_differs() -> None:
    from ksef_tui.core.i18n import _, set_language

    set_language("en")
    assert _("Clients") == "Clients"
    set_language("pl")
    assert _("Clients") == "Klienci"

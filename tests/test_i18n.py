"""Every user-facing string has a Polish translation, and the compiled catalogue is current."""

from __future__ import annotations

import importlib.util
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


def test_compiled_catalogue_matches_sources() -> None:
    tool = _tool()
    compiled = ROOT / "ksef_tui" / "locale" / "pl" / "LC_MESSAGES" / "ksef_tui.mo"
    assert compiled.read_bytes() == tool.mo_bytes("pl"), "run: python scripts/i18n.py compile"


def test_english_is_the_identity_and_polish_differs() -> None:
    from ksef_tui.core.i18n import _, set_language

    set_language("en")
    assert _("Clients") == "Clients"
    set_language("pl")
    assert _("Clients") == "Klienci"

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


# --- msgids the extractor cannot see (issue 16 item 2) ----------------------------------------------

# `_()` of an expression whose value cannot be looked up from here: each was read, and its values are
# marked with N_() (or are msgids translated) where they come from. A new one fails
# test_every_translated_expression_is_known until it is either a module constant (checked below) or
# added here after the same reading.
READ_BY_HAND = {
    ("ksef_tui/screens/export_dialog.py", "w"),  # FORMAT_WORDS / KIND_WORDS: N_() or a format's own name
    ("ksef_tui/widgets/export_batch_table.py", "FORMAT_SHORT.get(fmt, fmt.value)"),  # names: EDI++, JPK_V7M
    ("ksef_tui/cli/click_words.py", "text"),  # help texts: test_the_cli_help_texts_..._are_translated
    ("ksef_tui/cli/click_words.py", "msgid(text)"),
    ("ksef_tui/cli/export.py", "label"),  # PROFILE_FIELDS labels, N_()
    ("ksef_tui/core/export_epp.py", "label"),  # field labels, N_()
    ("ksef_tui/core/fa/checks.py", "fields[0].label"),  # fa field labels, N_()
    ("ksef_tui/core/health.py", "steps[self.next_step]"),  # APP_STEPS / CLI_STEPS, N_()
    ("ksef_tui/core/readiness.py", "text"),  # the grant letter's lines, N_()
    ("ksef_tui/core/session_status.py", "self.label"),  # SessionStatus rows, N_()
    ("ksef_tui/core/session_status.py", "self.meaning"),
    ("ksef_tui/core/session_status.py", "self.action"),
    ("ksef_tui/ksef/errors.py", "self.default_explanation"),  # class attributes, N_()
    ("ksef_tui/ksef/errors.py", "ServerError.default_explanation"),
    ("ksef_tui/ksef/errors.py", "text"),  # from the explanation tables, N_()
    ("ksef_tui/screens/booking_form.py", "w"),  # from DEDUCTION_WORDS / KPIR_WORDS, N_()
    ("ksef_tui/screens/rules.py", "w"),  # the same tables
    ("ksef_tui/ui/commands.py", "command.help"),  # the command registry's texts, N_() (back_help)
    ("ksef_tui/screens/invoice.py", "title"),  # tab titles, N_()
    ("ksef_tui/screens/office.py", "label"),  # office profile labels, N_()
    ("ksef_tui/ui/commands.py", "binding.description"),  # the registry's descriptions, N_()
    ("ksef_tui/ui/palette.py", "first.title"),  # the registry's texts, N_()
    ("ksef_tui/widgets/invoice_sections.py", "rate.label"),  # VAT rate labels, N_()
    ("ksef_tui/widgets/invoice_sections.py", "scheme"),  # special schemes, N_()
    ("ksef_tui/widgets/invoice_sections.py", "label"),
    ("ksef_tui/widgets/invoice_sections.py", "role"),
    ("ksef_tui/widgets/invoice_sections.py", "kind"),
    ("ksef_tui/widgets/queue_table.py", "table[key]"),  # one of the module's word tables, N_()
}


def _strings(value: object) -> list[str]:
    """The text values of a constant: a dict's values, a sequence's items, nested."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for item in value.values() for s in _strings(item)]
    if isinstance(value, list | tuple | set | frozenset):
        return [s for item in value for s in _strings(item)]
    return []


def _constant_values(module: object, expr: object) -> list[str] | None:
    """What `_(expr)` can be given when `expr` reads a module constant: `TABLE[k]`, `TABLE[k][i]`,
    `TABLE.get(k, default)`, `NAME`. None when it reads anything else."""
    import ast

    if isinstance(expr, ast.Name):
        value = getattr(module, expr.id, None)
        return _strings(value) if isinstance(value, str) else None
    if isinstance(expr, ast.Subscript) and isinstance(expr.value, ast.Name):
        table = getattr(module, expr.value.id, None)
        return _strings(table) if table is not None else None
    if (
        isinstance(expr, ast.Subscript)
        and isinstance(expr.value, ast.Subscript)
        and isinstance(expr.value.value, ast.Name)
        and isinstance(expr.slice, ast.Constant)
    ):
        table = getattr(module, expr.value.value.id, None)
        rows = list(table.values()) if isinstance(table, dict) else list(table or [])
        return [s for row in rows for s in _strings(row[expr.slice.value])]
    if (
        isinstance(expr, ast.Call)
        and isinstance(expr.func, ast.Attribute)
        and expr.func.attr == "get"
        and isinstance(expr.func.value, ast.Name)
    ):
        table = getattr(module, expr.func.value.id, None)
        if not isinstance(table, dict):
            return None
        default = expr.args[1] if len(expr.args) > 1 else None
        extra = (
            [default.args[0].value]
            if isinstance(default, ast.Call) and isinstance(default.args[0], ast.Constant)
            else []
        )
        return _strings(table) + extra
    return None


def _nonliteral_problems(package: Path, have: set[str], read_by_hand: set[tuple[str, str]]) -> list[str]:
    import ast
    import importlib

    problems = []
    for file, line, keyword, args in _tool().keyword_calls(package):
        for arg in args:
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                continue
            where = f"{file}:{line}: {keyword}({ast.unparse(arg)})"
            if isinstance(arg, ast.JoinedStr):
                problems.append(f"{where}: an f-string msgid is never in the catalogue")
                continue
            if (file, ast.unparse(arg)) in read_by_hand:
                continue
            module_name = file.removesuffix(".py").replace("/", ".").removesuffix(".__init__")
            try:
                module = importlib.import_module(module_name)
            except ImportError:
                module = None
            values = _constant_values(module, arg) if module is not None else None
            if values is None:
                problems.append(f"{where}: not a literal nor a module constant (see READ_BY_HAND)")
            elif untranslated := [v for v in values if v not in have]:
                problems.append(f"{where}: untranslated {untranslated}")
    return problems


def _have() -> set[str]:
    return {m.id if isinstance(m.id, str) else m.id[0] for m in _tool().merged_catalog("pl") if m.id}


def test_every_translated_expression_is_known() -> None:
    """`_(f"...")` is never in the catalogue; `_(TABLE[k])` is checked value by value; anything else was
    read by hand (READ_BY_HAND)."""
    assert _nonliteral_problems(ROOT / "ksef_tui", _have(), READ_BY_HAND) == []


def test_msgids_inside_fstrings_and_fstring_msgids_are_seen(tmp_path: Path) -> None:
    """Babel's extractor skips `_()` inside an f-string (the UPO viewer's "Sent" and "Hash" went
    untranslated); the tool does not, and an f-string msgid or an unknown expression fails."""
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "view.py").write_text(
        "from ksef_tui.core.i18n import _\n"
        "def line(doc, name):\n"
        "    a = f\"{_('Sent')}: {doc}\"\n"
        "    b = _(f'Hello {name}')\n"
        "    return a, b, _(name)\n"
    )
    assert "Sent" in _tool().literal_msgids(package)
    problems = _nonliteral_problems(package, {"Sent"}, set())
    assert [p.split(": ", 1)[1] for p in problems] == [
        "_(f'Hello {name}'): an f-string msgid is never in the catalogue",
        "_(name): not a literal nor a module constant (see READ_BY_HAND)",
    ]
    assert _nonliteral_problems(package, {"Sent"}, {("pkg/view.py", "name")})[1:] == []


def test_the_cli_help_texts_and_clicks_own_words_are_translated() -> None:
    """Every command's and option's help (cli/click_words.py), and every message click itself marks for
    translation ("Usage:", "Error: {message}", "Missing option"...), has a Polish translation."""
    import os

    import click
    from babel.messages.extract import extract_from_dir

    have = _have()
    assert sorted(_tool().cli_msgids() - have) == []
    click_ids = {
        message if isinstance(message, str) else message[0]
        for _f, _l, message, _c, _x in extract_from_dir(
            os.path.dirname(click.__file__),
            method_map=[("**.py", "python")],
            keywords={"_": None, "ngettext": (1, 2)},
        )
    }
    assert "Usage:" in click_ids and "Missing option" in click_ids
    assert sorted(click_ids - have) == []

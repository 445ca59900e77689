"""Gettext catalogue tooling: `python scripts/i18n.py compile|check`.

Sources: every `ksef_tui/locale/src/<lang>/*.po` (one file per area). `compile` merges them into
`ksef_tui/locale/<lang>/LC_MESSAGES/ksef_tui.mo`. `check` lists msgids used in code (`_("...")`,
`N_("...")`, `ngettext`, also inside f-strings, and the CLI's help texts) that have no Polish
translation, and exits 1 if any.
"""

from __future__ import annotations

import ast
import io
import sys
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PKG = ROOT / "ksef_tui"
SRC = PKG / "locale" / "src"
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
# A fixed header date: without it babel stamps the current minute into the .mo, so the compiled
# catalogue would differ from a fresh build a minute later (and tests/test_i18n.py would fail).
CREATED = datetime(2026, 1, 1, tzinfo=UTC)


def merged_catalog(lang: str) -> Catalog:
    merged = Catalog(locale=lang, domain="ksef_tui", creation_date=CREATED)
    for po in sorted((SRC / lang).glob("*.po")):
        with po.open("rb") as fh:
            cat = read_po(fh, locale=lang)
        for msg in cat:
            if msg.id and msg.string and not msg.fuzzy:
                merged.add(msg.id, msg.string)
    return merged


def duplicates(lang: str) -> list[str]:
    """msgids that more than one source file translates: each has one home, or the merge silently keeps
    whichever file sorts last (two helpers' "VAT period" once came out as "okres VAT" in a form label)."""
    homes: dict[str, list[str]] = {}
    for po in sorted((SRC / lang).glob("*.po")):
        with po.open("rb") as fh:
            for msg in read_po(fh, locale=lang):
                if msg.id:
                    key = msg.id if isinstance(msg.id, str) else msg.id[0]
                    homes.setdefault(key, []).append(po.name)
    return [f"{key!r}: {', '.join(files)}" for key, files in homes.items() if len(files) > 1]


def mo_bytes(lang: str) -> bytes:
    buf = io.BytesIO()
    write_mo(buf, merged_catalog(lang))
    return buf.getvalue()


def code_msgids() -> set[str]:
    ids: set[str] = set()
    for _fn, _lineno, message, _comments, _ctx in extract_from_dir(
        str(PKG), method_map=[("**.py", "python")], keywords=KEYWORDS
    ):
        if isinstance(message, tuple):
            ids.add(message[0])
        elif message:
            ids.add(message)
    return ids


def keyword_calls(package: Path = PKG) -> list[tuple[str, int, str, list[ast.expr]]]:
    """Every `_()`, `N_()` and `ngettext()` call in the package, wherever it is (inside an f-string too,
    which babel's extractor does not look into): (file, line, keyword, the msgid arguments)."""
    found = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in KEYWORDS:
                spec = KEYWORDS[node.func.id]
                args = node.args[: len(spec)] if spec else node.args[:1]
                found.append((str(path.relative_to(package.parent)), node.lineno, node.func.id, list(args)))
    return found


def literal_msgids(package: Path = PKG) -> set[str]:
    """The msgids of `keyword_calls` written as string literals (the singular of a plural)."""
    ids: set[str] = set()
    for _file, _line, _keyword, args in keyword_calls(package):
        if args and isinstance(args[0], ast.Constant) and isinstance(args[0].value, str):
            ids.add(args[0].value)
    return ids


def cli_msgids() -> set[str]:
    """The CLI's help texts and usage placeholders (ksef_tui/cli/click_words.py)."""
    sys.path.insert(0, str(ROOT))
    from ksef_tui.cli import cli
    from ksef_tui.cli.click_words import help_msgids

    return help_msgids(cli)


def missing(lang: str) -> list[str]:
    have = {m.id if isinstance(m.id, str) else m.id[0] for m in merged_catalog(lang) if m.id}
    return sorted((code_msgids() | literal_msgids() | cli_msgids()) - have)


def main(argv: list[str]) -> int:
    cmd = argv[1] if len(argv) > 1 else "compile"
    if cmd == "compile":
        out = PKG / "locale" / "pl" / "LC_MESSAGES" / "ksef_tui.mo"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(mo_bytes("pl"))
        print(f"wrote {out.relative_to(ROOT)}")
        return 0
    if cmd == "check":
        gaps = missing("pl")
        for m in gaps:
            print(f"untranslated: {m!r}")
        return 1 if gaps else 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))

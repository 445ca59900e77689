"""Every message of ksef_tui/core/fa has a Polish translation in fa.po, and only there."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from tests.fa.conftest import FA_PO

FA_DIR = FA_PO.parents[3] / "core" / "fa"


def _code_ids() -> set[str]:
    return {
        msg
        for _f, _l, msg, _c, _x in extract_from_dir(
            str(FA_DIR), method_map=[("**.py", "python")], keywords={"_": None, "N_": None}
        )
    }


def test_fa_po_is_complete_and_has_no_leftovers() -> None:
    with FA_PO.open("rb") as fh:
        catalog = read_po(fh, locale="pl")
    translated = {m.id: m.string for m in catalog if m.id}
    assert _code_ids() - set(translated) == set()
    assert set(translated) - _code_ids() == set()
    assert all(translated.values())


def test_placeholders_survive_translation() -> None:
    import re

    with FA_PO.open("rb") as fh:
        catalog = read_po(fh, locale="pl")
    for m in catalog:
        if m.id:
            assert sorted(re.findall(r"\{\w+\}", m.id)) == sorted(re.findall(r"\{\w+\}", m.string)), m.id


def test_no_msgid_is_defined_twice() -> None:
    ours = {m.id for m in read_po(FA_PO.open("rb"), locale="pl") if m.id}
    for po in Path(FA_PO.parent).glob("*.po"):
        if po != FA_PO:
            with po.open("rb") as fh:
                assert not ours & {m.id for m in read_po(fh, locale="pl") if m.id}, po.name

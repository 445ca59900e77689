"""Fixtures for the FA tests."""

from __future__ import annotations

import gettext
import io
from collections.abc import Iterator

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from ksef_tui.core import i18n

FA_PO = i18n.LOCALE_DIR / "src" / "pl" / "fa.po"
# The encoding and DTD messages come from the shared hardened XML reader (core/xml_safety.py).
XML_PO = FA_PO.with_name("xml_text.po")


@pytest.fixture
def polish(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Translate with fa.po and xml_text.po themselves (compiled in memory), whatever the shared .mo is."""
    with FA_PO.open("rb") as fh:
        catalog = read_po(fh, locale="pl")
    with XML_PO.open("rb") as fh:
        for message in read_po(fh, locale="pl"):
            if message.id:
                catalog.add(message.id, message.string)
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    monkeypatch.setattr(i18n, "_translations", gettext.GNUTranslations(buf))
    yield

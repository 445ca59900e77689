"""Fixtures for the sealed-store tests. Every store here uses KdfLimits.FAST_FOR_TESTS, explicitly."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from store_helpers import FIXED_NOW, PASSPHRASE

from ksef_tui.core.clock import fixed_clock
from ksef_tui.store import KdfLimits, Store


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "ksef-home"


@pytest.fixture
def store(home: Path) -> Iterator[Store]:
    s = Store.create(home, PASSPHRASE, kdf=KdfLimits.FAST_FOR_TESTS, clock=fixed_clock(FIXED_NOW))
    yield s
    s.close()


@pytest.fixture
def polish_from_source(monkeypatch: pytest.MonkeyPatch) -> None:
    """Polish messages straight from store.po (the compiled .mo is the lead's to build), so tests
    see exactly what an accountant would read."""
    import gettext
    import io

    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    import ksef_tui.core.i18n

    po = ksef_tui.core.i18n.LOCALE_DIR / "src" / "pl" / "store.po"
    with po.open("rb") as fh:
        catalog = read_po(fh, locale="pl")
    buf = io.BytesIO()
    write_mo(buf, catalog)
    buf.seek(0)
    monkeypatch.setattr(ksef_tui.core.i18n, "_translations", gettext.GNUTranslations(buf))

"""Snapshots of the invoice screen: every tab of a correction (KOR) and of a EUR invoice, at 80×24 and
120×36, plus the XML search (files under snapshots/test_invoice_snapshots/)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ksef_tui.core.fa.report import inspect_file
from ksef_tui.screens.invoice import TABS, InvoiceScreen
from ksef_tui.ui.app import KsefApp
from ksef_tui.ui.config import AppConfig

from .helpers import NOW, settle

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples" / "fa3"
INVOICES = {
    "kor": SAMPLES / "ksef2-test-suite" / "KSEF_02_KOR.xml",
    "eur": SAMPLES / "mf-official" / "FA_3_Przykład_21.xml",
}


def _app(home: Path, path: Path) -> KsefApp:
    # A fixed "today" for the date checks and the bytes given up front: nothing depends on the clock.
    report = inspect_file(path, today=NOW.date())
    xml = path.read_bytes()
    return KsefApp(AppConfig(home=home), initial_screen=lambda: InvoiceScreen(report, xml))


@pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
@pytest.mark.parametrize("tab", [t for t, _label in TABS])
@pytest.mark.parametrize("invoice", sorted(INVOICES))
def test_invoice_tab(snap_compare, tmp_path: Path, invoice: str, tab: str, size: tuple[int, int]) -> None:
    key = str([t for t, _label in TABS].index(tab) + 1)

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        pilot.app.animation_level = "none"  # the tab underline must not be caught mid-slide
        await settle(pilot)
        await pilot.press(key)
        await settle(pilot)

    assert snap_compare(_app(tmp_path, INVOICES[invoice]), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
def test_invoice_xml_search(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        pilot.app.animation_level = "none"
        await settle(pilot)
        await pilot.press("slash", *"nip", "enter", "enter")
        await settle(pilot)

    assert snap_compare(_app(tmp_path, INVOICES["eur"]), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (120, 36)], ids=["80x24", "120x36"])
def test_advance_invoice_order_tab(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    """An advance invoice (ZAL): the lines tab is named for the order and says whose lines they are."""

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        pilot.app.animation_level = "none"
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)

    zal = SAMPLES / "ksef2-test-suite" / "KSEF_03_ZAL.xml"
    assert snap_compare(_app(tmp_path, zal), terminal_size=size, run_before=run_before)

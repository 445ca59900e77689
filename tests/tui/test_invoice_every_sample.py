"""Issue 5, done when: every sample reads right in the TUI. Each sample opens in one running app, every
tab is shown, and the header names the invoice's number and gross amount as the XML has them."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from ksef_tui.core.fa.report import inspect_file
from ksef_tui.core.money_format import format_amount
from ksef_tui.screens.invoice import InvoiceScreen
from ksef_tui.ui.app import KsefApp
from ksef_tui.ui.config import AppConfig

from .helpers import screen_text, settle

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples" / "fa3"
TODAY = date(2026, 11, 21)


def _samples() -> list[Path]:
    # The client templates carry #placeholders# that are not invoices until substituted.
    return sorted(p for p in SAMPLES.rglob("*.xml") if "client-templates" not in p.parts)


def _xml_value(path: Path, tag: str) -> str:
    match = re.search(rf"<(?:\w+:)?{tag}>([^<]+)</(?:\w+:)?{tag}>", path.read_text(encoding="utf-8"))
    assert match, (path.name, tag)
    return match.group(1).strip()


async def test_every_sample_opens_and_every_tab_shows(tmp_path: Path) -> None:
    samples = _samples()
    assert len(samples) >= 30
    app = KsefApp(AppConfig(home=tmp_path), initial_screen=lambda: InvoiceScreen(inspect_file(samples[0])))
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        for path in samples:
            report = inspect_file(path, today=TODAY)
            assert report.invoice is not None, path.name
            app.push_screen(InvoiceScreen(report))
            await settle(pilot)
            screen = app.screen
            assert isinstance(screen, InvoiceScreen), path.name
            head = screen_text(app).splitlines()[0]
            assert _xml_value(path, "P_2") in head, (path.name, head)
            gross = format_amount(report.invoice.gross, report.invoice.currency)
            assert gross.split()[0] in head, (path.name, gross, head)
            for key in "1234567":
                await pilot.press(key)
                await pilot.pause()
                assert app.screen is screen, (path.name, key)
            await settle(pilot)  # the XML tab loads its text in a worker
            await pilot.press("escape")
            await settle(pilot)

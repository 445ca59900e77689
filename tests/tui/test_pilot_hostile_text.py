"""Terminal control and bidi characters from client names, invoices and UPOs never reach the screen
raw (issue 17 item 8): the board, the client screen, the palette, toasts, every inspector tab (lines,
line detail and XML included) and the UPO viewer show U+FFFD instead."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console
from textual.widgets import Static

from ksef_tui.core.display_text import PLACEHOLDER
from ksef_tui.core.fa.report import inspect_file
from ksef_tui.core.models import Client, Credential, CredentialKind
from ksef_tui.core.upo import parse_upo
from ksef_tui.screens.client_detail import ClientDetailScreen
from ksef_tui.screens.invoice import TABS, InvoiceScreen
from ksef_tui.screens.upo_viewer import UpoViewerScreen
from ksef_tui.ui.app import KsefApp
from ksef_tui.ui.config import AppConfig
from ksef_tui.widgets.invoice_lines import InvoiceLinesTable
from ksef_tui.widgets.invoice_xml import XmlView
from tests.test_display_text import HOSTILE_NAME, RAW, _clean, _hostile_invoice

from .helpers import NOW, make_store, screen_text, services, settle, wait_for_text

UPO = Path(__file__).resolve().parents[1] / "data" / "samples" / "upo"
TALL = (110, 60)


def _static_text(widget: Static, width: int = 200) -> str:
    """A Static's whole content, also what is scrolled out of view."""
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(widget.content)
    return console.export_text()


def _check(text: str) -> None:
    _clean(text)
    assert PLACEHOLDER in text  # the hostile value was shown, as a visible placeholder


async def test_board_client_screen_palette_and_toasts(tmp_path: Path) -> None:
    store = make_store(tmp_path, roster=False)
    client = store.clients.add(Client(HOSTILE_NAME, "ZLY_218", ["1234563218"], notes="uwaga\x1b]0;tytuł\x07"))
    store.credentials.add(
        Credential(client.id, CredentialKind.KSEF_CERTIFICATE, valid_until=NOW, label="\u202eetikiet\x9b")
    )
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=TALL) as pilot:
        await settle(pilot)
        board = screen_text(app)
        _check(board)
        assert "Firma " + PLACEHOLDER + "[31mCZERWONA" in board  # name row and the detail lines below

        app.screen.select_client(client.id)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientDetailScreen)
        detail = screen_text(app)
        _check(detail)
        assert "uwaga" + PLACEHOLDER + "]0;tytuł" in detail  # (Rich itself drops a BEL from a Text)
        await pilot.press("escape")
        await settle(pilot)

        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*"CZERWONA")
        assert await wait_for_text(pilot, "CZERWONA")
        _check(screen_text(app))
        await pilot.press("escape")
        await settle(pilot)

        app.notify("KSeF: \x1b[2J\u202eodmowa\x07", title="\x9b31m")  # as screens report KSeF's errors
        await pilot.pause()
        (toast,) = app._notifications  # what the toast shows
        _check(toast.message + toast.title)
        assert "odmowa" in toast.message


async def test_every_inspector_tab(tmp_path: Path) -> None:
    path = _hostile_invoice(tmp_path)
    report = inspect_file(path)
    assert report.invoice is not None
    app = KsefApp(AppConfig(home=tmp_path), initial_screen=lambda: InvoiceScreen(report))
    async with app.run_test(size=TALL) as pilot:
        await settle(pilot)
        _check(screen_text(app))  # the header: number, seller name
        for key, (tab_id, _title) in enumerate(TABS, 1):
            await pilot.press(str(key))
            await settle(pilot)
            _clean(screen_text(app))
            if tab_id in ("summary", "parties"):
                _check(_static_text(app.screen.query_one(f"#inv-{tab_id}", Static)))
        lines = app.screen.query_one(InvoiceLinesTable)
        cells = "\n".join(cell.plain for i in range(lines.row_count) for cell in lines.get_row_at(i))
        _check(cells)
        _check(_static_text(app.screen.query_one("#inv-line-detail", Static)))
        xml = app.screen.query_one(XmlView)
        assert "<Faktura" in xml.text
        _check(xml.text)


async def test_upo_viewer(tmp_path: Path) -> None:
    data = (UPO / "ksef-docs__kontekst-nip__upo-sesja-kontekst-id-nip.xml").read_text(encoding="utf-8")
    data = data.replace("<NumerFaktury>FA/", "<NumerFaktury>\u202eFA/\x9b").replace(
        "Ministerstwo Finansów", "Ministerstwo\x85 \u2066Finansów"
    )
    receipt = parse_upo(data.encode("utf-8"))
    assert any(c in receipt.issuer for c in RAW)
    app = KsefApp(AppConfig(home=tmp_path), initial_screen=lambda: UpoViewerScreen([receipt]))
    async with app.run_test(size=TALL) as pilot:
        await settle(pilot)
        _check(screen_text(app))
        _check(_static_text(app.screen.query_one("#detail", Static)))

"""Pilot tests of the invoice screen: every tab with real content, XML search, bad files, literal names,
and the palette opening an invoice from the store by its KSeF number."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console
from textual.app import App, ComposeResult
from textual.widgets import Input, Static, TextArea

from ksef_tui.core.fa.generate import generate_invoice
from ksef_tui.core.fa.report import InspectReport, inspect_bytes, inspect_file
from ksef_tui.core.ksef_number import make_ksef_number
from ksef_tui.screens.clients import ClientsScreen
from ksef_tui.screens.help import HelpScreen
from ksef_tui.screens.invoice import InvoiceScreen
from ksef_tui.ui.app import KsefApp
from ksef_tui.ui.config import AppConfig
from ksef_tui.widgets.invoice_lines import InvoiceLinesTable
from ksef_tui.widgets.invoice_xml import XmlView, decode_xml

from .helpers import NOW, make_store, screen_text, services, settle, wait_for_text

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples" / "fa3"
KOR = SAMPLES / "ksef2-test-suite" / "KSEF_02_KOR.xml"
EUR = SAMPLES / "mf-official" / "FA_3_Przykład_21.xml"
TODAY = NOW.date()  # checks that look at "today" see a fixed day


def _app(tmp_path: Path, report: InspectReport, xml: bytes | None = None) -> KsefApp:
    return KsefApp(AppConfig(home=tmp_path), initial_screen=lambda: InvoiceScreen(report, xml))


def _static_text(widget: Static, width: int = 200) -> str:
    """A pane's whole content as plain text (also the part scrolled out of view)."""
    console = Console(width=width, record=True, file=io.StringIO())
    console.print(widget.content)
    return console.export_text()


def _pane(app: KsefApp, tab_id: str) -> str:
    return _static_text(app.screen.query_one(f"#inv-{tab_id}", Static))


def _table_text(table: InvoiceLinesTable) -> str:
    rows = [" | ".join(cell.plain for cell in table.get_row_at(i)) for i in range(table.row_count)]
    return "\n".join(rows)


async def test_correction_invoice_every_tab(tmp_path: Path) -> None:
    report = inspect_file(KOR, today=TODAY)
    app = _app(tmp_path, report)  # no bytes given: the XML is read from report.source
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, InvoiceScreen)
        head = screen_text(app)
        assert "✔ FK/2025/12/0001  -500,00 PLN  2025-12-20  Faktura korygująca" in head
        assert "-500,00 PLN" in head
        assert "TECH-SOLUTIONS sp. z o.o. → ABC HANDEL sp. z o.o." in head
        assert "błędy: 0" in head and "ostrzeżenia: 0" in head

        summary = _pane(app, "summary")
        assert "9999999999-20251215-A1B2C3-D4E5F6-AB" in summary  # the corrected invoice's KSeF number
        assert "FV/2025/12/0001" in summary
        assert "Rabat udzielony po dostawie" in summary
        assert "skutkująca w innej dacie" in summary  # TypKorekty 3 in words
        assert "Metoda kasowa" in summary and "Odwrotne obciążenie" in summary
        assert "KRS" in summary and "0000123456" in summary  # the footer's registries
        assert "9999999999-20251215-A1B2C3-D4E5F6-AB" in screen_text(app)  # visible without scrolling

        await pilot.press("2")
        await settle(pilot)
        table = screen.query_one(InvoiceLinesTable)
        assert table.has_focus
        lines = _table_text(table)
        assert "Laptop Dell XPS 15" in lines
        assert "przed" in lines and "po" in lines  # StanPrzed rows are marked
        assert "2 032,52" in lines and "3 658,54" in lines

        await pilot.press("3")
        await settle(pilot)
        vat = _pane(app, "vat")
        assert "23% lub 22%" in vat and "-406,50" in vat and "-93,50" in vat
        assert "-500,00 PLN" in vat

        await pilot.press("4")
        await settle(pilot)
        assert "nie zawiera informacji o płatności" in _pane(app, "payment")

        await pilot.press("5")
        await settle(pilot)
        parties = _pane(app, "parties")
        assert "NIP 999-999-99-99" in parties and "NIP 111-111-11-11" in parties
        assert "ul. Poznanska 50, 60-001 Poznan, PL" in parties
        assert "Sprzedawca" in parties and "Nabywca" in parties

        await pilot.press("6")
        await settle(pilot)
        checks = _pane(app, "checks")
        assert "Zgodna z oficjalnym schematem XSD" in checks
        assert "Nie znaleziono problemów" in checks

        await pilot.press("7")
        await settle(pilot)
        view = screen.query_one(XmlView)
        assert "<P_2>FK/2025/12/0001</P_2>" in view.text
        assert "<?xml" in screen_text(app)


async def test_xml_search_counts_and_moves(tmp_path: Path) -> None:
    report = inspect_file(KOR, today=TODAY)
    app = _app(tmp_path, report, KOR.read_bytes())
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash")  # from the Summary tab: jumps to XML and opens the search
        await settle(pilot)
        view = app.screen.query_one(XmlView)
        assert app.screen.query_one("#xml-query", Input).has_focus
        await pilot.press(*"nip")  # case-insensitive: <NIP> twice, </NIP> twice
        await settle(pilot)
        assert len(view.matches) == 4
        assert view.counter == "1/4"
        assert "1/4" in screen_text(app)
        await pilot.press("enter")
        assert view.counter == "2/4"
        await pilot.press("escape")  # leaves the field, keeps the matches for n/N
        await settle(pilot)
        assert view.search_open
        await pilot.press("n")
        assert view.counter == "3/4"
        line, _col = view.position(view.matches[view.current], 1)
        assert line == 27  # <NIP>1111111111</NIP> of the buyer
        await pilot.press("n", "n")
        assert view.counter == "1/4"  # wraps around
        await pilot.press("N")
        assert view.counter == "4/4"
        await settle(pilot)
        assert "4/4" in screen_text(app)
        await pilot.press("escape")  # closes the search
        await settle(pilot)
        assert not view.search_open
        await pilot.press("slash", *"zzz-not-there")
        await settle(pilot)
        assert view.matches == [] and view.counter == "brak"
        await pilot.press("escape", "escape", "escape")  # field, search, then the screen
        await settle(pilot)
        assert not isinstance(app.screen, InvoiceScreen)


async def test_euro_invoice(tmp_path: Path) -> None:
    xml = EUR.read_bytes()
    report = inspect_bytes(xml, source=str(EUR), today=TODAY)
    app = _app(tmp_path, report, xml)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        head = screen_text(app)
        assert "FV2026/02/150  16 678,80 EUR  2026-02-15  Faktura podstawowa" in head
        assert "16 678,80 EUR" in head
        summary = _pane(app, "summary")
        assert "EUR" in summary and "Warszawa" in summary and "CIP" in summary
        await pilot.press("2")
        await settle(pilot)
        lines = _table_text(app.screen.query_one(InvoiceLinesTable))
        assert "zamrażarka Zimnotech mk2" in lines and "5 000,00" in lines
        assert "przed" not in lines  # no State column outside corrections
        assert "4,4080" in lines  # each line's own exchange rate
        detail = app.screen.query_one("#inv-line-detail", Static)
        assert "lodówka Zimnotech mk1" in _static_text(detail) and "CN 8418 21 91" in _static_text(detail)
        await pilot.press("down")
        await settle(pilot)
        assert "zamrażarka Zimnotech mk2" in _static_text(detail)
        await pilot.press("3")
        await settle(pilot)
        vat = _pane(app, "vat")
        assert "VAT w PLN" in vat and "13 768,14" in vat  # P_14_1W
        assert "13 560,00" in vat and "3 118,80" in vat and "16 678,80 EUR" in vat
        await pilot.press("4")
        await settle(pilot)
        payment = _pane(app, "payment")
        assert "2026-03-15" in payment
        assert "przelew" in payment  # FormaPlatnosci 6 in words
        assert "73 1111 1111 1111 1111 1111 1111" in payment
        assert "Bank Bankowości Bankowej S. A." in payment and "rachunek faktora" in payment
        await pilot.press("7")
        await settle(pilot)
        assert "<KodWaluty>EUR</KodWaluty>" in app.screen.query_one(XmlView).text


async def test_unreadable_file_shows_why(tmp_path: Path) -> None:
    bad = tmp_path / "faktura.xml"
    bad.write_bytes(b"%PDF-1.7 this is not XML at all")
    report = inspect_file(bad, today=TODAY)
    assert report.invoice is None
    app = _app(tmp_path, report)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, InvoiceScreen)
        text = screen_text(app)
        assert "Nie można odczytać faktury" in text
        assert "Tego pliku nie da się odczytać jako faktury FA(2) ani FA(3)." in text
        assert report.problems[0].code in text
        await pilot.press("1", "7", "slash", "n", "N")  # nothing to switch to; nothing breaks
        await settle(pilot)
        assert isinstance(app.screen, InvoiceScreen)
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, InvoiceScreen)


async def test_markup_like_names_render_literally(tmp_path: Path) -> None:
    seller = 'Biuro [/x] "Ś"'
    buyer = "[bold red]Kupiec[/] & <Syn>"
    xml = generate_invoice("5260250995", seller, "1234563218", buyer, "F/[1]/2026", "2026-02-01", lines=2)
    report = inspect_bytes(xml, source="generated", today=TODAY)
    assert report.invoice is not None and report.invoice.seller is not None
    assert report.invoice.seller.name == seller
    app = _app(tmp_path, report, xml)
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        head = screen_text(app)
        assert f"{seller} → {buyer}" in head
        assert "F/[1]/2026" in head
        await pilot.press("5")
        await settle(pilot)
        parties = screen_text(app)
        assert seller in parties and buyer in parties


async def test_help_lists_the_invoice_keys(tmp_path: Path) -> None:
    app = _app(tmp_path, inspect_file(KOR, today=TODAY))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(app)
        assert "Szukaj w XML" in text and "1-7" in text and "Pokaż surowy XML" in text


class _XmlHost(App[None]):
    def compose(self) -> ComposeResult:
        yield XmlView(use_text_area=True, id="x")


async def test_text_area_search_selects_the_match() -> None:
    # The TextArea path (taken when tree-sitter's XML grammar is installed) searches the same way.
    app = _XmlHost()
    async with app.run_test(size=(80, 24)) as pilot:
        view = app.query_one(XmlView)
        view.show(KOR.read_bytes().decode().expandtabs(4))
        view.open_search()
        await pilot.press(*"KodKraju")
        await pilot.pause()
        assert view.counter == "1/4"
        area = app.query_one(TextArea)
        assert area.read_only
        assert area.selected_text == "KodKraju"
        await pilot.press("enter", "enter")  # <KodKraju> and </KodKraju> of the seller, then the buyer's
        assert view.counter == "3/4"
        assert area.selection.start[0] + 1 == 31


async def test_palette_opens_invoice_by_ksef_number(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    client = store.clients.list()[3]
    assert client.id is not None
    xml = generate_invoice(client.nips[0], client.name, "1234563218", "Kupiec", "FV/7/2026", "2026-02-01")
    ksef_number = make_ksef_number(client.nips[0], "20260201", "0A1B2C3D4E5F")
    store.documents.put(client.id, "invoice", ksef_number, xml)
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*ksef_number.lower())  # typed in lower case: normalised before the look-up
        # The palette searches every client's documents in a thread: wait for the hit, not a fixed time.
        assert await wait_for_text(pilot, ksef_number)
        await settle(pilot)
        assert "FV/7/2026" not in screen_text(app)
        assert ksef_number in screen_text(app)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, InvoiceScreen)
        assert screen.report.source == ksef_number
        assert "FV/7/2026" in screen_text(app)
        await pilot.press("7")
        await settle(pilot)
        assert screen.query_one(XmlView).text.startswith("<?xml")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)


async def test_palette_says_when_the_invoice_is_not_stored(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    missing = make_ksef_number("5260250995", "20260201", "FFFFFFFFFFFF")
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*missing)
        assert await wait_for_text(pilot, "Brak faktury")


async def test_one_line_xml_is_shown_indented_and_its_bytes_kept(tmp_path: Path) -> None:
    xml = generate_invoice(
        "5260250995", "Sprzedawca", "1234563218", "Kupiec", "FV/8/2026", "2026-02-01", lines=2
    )
    assert xml.count(b"\n") <= 2  # generated on (nearly) one line
    report = inspect_bytes(xml, source="generated", today=TODAY)
    app = _app(tmp_path, report, xml)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("7")
        await settle(pilot)
        view = app.screen.query_one(XmlView)
        lines = view.text.splitlines()
        assert len(lines) > 40 and max(map(len, lines)) < 120
        assert lines[0] == '<?xml version="1.0" encoding="UTF-8"?>'
        assert "      <NIP>5260250995</NIP>" in lines
        assert app.screen._xml == xml  # the invoice's bytes are not the view's
    # A file already laid out in lines is shown exactly as written (line numbers match the checks).
    assert decode_xml(KOR.read_bytes()) == KOR.read_bytes().decode("utf-8-sig").expandtabs(4)


async def test_advance_invoice_lines_are_labelled_as_the_order(tmp_path: Path) -> None:
    report = inspect_file(SAMPLES / "ksef2-test-suite" / "KSEF_03_ZAL.xml", today=TODAY)
    assert report.invoice is not None and not report.invoice.lines and report.invoice.order is not None
    app = _app(tmp_path, report)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        text = screen_text(app)
        assert "Zamówienie" in text.splitlines()[2]  # the tab's own name
        assert "Pozycje" not in text
        caption = str(app.screen.query_one("#inv-order-caption", Static).render())
        assert caption.startswith("Zamówienie, na poczet którego wystawiono tę fakturę zaliczkową")
        assert app.screen.query_one("#inv-lines", InvoiceLinesTable).row_count == len(
            report.invoice.order.lines
        )

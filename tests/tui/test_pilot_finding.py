"""Issue 16 item 5, as a user types it: the board filter and the command palette fold Polish diacritics,
take a NIP with `PL`, filter by colour and credential kind, and find an invoice by its own number."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ksef_tui.core.fa.generate import generate_invoice
from ksef_tui.core.health import Level
from ksef_tui.core.ksef_number import make_ksef_number
from ksef_tui.core.models import CredentialKind
from ksef_tui.screens.clients import ClientsScreen
from ksef_tui.screens.invoice import InvoiceScreen
from ksef_tui.store.repositories.purchases import invoice_hash
from ksef_tui.ui.app import KsefApp
from ksef_tui.widgets.client_table import ClientTable

from .helpers import make_store, screen_text, services, settle, wait_for_text
from .purchases_helpers import purchase_record

WROBEL = "Ogrodnictwo Wróbel Sp. z o.o."


async def _filter(pilot, text: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Open the filter, replace what it holds with `text` (typed key by key), and return the names shown."""
    app = pilot.app
    await pilot.press("slash")
    field = app.screen.query_one("#filter")
    field.value = ""
    await pilot.press(*list(text))
    await settle(pilot)
    await pilot.press("enter")  # back to the table, the filter stays
    await settle(pilot)
    return [e.client.name for e in app.screen.shown]


async def test_board_filter_folds_diacritics_nips_colours_and_kinds(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ClientsScreen)
        entries = list(screen.entries)

        assert await _filter(pilot, "wrobel") == [WROBEL]
        assert screen.query_one(ClientTable).row_count == 1
        assert "Wróbel" in screen_text(app)
        assert await _filter(pilot, "PL7639017757") == [WROBEL]
        assert await _filter(pilot, "PL 763-901-77-57") == [WROBEL]
        assert set(await _filter(pilot, "plock")) == {
            "Piekarnia Wiśniewski Sp. j. (Płock)",
            "Pracownia Król S.A. (Płock)",
        }

        red = [e.client.name for e in entries if e.level is Level.RED]
        assert red and await _filter(pilot, "czerwoni") == red
        green = [e.client.name for e in entries if e.level is Level.GREEN]
        assert green and await _filter(pilot, "zieloni") == green

        token_only = [e.client.name for e in entries if e.kinds == {CredentialKind.KSEF_TOKEN}]
        assert token_only and len(token_only) < len(entries)
        assert await _filter(pilot, "tylko token") == token_only
        assert "tylko token" in screen_text(app)  # the title says what the board is filtered by


async def test_palette_finds_a_client_without_diacritics_and_by_pl_nip(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    target = next(c for c in store.clients.list() if c.name == WROBEL)
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        for typed in ("wrobel", "PL7639017757"):
            await pilot.press("ctrl+p")
            await settle(pilot)
            await pilot.press(*list(typed))
            assert await wait_for_text(pilot, WROBEL)
            await settle(pilot)
            await pilot.press("escape")
            await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*list("wrobel"))
        assert await wait_for_text(pilot, WROBEL)
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        assert app.screen.query_one(ClientTable).selected_client_id() == target.id


async def test_palette_finds_a_command_without_diacritics(tmp_path: Path) -> None:
    store = make_store(tmp_path, roster=False)
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*list("zakoncz wspolprace"))
        assert await wait_for_text(pilot, "Zakończ współpracę z wybranym klientem")


async def test_palette_opens_an_invoice_by_its_own_number(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    client = store.clients.list()[3]
    assert client.id is not None
    xml = generate_invoice(
        "7639017757", "Hurtownia Łódź", client.nips[0], client.name, "FV/77/2026", "2026-11-02"
    )
    ksef_number = make_ksef_number("7639017757", "20261102", "0A1B2C3D4E5F")
    record = replace(
        purchase_record(client.id, 0),
        ksef_number=ksef_number,
        seller_nip="7639017757",
        seller_name="Hurtownia Łódź",
        invoice_number="FV/77/2026",
        invoice_hash=invoice_hash(xml),
    )
    store.purchases.commit_package(client.id, [(record, xml)], None)
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        await pilot.press(*list("fv/77/2026"))  # its own number, in lower case: not the KSeF number
        assert await wait_for_text(pilot, "Faktura FV/77/2026 od Hurtownia Łódź")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, InvoiceScreen)
        assert screen.report.source == ksef_number
        assert "FV/77/2026" in screen_text(app)

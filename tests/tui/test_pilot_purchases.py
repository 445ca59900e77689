"""Purchase invoices in the TUI (issue 12 item 7): the board's p/P/x, the client screen's section and
keys, the purchase list (open, filter, Enter → inspector, n → provisional rows, p).

The sync use cases are faked (tests/tui/purchases_helpers.py); the store, the screens and the workers
are real.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from ksef_tui.core.fa.generate import generate_invoice
from ksef_tui.core.purchases import PurchaseStatus
from ksef_tui.screens.client_detail import ClientDetailScreen
from ksef_tui.screens.clients import ClientsScreen
from ksef_tui.screens.invoice import InvoiceScreen
from ksef_tui.screens.purchases import PurchasesScreen
from ksef_tui.sync import purchase_views
from ksef_tui.sync.purchases import ClientSyncResult
from ksef_tui.ui.app import KsefApp
from ksef_tui.widgets.client_table import ClientTable
from ksef_tui.widgets.purchase_table import PurchaseTable

from .helpers import NOW, make_store, screen_text, services, settle, until
from .purchases_helpers import FakePurchases, provisional_records, purchase_records, synced_summary

TALL = (100, 80)  # the whole client screen at once


def _progress(screen) -> str:  # type: ignore[no-untyped-def]
    return str(screen.query_one("#progress").render())


def _app(tmp_path: Path, fake: FakePurchases, monkeypatch: pytest.MonkeyPatch, *, ksef: bool = True):  # type: ignore[no-untyped-def]
    store = make_store(tmp_path)
    fake.install(monkeypatch)
    # The fakes never use the factory; the screens only need to know KSeF is configured.
    app = KsefApp(services(tmp_path, store, ksef_factory=object() if ksef else None))
    return app, store


def _selected_client(app: KsefApp):  # type: ignore[no-untyped-def]
    entry = app.screen.query_one(ClientTable).selected_entry()
    assert entry is not None
    return entry.client


# --- the board ----------------------------------------------------------------------------------


async def test_board_p_fetches_the_selected_client_with_progress_then_the_result(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakePurchases(hold=asyncio.Event())
    app, _store = _app(tmp_path, fake, monkeypatch)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ClientsScreen)
        client = _selected_client(app)
        await pilot.press("p")
        await until(pilot, lambda: "1/1 klientów, 3 faktur" in _progress(screen), "the progress line")
        assert _progress(screen) == "Pobieranie faktur zakupu: 1/1 klientów, 3 faktur (x przerywa)"
        (call,) = fake.sync_calls
        assert (call["asked"], call["force"], call["since"], call["now"]) == ([client.id], False, None, NOW)
        assert fake.hold is not None
        fake.hold.set()
        await settle(pilot)
        assert _progress(screen) == "Pobrano faktury zakupu: 1/1 klientów, nowych: 3."


async def test_board_P_fetches_every_client_and_names_the_failures(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakePurchases()
    app, store = _app(tmp_path, fake, monkeypatch)
    clients = store.clients.list()
    bad = clients[2]
    fake.results[bad.id] = ClientSyncResult(
        bad.id, bad.short_code, bad.nip, False, error="KSeF odmówił logowania (21301: brak uprawnień)"
    )
    async with app.run_test(size=(120, 36)) as pilot:
        await settle(pilot)
        screen = app.screen
        await pilot.press("P")
        await settle(pilot)
        assert fake.sync_calls[0]["asked"] is None  # every client with a usable credential
        line = _progress(screen)
        total = len(clients)
        assert line.startswith(
            f"Pobrano faktury zakupu: {total - 1}/{total} klientów, nowych: {3 * (total - 1)}."
        )
        assert f"Nieudane: 1 — {bad.short_code}: KSeF odmówił logowania (21301: brak uprawnień)" in line
        # The failures are listed in a notification too, one line per client.
        (toast,) = app._notifications
        assert toast.title == "Faktury zakupu: nieudanych klientów: 1"
        assert toast.message == f"{bad.short_code}: KSeF odmówił logowania (21301: brak uprawnień)"


async def test_board_x_stops_the_fetch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakePurchases(hold=asyncio.Event())  # never set: the fetch runs until stopped
    app, _store = _app(tmp_path, fake, monkeypatch)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, ClientsScreen)
        await pilot.press("P")
        await until(pilot, lambda: "(x przerywa)" in _progress(screen) and fake.started, "the fetch to start")
        await pilot.press("x")
        await until(pilot, lambda: fake.cancelled, "the use case to be cancelled")
        assert screen._purchase_worker is not None and screen._purchase_worker.is_cancelled
        assert _progress(screen) == "Pobieranie faktur zakupu przerwane."


async def test_board_without_ksef_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakePurchases()
    app, _store = _app(tmp_path, fake, monkeypatch, ksef=False)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("p")
        await settle(pilot)
        assert fake.sync_calls == []
        assert [n.message for n in app._notifications] == ["KSeF nie jest skonfigurowany dla tego magazynu."]


# --- the client screen --------------------------------------------------------------------------


async def _open_client(pilot, client_id: int) -> ClientDetailScreen:  # type: ignore[no-untyped-def]
    await settle(pilot)
    pilot.app.screen.select_client(client_id)
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, ClientDetailScreen)
    return screen


async def test_client_screen_shows_where_the_purchase_sync_stands(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakePurchases()
    app, store = _app(tmp_path, fake, monkeypatch)
    client = store.clients.list()[0]
    fake.summary[client.id] = synced_summary(
        client.id, last_error="KSeF nie odpowiedział na czas", pending_export=True, parked=1
    )
    async with app.run_test(size=TALL) as pilot:
        await _open_client(pilot, client.id)
        text = screen_text(app)
        assert "Faktury zakupu" in text
        # The cursor in Polish time: 07:50 UTC on 21 November is 08:50 in Warsaw.
        assert "Pobrane do" in text and "2026-11-21 08:50" in text
        assert "Ostatni sukces      godzina temu (2026-11-21 09:30)" in text
        assert "KSeF nie odpowiedział na czas" in text
        assert "tak (zostanie wznowiony przy następnym pobraniu) · zawieszonych w KSeF: 1" in text
        assert "Faktur w magazynie  58  z uwagami: 3" in text
        assert "Wstępne             2" in text


async def test_client_screen_never_synced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakePurchases()
    app, store = _app(tmp_path, fake, monkeypatch)
    client = store.clients.list()[0]
    async with app.run_test(size=TALL) as pilot:
        await _open_client(pilot, client.id)
        text = screen_text(app)
        assert "jeszcze nie pobierano: naciśnij p" in text
        assert "Eksport w toku      nie" in text


async def test_client_screen_section_says_when_it_cannot_be_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakePurchases()
    app, store = _app(tmp_path, fake, monkeypatch)

    def broken(_store, _client_id):  # type: ignore[no-untyped-def]
        raise RuntimeError("baza zajęta")

    monkeypatch.setattr(purchase_views, "purchase_summary", broken)
    client = store.clients.list()[0]
    async with app.run_test(size=TALL) as pilot:
        await _open_client(pilot, client.id)
        text = screen_text(app)
        assert "Nie udało się odczytać faktur zakupu: baza zajęta" in text
        assert "Poświadczenia" in text  # the rest of the screen is there


async def test_client_screen_p_fetches_this_client_and_reloads_the_section(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakePurchases()
    app, store = _app(tmp_path, fake, monkeypatch)
    client = store.clients.list()[1]
    async with app.run_test(size=TALL) as pilot:
        screen = await _open_client(pilot, client.id)
        assert "jeszcze nie pobierano" in screen_text(app)
        fake.summary[client.id] = synced_summary(client.id)  # what the store holds after the fetch
        await pilot.press("p")
        await settle(pilot)
        assert [c["ids"] for c in fake.sync_calls] == [[client.id]]
        assert _progress(screen) == "Pobrano faktury zakupu: 1/1 klientów, nowych: 3."
        assert "Faktur w magazynie  58" in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)


async def test_client_screen_x_stops_the_fetch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakePurchases(hold=asyncio.Event())
    app, store = _app(tmp_path, fake, monkeypatch)
    client = store.clients.list()[1]
    async with app.run_test(size=TALL) as pilot:
        screen = await _open_client(pilot, client.id)
        await pilot.press("p")
        await until(pilot, lambda: fake.started, "the fetch to start")
        await pilot.press("x")
        await until(pilot, lambda: fake.cancelled, "the use case to be cancelled")
        assert _progress(screen) == "Pobieranie faktur zakupu przerwane."


async def test_client_screen_f_opens_the_purchase_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakePurchases()
    app, store = _app(tmp_path, fake, monkeypatch)
    client = store.clients.list()[1]
    fake.stored[client.id] = purchase_records(client.id, 5)
    async with app.run_test(size=(100, 30)) as pilot:
        await _open_client(pilot, client.id)
        await pilot.press("f")
        await settle(pilot)
        assert isinstance(app.screen, PurchasesScreen)
        assert len(app.screen.shown) == 5
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ClientDetailScreen)


# --- the purchase list --------------------------------------------------------------------------


async def _open_list(pilot, client_id: int) -> PurchasesScreen:  # type: ignore[no-untyped-def]
    await settle(pilot)
    pilot.app.screen.select_client(client_id)
    await pilot.press("f")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, PurchasesScreen)
    return screen


async def test_list_shows_the_invoices_newest_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakePurchases()
    app, store = _app(tmp_path, fake, monkeypatch)
    client = store.clients.list()[1]
    records = purchase_records(client.id, 12)
    fake.stored[client.id] = list(reversed(records))  # the order given does not matter
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open_list(pilot, client.id)
        assert [r.ksef_number for r in screen.shown] == [r.ksef_number for r in records]
        text = screen_text(app)
        assert f"Faktury zakupu (12) — {client.short_code} · {client.name}" in text
        # At 80 columns: received date, the KSeF number's tail, the invoice number, gross, status, seller.
        first = records[0]
        assert "21.11.26" in text and first.ksef_number[-10:] in text
        assert "507,19 PLN" in text and "✓ pobrana" in text and "! uwagi (2)" in text
        # The detail lines have the whole KSeF number, the seller's NIP, the amounts, both dates.
        assert f"{first.ksef_number}  pobrana  wpływ 21.11.2026 08:06" in text
        assert "Energa Obrót SA · NIP 957-095-77-22 · E/001000/11/2026 (Vat)" in text
        assert "brutto 507,19 PLN · netto 412,35 · VAT 94,84 · wystawiona 20.11.2026" in text


async def test_list_filters_as_you_type_and_esc_clears(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakePurchases()
    app, store = _app(tmp_path, fake, monkeypatch)
    client = store.clients.list()[1]
    fake.stored[client.id] = purchase_records(client.id, 12)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open_list(pilot, client.id)
        await pilot.press("slash", *"orange")
        await settle(pilot)
        assert len(screen.shown) == 2
        assert {r.seller_name for r in screen.shown} == {"Orange Polska SA"}
        assert "Faktury zakupu (12)  filtr: orange → 2 — " in screen_text(app)
        await pilot.press(*["backspace"] * 6, *"526-025-09-95")  # a NIP written with dashes
        await settle(pilot)
        assert {r.seller_nip for r in screen.shown} == {"5260250995"}
        await pilot.press("escape")
        await settle(pilot)
        assert len(screen.shown) == 12
        assert isinstance(app.screen, PurchasesScreen)  # the first Esc only closed the filter
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)


async def test_enter_opens_the_stored_xml_in_the_inspector(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakePurchases()
    app, store = _app(tmp_path, fake, monkeypatch)
    client = store.clients.list()[1]
    records = purchase_records(client.id, 3)
    fake.stored[client.id] = records
    chosen = records[1]
    xml = generate_invoice(
        chosen.seller_nip, chosen.seller_name, client.nip, client.name, chosen.invoice_number, "2026-11-19"
    )
    store.documents.put(client.id, "invoice", chosen.ksef_number, xml)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await _open_list(pilot, client.id)
        await pilot.press("down", "enter")
        await settle(pilot)
        inspector = app.screen
        assert isinstance(inspector, InvoiceScreen)
        assert inspector.report.source == chosen.ksef_number
        assert chosen.invoice_number in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert app.screen is screen


async def test_n_shows_what_is_new_marked_provisional(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakePurchases()
    app, store = _app(tmp_path, fake, monkeypatch)
    client = store.clients.list()[1]
    stored = purchase_records(client.id, 6)
    fake.stored[client.id] = stored
    # KSeF lists the two new ones and one the store already holds (it keeps its stored record).
    fake.preview[client.id] = [*provisional_records(client.id), stored[0]]
    async with app.run_test(size=(120, 36)) as pilot:
        screen = await _open_list(pilot, client.id)
        await pilot.press("n")
        await settle(pilot)
        assert len(screen.shown) == 8
        assert [r.status for r in screen.shown[:2]] == [PurchaseStatus.PROVISIONAL] * 2
        assert screen.shown[2].ksef_number == stored[0].ksef_number
        assert screen.shown[2].status is PurchaseStatus.STORED
        text = screen_text(app)
        assert text.count("~ wstępna") == 2
        assert "Faktury zakupu (6, wstępnych: 2)" in text
        assert "KSeF pokazuje nowe faktury: 2" in _progress(screen)
        # The cursor stays on the invoice it was on; Home takes it to the newest, a provisional one.
        assert screen.query_one(PurchaseTable).selected() == stored[0]
        await pilot.press("home")
        await settle(pilot)
        assert "XML z następnym pobraniem" in screen_text(app)


async def test_p_on_the_list_fetches_this_client_and_reloads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakePurchases()
    app, store = _app(tmp_path, fake, monkeypatch)
    client = store.clients.list()[1]
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open_list(pilot, client.id)
        assert screen.shown == []
        assert "Brak faktur zakupu w magazynie" in screen_text(app)
        fake.stored[client.id] = purchase_records(client.id, 3)  # what the fetch stores
        await pilot.press("p")
        await settle(pilot)
        assert [c["ids"] for c in fake.sync_calls] == [[client.id]]
        assert len(screen.shown) == 3
        assert _progress(screen) == "Pobrano faktury zakupu: 1/1 klientów, nowych: 3."
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)


async def test_a_long_list_scrolls_without_drawing_every_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakePurchases()
    app, store = _app(tmp_path, fake, monkeypatch)
    client = store.clients.list()[1]
    fake.stored[client.id] = purchase_records(client.id, 5000)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open_list(pilot, client.id)
        table = screen.query_one(PurchaseTable)
        assert table.row_count == 5000
        await pilot.press("end")
        await settle(pilot)
        assert table.cursor_row == 4999
        assert screen.shown[-1].ksef_number in screen_text(app)  # the detail line follows the cursor


async def test_the_demo_board_starts_fetching_every_client_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`ksef-tui demo` opens the board at once and fetches purchases in the background (progress shown),
    once per run: going back to the board does not start it again."""
    fake = FakePurchases()
    store = make_store(tmp_path)
    fake.install(monkeypatch)
    config = services(tmp_path, store, ksef_factory=object())
    config.sync_purchases_on_start = True
    after: list[object] = []
    config.after_start_sync = after.append  # the demo decides last month's bookings here
    app = KsefApp(config)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await until(pilot, lambda: len(fake.sync_calls) == 1, "the sync started by itself")
        assert fake.sync_calls[0]["asked"] is None  # every client
        await until(
            pilot, lambda: "Kolejka zatwierdzeń gotowa" in _progress(app.screen), "the queue prepared"
        )
        assert after == [store]
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert len(fake.sync_calls) == 1 and len(after) == 1


async def test_a_queue_opened_while_the_demo_prepares_it_says_so_and_reloads_when_ready(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The demo decides last month's bookings after its first fetch (tens of seconds): a queue opened
    meanwhile shows the half-prepared state, says the demo is preparing it, and reads again when ready."""
    import threading

    from ksef_tui.screens.queue import QueueScreen

    from .queue_helpers import FakeQueue, morning

    fake = FakePurchases()
    store = make_store(tmp_path)
    fake.install(monkeypatch)
    queue = FakeQueue.for_store(store, morning([c.id for c in store.clients.list()][:3])).install(monkeypatch)
    config = services(tmp_path, store, ksef_factory=object())
    config.sync_purchases_on_start = True
    release, started = threading.Event(), threading.Event()

    def decide_last_month(_store: object) -> None:  # still deciding until the test lets it go
        started.set()
        release.wait(30)

    config.after_start_sync = decide_last_month
    app = KsefApp(config)
    async with app.run_test(size=(100, 30)) as pilot:  # (no `settle`: it waits for every worker)
        await until(pilot, started.is_set, "last month being decided")
        assert config.queue_preparing
        await pilot.press("z")
        await until(pilot, lambda: isinstance(app.screen, QueueScreen), "the queue open")
        screen = app.screen
        filters = lambda: str(screen.query_one("#filters").render())  # noqa: E731
        await until(pilot, lambda: "demo przygotowuje kolejkę" in filters(), "the queue saying so")
        loads = queue.loads
        release.set()
        await until(pilot, lambda: queue.loads > loads, "the queue read again when ready")
        await settle(pilot)
        assert not config.queue_preparing
        assert "demo przygotowuje kolejkę" not in filters()
        assert "Kolejka zatwierdzeń gotowa." in [n.message for n in app._notifications]  # on the queue too

"""Pilot tests of managing credentials (issue 10 item 6): remove one from the client's screen (typed code),
a second copy of a certificate refused, and a certificate naming another NIP confirmed first."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input, Select

from ksef_tui.core.demo_roster import make_roster
from ksef_tui.core.models import Client, CredentialKind
from ksef_tui.screens.certificate_import import CertificateImportScreen, CertificateNipScreen
from ksef_tui.screens.client_detail import ClientDetailScreen
from ksef_tui.screens.clients import ClientsScreen
from ksef_tui.screens.credential_remove import CredentialRemoveScreen
from ksef_tui.sync.records import removal_code
from ksef_tui.ui.app import KsefApp
from tests.certgen import write_pair

from .helpers import NOW, make_store, screen_text, services, settle, until

TALL = (100, 80)  # every section of the client's screen at once


def _text(app, selector: str) -> str:  # type: ignore[no-untyped-def]
    return str(app.screen.query_one(selector).render())


async def _open(pilot, client_id: int) -> None:  # type: ignore[no-untyped-def]
    await settle(pilot)
    pilot.app.screen.select_client(client_id)
    await pilot.press("enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ClientDetailScreen)


async def _fill(pilot, cert: Path, key: Path) -> None:  # type: ignore[no-untyped-def]
    screen = pilot.app.screen
    assert isinstance(screen, CertificateImportScreen)
    screen.query_one("#cert", Input).value = str(cert)
    screen.query_one("#key", Input).value = str(key)
    await until(pilot, lambda: _text(pilot.app, "#cert-info") != "", "the certificate's preview")
    await settle(pilot)


# --- removing one credential --------------------------------------------------------------------------


async def test_remove_the_certificate_after_a_wrong_then_the_right_code(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    entry = next(e for e in make_roster(NOW, 2026) if e.profile == "token_and_cert")
    client = store.clients.find_by_short_code(entry.short_code)
    token, cert = store.credentials.for_client(client.id)
    # The demo's certificates have no serial without the simulator: give this one its own.
    cert.serial = "5A3F00C1"
    store.credentials.update(cert)
    assert cert.kind is CredentialKind.KSEF_CERTIFICATE and store.checks.history(cert.id, limit=10)
    code = removal_code(cert, client)
    assert code == "00C1"
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=TALL) as pilot:
        await _open(pilot, client.id)
        assert "▸1" in screen_text(app)  # the first credential is selected at first
        await pilot.press("9")  # no ninth credential: nothing happens
        await pilot.press("2")
        await settle(pilot)
        assert "▸2" in screen_text(app) and "▸1" not in screen_text(app)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, CredentialRemoveScreen)
        assert f"nr seryjny {cert.serial}" in screen_text(app)
        assert f"wpisz {code}" in screen_text(app)
        await pilot.press(*"0000", "enter")
        await settle(pilot)
        assert isinstance(app.screen, CredentialRemoveScreen)
        assert "nic nie usunięto" in _text(app, "#message")
        assert len(store.credentials.for_client(client.id)) == 2
        app.screen.query_one("#confirm", Input).value = code.lower()  # any case will do
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, ClientDetailScreen)
        text = screen_text(app)
        assert "Poświadczenia (1)" in text and "poświadczenie usunięte" in text
        assert "▸1" in text
    assert [c.id for c in store.credentials.for_client(client.id)] == [token.id]
    assert store.checks.history(cert.id, limit=10) == []
    removed = [e for e in store.audit.list(client_id=client.id) if e.action == "credential.remove"]
    assert [e.detail for e in removed] == [cert.serial]


async def test_escape_removes_nothing_and_a_token_asks_for_its_reference(tmp_path: Path) -> None:
    store = make_store(tmp_path)
    entry = next(e for e in make_roster(NOW, 2026) if e.profile == "token_and_cert")
    client = store.clients.find_by_short_code(entry.short_code)
    token, _cert = store.credentials.for_client(client.id)
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=TALL) as pilot:
        await _open(pilot, client.id)
        await pilot.press("delete")  # the first credential: the token
        await settle(pilot)
        assert isinstance(app.screen, CredentialRemoveScreen)
        assert f"{token.reference}|…" in screen_text(app)
        assert f"wpisz {removal_code(token, client)}" in screen_text(app)
        assert token.secret.rsplit("|", 1)[1] not in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ClientDetailScreen)
    assert len(store.credentials.for_client(client.id)) == 2


async def test_d_without_credentials_says_so(tmp_path: Path) -> None:
    store = make_store(tmp_path, roster=False)
    client = store.clients.add(Client("Piekarnia Testowa", "PIEKARNI_218", ["1234563218"]))
    app = KsefApp(services(tmp_path, store))
    async with app.run_test(size=TALL) as pilot:
        await _open(pilot, client.id)
        await pilot.press("d")
        await settle(pilot)
        assert isinstance(app.screen, ClientDetailScreen)
        assert [n.message for n in app._notifications] == ["Ten klient nie ma poświadczeń do usunięcia."]


# --- a second copy of the same certificate ----------------------------------------------------------


async def test_the_same_certificate_twice_is_refused_and_nothing_saved(tmp_path: Path) -> None:
    store = make_store(tmp_path / "home", roster=False)
    client = store.clients.add(Client("Piekarnia Testowa", "PIEKARNI_218", ["1234563218"]))
    cert, key = write_pair(tmp_path, NOW)
    app = KsefApp(services(tmp_path / "home", store))
    async with app.run_test(size=(80, 24)) as pilot:
        await _open(pilot, client.id)
        await pilot.press("k")  # from the client's screen
        await settle(pilot)
        await _fill(pilot, cert, key)
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, ClientDetailScreen)
        await pilot.press("k")
        await settle(pilot)
        await _fill(pilot, cert, key)
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, CertificateImportScreen)
        message = _text(app, "#message")
        assert "ma już certyfikat o numerze seryjnym 1A2B3C4D5E6F" in message
        assert "niczego nie zapisano" in message
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ClientDetailScreen)
        assert "Poświadczenia (1)" in screen_text(app)
    assert len(store.credentials.for_client(client.id)) == 1
    imports = [
        e for e in store.audit.list(client_id=client.id) if e.action == "credential.import_certificate"
    ]
    assert len(imports) == 1


# --- a certificate naming another NIP ---------------------------------------------------------------


@pytest.mark.parametrize("confirm_key", ["enter", "t"])
async def test_another_nip_is_confirmed_first_and_saved_as_the_office_certificate(
    tmp_path: Path, confirm_key: str
) -> None:
    store = make_store(tmp_path / "home", roster=False)
    client = store.clients.add(Client("Inna Firma", "INNA_274", ["5260250274"]))
    cert, key = write_pair(tmp_path, NOW, cn="Biuro Rachunkowe Testowe")  # NIP 123-456-32-18
    app = KsefApp(services(tmp_path / "home", store))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("k")
        await settle(pilot)
        await _fill(pilot, cert, key)
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, CertificateNipScreen)
        assert "To nie jest certyfikat tego klienta" in screen_text(app)
        explanation = _text(app, "#explanation")
        assert "NIP 123-456-32-18, a Inna Firma ma NIP 526-025-02-74" in explanation
        assert "właściwe tylko dla własnego certyfikatu biura" in explanation
        # Esc goes back to the dialog, and nothing is saved.
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, CertificateImportScreen)
        assert "Nie zapisano" in _text(app, "#message")
        assert store.credentials.for_client(client.id) == []
        # Asked again; confirmed this time.
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, CertificateNipScreen)
        await pilot.press(confirm_key)
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
    [saved] = store.credentials.for_client(client.id)
    assert saved.kind is CredentialKind.OFFICE_CERTIFICATE and saved.serial == "1A2B3C4D5E6F"


async def test_the_office_certificate_chosen_up_front_is_not_asked_about(tmp_path: Path) -> None:
    store = make_store(tmp_path / "home", roster=False)
    client = store.clients.add(Client("Inna Firma", "INNA_274", ["5260250274"]))
    cert, key = write_pair(tmp_path, NOW)
    app = KsefApp(services(tmp_path / "home", store))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("k")
        await settle(pilot)
        app.screen.query_one("#kind", Select).value = CredentialKind.OFFICE_CERTIFICATE
        await _fill(pilot, cert, key)
        assert _text(app, "#warning") == ""
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
    [saved] = store.credentials.for_client(client.id)
    assert saved.kind is CredentialKind.OFFICE_CERTIFICATE

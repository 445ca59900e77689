"""Pilot tests of `k` on the board: a certificate and its key read from files, checked, sealed."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from ksef_tui.core.health import Level
from ksef_tui.core.models import Client, CredentialKind
from ksef_tui.screens.certificate_import import CertificateImportScreen
from ksef_tui.screens.clients import ClientsScreen
from ksef_tui.ui.app import KsefApp
from tests.certgen import write_pair

from .helpers import NOW, make_store, screen_text, services, settle, until


def _text(app, selector: str) -> str:  # type: ignore[no-untyped-def]
    return str(app.screen.query_one(selector).render())


async def _fill(pilot, cert: Path, key: Path, password: str = "") -> None:  # type: ignore[no-untyped-def]
    screen = pilot.app.screen
    assert isinstance(screen, CertificateImportScreen)
    screen.query_one("#cert", Input).value = str(cert)
    screen.query_one("#key", Input).value = str(key)
    screen.query_one("#password", Input).value = password
    # The dialog reads the files a moment after typing stops, in a worker: wait for what it shows.
    await until(pilot, lambda: _text(pilot.app, "#cert-info") != "", "the certificate's preview")
    await settle(pilot)


async def test_import_turns_the_client_from_red_to_never_checked(tmp_path: Path) -> None:
    store = make_store(tmp_path / "home", roster=False)
    client = store.clients.add(Client("Piekarnia Testowa", "PIEKARNI_218", ["1234563218"]))
    cert, key = write_pair(tmp_path, NOW, key_kind="rsa", password="haslo do klucza")
    app = KsefApp(services(tmp_path / "home", store))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.screen.entries[0].level is Level.RED
        await pilot.press("k")
        await settle(pilot)
        assert app.screen.query_one("#password", Input).password
        await _fill(pilot, cert, key)
        info = _text(app, "#cert-info")
        assert "Piekarnia Testowa" in info and "123-456-32-18" in info and "1A2B3C4D5E6F" in info
        assert "zaszyfrowany" in _text(app, "#message")
        assert _text(app, "#warning") == ""  # the client's own NIP
        app.screen.query_one("#password", Input).value = "haslo do klucza"
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        entry = app.screen.entries[0]
        assert entry.level is Level.YELLOW and "Nigdy nie sprawdzony" in entry.health.reason
        assert "haslo do klucza" not in screen_text(app)
    creds = store.credentials.for_client(client.id)
    assert len(creds) == 1
    cred = creds[0]
    assert cred.kind is CredentialKind.KSEF_CERTIFICATE and cred.serial == "1A2B3C4D5E6F"
    assert cred.secret.startswith("-----BEGIN PRIVATE KEY-----")
    assert cred.certificate_pem and cred.certificate_pem.startswith("-----BEGIN CERTIFICATE-----")
    assert cred.created == NOW
    audit = [e for e in store.audit.list(client.id) if e.action == "credential.import_certificate"]
    assert [e.detail for e in audit] == ["1A2B3C4D5E6F"]


async def test_mismatched_key_saves_nothing(tmp_path: Path) -> None:
    store = make_store(tmp_path / "home", roster=False)
    client = store.clients.add(Client("Inna Firma", "INNA_274", ["5260250274"]))
    cert, key = write_pair(tmp_path, NOW, other_key=True)
    app = KsefApp(services(tmp_path / "home", store))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("k")
        await settle(pilot)
        await _fill(pilot, cert, key)
        assert "nie pasuje" in _text(app, "#message")
        assert "123-456-32-18" in _text(app, "#warning")  # not this client's NIP: a warning only
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(app.screen, CertificateImportScreen)
        assert "nie pasuje" in _text(app, "#message")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
    assert store.credentials.for_client(client.id) == []


async def test_wrong_password_is_explained_and_cleared(tmp_path: Path) -> None:
    store = make_store(tmp_path / "home", roster=False)
    client = store.clients.add(Client("Piekarnia Testowa", "PIEKARNI_218", ["1234563218"]))
    cert, key = write_pair(tmp_path, NOW, password="dobre haslo")
    app = KsefApp(services(tmp_path / "home", store))
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("k")
        await settle(pilot)
        await _fill(pilot, cert, key, "zle haslo")
        await pilot.press("f2")
        await settle(pilot)
        assert isinstance(app.screen, CertificateImportScreen)
        assert "Błędne hasło" in _text(app, "#message")
        assert app.screen.query_one("#password", Input).value == ""
        assert "zle haslo" not in screen_text(app)
    assert store.credentials.for_client(client.id) == []

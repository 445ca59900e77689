"""Snapshots of the two dialogs of issue 10 item 6 at 80×24 and 120×36: removing a credential (the typed
code), and the question asked before saving a certificate that names another NIP."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from textual.widgets import Input

from ksef_tui.core.models import Client, Credential, CredentialKind, CredentialStatus
from ksef_tui.ui.app import KsefApp
from tests.certgen import write_pair

from .helpers import NOW, make_store, services, settle, wait_for_text

SIZES = [(80, 24), (120, 36)]


@pytest.mark.parametrize("size", SIZES)
def test_credential_remove_dialog(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    store = make_store(tmp_path, roster=False)
    client = store.clients.add(Client("Piekarnia Testowa", "PIEKARNI_218", ["1234563218"]))
    store.credentials.add(
        Credential(
            client.id,
            CredentialKind.KSEF_TOKEN,
            secret="20251010-EC-2B0C8AB000-4A3D8E9C3B-8D|nip-1234563218|" + "c0ffee" * 10,
            reference="20251010-EC-2B0C8AB000-4A3D8E9C3B-8D",
            valid_until=NOW + timedelta(days=40),
            status=CredentialStatus.ACTIVE,
        )
    )
    store.credentials.add(
        Credential(
            client.id,
            CredentialKind.KSEF_CERTIFICATE,
            secret="-----BEGIN PRIVATE KEY-----\nklucz\n-----END PRIVATE KEY-----",
            certificate_pem="-----BEGIN CERTIFICATE-----\ncert\n-----END CERTIFICATE-----",
            serial="5A3F00C1",
            valid_from=NOW - timedelta(days=30),
            valid_until=NOW + timedelta(days=600),
            status=CredentialStatus.ACTIVE,
            label="Piekarnia Testowa",
        )
    )
    app = KsefApp(services(tmp_path, store))

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("2", "d")
        await settle(pilot)
        assert await wait_for_text(pilot, "00C1")

    assert snap_compare(app, terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES)
def test_certificate_for_another_nip_asks_first(
    snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    # Fixed dates and serial; relative paths, so the snapshot never shows the temporary folder.
    files = tmp_path / "files"
    files.mkdir()
    write_pair(files, NOW, days_before=30, days_after=700, cn="Biuro Rachunkowe Testowe")
    monkeypatch.chdir(files)
    home = tmp_path / "home"
    store = make_store(home, roster=False)
    store.clients.add(Client("Inna Firma", "INNA_274", ["5260250274"]))
    app = KsefApp(services(home, store))

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("k")
        await settle(pilot)
        pilot.app.screen.query_one("#cert", Input).value = "cert.pem"
        pilot.app.screen.query_one("#key", Input).value = "key.pem"
        assert await wait_for_text(pilot, "Numer seryjny")
        await settle(pilot)
        await pilot.press("f2")
        await settle(pilot)
        assert await wait_for_text(pilot, "To nie jest certyfikat tego klienta")

    assert snap_compare(app, terminal_size=size, run_before=run_before)

"""Snapshot of the certificate import dialog after reading a valid certificate (80×24 and 120×36)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import Input

from ksef_tui.ui.app import KsefApp
from tests.certgen import write_pair

from .helpers import NOW, make_store, services, settle, wait_for_text


@pytest.mark.parametrize("size", [(80, 24), (120, 36)])
def test_certificate_dialog_after_reading(
    snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, size: tuple[int, int]
) -> None:
    # Fixed dates and serial; relative paths, so the snapshot never shows the temporary folder.
    files = tmp_path / "files"
    files.mkdir()
    write_pair(files, NOW, days_before=30, days_after=700)
    monkeypatch.chdir(files)
    home = tmp_path / "home"
    app = KsefApp(services(home, make_store(home)))

    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        await pilot.press("k")
        await settle(pilot)
        pilot.app.screen.query_one("#cert", Input).value = "cert.pem"
        pilot.app.screen.query_one("#key", Input).value = "key.pem"
        # The dialog reads the files a moment after typing stops, in a worker: wait for what it shows.
        assert await wait_for_text(pilot, "Numer seryjny")
        await settle(pilot)

    assert snap_compare(app, terminal_size=size, run_before=run_before)

"""Snapshots of the message history (F9) at 80×24 and 160×45: a long path and a list of failing clients,
each whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from ksef_tui.ui.app import KsefApp

from .helpers import make_store, services, settle


@pytest.mark.parametrize("size", [(80, 24), (160, 45)])
def test_message_history(snap_compare, tmp_path: Path, size: tuple[int, int]) -> None:
    async def run_before(pilot) -> None:  # type: ignore[no-untyped-def]
        await settle(pilot)
        app = pilot.app
        app.notify(
            "Zapisano UPO: /home/biuro/ksef/eksport/UPO/2026/11/PIEKARNI_594/"
            "20261121-SO-2A8B3C4D5E-6F7A8B9C0D-1E/upo-20261121-SO-2A8B3C4D5E-6F7A8B9C0D-1E.xml",
            title="UPO",
        )
        app.notify(
            "\n".join(
                f"KLIENT_{i:03d}: KSeF odpowiedział 401: token unieważniony lub wygasły" for i in range(6)
            ),
            title="Faktury zakupu: nie udało się u 6 klientów",
            severity="warning",
        )
        app.notify(
            "KSeF nie odpowiedział na czas (21405); spróbuj ponownie za kilka minut.", severity="error"
        )
        await pilot.press("f9")
        await settle(pilot)
        app.clear_notifications()
        await settle(pilot)

    app = KsefApp(services(tmp_path, make_store(tmp_path)))
    assert snap_compare(app, terminal_size=size, run_before=run_before)

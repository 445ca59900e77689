"""The API log screen: a client's calls after a live check, with nothing secret on screen."""

from __future__ import annotations

from pathlib import Path

from ksef_tui.screens.api_log import ApiLogScreen
from ksef_tui.widgets.client_table import ClientTable

from .helpers import screen_text, settle
from .test_pilot_live_check import _demo_app


async def test_api_log_lists_calls_without_secrets(tmp_path: Path) -> None:
    app, demo = _demo_app(tmp_path)
    entry = next(e for e in demo.roster if e.profile == "token_and_cert")
    token = next(c.token for c in entry.credentials if c.token)
    secret_part = token.rsplit("|", 1)[1]
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        client = app.services.store.clients.find_by_nip(entry.nip)
        app.screen.query_one(ClientTable).select_client(client.id)
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("l")
        await settle(pilot)
        assert isinstance(app.screen, ApiLogScreen)
        assert len(app.screen.entries) >= 6
        shown = screen_text(app)
        assert "/auth/challenge" in shown and "/auth/ksef-token" in shown
        assert secret_part not in shown
        # Walk every entry's detail panel: no secret in any of them either.
        for _ in app.screen.entries:
            await pilot.press("down")
            assert secret_part not in screen_text(app)
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(app.screen, ApiLogScreen)

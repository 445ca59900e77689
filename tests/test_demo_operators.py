"""The demo's operator (issue 15 item 5): `ania` unlocks the demo store and sees and acts on exactly
three of its 45 clients; her full name is sealed; the administrator sees every client."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ksef_tui.core.operators import Action, OfficeRole
from ksef_tui.demo import DEMO_PASSPHRASE, prepare_demo
from ksef_tui.demo.operators import DEMO_OPERATOR, DEMO_OPERATOR_NAME
from ksef_tui.store import KdfLimits, Store
from ksef_tui.store.errors import NotAssigned
from ksef_tui.sync.permissions import require

from .store.plaintext_scan import find_plaintext

NOW = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)


def test_the_demo_operator_sees_and_acts_on_three_of_45(tmp_path: Path) -> None:
    demo = prepare_demo(NOW, kdf=KdfLimits.FAST_FOR_TESTS, home=tmp_path / "demo")
    try:
        with Store.open(demo.home, DEMO_PASSPHRASE) as admin:
            everyone = {c.id for c in admin.clients.list()}
            assert len(everyone) == 45
            info = admin.operators.get(DEMO_OPERATOR)
            assert info.role is OfficeRole.ACCOUNTANT and len(info.client_ids or ()) == 3
        with Store.open(demo.home, DEMO_OPERATOR, operator=DEMO_OPERATOR) as ania:
            assert not ania.must_change_passphrase
            mine = [r.client.id for r in ania.board_rows()]
            assert sorted(mine) == sorted(info.client_ids or ()) and ania.count_clients() == 45
            for cid in mine:
                require(ania, Action.CHECK, cid)
                require(ania, Action.EXPORT, cid)
            other = min(everyone - set(mine))  # type: ignore[type-var]
            with pytest.raises(NotAssigned):
                require(ania, Action.SYNC, other)
        assert not find_plaintext(demo.home, [DEMO_OPERATOR_NAME])
    finally:
        demo.cleanup()

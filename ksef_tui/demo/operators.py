"""The demo's operator (issue 15): an accountant assigned three clients, so that "an operator sees and
acts on only those three" can be walked at once (unlock as `ania`, passphrase `ania`), beside what the
administrator can do from the operators screen (`u` on the board)."""

from __future__ import annotations

from ksef_tui.core.demo_roster import RosterEntry
from ksef_tui.core.operators import OfficeRole
from ksef_tui.store import Store

DEMO_OPERATOR = "ania"  # login and passphrase (the demo is public; its admin passphrase is "demo")
DEMO_OPERATOR_NAME = "Anna Nowak"
DEMO_OPERATOR_CLIENTS = 3


def seed_operator(store: Store, roster: list[RosterEntry]) -> None:
    """The first three roster clients (by short code) for the demo accountant, who need not change the
    passphrase (it is printed on the unlock screen anyway)."""
    clients = sorted(store.clients.list(), key=lambda c: c.short_code)[:DEMO_OPERATOR_CLIENTS]
    store.operators.add(
        DEMO_OPERATOR,
        DEMO_OPERATOR_NAME,
        DEMO_OPERATOR,
        OfficeRole.ACCOUNTANT,
        [c.id for c in clients if c.id is not None],
        must_change=False,
    )

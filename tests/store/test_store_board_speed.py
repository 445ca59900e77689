"""The client board is one call: 500 clients, a handful of queries, no query per client. (Its time, well
under 100 ms, is measured by benchmarks/bench_board_rows.py: a wall-clock bound has no place in the suite.)"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from store_helpers import FIXED_NOW, PASSPHRASE, client, ok_check, token_for

from ksef_tui.core.models import SyncState
from ksef_tui.store import Store

CLIENTS = 500


def _fill(store: Store) -> None:
    for n in range(CLIENTS):
        c = store.clients.add(client(n))
        assert c.id is not None
        for k in range(2):
            cred = store.credentials.add(token_for(c.id, n * 2 + k))
            assert cred.id is not None
            for days in (3, 1):
                store.checks.record(ok_check(c.id, cred.id, FIXED_NOW - timedelta(days=days)))
        store.sync_state.set(SyncState(client_id=c.id, last_success=FIXED_NOW, last_error=""))


def test_board_rows_for_500_clients_is_a_few_queries_not_n_plus_one(store: Store, home: Path) -> None:
    _fill(store)
    store.close()
    s = Store.open(home, PASSPHRASE)
    statements: list[str] = []
    s._db.conn.set_trace_callback(statements.append)
    rows = s.board_rows()  # first call after unlock: every client key is unwrapped here
    s._db.conn.set_trace_callback(None)
    assert len(rows) == CLIENTS
    assert all(len(r.credentials) == 2 and len(r.checks) == 2 and r.sync for r in rows)
    assert all(c.checked_at == FIXED_NOW - timedelta(days=1) for r in rows for c in r.checks.values())
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) <= 6, selects
    assert s.board_rows() == rows  # warm: the same answer
    s.close()

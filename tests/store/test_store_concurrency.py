"""Two processes writing to one store at once corrupt nothing."""

from __future__ import annotations

import itertools
import multiprocessing
from pathlib import Path

from store_helpers import PASSPHRASE, add_clients_worker

from ksef_tui.store import Store


def test_two_processes_add_fifty_clients_each(store: Store, home: Path) -> None:
    # The store this process holds open stays open: three connections, two of them writing.
    store.settings.set("started", True)
    ctx = multiprocessing.get_context("spawn")  # a fresh interpreter: no SQLite handle inherited
    in_step = ctx.Barrier(2)
    workers = [
        ctx.Process(target=add_clients_worker, args=(str(home), prefix, 50, in_step)) for prefix in ("A", "B")
    ]
    for w in workers:
        w.start()
    try:
        for w in workers:
            w.join(timeout=120)
        assert [w.exitcode for w in workers] == [0, 0]
    finally:
        for w in workers:
            if w.is_alive():  # one writer died: the other waits at the barrier for ever
                w.terminate()
                w.join()

    rows = store.board_rows()
    assert len(rows) == 100
    assert sorted(r.client.short_code for r in rows) == sorted(
        [f"A{n:05d}" for n in range(50)] + [f"B{n:05d}" for n in range(50)]
    )
    assert all(len(r.credentials) == 1 for r in rows)
    every_credential = store.credentials.all()
    assert all(c.secret.endswith("abcdef") for creds in every_credential.values() for c in creds)
    assert sum(len(creds) for creds in every_credential.values()) == 100
    assert all(r.client.name.startswith("Przedsiębiorstwo") for r in rows)
    assert store.damaged == []
    assert store.integrity_check()
    # The writes really did interleave (ids in commit order switch between the two processes): each
    # round of the barrier commits one client of each, so every round holds a switch.
    order = [r.client.short_code[0] for r in rows]
    switches = sum(1 for a, b in itertools.pairwise(order) if a != b)
    assert switches >= 50, f"the two writers did not interleave ({switches} switches)"
    store.close()

    reopened = Store.open(home, PASSPHRASE)
    assert len(reopened.clients.list()) == 100 and reopened.integrity_check()
    reopened.close()

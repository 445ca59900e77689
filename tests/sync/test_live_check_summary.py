"""The live check's summary says what the checks found (issue 16 item 7): "z problemami: 0" for a red
client without a credential read as "all is well"."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ksef_tui.core.clock import fixed_clock
from ksef_tui.core.health import Level, client_health
from ksef_tui.core.models import CheckOutcome, Client, LiveCheck
from ksef_tui.store import KdfLimits, Store
from ksef_tui.sync.live_checks import (
    ACCEPTED,
    NOTHING,
    REFUSED,
    UNCHECKED,
    check_summary,
    client_verdict,
    run_live_checks,
)

NOW = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)


def _check(outcome: CheckOutcome) -> LiveCheck:
    return LiveCheck(1, NOW, outcome)


def test_a_red_client_without_a_credential_is_not_reported_as_fine(tmp_path: Path) -> None:
    store = Store.create(
        tmp_path, "correct horse battery", kdf=KdfLimits.FAST_FOR_TESTS, clock=fixed_clock(NOW)
    )
    client = store.clients.add(Client("Piekarnia Wiśniewski", "PIEKARNIA_218", ["1234563218"]))
    row = next(r for r in store.board_rows() if r.client.id == client.id)
    assert client_health(row.client, row.credentials, row.checks, row.sync, NOW).level is Level.RED

    def no_ksef(_client: Client) -> Any:
        raise AssertionError("nothing to check: KSeF is not asked")

    summary = asyncio.run(run_live_checks(store, no_ksef, [client.id or 0], lambda: NOW))
    assert summary == "Sprawdzono 1 klienta: bez tokenu i certyfikatu do sprawdzenia: 1."
    assert "problem" not in summary


def test_each_client_is_counted_once_by_what_its_checks_found() -> None:
    assert client_verdict([_check(CheckOutcome.OK), _check(CheckOutcome.OK)]) == ACCEPTED
    assert client_verdict([_check(CheckOutcome.OK), _check(CheckOutcome.REVOKED)]) == REFUSED
    assert client_verdict([_check(CheckOutcome.ERROR), _check(CheckOutcome.AUTH_FAILED)]) == REFUSED
    assert client_verdict([_check(CheckOutcome.OK), _check(CheckOutcome.ERROR)]) == UNCHECKED
    assert client_verdict([]) == NOTHING
    tally = {ACCEPTED: 3, REFUSED: 1, UNCHECKED: 0, NOTHING: 1}
    assert check_summary(5, tally) == (
        "Sprawdzono 5 klientów: dostęp działa: 3; odrzuceni przez KSeF: 1; "
        "bez tokenu i certyfikatu do sprawdzenia: 1."
    )
    assert check_summary(0, {}) == "Sprawdzono 0 klientów."

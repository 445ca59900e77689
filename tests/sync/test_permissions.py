"""Roles are enforced in the use cases (issue 15 item 1), on a real store opened by each operator."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from ksef_tui.core.clock import fixed_clock
from ksef_tui.core.models import Client, Environment
from ksef_tui.core.operators import Action, OfficeRole
from ksef_tui.store import KdfLimits, Store
from ksef_tui.store.errors import NotAssigned
from ksef_tui.sync import bookings as booking_sync
from ksef_tui.sync.live_checks import check_one
from ksef_tui.sync.office import read_profile, write_profile
from ksef_tui.sync.permissions import NotPermitted, PassphraseChangeRequired, permitted, require
from ksef_tui.sync.records import save_client

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
CLOCK = fixed_clock(NOW)
ADMIN = "hasło administratora"
NIPS = ["5260250274", "7740001454", "1132853869"]


def _unreachable(*_args: Any, **_kwargs: Any) -> Any:
    raise AssertionError("KSeF must not be called")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "store"
    with Store.create(home, ADMIN, kdf=KdfLimits.FAST_FOR_TESTS, clock=CLOCK) as store:
        ids = [
            save_client(
                store,
                Client(name=f"Klient {i}", short_code=f"K{i}", nips=[nip], environment=Environment.TEST),
            )
            for i, nip in enumerate(NIPS, 1)
        ]
        store.operators.add("ksiegowa", "Ewa Księgowa", "start-ewa", OfficeRole.ACCOUNTANT, ids[:2])
        store.operators.add("podglad", "Piotr Podgląd", "start-piotr", OfficeRole.READ_ONLY, ids[:2])
    for login, start in (("ksiegowa", "start-ewa"), ("podglad", "start-piotr")):
        with Store.open(home, start, operator=login, clock=CLOCK) as op:
            op.change_passphrase(start, f"{login}-hasło")
    return home


def _open(home: Path, login: str) -> Store:
    return Store.open(home, f"{login}-hasło", operator=login, clock=CLOCK)


async def test_read_only_cannot_check_or_decide_and_ksef_is_never_called(home: Path) -> None:
    with _open(home, "podglad") as op:
        assert permitted(op, Action.READ) and not permitted(op, Action.CHECK)
        with pytest.raises(NotPermitted) as refused:
            await check_one(op, _unreachable, 1, CLOCK)  # type: ignore[arg-type]
        assert (
            str(refused.value) == "Operator podglad (tylko odczyt) nie może: sprawdzać poświadczenia w KSeF."
        )
        with pytest.raises(NotPermitted):
            booking_sync.approve(op, [(1, "X")], "podglad", CLOCK)
        with pytest.raises(NotPermitted):
            booking_sync.propose_new(op, CLOCK)


async def test_an_accountant_acts_on_assigned_clients_only_and_not_on_the_office(home: Path) -> None:
    with _open(home, "ksiegowa") as op:
        require(op, Action.SYNC, 1)
        require(op, Action.EXPORT, 2)
        with pytest.raises(NotAssigned):
            await check_one(op, _unreachable, 3, CLOCK)  # type: ignore[arg-type]
        with pytest.raises(NotPermitted):
            save_client(
                op, Client(name="Nowy", short_code="N1", nips=["9542583988"], environment=Environment.TEST)
            )
        with pytest.raises(NotPermitted):
            write_profile(op, read_profile(op))
        assert booking_sync.propose_new(op, CLOCK) == 0  # allowed: nothing to propose yet


def test_an_administrator_may_do_everything(home: Path) -> None:
    with Store.open(home, ADMIN, clock=CLOCK) as admin:
        for action in Action:
            require(admin, action, 3)
        write_profile(admin, read_profile(admin))


def test_nothing_is_allowed_before_the_initial_passphrase_is_changed(home: Path) -> None:
    with Store.open(home, ADMIN, clock=CLOCK) as admin:
        admin.operators.reset_passphrase("ksiegowa", "tymczasowe")
    with Store.open(home, "tymczasowe", operator="ksiegowa", clock=CLOCK) as op:
        with pytest.raises(PassphraseChangeRequired):
            require(op, Action.READ)
        assert not permitted(op, Action.SYNC)
        op.change_passphrase("tymczasowe", "ksiegowa-nowe")
        require(op, Action.SYNC, 1)

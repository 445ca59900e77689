"""Operators and the recovery key, as use cases (issue 15 items 1 and 4): every one for administrators
only (`require(store, Action.OPERATORS)`), whatever screen or command calls it."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import ParamSpec, TypeVar

from ksef_tui.core.operators import Action, OfficeRole
from ksef_tui.store import Store, StoreError
from ksef_tui.store.operators import OperatorInfo
from ksef_tui.sync.permissions import require
from ksef_tui.sync.records import StoreProblem

P = ParamSpec("P")
R = TypeVar("R")


def _in_words(use_case: Callable[P, R]) -> Callable[P, R]:
    """StoreError (a refusal, a clash, a wrong role) becomes StoreProblem, which screens may catch."""

    @functools.wraps(use_case)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return use_case(*args, **kwargs)
        except StoreError as err:
            raise StoreProblem(str(err)) from None

    return wrapped


__all__ = [
    "OperatorInfo",
    "StoreProblem",
    "add_operator",
    "assign_clients",
    "client_choices",
    "create_recovery_key",
    "has_recovery_key",
    "list_operators",
    "office_client_count",
    "remove_operator",
    "reset_passphrase",
    "set_operator_clients",
    "unassign_clients",
]


@_in_words
def list_operators(store: Store) -> list[OperatorInfo]:
    require(store, Action.OPERATORS)
    return store.operators.list()


@_in_words
def add_operator(
    store: Store, login: str, name: str, passphrase: str, role: OfficeRole, client_ids: Iterable[int] = ()
) -> OperatorInfo:
    require(store, Action.OPERATORS)
    return store.operators.add(login, name, passphrase, role, client_ids)


@_in_words
def assign_clients(store: Store, login: str, client_ids: Iterable[int]) -> None:
    require(store, Action.OPERATORS)
    store.operators.assign(login, client_ids)


@_in_words
def unassign_clients(store: Store, login: str, client_ids: Iterable[int]) -> None:
    require(store, Action.OPERATORS)
    store.operators.unassign(login, client_ids)


@_in_words
def set_operator_clients(store: Store, login: str, client_ids: Iterable[int]) -> tuple[list[int], list[int]]:
    """The checklist's answer: exactly these clients; (assigned, unassigned) ids."""
    require(store, Action.OPERATORS)
    return store.operators.set_clients(login, client_ids)


@_in_words
def reset_passphrase(store: Store, login: str, passphrase: str) -> None:
    require(store, Action.OPERATORS)
    store.operators.reset_passphrase(login, passphrase)


@_in_words
def remove_operator(store: Store, login: str) -> None:
    require(store, Action.OPERATORS)
    store.operators.remove(login)


@_in_words
def has_recovery_key(store: Store) -> bool:
    return store.has_recovery_key()


@_in_words
def create_recovery_key(store: Store) -> list[str]:
    """24 words, to be shown once and never kept (refused when the store has a recovery key)."""
    require(store, Action.OPERATORS)
    return store.create_recovery_key()


@_in_words
def client_choices(store: Store) -> list[tuple[int, str]]:
    """Every client as (id, "CODE  name") for the operators screen's checklist, in short-code order."""
    require(store, Action.OPERATORS)
    clients = sorted(store.clients.list(), key=lambda c: c.short_code)
    return [(c.id, f"{c.short_code}  {c.name}") for c in clients if c.id is not None]


@_in_words
def office_client_count(store: Store) -> int:
    return store.count_clients()

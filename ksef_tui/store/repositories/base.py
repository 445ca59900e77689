"""What every repository shares: a way into the store's guarded read and write sessions."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager
from typing import Protocol

from ksef_tui.store.vault import Vault


class Sessions(Protocol):
    """Implemented by Store: both raise StoreLocked when locked, and serialise threads."""

    def _reading(self) -> AbstractContextManager[Vault]: ...

    def _writing(self) -> AbstractContextManager[Vault]: ...


class Repository:
    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions


def placeholders(ids: list[int]) -> str:
    return ",".join("?" for _ in ids)


def chunks(ids: list[int], size: int = 500) -> Iterator[list[int]]:
    # SQLite caps bound parameters (32766 in recent versions, 999 in old ones): stay well under.
    for start in range(0, len(ids), size):
        yield ids[start : start + size]

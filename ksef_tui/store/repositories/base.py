"""What every repository shares: a way into the store's guarded read and write sessions."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

from ksef_tui.store.vault import Vault


class Sessions(Protocol):
    """Implemented by Store: both raise StoreLocked when locked, and serialise threads."""

    def _reading(self) -> AbstractContextManager[Vault]: ...

    def _writing(self) -> AbstractContextManager[Vault]: ...

    def checkpoint(self) -> None: ...


class Repository:
    def __init__(self, sessions: Sessions) -> None:
        self._sessions = sessions

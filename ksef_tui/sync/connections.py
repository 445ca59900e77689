"""KSeF connections for the app: one KsefClient per KSeF environment, shared by every client in it.

Sharing one client per environment shares the public-key cache, the rate-limit scheduler (limits are
per context, and each client's context is its own) and the API log. `check_credential` works on
`client.for_context(nip)`, so one client's tokens never leak into another's calls.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from ksef_tui.core.models import Client, Environment
from ksef_tui.ksef.apilog import ApiLog
from ksef_tui.ksef.client import KsefClient

MakeClient = Callable[[Environment, ApiLog], KsefClient]

# Points every environment at one base URL (`ksef-tui simulator`, a proxy): how an office rehearses
# with its own store. Read once, where the connections are made.
KSEF_URL_VARIABLE = "KSEF_TUI_KSEF_URL"


def official_client(environment: Environment, api_log: ApiLog) -> KsefClient:
    return KsefClient(environment.value, api_log=api_log)


def configured_connections(api_log: ApiLog | None = None) -> KsefConnections:
    """The connections a real store uses: the official base URL of each client's environment, or the
    one base URL in $KSEF_TUI_KSEF_URL for every environment."""
    override = os.environ.get(KSEF_URL_VARIABLE, "").strip()
    if override:
        return KsefConnections(lambda _env, log: KsefClient(override, api_log=log), api_log)
    return KsefConnections(official_client, api_log)


class KsefConnections:
    """A callable `factory(client)` -> async context manager yielding the KsefClient for its environment."""

    def __init__(self, make: MakeClient = official_client, api_log: ApiLog | None = None) -> None:
        self._make = make
        self.api_log = api_log or ApiLog()
        self._clients: dict[Environment, KsefClient] = {}

    def client_for(self, environment: Environment) -> KsefClient:
        if environment not in self._clients:
            self._clients[environment] = self._make(environment, self.api_log)
        return self._clients[environment]

    @asynccontextmanager
    async def _connect(self, client: Client) -> AsyncIterator[KsefClient]:
        yield self.client_for(client.environment)

    def __call__(self, client: Client) -> Any:
        return self._connect(client)

    async def aclose(self) -> None:
        for ksef in self._clients.values():
            await ksef.aclose()
        self._clients.clear()

"""The client board in one call: every client with credentials, newest checks and sync state.

Six SELECTs inside one read snapshot, whatever the number of clients (no query per client), and
each client key is unwrapped once and cached for the rest of the session. `load_board_office` reads what
readiness for 2027 needs at the office level (the office certificate, the latest grant census).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ksef_tui.core.models import Client, Credential, LiveCheck, SyncState
from ksef_tui.core.readiness import Census, ClientOfficeState
from ksef_tui.store.database import read_snapshot
from ksef_tui.store.repositories.checks import latest_checks
from ksef_tui.store.repositories.clients import load_clients
from ksef_tui.store.repositories.credentials import group_by_client, load_credentials
from ksef_tui.store.repositories.office import latest_censuses, load_office_certificate, load_states
from ksef_tui.store.repositories.sync_state import load_sync_states
from ksef_tui.store.vault import Vault


@dataclass
class BoardRow:
    """A client as the board sees it. Its credentials come without their secrets (secret "" and no
    certificate): load them with `store.credentials.for_client` when a credential is used."""

    client: Client
    credentials: list[Credential] = field(default_factory=list)
    checks: dict[int, LiveCheck] = field(default_factory=dict)  # credential id -> newest check
    sync: SyncState | None = None
    office_state: ClientOfficeState | None = None  # grant requested, the office certificate's probe


@dataclass
class BoardOffice:
    """The office-level part of readiness: its certificate (without secrets) and the latest census."""

    certificate: Credential | None = None
    census: Census | None = None


def load_board_office(vault: Vault) -> BoardOffice:
    with read_snapshot(vault.db):
        certificate = load_office_certificate(vault, with_secrets=False)
        latest = latest_censuses(vault, 1)
    return BoardOffice(certificate, latest[0] if latest else None)


def load_board(vault: Vault) -> list[BoardRow]:
    with read_snapshot(vault.db):
        clients = load_clients(vault, None)
        credentials = group_by_client(load_credentials(vault, "", [], with_secrets=False))
        checks = latest_checks(vault, None)
        syncs = load_sync_states(vault, None)
        states = load_states(vault, None)
    return [
        BoardRow(
            client=client,
            credentials=credentials.get(client.id, []),  # type: ignore[arg-type]  # a stored client has an id
            checks=checks.get(client.id, {}),  # type: ignore[arg-type]  # a stored client has an id
            sync=syncs.get(client.id),  # type: ignore[arg-type]  # a stored client has an id
            office_state=states.get(client.id),  # type: ignore[arg-type]  # a stored client has an id
        )
        for client in clients
    ]

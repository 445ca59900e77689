"""The store writes the forms make (create, unlock, a client, a credential), each with its audit line.

Blocking (SQLite, Argon2id): the screens call these from a thread worker. A StoreError becomes
StoreProblem, which says what went wrong in words; the screens never import the store.
No textual here.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from ksef_tui.core.clock import Clock
from ksef_tui.core.models import Client, Credential, CredentialKind
from ksef_tui.core.operators import Action
from ksef_tui.store import KdfLimits, Store, StoreError
from ksef_tui.sync.permissions import require


class StoreProblem(Exception):
    """The store refused or could not do it; the message says why (from the store's StoreError)."""


def create_store(
    home: Path,
    passphrase: str,
    clock: Clock,
    kdf: KdfLimits | None = None,
    on_created: Callable[[Store], None] | None = None,
) -> Store:
    """A new store at `home`, handed to `on_created` (the demo seeds it there)."""
    kwargs: dict[str, Any] = {"kdf": kdf} if kdf is not None else {}
    try:
        store = Store.create(home, passphrase, clock=clock, **kwargs)
        if on_created is not None:
            on_created(store)
    except StoreError as err:
        raise StoreProblem(str(err)) from None
    return store


def unlock_store(
    home: Path, passphrase: str, clock: Clock, store: Store | None, operator: str | None = None
) -> Store:
    """`store` unlocked again (after a lock), or the store at `home` opened as `operator` (None: the
    administrator). A locked store unlocked by another operator (a shared desk: one person locks, the
    next unlocks as themselves) is opened anew as that operator, and the old one closed only once the new
    one is open: a wrong passphrase changes nothing. The caller checks `must_change_passphrase`."""
    try:
        if store is not None and (operator is None or operator == store.operator):
            store.unlock(passphrase)
            return store
        opened = Store.open(home, passphrase, operator=operator, clock=clock)
        if store is not None:
            store.close()
        return opened
    except StoreError as err:
        raise StoreProblem(str(err)) from None


def store_logins(home: Path) -> list[str]:
    """Who can unlock the store at `home` (the unlock screen asks who when there is more than one)."""
    return Store.logins(home)


def change_initial_passphrase(store: Store, old: str, new: str) -> None:
    """The passphrase an administrator set (a new operator, a reset) replaced by the operator's own."""
    try:
        store.change_passphrase(old, new)
    except StoreError as err:
        raise StoreProblem(str(err)) from None


def save_client(store: Store, client: Client) -> int:
    """Add the client (no id yet) or update it; its id."""
    require(store, Action.CLIENTS)
    try:
        if client.id is None:
            saved = store.clients.add(client)
            assert saved.id is not None
            store.audit.append(saved.id, "client.add", "ok")
            return saved.id
        store.clients.update(client)
        store.audit.append(client.id, "client.edit", "ok")
        return client.id
    except StoreError as err:
        raise StoreProblem(str(err)) from None


def remove_client(store: Store, client: Client) -> None:
    require(store, Action.CLIENTS)
    assert client.id is not None
    store.clients.remove(client.id)
    store.audit.append(None, "client.remove", "ok", client.short_code)


def add_credential(store: Store, credential: Credential, action: str, detail: str) -> None:
    """Seal the credential and record `action` (with `detail`: a token reference or a serial, never a
    secret) in the audit trail."""
    require(store, Action.CLIENTS)
    try:
        store.credentials.add(credential)
        store.audit.append(credential.client_id, action, "ok", detail)
    except StoreError as err:
        raise StoreProblem(str(err)) from None


def credential_identity(credential: Credential) -> str:
    """What names the credential in the audit trail and on the screen: the token's reference or the
    certificate's serial (never a secret); "" when it has none (or it is damaged)."""
    if "reference" in credential.damaged or "serial" in credential.damaged:
        return ""
    if credential.kind is CredentialKind.KSEF_TOKEN:
        return credential.reference or ""
    return credential.serial or ""


def removal_code(credential: Credential, client: Client) -> str:
    """What the user types to confirm removing `credential`: the last four characters of its token
    reference or certificate serial, or the client's short code when it has neither (a damaged one).
    docs/DECISIONS.md "Removing a credential"."""
    identity = "".join(ch for ch in credential_identity(credential) if ch.isalnum()).upper()
    return identity[-4:] if len(identity) >= 4 else client.short_code


def remove_credential(store: Store, credential: Credential) -> None:
    """Remove the credential and its live checks; the audit trail records "credential.remove"."""
    require(store, Action.CLIENTS)
    assert credential.id is not None
    try:
        store.credentials.remove(credential.id, credential_identity(credential))
    except StoreError as err:
        raise StoreProblem(str(err)) from None

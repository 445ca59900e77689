"""The one permission check every use case makes (issue 15): the role's table (core/operators.py), the
client's assignment, and a passphrase that must be changed first.

The keys already stop an operator from reading or writing a client not assigned to them (the store has
no key for it); this adds what keys cannot tell apart (an accountant from a read-only operator, office-
wide changes) and says it in Polish before anything is sent to KSeF. Screens call `permitted` to hide
what the role cannot do, but the use cases never rely on that.
"""

from __future__ import annotations

from ksef_tui.core.i18n import _
from ksef_tui.core.operators import Action, action_label, allows, role_label
from ksef_tui.store import Store, StoreError
from ksef_tui.store.errors import NotAssigned


class NotPermitted(StoreError):
    """The logged-in operator's role does not allow this action."""


class PassphraseChangeRequired(StoreError):
    def __init__(self) -> None:
        super().__init__(
            _("Change the initial passphrase first (ksef-tui passphrase, or the unlock screen).")
        )


def permitted(store: Store, action: Action) -> bool:
    """Whether the role allows the action at all (for hiding what cannot be done)."""
    return not store.must_change_passphrase and allows(store.role, action)


def require(store: Store, action: Action, client_id: int | None = None) -> None:
    """Raise (PassphraseChangeRequired, NotPermitted, NotAssigned) unless whoever unlocked the store
    may do `action`, on `client_id` when given."""
    if store.must_change_passphrase:
        raise PassphraseChangeRequired
    if not allows(store.role, action):
        raise NotPermitted(
            _("Operator {login} ({role}) may not {action}.").format(
                login=store.operator, role=role_label(store.role), action=action_label(action)
            )
        )
    if client_id is not None and not store.can_open_client(client_id):
        raise NotAssigned(store.operator)

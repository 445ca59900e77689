"""Who may do what in the office: operator roles and the one permission table (issue 15).

The keys decide what an operator can READ (an operator's key slot unwraps only the assigned clients'
keys, store/slots.py); this table decides what the software lets them DO with what they can read. Both
the use cases (sync/permissions.py) and the screens ask `allows`, so hiding a button is never the only
guard.
"""

from __future__ import annotations

import re
from enum import StrEnum

from ksef_tui.core.i18n import _


class OfficeRole(StrEnum):
    ADMINISTRATOR = "administrator"  # everything: operators, office certificate, settings, every client
    ACCOUNTANT = "accountant"  # the assigned clients: checks, sync, queue, export
    READ_ONLY = "read_only"  # the assigned clients, nothing that writes or calls KSeF


class Action(StrEnum):
    READ = "read"  # see the assigned clients' data
    CHECK = "check"  # a live check of a credential (calls KSeF)
    SYNC = "sync"  # sales, purchases, UPO (calls KSeF, writes)
    QUEUE = "queue"  # booking decisions and rules
    EXPORT = "export"  # export batches and files
    CLIENTS = "clients"  # add, edit, remove clients; import or remove credentials
    OFFICE = "office"  # the office certificate, office settings, grant census
    OPERATORS = "operators"  # add, assign, reset, remove operators; the recovery key


_ALLOWED: dict[OfficeRole, frozenset[Action]] = {
    OfficeRole.ADMINISTRATOR: frozenset(Action),
    OfficeRole.ACCOUNTANT: frozenset({Action.READ, Action.CHECK, Action.SYNC, Action.QUEUE, Action.EXPORT}),
    OfficeRole.READ_ONLY: frozenset({Action.READ}),
}

# Operators added by an administrator; another administrator is the office's own slot (ksef-tui init).
OPERATOR_ROLES = (OfficeRole.ACCOUNTANT, OfficeRole.READ_ONLY)

_LOGIN = re.compile(r"^[a-z0-9][a-z0-9._-]{0,31}$")


def allows(role: OfficeRole, action: Action) -> bool:
    return action in _ALLOWED[role]


def role_label(role: OfficeRole) -> str:
    return {
        OfficeRole.ADMINISTRATOR: _("administrator"),
        OfficeRole.ACCOUNTANT: _("accountant"),
        OfficeRole.READ_ONLY: _("read-only"),
    }[role]


def action_label(action: Action) -> str:
    return {
        Action.READ: _("read client data"),
        Action.CHECK: _("check credentials in KSeF"),
        Action.SYNC: _("synchronise with KSeF"),
        Action.QUEUE: _("decide bookings"),
        Action.EXPORT: _("export"),
        Action.CLIENTS: _("change clients and credentials"),
        Action.OFFICE: _("change the office certificate and settings"),
        Action.OPERATORS: _("manage operators"),
    }[action]


def parse_role(text: str) -> OfficeRole:
    """'accountant' / 'read-only' (also the Polish words) -> the role; ValueError with a Polish message."""
    folded = text.strip().lower().replace("-", "_")
    aliases = {
        "ksiegowy": "accountant",
        "księgowy": "accountant",
        "odczyt": "read_only",
        "readonly": "read_only",
    }
    folded = aliases.get(folded, folded)
    try:
        return OfficeRole(folded)
    except ValueError:
        raise ValueError(_("Unknown role {role!r}: use accountant or read-only.").format(role=text)) from None


def normalise_login(text: str) -> str:
    """A login: lower-case ASCII letters, digits, '.', '_' or '-', at most 32, starting with a letter or
    digit (it is stored in plaintext: it must be known before any key is unwrapped). ValueError else."""
    login = text.strip().lower()
    if not _LOGIN.match(login):
        raise ValueError(
            _("A login is 1-32 lower-case letters, digits, '.', '_' or '-', starting with a letter or digit.")
        )
    return login

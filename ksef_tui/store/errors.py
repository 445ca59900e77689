"""What can go wrong in the store, said plainly (messages are translated; none carries a secret)."""

from __future__ import annotations

from dataclasses import dataclass

from ksef_tui.core.i18n import _


class StoreError(Exception):
    """Any failure of the sealed store the user should hear about; `str()` is the translated message."""


class WrongPassphrase(StoreError):
    def __init__(self) -> None:
        super().__init__(_("Wrong passphrase. Nothing was changed."))


class DamagedKeySlot(StoreError):
    """A key slot that cannot be what we wrote: wrong lengths, unknown role, KDF limits we never use.
    (A slot whose MAC fails is indistinguishable from a wrong passphrase and reported as that.)"""

    def __init__(self) -> None:
        super().__init__(_("The key slot is damaged; restore the store from a backup."))


class StoreDamaged(StoreError):
    """The database file itself is damaged (truncated, corrupt pages): SQLite cannot read it."""

    def __init__(self) -> None:
        super().__init__(_("The store file is damaged; restore it from a backup (ksef-tui restore FILE)."))


class StoreInUse(StoreError):
    def __init__(self) -> None:
        super().__init__(_("Another ksef-tui has the store open; close it and try again."))


class StoreLocked(StoreError):
    def __init__(self) -> None:
        super().__init__(_("The store is locked. Enter your passphrase to unlock it."))


class AdminOnly(StoreError):
    """What only an administrator may do (it needs the office key, which an operator does not hold)."""

    def __init__(self) -> None:
        super().__init__(_("Only an administrator can do this."))


class NotAssigned(StoreError):
    """A write to a client not assigned to the operator who unlocked the store (no key for it)."""

    def __init__(self, operator: str) -> None:
        super().__init__(
            _("This client is not assigned to operator {operator}; ask an administrator.").format(
                operator=operator
            )
        )


class NotFound(StoreError):
    """A row asked for by id does not exist (any more)."""


class StoreBusy(StoreError):
    def __init__(self) -> None:
        super().__init__(_("The store is busy: another ksef-tui is writing to it. Try again in a moment."))


@dataclass(frozen=True)
class DamagedValue:
    """A sealed value whose authentication failed: where it is, never what it was."""

    table: str
    row_id: int | str
    column: str

    def __str__(self) -> str:
        return f"{self.table}|{self.row_id}|{self.column}"


class DamagedValueError(StoreError):
    """Raised where a placeholder cannot stand in for the value (a document body)."""

    def __init__(self, damaged: DamagedValue) -> None:
        self.damaged = damaged
        super().__init__(
            _("A stored value is damaged and cannot be read ({where}).").format(where=str(damaged))
        )


class DamagedOverwrite(DamagedValueError):
    """Raised by a repository's update when the record it was given still carries a damaged value's
    placeholder: sealing it would turn the placeholder into a genuine-looking value and hide the damage.
    Only an explicit repair (the value imported or typed again) may write over a damaged value."""

    def __init__(self, damaged: DamagedValue) -> None:
        super().__init__(damaged)
        StoreError.__init__(
            self,
            _(
                "A damaged value cannot be saved over ({where}): restore the store from a backup,"
                " or import or enter the value again."
            ).format(where=str(damaged)),
        )

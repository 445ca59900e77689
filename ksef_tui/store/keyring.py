"""The keys an unlocked store holds in memory, and dropping them when it locks."""

from __future__ import annotations

from dataclasses import dataclass, field

from ksef_tui.store.sealing import SecretKey


@dataclass(repr=False)
class KeyRing:
    # Wraps every client key and the office's own keys below. None when an operator unlocked the store:
    # then `slot` (the operator's slot key) unwraps the assigned clients' keys and nothing else.
    office: SecretKey | None
    index: SecretKey  # blind-index key (keyed BLAKE2b)
    data: SecretKey  # seals office-level rows: settings, audit entries without a (live) client
    clients: dict[int, SecretKey] = field(default_factory=dict)  # unwrapped lazily, on first use
    slot: SecretKey | None = None  # an operator's slot key (None for an administrator)

    def wipe(self) -> None:
        for key in (self.office, self.slot, self.index, self.data, *self.clients.values()):
            if key is not None:
                key.wipe()
        self.clients.clear()

    def __repr__(self) -> str:
        return f"KeyRing(clients={len(self.clients)})"

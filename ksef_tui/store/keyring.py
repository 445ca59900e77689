"""The keys an unlocked store holds in memory, and dropping them when it locks."""

from __future__ import annotations

from dataclasses import dataclass, field

from ksef_tui.store.sealing import SecretKey


@dataclass(repr=False)
class KeyRing:
    office: SecretKey  # wraps every client key and the office's own keys below
    index: SecretKey  # blind-index key (keyed BLAKE2b)
    data: SecretKey  # seals office-level rows: settings, audit entries without a (live) client
    clients: dict[int, SecretKey] = field(default_factory=dict)  # unwrapped lazily, on first use

    def wipe(self) -> None:
        for key in (self.office, self.index, self.data, *self.clients.values()):
            key.wipe()
        self.clients.clear()

    def __repr__(self) -> str:
        return f"KeyRing(clients={len(self.clients)})"

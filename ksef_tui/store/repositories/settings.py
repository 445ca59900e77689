"""Office-wide settings: JSON values sealed under the office data key, found by a blind index of the
key name (so even which settings exist is not readable from the file)."""

from __future__ import annotations

from typing import Any

from ksef_tui.store.blind_index import normalise_key
from ksef_tui.store.database import next_id
from ksef_tui.store.repositories.base import Repository
from ksef_tui.store.vault import RowReader, RowWriter

SETTINGS_DOMAIN = "setting"


class SettingsRepository(Repository):
    def get(self, key: str, default: Any = None) -> Any:
        """The value, or `default` when unset. A damaged value also yields `default` (and is listed
        in `store.damaged`): settings have safe defaults, the rest of the app must keep working."""
        with self._sessions._reading() as vault:
            row = vault.db.execute(
                "SELECT id, value FROM settings WHERE key_index = ?",
                [vault.index(SETTINGS_DOMAIN, normalise_key(key))],
            ).fetchone()
            if row is None:
                return default
            return RowReader(vault, vault.keys.data, "settings", row[0]).get("value", row[1], default)

    def set(self, key: str, value: Any) -> None:
        name = normalise_key(key)
        with self._sessions._writing() as vault:
            index = vault.index(SETTINGS_DOMAIN, name)
            row = vault.db.execute("SELECT id FROM settings WHERE key_index = ?", [index]).fetchone()
            setting_id = row[0] if row else next_id(vault.db, "settings")
            w = RowWriter(vault, vault.keys.data, "settings", setting_id)
            vault.db.execute(
                "INSERT INTO settings (id, key_index, key, value, updated) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET key = excluded.key, value = excluded.value,"
                " updated = excluded.updated",
                [setting_id, index, w.seal("key", name), w.seal("value", value), vault.now_iso()],
            )

    def delete(self, key: str) -> None:
        with self._sessions._writing() as vault:
            vault.db.execute(
                "DELETE FROM settings WHERE key_index = ?",
                [vault.index(SETTINGS_DOMAIN, normalise_key(key))],
            )

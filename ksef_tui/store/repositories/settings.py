"""Office-wide settings: JSON values sealed under the office data key, found by a blind index of the
key name (so even which settings exist is not readable from the file). Every change is audited
("settings.update" / "settings.delete", the detail the setting's name, never its value)."""

from __future__ import annotations

import json
from typing import Any

from ksef_tui.store.blind_index import normalise_key
from ksef_tui.store.database import next_id
from ksef_tui.store.repositories.audit import append_entry
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
            row = vault.db.execute("SELECT id, value FROM settings WHERE key_index = ?", [index]).fetchone()
            if row is not None:
                old, ok = vault.open_json(vault.keys.data, "settings", row[0], "value", row[1], None)
                if ok and old == json.loads(json.dumps(value)):
                    return  # unchanged: nothing to write, nothing to audit
            setting_id = row[0] if row else next_id(vault.db, "settings")
            w = RowWriter(vault, vault.keys.data, "settings", setting_id)
            vault.db.execute(
                "INSERT INTO settings (id, key_index, key, value, updated) VALUES (?, ?, ?, ?, ?)"
                " ON CONFLICT (id) DO UPDATE SET key = excluded.key, value = excluded.value,"
                " updated = excluded.updated",
                [setting_id, index, w.seal("key", name), w.seal("value", value), vault.now_iso()],
            )
            append_entry(vault, None, "settings.update", "ok", name)

    def delete(self, key: str) -> None:
        name = normalise_key(key)
        with self._sessions._writing() as vault:
            gone = vault.db.execute(
                "DELETE FROM settings WHERE key_index = ?", [vault.index(SETTINGS_DOMAIN, name)]
            ).rowcount
            if gone:
                append_entry(vault, None, "settings.delete", "ok", name)

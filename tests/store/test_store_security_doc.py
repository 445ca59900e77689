"""docs/SECURITY.md lists every plaintext column of the schema, and nothing that is not there."""

from __future__ import annotations

import re
from pathlib import Path

from store_helpers import raw

from ksef_tui.store import Store
from ksef_tui.store.paths import DB_FILENAME

DOC = Path(__file__).resolve().parents[2] / "docs" / "SECURITY.md"
ROW = re.compile(r"^\| `(\w+)` \| `(\w+)` \|", re.MULTILINE)


def _is_sealed(column: str, declared_type: str) -> bool:
    # Sealed values are BLOBs; the only other BLOBs are blind indexes, the Argon2id salt and the audit
    # chain's links (keyed digests, like blind indexes).
    return (
        declared_type.upper() == "BLOB" and not column.endswith("_index") and column not in ("salt", "chain")
    )


def test_every_plaintext_column_is_documented(store: Store, home: Path) -> None:
    conn = raw(home / DB_FILENAME)
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    plaintext = {
        (table, column)
        for table in tables
        for _, column, declared, *_ in conn.execute(f"PRAGMA table_info([{table}])")
        if not _is_sealed(column, declared)
    }
    conn.close()
    documented = set(ROW.findall(DOC.read_text(encoding="utf-8")))
    assert plaintext - documented == set(), "plaintext columns missing from docs/SECURITY.md"
    assert documented - plaintext == set(), "docs/SECURITY.md lists columns that are not plaintext"

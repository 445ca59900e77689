"""Issue 17 item 9: `status` prints bounded rows whatever a store holds (a 10 MB name printed 230 MB:
every row was padded to the widest cell)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ksef_tui.cli.status import TABLE_CAPS, as_json, as_table, clip
from ksef_tui.core.board import build_board
from ksef_tui.core.models import CheckOutcome, Client, Credential, CredentialKind, LiveCheck

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)


def _rows(names: list[str]) -> list[tuple]:  # type: ignore[type-arg]
    rows = []
    for cid, name in enumerate(names, start=1):
        client = Client(name, f"C{cid:02d}_X", ["1234563218"], id=cid)
        cred = Credential(cid, CredentialKind.KSEF_CERTIFICATE, valid_until=NOW + timedelta(days=400), id=cid)
        perms = frozenset({"InvoiceRead"})
        check = LiveCheck(cid, NOW, CheckOutcome.OK, credential_id=cid, permissions=perms)
        rows.append((client, [cred], {cid: check}, None))
    return rows


def test_a_huge_name_does_not_widen_every_row() -> None:
    names = ["Z" * 10_000_000] + [f"Klient {n}" for n in range(22)]
    table = as_table(build_board(_rows(names), NOW))
    lines = table.splitlines()
    assert len(lines) == 24
    assert max(len(line) for line in lines) <= sum(TABLE_CAPS) + 2 * len(TABLE_CAPS)
    assert len(table) < 24 * 400  # not 230 MB
    assert "Z" * (TABLE_CAPS[2] - 1) + "…" in table


def test_short_values_are_shown_whole() -> None:
    table = as_table(build_board(_rows(["Piekarnia Nowak"]), NOW))
    assert "Piekarnia Nowak" in table and "…" not in table
    assert clip("abc", 3) == "abc" and clip("abcd", 3) == "ab…"


def test_json_keeps_the_whole_value() -> None:
    """Machines get the value as stored (the store caps what it accepts)."""
    assert "Q" * 500 in as_json(build_board(_rows(["Q" * 500]), NOW))

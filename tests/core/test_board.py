"""Board rows: urgency order and the filter."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ksef_tui.core.board import build_board, filter_board, level_counts
from ksef_tui.core.health import Level
from ksef_tui.core.models import CheckOutcome, Client, Credential, CredentialKind, LiveCheck

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
ALL = frozenset({"InvoiceRead", "InvoiceWrite", "Introspection"})


def row(cid: int, name: str, nip: str, days: float | None):
    client = Client(name, f"C{cid:02d}_X", [nip], id=cid)
    if days is None:
        return (client, [], {}, None)
    cred = Credential(cid, CredentialKind.KSEF_CERTIFICATE, valid_until=NOW + timedelta(days=days), id=cid)
    check = LiveCheck(cid, NOW, CheckOutcome.OK, credential_id=cid, permissions=ALL)
    return (client, [cred], {cid: check}, None)


ROWS = [
    row(1, "Zielona Sp. z o.o.", "1234563218", 600),
    row(2, "Alfa", "5265877635", 20),
    row(3, "Beta", "7639017757", 3),
    row(4, "Gamma", "6875744212", None),
    row(5, "Delta", "8668982496", 12),
]


def test_sorted_by_urgency_then_nearest_expiry() -> None:
    board = build_board(ROWS, NOW)
    assert [e.client.id for e in board] == [3, 4, 5, 2, 1]
    assert [e.level for e in board] == [Level.RED, Level.RED, Level.YELLOW, Level.YELLOW, Level.GREEN]
    assert level_counts(board) == {Level.RED: 2, Level.YELLOW: 2, Level.GREEN: 1}


def test_expiry_in_polish_words() -> None:
    board = build_board(ROWS, NOW)
    delta = next(e for e in board if e.client.id == 5)
    assert delta.expires_words == "za 12 dni"
    assert delta.nip_formatted == "866-898-24-96"


def test_filter_on_name_nip_and_code() -> None:
    board = build_board(ROWS, NOW)
    assert [e.client.id for e in filter_board(board, "zielona")] == [1]
    assert [e.client.id for e in filter_board(board, "526-587")] == [2]
    assert [e.client.id for e in filter_board(board, "5265877635")] == [2]
    assert [e.client.id for e in filter_board(board, "c04")] == [4]
    assert filter_board(board, "nothing-like-this") == []
    assert len(filter_board(board, "  ")) == 5

"""Issue 16 item 5: finding things. One folding (core.search_text) behind the board filter, the queue's
and the purchase list's filters; NIPs in any spelling; the board filter's colours and credential kinds."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ksef_tui.core.board import build_board, filter_board, parse_filter
from ksef_tui.core.booking_queue import matches_text
from ksef_tui.core.health import HealthSettings, Level
from ksef_tui.core.models import Client, CredentialKind
from ksef_tui.core.search_text import fold, nip_digits
from ksef_tui.sync.clients import board_entries
from ksef_tui.sync.purchase_views import filter_purchases
from tests.core.booking_helpers import booking
from tests.tui.helpers import NOW, make_store
from tests.tui.purchases_helpers import purchase_record


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Wróbel", "wrobel"),
        ("ŁÓDŹ", "lodz"),
        ("Łódź", "lodz"),
        ("Gdańsk, Płock, Żywiec, Świętochłowice", "gdansk, plock, zywiec, swietochlowice"),
        ("zażółć gęślą jaźń", "zazolc gesla jazn"),
        ("FV/2026/11", "fv/2026/11"),
    ],
)
def test_fold_drops_case_and_polish_diacritics(text: str, folded: str) -> None:
    assert fold(text) == folded
    assert len(fold(text)) == len(text)  # position for position: a match can be highlighted


@pytest.mark.parametrize(
    ("typed", "digits"),
    [
        ("PL7639017757", "7639017757"),
        ("pl 763-901-77-57", "7639017757"),
        ("763 901 77 57", "7639017757"),
        ("763-90", "76390"),
        ("76", None),
        ("Wróbel", None),
        ("PLock", None),
    ],
)
def test_a_nip_in_any_spelling(typed: str, digits: str | None) -> None:
    assert nip_digits(typed) == digits


@pytest.fixture(scope="module")
def board(tmp_path_factory: pytest.TempPathFactory) -> list:  # type: ignore[type-arg]
    """The demo roster's board (25 clients: every colour, tokens, certificates, both, none)."""
    store = make_store(tmp_path_factory.mktemp("board"))
    try:
        return board_entries(store, NOW, HealthSettings())
    finally:
        store.close()


def _names(entries: list) -> set[str]:  # type: ignore[type-arg]
    return {e.client.name for e in entries}


@pytest.mark.parametrize("query", ["wrobel", "WROBEL", "Wróbel", "ogrodnictwo wrob"])
def test_board_filter_folds_diacritics(board: list, query: str) -> None:  # type: ignore[type-arg]
    assert _names(filter_board(board, query)) == {"Ogrodnictwo Wróbel Sp. z o.o."}


def test_board_filter_folds_l_with_stroke(board: list) -> None:  # type: ignore[type-arg]
    assert _names(filter_board(board, "plock")) == {
        "Piekarnia Wiśniewski Sp. j. (Płock)",
        "Pracownia Król S.A. (Płock)",
    }
    assert _names(filter_board(board, "pawlowski")) == {"Usługi Budowlane Pawłowski Sp. z o.o. (Lublin)"}


@pytest.mark.parametrize(
    "query", ["PL7639017757", "pl7639017757", "PL 763-901-77-57", "763 901 77 57", "763-901"]
)
def test_board_filter_finds_a_nip_in_any_spelling(board: list, query: str) -> None:  # type: ignore[type-arg]
    assert _names(filter_board(board, query)) == {"Ogrodnictwo Wróbel Sp. z o.o."}


@pytest.mark.parametrize(
    ("query", "level"),
    [
        ("czerwoni", Level.RED),
        ("czerwone", Level.RED),
        ("red", Level.RED),
        ("żółci", Level.YELLOW),
        ("zolte", Level.YELLOW),
        ("yellow", Level.YELLOW),
        ("zieloni", Level.GREEN),
        ("green", Level.GREEN),
        ("ziel", Level.GREEN),  # as you type
    ],
)
def test_board_filter_by_colour(board: list, query: str, level: Level) -> None:  # type: ignore[type-arg]
    wanted = [e for e in board if e.level is level]
    assert wanted and filter_board(board, query) == wanted


def test_a_colour_with_a_name(board: list) -> None:  # type: ignore[type-arg]
    red = {e.client.name for e in board if e.level is Level.RED}
    found = _names(filter_board(board, "czerwoni piekarnia"))
    assert found and all("Piekarnia" in name for name in found) and found <= red


def test_board_filter_by_credential_kind(board: list) -> None:  # type: ignore[type-arg]
    token_only = [e for e in board if e.kinds == {CredentialKind.KSEF_TOKEN}]
    with_token = [e for e in board if CredentialKind.KSEF_TOKEN in e.kinds]
    assert token_only and len(with_token) > len(token_only)
    assert filter_board(board, "tylko token") == token_only
    assert filter_board(board, "only tokens") == token_only
    assert filter_board(board, "token") == with_token
    no_certificate = [
        e for e in board if not e.kinds & {CredentialKind.KSEF_CERTIFICATE, CredentialKind.OFFICE_CERTIFICATE}
    ]
    assert filter_board(board, "bez certyfikatu") == no_certificate
    assert all(not e.kinds for e in filter_board(board, "bez certyfikatu bez tokenu"))
    assert filter_board(board, "tylko token czerwoni") == [e for e in token_only if e.level is Level.RED]


def test_a_word_that_is_also_a_colour_still_finds_the_name() -> None:
    entries = build_board([(Client("Zielony Ogród", "ZIELONY", ["7639017757"], id=1), [], {}, None)], NOW)
    assert entries[0].level is Level.RED  # no credential
    assert filter_board(entries, "zielony") == entries


def test_only_before_a_name_is_a_word_to_find() -> None:
    entries = build_board([(Client("Tylko Nasze", "TYLKO", ["7639017757"], id=1), [], {}, None)], NOW)
    assert filter_board(entries, "tylko nasze") == entries
    assert [t.text for t in parse_filter("tylko nasze")] == ["tylko", "nasze"]


def test_queue_filter_folds_diacritics() -> None:
    b = replace(booking(seller_nip="7639017757"), seller_name="Hurtownia Łódź Wróbel")
    for query in ("lodz", "wrobel", "ŁÓDŹ", "PL7639017757", "PL 763-901"):
        assert matches_text(b, query), query
    assert not matches_text(b, "krakow")


def test_purchase_list_filter_folds_diacritics_and_takes_pl_nips() -> None:
    record = replace(purchase_record(1, 0), seller_name="Zakład Energetyczny Łódź", seller_nip="7639017757")
    other = purchase_record(1, 1)
    for query in ("lodz", "zaklad", "PL7639017757"):
        assert filter_purchases([record, other], query) == [record], query


@given(st.text(max_size=40))
def test_fold_by_table_equals_fold_by_character(text: str) -> None:
    """`fold` translates through a table made ahead for Latin text (speed); the same letters either way."""
    from ksef_tui.core.search_text import _fold_char

    assert fold(text) == "".join(_fold_char(c) for c in text)
    assert len(fold(text)) == len(text)

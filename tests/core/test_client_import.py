"""The client list parser and plan (core/client_import.py): encodings, delimiters, headers, every row
checked against the file and the store, and no token in any word it says."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from ksef_tui.core.client_import import (
    RowAction,
    StoredClient,
    StoredToken,
    StoreSnapshot,
    TokenAction,
    decode_text,
    describe_plan,
    plan_import,
    sniff_delimiter,
    split_csv,
    token_digest,
)
from ksef_tui.core.models import Environment

TOKEN = "20251010-EC-2B0C8AB000-4A3D8E9C3B-8D|nip-5260250274|0123456789abcdef0123456789abcdef"
SECRET_PART = "0123456789abcdef0123456789abcdef"


def plan_csv(text: str, snapshot: StoreSnapshot | None = None):  # type: ignore[no-untyped-def]
    return plan_import(split_csv(text), snapshot or StoreSnapshot())


def test_utf8_with_bom_is_decoded_and_the_bom_dropped() -> None:
    text, encoding = decode_text("\ufeffnip;nazwa\n5260250274;Zażółć\n".encode())
    assert encoding == "utf-8"
    assert text.startswith("nip;")
    plan = plan_csv(text)
    assert [r.client.name for r in plan.rows if r.client] == ["Zażółć"]


def test_windows_1250_is_detected_when_the_bytes_are_not_utf8() -> None:
    data = "NIP;Nazwa;Środowisko\n5260250274;Łódzka Spółdzielnia;testowe\n".encode("cp1250")
    text, encoding = decode_text(data)
    assert encoding == "cp1250"
    row = plan_csv(text).rows[0]
    assert row.client is not None
    assert row.client.name == "Łódzka Spółdzielnia"
    assert row.client.environment is Environment.TEST


@pytest.mark.parametrize("sep", [";", ",", "\t"])
def test_the_delimiter_is_taken_from_the_header(sep: str) -> None:
    text = sep.join(["nip", "name", "short_code"]) + "\n" + sep.join(["5260250274", "Acme", "ACME"]) + "\n"
    assert sniff_delimiter(text) == sep
    row = plan_csv(text).rows[0]
    assert row.valid and row.client is not None and row.client.short_code == "ACME"


def test_a_quoted_name_with_the_delimiter_inside_stays_one_cell() -> None:
    row = plan_csv('nip,nazwa\n5260250274,"Kowalski, Nowak sp.j."\n').rows[0]
    assert row.client is not None and row.client.name == "Kowalski, Nowak sp.j."


def test_polish_and_english_headers_in_any_order_and_spelling() -> None:
    text = (
        "Notatki;TOKEN WAŻNY DO;Token;Środowisko;Kod;Nazwa;NIP\n"
        f"VIP;31.12.2026;{TOKEN};demo;acme_1;Acme;526-025-02-74\n"
    )
    row = plan_csv(text).rows[0]
    assert row.valid, row.problems
    assert row.client is not None
    assert (row.client.short_code, row.client.environment, row.client.notes) == (
        "ACME_1",
        Environment.DEMO,
        "VIP",
    )
    assert row.token == TOKEN and row.token_action is TokenAction.ADD
    assert row.token_valid_until == datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)
    english = plan_csv("token_valid_until,environment,name,nip\n2026-12-31,test,Acme,5260250274\n")
    assert english.rows[0].problems == ("Data ważności bez tokenu: dodaj token albo usuń datę.",)


def test_missing_required_column_is_a_file_problem() -> None:
    plan = plan_csv("nip;kod\n5260250274;ACME\n")
    assert plan.file_problems and not plan.rows
    assert not plan.importable(skip_invalid=True)


def test_a_file_without_a_header_is_told_so() -> None:
    plan = plan_csv("5260250274;Acme\n1234563218;Beta\n")
    assert any("nagłówkiem" in p for p in plan.file_problems), plan.file_problems


def test_bad_nip_duplicate_bad_token_and_bad_date_are_row_problems() -> None:
    text = (
        "nip;nazwa;token;token_ważny_do\n"
        "5260250274;Acme;;\n"
        "1234563219;Zła suma;;\n"
        "526-025-02-74;Acme again;;\n"
        "1234563218;Beta;short;\n"
        "7010002139;Gamma;" + TOKEN + ";31/13/2026\n"
    )
    plan = plan_csv(text)
    by_row = {r.row: r for r in plan.rows}
    assert by_row[2].valid
    assert "suma kontrolna" in " ".join(by_row[3].problems).lower()
    assert by_row[4].problems == ("Ten NIP jest już w wierszu 2.",)
    assert "za krótki" in by_row[5].problems[0]
    assert "RRRR-MM-DD" in by_row[6].problems[0]
    assert [r.row for r in plan.invalid] == [3, 4, 5, 6]
    assert not plan.importable(skip_invalid=False) and plan.importable(skip_invalid=True)


def test_nip_typed_as_a_number_in_a_spreadsheet_and_real_dates() -> None:
    rows = [
        (1, ["NIP", "Nazwa", "Token", "Token ważny do"]),
        (2, [5260250274.0, "Acme", TOKEN, datetime(2026, 6, 30)]),
        (3, [1234563218, "Beta", None, None]),
        (4, [None, None, None, None]),  # a blank row: skipped, numbering kept
        (5, [7010002139, "Gamma", None, date(2026, 1, 1)]),
    ]
    plan = plan_import(rows, StoreSnapshot())
    assert [r.row for r in plan.rows] == [2, 3, 5]
    assert plan.rows[0].token_valid_until == datetime(2026, 6, 30, 23, 59, 59, tzinfo=UTC)
    assert plan.rows[1].valid
    assert not plan.rows[2].valid  # a date without a token


def test_duplicates_against_the_store_update_by_nip_and_refuse_a_taken_code() -> None:
    stored = StoredClient(7, "Acme", "ACME", ("5260250274",), Environment.PROD, "old notes")
    other = StoredClient(8, "Beta", "BETA", ("1234563218",), Environment.PROD, "")
    snapshot = StoreSnapshot([stored, other], {token_digest(TOKEN): StoredToken(7, 70, None)})
    text = (
        "nip;nazwa;kod;notatki;token\n"
        f"5260250274;Acme;;new notes;{TOKEN}\n"
        "1234563218;Beta;;;\n"
        "7010002139;Gamma;BETA;;\n"
    )
    rows = plan_csv(text, snapshot).rows
    assert rows[0].action is RowAction.UPDATE and rows[0].changed == ("notes",)
    assert rows[0].client is not None and rows[0].client.id == 7 and rows[0].client.short_code == "ACME"
    assert rows[0].token_action is TokenAction.KEEP and rows[0].credential_id == 70
    assert rows[1].action is RowAction.UNCHANGED and rows[1].token_action is TokenAction.NONE
    assert not rows[2].valid and "BETA" in rows[2].problems[0]


def test_a_token_stored_for_another_client_is_refused() -> None:
    snapshot = StoreSnapshot(
        [StoredClient(8, "Beta", "BETA", ("1234563218",), Environment.PROD, "")],
        {token_digest(TOKEN): StoredToken(8, 80, None)},
    )
    row = plan_csv(f"nip;nazwa;token\n5260250274;Acme;{TOKEN}\n", snapshot).rows[0]
    assert row.problems == ("Ten token jest już zapisany dla innego klienta.",)


def test_suggested_short_codes_never_clash() -> None:
    stored = StoredClient(1, "Acme", "ACME_274", ("7010002139",), Environment.PROD, "")
    text = "nip;nazwa\n5260250274;Acme\n"
    row = plan_csv(text, StoreSnapshot([stored])).rows[0]
    assert row.client is not None and row.client.short_code == "ACME_274_2"


def test_unknown_environment_and_words_for_environments() -> None:
    rows = plan_csv("nip;nazwa;środowisko\n5260250274;A;produkcyjne\n1234563218;B;mars\n").rows
    assert rows[0].client is not None and rows[0].client.environment is Environment.PROD
    assert rows[1].problems == ("Nieznane środowisko: wpisz prod, test lub demo.",)


def test_no_report_line_ever_shows_a_token() -> None:
    text = (
        "nip;nazwa;token\n"
        f"5260250274;Acme;{TOKEN}\n"
        f"1234563219;Bad NIP;{TOKEN}x\n"
        f"{TOKEN};Shifted columns;\n"  # a token in the NIP column is not echoed either
    )
    plan = plan_csv(text)
    report = "\n".join(describe_plan(plan))
    assert SECRET_PART not in report, report
    assert "20251010-EC-2B0C8AB000-4A3D8E9C3B-8D|…" in report  # the reference tells tokens apart
    assert SECRET_PART not in repr(plan)

"""`ksef-tui audit` and `ksef-tui audit verify` (issue 15 item 2): formats, filters, exit codes, and the
chain's verdict in Polish with the place named; a real store on disk tampered with through SQLite."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ksef_tui.__main__ import cli
from ksef_tui.core.models import Client
from ksef_tui.store import KdfLimits, Store
from ksef_tui.store.paths import DB_FILENAME

PASSPHRASE = "audit cli pass phrase"
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)  # 09:00 in Warsaw (CET)


@pytest.fixture
def office(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, int]]:
    home = tmp_path / "home"
    hours = iter(range(1000))
    store = Store.create(
        home,
        PASSPHRASE,
        operator="Anna Nowak",
        kdf=KdfLimits.FAST_FOR_TESTS,
        clock=lambda: START + timedelta(hours=next(hours)),
    )
    try:
        piekarnia = store.clients.add(Client("Piekarnia Nowak", "PIEKARNIA", ["5260250274"])).id
        warsztat = store.clients.add(Client("Warsztat Kowalski", "WARSZTAT", ["1234563218"])).id
        assert piekarnia is not None and warsztat is not None
        store.audit.append(piekarnia, "sessions.login", "ok", "ksef_token")
        store.audit.append(warsztat, "purchases.sync", "ok", "Subject2: 3 new")
        store.audit.append(piekarnia, "booking.approve", "proposed -> approved", '=HYPERLINK("x")')
        store.audit.append(None, "settings.update", "ok", "upo_folder")
    finally:
        store.close()
    monkeypatch.setenv("KSEF_TUI_HOME", str(home))
    monkeypatch.setenv("KSEF_TUI_PASSPHRASE", PASSPHRASE)
    monkeypatch.setenv("KSEF_TUI_LANG", "pl")
    yield {"PIEKARNIA": piekarnia, "WARSZTAT": warsztat, "home": home}  # type: ignore[dict-item]


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _db(office: dict[str, int]) -> sqlite3.Connection:
    return sqlite3.connect(Path(office["home"]) / DB_FILENAME, isolation_level=None)  # type: ignore[arg-type]


def _ids(office: dict[str, int]) -> list[int]:
    conn = _db(office)
    try:
        return [r[0] for r in conn.execute("SELECT id FROM audit_log ORDER BY id")]
    finally:
        conn.close()


def test_json_lists_newest_first_with_warsaw_offsets(office: dict[str, int]) -> None:
    result = _run("audit", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["action"] for r in rows[:4]] == [
        "settings.update",
        "booking.approve",
        "purchases.sync",
        "sessions.login",
    ]
    assert rows[0]["client"] is None and rows[1]["client"] == "PIEKARNIA"
    assert all(r["operator"] == "Anna Nowak" for r in rows)
    moment = datetime.fromisoformat(rows[0]["at"])
    assert rows[0]["at"].endswith("+01:00") and moment.utcoffset() == timedelta(hours=1)


def test_filters_by_client_action_operator_and_day(office: dict[str, int]) -> None:
    by_client = json.loads(_run("audit", "--client", "526-025-02-74", "--format", "json").output)
    assert {r["client"] for r in by_client} == {"PIEKARNIA"} and len(by_client) == 2
    by_code = json.loads(_run("audit", "--client", "warsztat", "--format", "json").output)
    assert [r["action"] for r in by_code] == ["purchases.sync"]
    by_action = json.loads(_run("audit", "--action", "BOOKING.", "--format", "json").output)
    assert [r["action"] for r in by_action] == ["booking.approve"]
    assert json.loads(_run("audit", "--operator", "nowak", "--format", "json").output)
    assert json.loads(_run("audit", "--operator", "Ewa", "--format", "json").output) == []
    every = json.loads(_run("audit", "--format", "json").output)
    day = every[0]["at"][:10]
    since = json.loads(_run("audit", "--since", day, "--format", "json").output)
    assert since and all(r["at"][:10] >= day for r in since)
    assert json.loads(_run("audit", "--since", "2030-01-01", "--format", "json").output) == []


def test_csv_is_excel_ready_and_formula_safe(office: dict[str, int]) -> None:
    result = CliRunner().invoke(cli, ["audit", "--format", "csv"], catch_exceptions=False)
    raw = result.stdout_bytes
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig")), delimiter=";"))
    assert rows[0] == ["nr", "czas", "operator", "klient", "czynność", "wynik", "szczegóły"]
    approve = next(r for r in rows if r[4] == "booking.approve")
    assert approve[6] == '\'=HYPERLINK("x")' and approve[3] == "PIEKARNIA"
    assert approve[1].startswith("2026-03-02 ")  # Warsaw time, as Excel shows it


def test_text_and_bad_arguments(office: dict[str, int]) -> None:
    text = _run("audit", "--action", "purchases")
    assert text.exit_code == 0 and "purchases.sync" in text.output and "WARSZTAT" in text.output
    assert "Żaden wpis" in _run("audit", "--action", "nothing.").output
    bad_day = _run("audit", "--since", "02.03.2026")
    assert bad_day.exit_code == 3 and "RRRR-MM-DD" in bad_day.output
    unknown = _run("audit", "--client", "NIEMA")
    assert unknown.exit_code == 3


def test_verify_passes_and_prints_the_digest_to_note(office: dict[str, int]) -> None:
    result = _run("audit", "verify")
    assert result.exit_code == 0, result.output
    assert "nienaruszony" in result.output
    last = _ids(office)[-1]
    conn = _db(office)
    digest = bytes(conn.execute("SELECT chain FROM audit_log WHERE id = ?", [last]).fetchone()[0]).hex()
    conn.close()
    assert f"nr {last}, skrót {digest}" in result.output
    anchored = _run("audit", "verify", "--anchor", f"{last}:{digest}")
    assert anchored.exit_code == 0
    rewritten = _run("audit", "verify", "--anchor", f"{last}:{'0' * 64}")
    assert rewritten.exit_code == 2 and f"wpisu nr {last}" in rewritten.output
    assert _run("audit", "verify", "--anchor", "zly").exit_code == 3


def test_verify_names_a_deleted_entry(office: dict[str, int]) -> None:
    ids = _ids(office)
    conn = _db(office)
    conn.execute("DELETE FROM audit_log WHERE id = ?", [ids[2]])
    conn.close()
    result = _run("audit", "verify")
    assert result.exit_code == 2
    assert "naruszony" in result.output and f"Usunięto wpis nr {ids[2]}." in result.output


def test_verify_names_an_altered_and_a_moved_entry(office: dict[str, int]) -> None:
    ids = _ids(office)
    conn = _db(office)
    conn.execute("UPDATE audit_log SET at = '2026-01-01T00:00:00+00:00' WHERE id = ?", [ids[-1]])
    conn.close()
    altered = _run("audit", "verify")
    assert altered.exit_code == 2 and f"Wpis nr {ids[-1]} został zmieniony" in altered.output

    conn = _db(office)
    a, b = ids[1], ids[3]
    conn.execute("UPDATE audit_log SET id = -1 WHERE id = ?", [a])
    conn.execute("UPDATE audit_log SET id = ? WHERE id = ?", [a, b])
    conn.execute("UPDATE audit_log SET id = ? WHERE id = -1", [b])
    conn.close()
    moved = _run("audit", "verify")
    assert moved.exit_code == 2
    assert f"Wpis nr {a} został przeniesiony: zapisano go jako wpis nr {b}." in moved.output


def test_verify_passes_after_redaction(office: dict[str, int]) -> None:
    store = Store.open(Path(office["home"]), PASSPHRASE)  # type: ignore[arg-type]
    store.audit.redact_client(office["PIEKARNIA"], "zakończenie współpracy")
    store.clients.remove(office["PIEKARNIA"])
    store.close()
    result = _run("audit", "verify")
    assert result.exit_code == 0, result.output
    assert "zanonimizowane" in result.output
    rows = json.loads(_run("audit", "--client", f"#{office['PIEKARNIA']}", "--format", "json").output)
    redacted = [r for r in rows if r["redacted"]]
    assert {r["action"] for r in redacted} == {"sessions.login", "booking.approve"}
    assert all(
        r["detail"] == "zakończenie współpracy" and r["client"] == f"#{office['PIEKARNIA']}" for r in redacted
    )


def test_verify_cannot_run_without_a_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KSEF_TUI_HOME", str(tmp_path / "none"))
    monkeypatch.setenv("KSEF_TUI_PASSPHRASE", PASSPHRASE)
    assert _run("audit", "verify").exit_code == 3

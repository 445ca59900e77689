"""`ksef-tui queue` and `ksef-tui approve` (issue 13 item 6): formats, thresholds, dry run, exit codes.
A real store on disk with bookings in it and core's booking engine."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ksef_tui.__main__ import cli
from ksef_tui.core.bookings import (
    Booking,
    BookingLine,
    BookingStatus,
    Deduction,
    ReviewReason,
    Strength,
)
from ksef_tui.core.models import Client
from ksef_tui.store import KdfLimits, Store
from ksef_tui.store.paths import DB_FILENAME
from tests.booking_engine import engine  # noqa: F401  (the fixture)

PASSPHRASE = "queue cli pass phrase"
QUEUED = datetime.now(UTC) - timedelta(
    hours=30
)  # the command reads the wall clock: ages only compared loosely


def _booking(client_id: int, n: int, **changes: object) -> Booking:
    values: dict[str, object] = {
        "client_id": client_id,
        "ksef_number": f"7740001454-20261120-{n:06X}00-{n:02X}",
        "status": BookingStatus.PROPOSED,
        "lines": (
            BookingLine(
                1, "23", Decimal("100.00"), Decimal("23.00"), deduction=Deduction.HALF, gl_account="401-01"
            ),
        ),
        "seller_nip": "7740001454",
        "seller_name": "Stacja Paliw Orlen",
        "invoice_number": f"FV/{n}",
        "vat_period": "2026-11",
        "vat_register": "ZAKUP-50",
        "gross": Decimal("123.00"),
        "strength": Strength.SELLER_ITEMS,
        "confidence": 96,
        "reason": "dostawca znany: 5 razy zatwierdzone tak samo, 0 zmian",
        "queued_at": QUEUED + timedelta(minutes=n),
    }
    values.update(changes)
    return Booking(**values)  # type: ignore[arg-type]


@pytest.fixture
def office(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    home = tmp_path / "home"
    store = Store.create(home, PASSPHRASE, operator="Anna Nowak", kdf=KdfLimits.FAST_FOR_TESTS)
    try:
        piekarnia = store.clients.add(Client("Piekarnia Nowak", "PIEKARNIA", ["5260250274"])).id
        warsztat = store.clients.add(Client("Warsztat Kowalski", "WARSZTAT", ["1234563218"])).id
        assert piekarnia is not None and warsztat is not None
        store.bookings.put_many(
            [
                _booking(piekarnia, 1),  # strong, seller and items
                _booking(piekarnia, 2, strength=Strength.SELLER, confidence=91),
                _booking(piekarnia, 3, confidence=70),  # not confident enough
                _booking(piekarnia, 4, strength=Strength.PATTERN, confidence=95),  # an office rule: never
                _booking(
                    piekarnia,
                    5,
                    status=BookingStatus.NEEDS_REVIEW,
                    doc_kind="KOR",
                    review_reasons=(ReviewReason.CORRECTION,),
                ),
                _booking(piekarnia, 6, status=BookingStatus.APPROVED),
                _booking(warsztat, 7),
            ]
        )
    finally:
        store.close()
    monkeypatch.setenv("KSEF_TUI_HOME", str(home))
    monkeypatch.setenv("KSEF_TUI_PASSPHRASE", PASSPHRASE)
    return {"PIEKARNIA": piekarnia, "WARSZTAT": warsztat}


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _statuses(home_id: int) -> dict[str, str]:
    import os

    store = Store.open(Path(os.environ["KSEF_TUI_HOME"]), PASSPHRASE)
    try:
        return {b.ksef_number: b.status.value for b in store.bookings.list([home_id])}
    finally:
        store.close()


def test_queue_json_has_every_field_oldest_first(office: dict[str, int]) -> None:
    result = _run("queue", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["invoice_number"] for r in rows] == [
        "FV/1",
        "FV/2",
        "FV/3",
        "FV/4",
        "FV/5",
        "FV/7",
    ]  # open only
    first = rows[0]
    assert first["client_nip"] == "5260250274" and first["seller_nip"] == "7740001454"
    assert first["status"] == "proposed" and first["strength"] == "seller_items" and first["confidence"] == 96
    assert first["reason"].startswith("dostawca znany")
    assert first["gross"] == "123.00" and 29 < first["age_hours"] < 32 and first["past_sla"] is True
    (line,) = first["lines"]
    assert line == {
        "line_no": 1,
        "vat_rate": "23",
        "net": "100.00",
        "vat": "23.00",
        "deduction": "half",
        "deduction_pct": None,
        "jpk_group": "other",
        "kpir_column": "other",
        "cost_share_pct": 100,
        "gl_account": "401-01",
        "gl_contra": "",
        "cost_centre": "",
        "source_lines": [],
    }
    assert rows[4]["review_reasons"] == ["correction"]


def test_queue_filters_by_client_and_status_and_prints_a_table(office: dict[str, int]) -> None:
    result = _run(
        "queue", "--client", "warsztat", "--status", "proposed", "--status", "approved", "--format", "json"
    )
    assert [r["invoice_number"] for r in json.loads(result.stdout)] == ["FV/7"]
    table = _run("queue", "--client", "5260250274")
    assert table.exit_code == 0
    lines = table.stdout.splitlines()
    assert len(lines) == 6 and "PIEKARNIA" in lines[0] and "123,00 PLN" in lines[0]
    assert lines[-1].startswith("Księgowań: 5 (")


def test_queue_unknown_client_exits_3(office: dict[str, int]) -> None:
    result = _run("queue", "--client", "NIEMA")
    assert result.exit_code == 3 and "NIEMA" in result.output


@pytest.mark.usefixtures("engine")
def test_approve_dry_run_lists_and_changes_nothing(office: dict[str, int]) -> None:
    before = _statuses(office["PIEKARNIA"])
    result = _run("approve", "--client", "PIEKARNIA", "--dry-run", "--format", "json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["dry_run"] is True and out["approved"] == 0 and out["gross"] == "246.00"
    assert [b["invoice_number"] for b in out["bookings"]] == ["FV/1", "FV/2"]
    assert _statuses(office["PIEKARNIA"]) == before


@pytest.mark.usefixtures("engine")
def test_approve_takes_only_proposed_above_the_threshold_and_audits(office: dict[str, int]) -> None:
    result = _run("approve", "--client", "PIEKARNIA", "--min-strength", "seller_items")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[-1] == "Zatwierdzono 1 księgowań na łączną kwotę 123,00 PLN."
    statuses = _statuses(office["PIEKARNIA"])
    assert sorted(statuses.values()) == [
        "approved",
        "approved",
        "needs_review",
        "proposed",
        "proposed",
        "proposed",
    ]
    assert _statuses(office["WARSZTAT"]) == {_booking(0, 7).ksef_number: "proposed"}  # another client
    lower = _run("approve", "--client", "PIEKARNIA", "--min-confidence", "60", "--format", "json")
    taken = json.loads(lower.stdout)["bookings"]  # proposals may have been refreshed by what was learned
    assert taken and "FV/5" not in {b["invoice_number"] for b in taken}
    assert all(b["confidence"] >= 60 and b["strength"] in ("seller", "seller_items") for b in taken)
    import os

    store = Store.open(Path(os.environ["KSEF_TUI_HOME"]), PASSPHRASE)
    try:
        entries = [e for e in store.audit.list(limit=50) if e.action == "booking.approve"]
        assert len(entries) == 1 + len(taken) and all(
            json.loads(e.detail)["by"] == "Anna Nowak" for e in entries
        )
        review = next(b for b in store.bookings.list() if b.doc_kind == "KOR")
        assert review.status is BookingStatus.NEEDS_REVIEW  # never approved headless
    finally:
        store.close()


def test_approve_needs_a_client_and_a_sane_threshold(office: dict[str, int]) -> None:
    result = _run("approve")
    assert result.exit_code == 3 and "--client" in result.output
    assert _run("approve", "--client", "PIEKARNIA", "--min-strength", "pattern").exit_code != 0
    assert _run("approve", "--client", "PIEKARNIA", "--min-confidence", "101").exit_code != 0


def test_a_damaged_booking_is_listed_and_exits_2(office: dict[str, int]) -> None:
    import os
    import sqlite3

    conn = sqlite3.connect(Path(os.environ["KSEF_TUI_HOME"]) / DB_FILENAME)
    (blob,) = conn.execute("SELECT data FROM bookings WHERE id = 1").fetchone()
    conn.execute("UPDATE bookings SET data = ? WHERE id = 1", [blob[:-1] + bytes([blob[-1] ^ 1])])
    conn.commit()
    conn.close()
    result = _run("queue", "--format", "json")
    assert result.exit_code == 2
    assert len(json.loads(result.stdout)) == 5 and "bookings" in result.stderr

"""Issue 16 item 3: one time zone, labelled. Every time or date a person reads is Polish time
(Europe/Warsaw); JSON keeps ISO 8601 with an offset.

Each moment here is chosen so that UTC and Warsaw disagree: late evening UTC is the next day in Warsaw,
and 08:05 UTC is 09:05 in Warsaw in November.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from textual.app import App, ComposeResult
from textual.widgets import Static

from ksef_tui.__main__ import cli
from ksef_tui.cli.status import as_json, as_table
from ksef_tui.core.board import build_entry
from ksef_tui.core.health import HealthSettings, client_health
from ksef_tui.core.ksef_sessions import SessionRecord
from ksef_tui.core.models import CheckOutcome, Client, Credential, CredentialKind, LiveCheck
from ksef_tui.core.readiness import client_readiness
from ksef_tui.ksef.apilog import ApiLogEntry
from ksef_tui.screens.api_log import ApiLogScreen
from ksef_tui.sync.client_import import export_rows

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
CLIENT = Client("Piekarnia Nowak", "PIEKARNI_218", ["1234563218"], id=1)
# 22:30 UTC on 30 June is 00:30 on 1 July in Warsaw (CEST): the Polish day is the 1st.
LATE_EVENING = datetime(2027, 6, 30, 22, 30, tzinfo=UTC)
ALL = frozenset({"InvoiceRead", "InvoiceWrite", "Introspection"})


@pytest.fixture
def other_zone(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The machine's own zone is neither UTC nor Warsaw: code that uses it (astimezone()) shows it."""
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def _certificate() -> Credential:
    return Credential(1, CredentialKind.KSEF_CERTIFICATE, valid_until=LATE_EVENING, id=10)


def _checked(cred: Credential) -> dict[int, LiveCheck]:
    check = LiveCheck(1, NOW - timedelta(hours=1), CheckOutcome.OK, credential_id=cred.id, permissions=ALL)
    return {10: check}


def test_valid_until_is_the_polish_day() -> None:
    cred = _certificate()
    health = client_health(CLIENT, [cred], _checked(cred), None, NOW, HealthSettings())
    assert health.reason.endswith("2027-07-01.")


def test_status_table_and_json_give_the_polish_day() -> None:
    cred = _certificate()
    entry = build_entry(CLIENT, [cred], _checked(cred), None, NOW, HealthSettings())
    assert "2027-07-01" in as_table([entry]).splitlines()[1]
    assert "2027-06-30" not in as_table([entry])
    assert json.loads(as_json([entry]))[0]["expires"] == "2027-07-01"
    assert export_rows([entry])[1][7] == "2027-07-01"  # `clients export`, the spreadsheet


def test_readiness_names_the_polish_day() -> None:
    readiness = client_readiness(CLIENT, [_certificate()], None, None, NOW)
    assert "2027-07-01" in readiness.reason and "2027-06-30" not in readiness.reason


def _store_with_a_session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    from ksef_tui.store import KdfLimits, Store

    home = tmp_path / "home"
    monkeypatch.setenv("KSEF_TUI_HOME", str(home))
    store = Store.create(home, "pass phrase 1", kdf=KdfLimits.FAST_FOR_TESTS)
    try:
        client = store.clients.add(Client("Piekarnia Nowak", "PIEKARNIA", ["1234563218"]))
        opened = datetime(2026, 11, 21, 8, 5, tzinfo=UTC)
        store.ksef_sessions.upsert(
            [
                SessionRecord(
                    client.id or 0,
                    "20261121-SO-2F2B5B4000-7A1D2C3B4E-AB",
                    "Online",
                    200,
                    opened,
                    updated=opened + timedelta(minutes=3),
                    invoices_total=2,
                    invoices_accepted=2,
                )
            ]
        )
    finally:
        store.close()
    pass_file = tmp_path / "pass"
    pass_file.write_text("pass phrase 1", encoding="utf-8")
    pass_file.chmod(0o600)
    return pass_file


def test_sessions_text_is_polish_time_and_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, other_zone: None
) -> None:
    pass_file = _store_with_a_session(tmp_path, monkeypatch)
    args = ["sessions", "--since", "2026-11-01", "--passphrase-file", str(pass_file)]
    text = CliRunner().invoke(cli, [*args, "--format", "table"])
    assert text.exit_code == 0, text.output
    lines = text.stdout.splitlines()
    assert lines[0].startswith("2026-11-21 09:05  PIEKARNIA"), lines[0]
    assert "Europe/Warsaw" in lines[-1]
    as_json_out = CliRunner().invoke(cli, [*args, "--format", "json"])
    assert as_json_out.exit_code == 0, as_json_out.output
    row = json.loads(as_json_out.stdout)[0]
    # Machine format: ISO 8601 with an offset, the same instant.
    assert datetime.fromisoformat(row["opened"]) == datetime(2026, 11, 21, 8, 5, tzinfo=UTC)
    assert datetime.fromisoformat(row["opened"]).utcoffset() is not None


class _Log:
    def __init__(self, entries: list[ApiLogEntry]) -> None:
        self.entries = entries

    def recent(self, nip: str | None, limit: int) -> list[ApiLogEntry]:
        return self.entries[:limit]


class _Host(App[None]):
    def __init__(self, screen: ApiLogScreen) -> None:
        super().__init__()
        self._log_screen = screen

    def compose(self) -> ComposeResult:
        yield Static("")

    def on_mount(self) -> None:
        self.push_screen(self._log_screen)


async def test_api_log_shows_polish_time_labelled(other_zone: None) -> None:
    entry = ApiLogEntry(
        timestamp=datetime(2026, 11, 21, 8, 5, 7, tzinfo=UTC),
        method="POST",
        path="/v2/auth/challenge",
        route="/auth/challenge",
        status=200,
        duration_ms=12.0,
        context_nip=CLIENT.nip,
    )
    screen = ApiLogScreen(_Log([entry]), CLIENT)
    async with _Host(screen).run_test(size=(100, 24)) as pilot:
        await pilot.pause()
        rendered = "\n".join(strip.text for strip in pilot.app.screen._compositor.render_strips())
    assert "09:05:07" in rendered  # the time column, Warsaw
    assert "03:05:07" not in rendered and "08:05:07" not in rendered  # not the machine's zone, not UTC
    assert "2026-11-21 09:05:07 (czas polski)" in rendered  # the entry's detail, labelled
    assert "Europe/Warsaw" in rendered  # the title says which time the column is


def _info(valid_from: datetime, valid_until: datetime) -> Any:
    from ksef_tui.core.certificates import CertificateInfo

    return CertificateInfo("Test", "1234563218", None, "01AB", valid_from, valid_until, "Test CA")


def test_certificate_dates_in_messages_are_polish_days() -> None:
    from ksef_tui.core.certificates import validity_problem

    expired = validity_problem(
        _info(NOW - timedelta(days=400), datetime(2026, 6, 30, 22, 30, tzinfo=UTC)), NOW
    )
    assert expired is not None and "2026-07-01" in str(expired)
    early = validity_problem(
        _info(datetime(2027, 6, 30, 22, 30, tzinfo=UTC), LATE_EVENING + timedelta(days=9)), NOW
    )
    assert early is not None and "2027-07-01" in str(early)


def test_no_time_is_shown_by_the_machine_zone() -> None:
    """No screen, widget or command formats a time in the machine's zone (a bare `.astimezone()`)."""
    root = Path(__file__).resolve().parent.parent / "ksef_tui"
    found = [
        f"{path.relative_to(root)}:{number}"
        for path in root.rglob("*.py")
        for number, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if ".astimezone()" in line
    ]
    assert found == []

"""`ksef-tui readiness` (issue 11 item 5): the demo shows every readiness state and exits 2; JSON rows
carry short_code, nip, ready, via, missing, reason; exit codes follow the worst row."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from ksef_tui.cli import cli
from ksef_tui.cli import readiness as readiness_cli
from ksef_tui.core.models import Client
from ksef_tui.core.readiness import Readiness, Ready, Via


def test_demo_json_shows_every_state_and_exits_2() -> None:
    result = CliRunner().invoke(cli, ["--lang", "pl", "readiness", "--demo", "--format", "json"])
    assert result.exit_code == 2, result.output
    rows = json.loads(result.stdout)
    assert rows and all({"short_code", "nip", "ready", "via", "missing", "reason"} <= set(r) for r in rows)
    states = {(r["ready"], r["via"]) for r in rows}
    assert {
        ("yes", "own_certificate"),
        ("yes", "office_certificate"),
        ("partly", "office_certificate"),
        ("no", None),
    } <= states
    reasons = " ".join(r["reason"] for r in rows)
    assert "Poproszono o uprawnienie dnia" in reasons  # grant requested
    assert "Tylko token KSeF" in reasons  # token only
    partly = next(r for r in rows if r["ready"] == "partly")
    assert partly["missing"] == ["InvoiceWrite"]


def _row(ready: Ready) -> Readiness:
    via = None if ready is Ready.NO else Via.OFFICE_CERTIFICATE
    return Readiness(Client("Firma", "FIRMA_1", ["5260250274"], id=1), ready, via, (), "powód")


@pytest.mark.parametrize(
    ("readies", "code"),
    [([Ready.YES], 0), ([Ready.YES, Ready.PARTLY], 1), ([Ready.PARTLY, Ready.NO], 2)],
)
def test_exit_codes_follow_the_worst_row(
    monkeypatch: pytest.MonkeyPatch, readies: list[Ready], code: int
) -> None:
    monkeypatch.setattr(readiness_cli, "readiness_rows", lambda store, clock: [_row(r) for r in readies])
    result = CliRunner().invoke(cli, ["readiness", "--demo"])
    assert result.exit_code == code, result.output


def test_census_without_an_office_nip_cannot_run(monkeypatch: pytest.MonkeyPatch) -> None:
    from ksef_tui.sync.grants import OfficeNotReady

    async def refuse(*_args: object, **_kw: object) -> None:
        raise OfficeNotReady("brak NIP biura")

    monkeypatch.setattr(readiness_cli, "run_census", refuse)
    result = CliRunner().invoke(cli, ["readiness", "--demo", "--census"])
    assert result.exit_code == 3
    assert "brak NIP biura" in result.output

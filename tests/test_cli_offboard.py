"""`ksef-tui clients offboard` and `ksef-tui clients grants` (issue 15 item 3) on a fresh demo store and its
simulator: the plan, --dry-run changing nothing, confirmation refused without a terminal or --yes (exit 2),
a run to the end (exit 0) printing the text for the client line by line, an unknown client (exit 3), and
who holds grants as JSON."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from click.testing import CliRunner

from ksef_tui.cli import cli
from ksef_tui.core.demo_roster import make_roster


def _code(profile: str) -> tuple[str, str]:
    entry = next(e for e in make_roster(datetime.now(UTC)) if e.profile == profile)
    return entry.short_code, entry.nip


def test_dry_run_prints_the_plan_and_changes_nothing() -> None:
    code, _nip = _code("token_and_cert")
    result = CliRunner().invoke(cli, ["clients", "offboard", code, "--demo", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert code in result.output and "-EC-" in result.output  # the token's reference number
    assert "|nip-" not in result.output  # never the token itself
    assert "Próba: niczego nie zmieniono." in result.output
    assert "[ok]" not in result.output  # no step ran


def test_without_a_terminal_or_yes_it_is_refused() -> None:
    code, _nip = _code("token_and_cert")
    result = CliRunner().invoke(cli, ["clients", "offboard", code, "--demo"])
    assert result.exit_code == 2, result.output
    assert "--yes" in result.output and "[ok]" not in result.output


def test_a_run_to_the_end_prints_each_step_and_the_text_for_the_client() -> None:
    code, _nip = _code("token_and_cert")
    result = CliRunner().invoke(cli, ["clients", "offboard", code, "--demo", "--yes"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert sum(1 for line in lines if line.startswith("[ok]")) >= 4
    assert "Odwołano:" in result.output  # the token was revoked
    text = lines[lines.index("--- Tekst dla klienta ---") + 1 :]
    assert len(text) > 8 and any("ap.ksef.mf.gov.pl" in line for line in text)


def test_an_unknown_client_cannot_run() -> None:
    result = CliRunner().invoke(cli, ["clients", "offboard", "NIEMA_TAKIEGO", "--demo", "--dry-run"])
    assert result.exit_code == 3, result.output


def test_grants_as_json_lists_who_holds_permissions() -> None:
    code, nip = _code("token_and_cert")
    result = CliRunner().invoke(cli, ["clients", "grants", code, "--demo", "--format", "json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["client"] == code and data["read"] is True and data["via"] == "ksef_token"
    assert data["holders"] and all(
        {"identifier", "scope", "is_office", "is_client"} <= set(h) for h in data["holders"]
    )
    assert any(h["identifier"] == nip and h["is_client"] for h in data["holders"])

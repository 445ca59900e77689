"""`ksef-tui rules` (issue 13 item 2): every rule, one client's, and with --candidates the office rules on
offer, as JSON and as a table; a real store on disk."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ksef_tui.__main__ import cli
from ksef_tui.core.bookings import Deduction, Rule, RuleTemplate
from ksef_tui.core.models import Client
from ksef_tui.store import KdfLimits, Store

PASSPHRASE = "rules cli pass phrase"
AT = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
FUEL = RuleTemplate(vat_register="ZAKUP-50", deduction=Deduction.HALF, gl_account="402-02", cost_share_pct=75)
ORLEN = "7740001454"
CLIENTS = (("PIEKARNIA", "5260250274"), ("WARSZTAT", "1234563218"), ("KWIACIARNIA", "9570957722"))


@pytest.fixture
def office(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    home = tmp_path / "home"
    store = Store.create(home, PASSPHRASE, operator="Anna Nowak", kdf=KdfLimits.FAST_FOR_TESTS)
    ids = []
    try:
        for i, (code, nip) in enumerate(CLIENTS):
            cid = store.clients.add(Client(f"Klient {code}", code, [nip])).id
            assert cid is not None
            ids.append(cid)
            rule = Rule(cid, ORLEN, FUEL, confirmations=3 + i)
            store.bookings.save_rule(rule, "Anna Nowak", AT)
        store.bookings.save_rule(
            Rule(None, "5260250995", RuleTemplate(vat_register="ZAKUP")), "Anna Nowak", AT
        )
    finally:
        store.close()
    monkeypatch.setenv("KSEF_TUI_HOME", str(home))
    monkeypatch.setenv("KSEF_TUI_PASSPHRASE", PASSPHRASE)
    return ids


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_rules_json_every_client_then_the_office(office: list[int]) -> None:
    result = _run("rules", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [(r["scope"], r["client"]) for r in rows] == [
        ("client", "PIEKARNIA"),
        ("client", "WARSZTAT"),
        ("client", "KWIACIARNIA"),
        ("office", None),
    ]
    assert rows[0]["template"]["deduction"] == "half" and rows[0]["template"]["cost_share_pct"] == 75
    assert rows[1]["confirmations"] == 4 and rows[0]["amount_min"] is None
    one = json.loads(_run("rules", "--client", "WARSZTAT", "--format", "json").stdout)
    assert [(r["scope"], r["client"]) for r in one] == [("client", "WARSZTAT"), ("office", None)]


def test_candidates_list_the_seller_three_clients_agree_on(office: list[int]) -> None:
    result = _run("rules", "--candidates", "--format", "json")
    assert result.exit_code == 0, result.output
    (offer,) = json.loads(result.stdout)
    assert offer["scope"] == "office" and offer["seller_nip"] == ORLEN
    assert offer["clients"] == ["PIEKARNIA", "WARSZTAT", "KWIACIARNIA"] and offer["disagreeing"] == 0
    assert offer["template"]["gl_account"] == "402-02"
    table = _run("rules", "--candidates")
    assert table.exit_code == 0
    assert "774-000-14-54" in table.stdout and "PIEKARNIA, WARSZTAT, KWIACIARNIA" in table.stdout
    assert "Propozycje reguł biura: 1; regułę tworzy się na ekranie reguł (o)." in table.stdout
    unknown = _run("rules", "--client", "NIEMA")
    assert unknown.exit_code == 3

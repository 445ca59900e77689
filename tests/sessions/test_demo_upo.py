"""`ksef-tui upo --demo`: every UPO of every client whose credential works arrives; only the clients the
roster gave a bad credential fail, one line each saying why; exit code 1 because of them alone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ksef_tui import demo as demo_module
from ksef_tui.cli.sessions import upo_command
from ksef_tui.store import KdfLimits, Store

# The roster's profiles whose credential cannot log in (core/demo_roster.py).
BAD_PROFILES = {"expired", "revoked", "auth_failed", "pending_token", "no_credential"}


@pytest.fixture
def kept_demo(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The demo the command builds, kept after the command ends (fast KDF), so the test can read it."""
    made: list[Any] = []
    original = demo_module.prepare_demo

    def prepare(now: datetime, **kwargs: Any) -> Any:
        demo = original(now, kdf=KdfLimits.FAST_FOR_TESTS)
        made.append(demo)
        monkeypatch.setattr(demo, "cleanup", lambda: None)
        return demo

    monkeypatch.setattr(demo_module, "prepare_demo", prepare)
    yield made
    for demo in made:
        type(demo).cleanup(demo)


def test_upo_demo_fails_only_for_bad_credentials(tmp_path: Path, kept_demo: list[Any]) -> None:
    out = tmp_path / "UPO"
    result = CliRunner().invoke(upo_command, ["--demo", "--out", str(out)])
    assert kept_demo, result.output
    demo = kept_demo[0]
    bad = {e.short_code for e in demo.roster if e.profile in BAD_PROFILES}
    assert bad and len(bad) < len(demo.roster)

    # Exit 1, and one line per failed client: exactly the bad ones, each with its reason.
    assert result.exit_code == 1, result.output
    lines = result.output.splitlines()
    reported_fetched, reported_failed = (
        int(lines[0].split(word, 1)[1].split(",", 1)[0].rstrip(".")) for word in ("pobrano ", "nieudane ")
    )
    assert lines[1] == f"Klienci z błędem: {len(bad)} z {len(demo.roster)}."
    reasons = dict(line.split(": ", 1) for line in lines[2:])
    assert set(reasons) == bad
    assert all(reason.strip() for reason in reasons.values())
    assert "21173" not in result.output
    no_credential = {e.short_code for e in demo.roster if e.profile == "no_credential"}
    assert all("poświadczenia" in reasons[code] for code in no_credential)
    token_refused = {e.short_code for e in demo.roster if e.profile in {"revoked", "pending_token"}}
    assert all("[450]" in reasons[code] for code in token_refused)
    assert all("[460]" in reasons[e.short_code] for e in demo.roster if e.profile == "expired")

    # Every closed session with accepted invoices of every good client now has its UPO, in the store
    # and in OUT; none of a bad client was downloaded: the failed UPOs are theirs (history seen while a
    # revoked token or an expired certificate still worked).
    store = Store.open(demo.home, demo_module.DEMO_PASSPHRASE)
    try:
        since = datetime.now(UTC) - timedelta(days=30)  # within the command's window (it began earlier)
        fetched = bad_missing = 0
        for client in store.clients.list():
            missing = store.ksef_sessions.missing_upo(client.id, since, None)
            saved = store.ksef_sessions.with_upo(client.id, since, None)
            if client.short_code in bad:
                assert saved == []
                bad_missing += len(missing)
                continue
            assert missing == [], (client.short_code, [r.reference for r in missing])
            for record in saved:
                assert list(out.glob(f"{client.short_code}/*/{record.reference}.xml")), record.reference
            fetched += len(saved)
        assert fetched > 0
        assert reported_fetched >= fetched
        assert 0 < bad_missing <= reported_failed
    finally:
        store.close()

"""Issue 17 item 4: one damaged UPO never crashes a run. A UPO that KSeF serves damaged (truncated, a hash
that does not match, not XML, not a UPO) or that is damaged in the store is one failure line naming the
client and the session; every other UPO is saved, and the summary and the exit code count it. The TUI's
bulk download runs the same `download_missing_upos`, so the sync-level tests hold for it too."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from ksef_tui import demo as demo_module
from ksef_tui.cli.sessions import upo_command
from ksef_tui.core.demo_roster import make_roster
from ksef_tui.core.ksef_sessions import SessionFilter
from ksef_tui.simulator.faults import DAMAGE_KINDS, Faults
from ksef_tui.store import KdfLimits, Store
from ksef_tui.store.paths import DB_FILENAME
from ksef_tui.sync import upo as upo_sync
from tests.sessions.test_demo_upo import BAD_PROFILES
from tests.tui.helpers import NOW
from tests.tui.sessions_helpers import make_session_store, simulator_factory


def _flip_every_body_byte(home: Path, client_id: int, kind: str) -> int:
    """Damage the sealed body of every document of (client, kind) the way a bad disk would; how many."""
    conn = sqlite3.connect(home / DB_FILENAME, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 5000")
    try:
        rows = conn.execute(
            "SELECT id, data FROM documents WHERE client_id = ? AND kind = ?", [client_id, kind]
        ).fetchall()
        for row_id, blob in rows:
            damaged = blob[:-1] + bytes([blob[-1] ^ 1])
            conn.execute("UPDATE documents SET data = ? WHERE id = ?", [damaged, row_id])
        return len(rows)
    finally:
        conn.close()


# --- the sync layer (CLI and TUI alike) ----------------------------------------------------------


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[tuple[Any, Any, list[int]]]:
    """The demo roster's store and world, and three clients that can log in and have UPOs to fetch."""
    store, world = make_session_store(tmp_path / "home")
    good = {e.nip for e in make_roster(NOW, demo_module.DEMO_SEED) if e.profile not in BAD_PROFILES}
    with_upo = {r.client_id for r in store.ksef_sessions.page(SessionFilter(), 0, 500) if r.expects_upo}
    ids = sorted(c.id for c in store.clients.list() if c.id in with_upo and c.nip in good)
    try:
        yield store, world, ids[:3]
    finally:
        store.close()


@pytest.mark.parametrize("kind", DAMAGE_KINDS)
async def test_bulk_download_survives_a_damaged_upo_from_ksef(
    seeded: tuple[Any, Any, list[int]], tmp_path: Path, kind: str
) -> None:
    store, world, ids = seeded
    missing = [r for cid in ids for r in store.ksef_sessions.missing_upo(cid)]
    assert len(missing) > 2
    victim = missing[1]
    factory = simulator_factory(world, faults=Faults(damaged_upo_refs={victim.reference: kind}))
    out = tmp_path / "out"

    result = await upo_sync.download_missing_upos(store, factory, ids, out, lambda: NOW)

    assert result.failed == 1 and result.fetched == len(missing) - 1
    assert len(result.errors) == 1 and victim.reference in result.errors[0]
    assert result.client_errors == {victim.client_id: [result.client_errors[victim.client_id][0]]}
    assert result.client_errors[victim.client_id][0].startswith(f"{victim.reference}: ")
    # Nothing of the damaged UPO was kept, in the store or in the folder.
    assert store.documents.get(victim.client_id, upo_sync.SESSION_UPO, victim.reference) is None
    assert not list(out.rglob(f"{victim.reference}*"))
    assert len(list(out.rglob("*.xml"))) >= result.fetched


async def test_bulk_copy_survives_a_upo_damaged_in_the_store(
    seeded: tuple[Any, Any, list[int]], tmp_path: Path
) -> None:
    store, world, ids = seeded
    factory = simulator_factory(world)
    first = await upo_sync.download_missing_upos(store, factory, ids, None, lambda: NOW)
    assert first.failed == 0 and first.fetched > 2
    victim_client = ids[0]
    damaged = _flip_every_body_byte(store.home, victim_client, upo_sync.SESSION_UPO)
    assert damaged >= 1
    out = tmp_path / "out"

    result = await upo_sync.download_missing_upos(store, factory, ids, out, lambda: NOW, copy_existing=True)

    assert result.failed == damaged
    assert result.skipped == first.fetched - damaged
    errors = result.client_errors[victim_client]
    assert len(errors) == damaged
    assert all("uszkodzone" in e and "kopii zapasowej" in e for e in errors), errors
    assert set(result.client_errors) == {victim_client}
    assert len(list(out.rglob("*.xml"))) >= first.fetched - damaged
    codes = {c.id: c.short_code for c in store.clients.list()}
    assert not (out / codes[victim_client]).exists()


async def test_single_download_of_a_upo_damaged_in_the_store_says_so(
    seeded: tuple[Any, Any, list[int]],
) -> None:
    store, world, ids = seeded
    record = store.ksef_sessions.missing_upo(ids[0])[0]
    factory = simulator_factory(world)
    await upo_sync.download_missing_upos(store, factory, ids[:1], None, lambda: NOW)
    _flip_every_body_byte(store.home, ids[0], upo_sync.SESSION_UPO)
    with pytest.raises(upo_sync.UpoDamagedInStore, match="uszkodzone"):
        await asyncio.to_thread(upo_sync.stored_session_upo, store, record)


# --- the `upo` command --------------------------------------------------------------------------


@pytest.fixture
def demo_hook(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """The demo the command builds (fast KDF, kept after the command). Its simulator serves the UPOs in
    `hook["damage"]` damaged; `hook["before"](demo)` runs on the fresh demo before the command uses it."""
    hook: dict[str, Any] = {"demos": [], "damage": {}, "before": None}
    original = demo_module.prepare_demo

    def prepare(now: datetime, **kwargs: Any) -> Any:
        demo = original(now, kdf=KdfLimits.FAST_FOR_TESTS)
        hook["demos"].append(demo)
        monkeypatch.setattr(demo, "cleanup", lambda: None)
        factory = type(demo).ksef_factory
        faults = Faults(damaged_upo_refs=hook["damage"])
        monkeypatch.setattr(demo, "ksef_factory", lambda **kw: factory(demo, faults=faults, **kw))
        if hook["before"] is not None:
            hook["before"](demo)
        return demo

    monkeypatch.setattr(demo_module, "prepare_demo", prepare)
    yield hook
    for demo in hook["demos"]:
        type(demo).cleanup(demo)


def _probe_world() -> Any:
    """The demo world the command will build (it is seeded, so the same sessions and references)."""
    now = datetime.now(UTC)
    roster = demo_module.make_roster(now, demo_module.DEMO_SEED)
    return demo_module.Demo(Path("/nonexistent"), roster, demo_module.build_world(now, roster), now)


def _good_sessions_with_upo(demo: Any) -> list[tuple[str, str]]:
    """(short code, reference) of UPO-bearing sessions of clients that can log in and read sessions."""
    good = {e.nip: e.short_code for e in demo.roster if e.profile not in BAD_PROFILES}
    since = demo.now - timedelta(days=29)
    return sorted(
        (good[s.context_nip], s.reference)
        for s in demo.world.sessions.values()
        if s.context_nip in good and s.status_code == 200 and s.accepted and s.created >= since
    )


def _check_saved_except(demo: Any, out: Path, victims: set[str]) -> None:
    store = Store.open(demo.home, demo_module.DEMO_PASSPHRASE)
    try:
        since = datetime.now(UTC) - timedelta(days=29)
        checked = 0
        for client in store.clients.list():
            for record in store.ksef_sessions.with_upo(client.id, since, None):
                files = list(out.glob(f"{client.short_code}/*/{record.reference}*.xml"))
                if record.reference in victims:
                    assert files == [], record.reference  # nothing damaged is written out
                else:
                    assert files, record.reference
                    checked += 1
        assert checked > 10
    finally:
        store.close()


def _assert_one_failure_line(output: str, code: str, reference: str) -> None:
    assert "Traceback" not in output
    lines = output.splitlines()
    assert lines[0].startswith("UPO: ") and "nieudane " in lines[0], output
    failed = int(lines[0].split("nieudane ", 1)[1].rstrip("."))
    assert failed >= 1
    mentions = [line for line in lines if reference in line]
    assert len(mentions) == 1, output
    assert mentions[0].startswith(f"{code}: {reference}: "), mentions[0]


@pytest.mark.parametrize("kind", ["truncated", "hash"])
def test_upo_command_reports_a_damaged_upo_from_ksef_and_goes_on(
    tmp_path: Path, demo_hook: dict[str, Any], kind: str
) -> None:
    sessions = _good_sessions_with_upo(_probe_world())
    assert len(sessions) > 10
    code, victim = sessions[len(sessions) // 2]
    demo_hook["damage"][victim] = kind
    out = tmp_path / "UPO"

    result = CliRunner().invoke(upo_command, ["--demo", "--out", str(out)])

    assert isinstance(result.exception, SystemExit) and result.exit_code == 1, result.output
    _assert_one_failure_line(result.output, code, victim)
    _check_saved_except(demo_hook["demos"][0], out, {victim})


def test_upo_command_reports_a_upo_damaged_in_the_store_and_goes_on(
    tmp_path: Path, demo_hook: dict[str, Any]
) -> None:
    """A UPO downloaded by an earlier run and damaged since: the run that copies it says so and goes on
    (before the fix: a traceback, no summary)."""
    damaged: dict[str, Any] = {}

    def earlier_run_then_damage(demo: Any) -> None:
        store = Store.open(demo.home, demo_module.DEMO_PASSPHRASE)
        try:
            good = [e for e in demo.roster if e.profile not in BAD_PROFILES]
            for entry in good:
                client = store.clients.find_by_nip(entry.nip)
                records = store.ksef_sessions.missing_upo(client.id)
                if len(records) == 1:  # one session, so exactly one reference is damaged
                    break
            else:
                pytest.fail("no demo client with exactly one UPO-bearing session")
            result = asyncio.run(
                upo_sync.download_missing_upos(store, demo.ksef_factory(), [client.id], None, datetime.now)
            )
            assert result.fetched == 1, result.errors
        finally:
            store.close()
        assert _flip_every_body_byte(demo.home, client.id, upo_sync.SESSION_UPO) == 1
        damaged.update(code=client.short_code, reference=records[0].reference)

    demo_hook["before"] = earlier_run_then_damage
    out = tmp_path / "UPO"

    result = CliRunner().invoke(upo_command, ["--demo", "--out", str(out)])

    # A UPO damaged in the store is store damage: the run goes on, the damage is listed on stderr, and
    # damage outranks failed clients in the exit code (2, issue 17 item 1).
    assert isinstance(result.exception, SystemExit) and result.exit_code == 2, result.output
    _assert_one_failure_line(result.stdout, damaged["code"], damaged["reference"])
    assert result.stderr.startswith("Uszkodzone w magazynie: tabela documents")
    assert "uszkodzone" in result.stdout
    _check_saved_except(demo_hook["demos"][0], out, {damaged["reference"]})


# --- the TUI's bulk download ----------------------------------------------------------------------


async def test_tui_bulk_download_reports_a_damaged_upo_and_saves_the_rest(
    seeded: tuple[Any, Any, list[int]], tmp_path: Path
) -> None:
    from ksef_tui.screens.clients import ClientsScreen
    from ksef_tui.screens.sessions import UPO_FOLDER_SETTING, SessionsScreen
    from ksef_tui.ui.app import KsefApp
    from tests.tui.helpers import screen_text, services, settle

    store, world, _ids = seeded
    week = NOW - timedelta(days=7)  # the sessions screen's default period
    good = {e.nip for e in make_roster(NOW, demo_module.DEMO_SEED) if e.profile not in BAD_PROFILES}
    client_id = next(
        c.id
        for c in store.clients.list()
        if c.nip in good and len(store.ksef_sessions.missing_upo(c.id, week, None)) >= 2
    )
    missing = store.ksef_sessions.missing_upo(client_id, week, None)
    victim = missing[0]
    store.settings.set(UPO_FOLDER_SETTING, str(tmp_path / "UPO"))
    factory = simulator_factory(world, faults=Faults(damaged_upo_refs={victim.reference: "not_upo"}))
    app = KsefApp(services(store.home, store, ksef_factory=factory))
    async with app.run_test(size=(160, 30)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, ClientsScreen)
        app.screen.select_client(client_id)
        await pilot.press("s")
        await settle(pilot)
        assert isinstance(app.screen, SessionsScreen)
        await pilot.press("U")
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, SessionsScreen)
        shown = screen_text(app).replace("\n", " ")
        assert f"pobrano {len(missing) - 1}," in shown and "nieudane 1." in shown, shown
        assert victim.reference in shown  # the failure line names the session
    assert [r.reference for r in store.ksef_sessions.missing_upo(client_id, week, None)] == [victim.reference]
    assert len(list((tmp_path / "UPO").rglob("*.xml"))) == len(missing) - 1

"""Store paging/filters/look-ups of the session history, and the UPO sync against the simulator."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import xmlschema

from ksef_tui.core.ksef_sessions import SessionFilter
from ksef_tui.core.session_status import StatusGroup, status_group
from ksef_tui.core.upo import UpoHashMismatch, parse_upo
from ksef_tui.simulator.faults import Faults
from ksef_tui.sync import upo as upo_sync
from tests.tui.helpers import NOW
from tests.tui.sessions_helpers import make_session_store, simulator_factory

XSD = Path(__file__).resolve().parents[2] / "ksef_tui" / "resources" / "schemas" / "UPO" / "upo-v4-3.xsd"


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[tuple[Any, Any]]:
    store, world = make_session_store(tmp_path / "home")
    yield store, world
    store.close()


def test_paging_is_newest_first_and_filters_run_in_sql(seeded: tuple[Any, Any]) -> None:
    store, _world = seeded
    everything = SessionFilter()
    total = store.ksef_sessions.count(everything)
    assert total > 50
    first = store.ksef_sessions.page(everything, 0, 20)
    second = store.ksef_sessions.page(everything, 20, 20)
    opened = [r.opened for r in first + second]
    assert opened == sorted(opened, reverse=True)
    assert not {r.id for r in first} & {r.id for r in second}
    rejected = store.ksef_sessions.page(SessionFilter(rejected_only=True), 0, 500)
    assert rejected and all(
        r.invoices_rejected > 0 or status_group(r.status_code) is StatusGroup.FAILED for r in rejected
    )
    # Issue 16 item 7: a session where everything failed (rejected as a whole, 0 invoices rejected one
    # by one) is what `o` is for, not hidden by it.
    failed = store.ksef_sessions.page(SessionFilter(group=StatusGroup.FAILED), 0, 500)
    assert any(r.invoices_rejected == 0 for r in failed)
    assert {r.id for r in failed} <= {r.id for r in rejected}
    ok = store.ksef_sessions.page(SessionFilter(group=StatusGroup.SUCCEEDED, kind="Batch"), 0, 500)
    assert ok and all(r.status_code == 200 and r.kind == "Batch" for r in ok)
    recent = store.ksef_sessions.count(SessionFilter(since=NOW.replace(day=14)))
    assert 0 < recent < total


def test_find_by_reference_and_ksef_number_through_blind_indexes(seeded: tuple[Any, Any]) -> None:
    store, _world = seeded
    record = store.ksef_sessions.page(SessionFilter(group=StatusGroup.SUCCEEDED), 0, 1)[0]
    assert store.ksef_sessions.find(record.client_id, record.reference).id == record.id
    other_client = record.client_id + 1
    assert store.ksef_sessions.find(other_client, record.reference) is None
    invoice = next(i for i in store.ksef_sessions.invoices(record.id) if i.ksef_number)
    assert store.ksef_sessions.find_invoice(record.client_id, invoice.ksef_number).id == invoice.id
    raw = store._db.execute("SELECT data FROM ksef_sessions WHERE id = ?", [record.id]).fetchone()[0]
    assert record.reference.encode() not in raw  # sealed


def test_duplicates_name_their_original(seeded: tuple[Any, Any]) -> None:
    store, _world = seeded
    dupes = [
        inv
        for r in store.ksef_sessions.page(SessionFilter(rejected_only=True), 0, 500)
        for inv in store.ksef_sessions.invoices(r.id)
        if inv.status_code == 440
    ]
    assert dupes
    for inv in dupes:
        assert inv.original_ksef_number and inv.original_session
        assert inv.status_details


async def test_session_upo_retries_while_not_generated_and_is_saved(
    seeded: tuple[Any, Any], tmp_path: Path
) -> None:
    store, world = seeded
    factory = simulator_factory(world, faults=Faults(upo_not_ready_requests=2))
    client_id = next(r.client_id for r in store.ksef_sessions.page(SessionFilter(), 0, 500) if r.expects_upo)
    record = store.ksef_sessions.missing_upo(client_id)[0]
    waits: list[tuple[int, int, int]] = []
    slept: list[float] = []

    async def fake_sleep(seconds: float) -> None:
        slept.append(seconds)

    from ksef_tui.sync.sessions import client_context

    client = store.clients.get(client_id)
    async with client_context(store, factory, client_id) as (_c, ksef):
        saved = await upo_sync.download_session_upo(
            store,
            ksef,
            record,
            client.short_code,
            tmp_path / "UPO",
            schedule=(3, 3, 3),
            sleep=fake_sleep,
            on_wait=lambda *a: waits.append(a),
        )
    assert saved.fetched and len(saved.paths) == 1
    assert [w[0] for w in waits][:4] == [3, 2, 1, 0]  # a visible countdown
    assert waits[-1][1:] == (3, 4)  # third attempt of four succeeded
    path = saved.paths[0]
    assert path.is_file() and path.parent.parent.name == client.short_code
    receipt = parse_upo(path.read_bytes())
    assert receipt.session_reference == record.reference
    assert store.documents.get(client_id, "upo", record.reference) == path.read_bytes()
    assert store.ksef_sessions.get(record.id).upo_complete
    assert record.id not in {r.id for r in store.ksef_sessions.missing_upo(client_id)}
    schema = xmlschema.XMLSchema(str(XSD))
    errors = [e for e in schema.iter_errors(str(path)) if "NazwaPodmiotuPrzyjmujacego" not in str(e.path)]
    assert errors == []


async def test_open_session_has_no_upo_in_plain_words(seeded: tuple[Any, Any]) -> None:
    store, _world = seeded
    record = store.ksef_sessions.page(SessionFilter(group=StatusGroup.IN_PROGRESS), 0, 1)[0]
    with pytest.raises(upo_sync.UpoUnavailable, match="otwarta"):
        await upo_sync.download_session_upo(store, None, record, "X", None)


async def test_a_tampered_upo_is_not_saved(seeded: tuple[Any, Any]) -> None:
    store, _world = seeded
    record = store.ksef_sessions.missing_upo(
        next(r.client_id for r in store.ksef_sessions.page(SessionFilter(), 0, 500) if r.expects_upo)
    )[0]
    sample = next(
        (Path(__file__).resolve().parents[1] / "data" / "samples" / "upo").glob("*.xml")
    ).read_bytes()

    class Page:
        reference_number = "EU-1"

    class Status:
        class status:
            code = 200
            description = ""

        class upo:
            pages = [Page()]

    class FakeKsef:
        async def get_session_status(self, ref: str) -> Any:
            return Status()

        async def get_session_upo(self, ref: str, page: str) -> Any:
            from ksef_tui.ksef.models import Upo

            return Upo(sample + b" ", "AAAA" + "A" * 40, page)

    with pytest.raises(UpoHashMismatch):
        await upo_sync.download_session_upo(store, FakeKsef(), record, "X", None)
    assert store.documents.get(record.client_id, "upo", record.reference) is None


async def test_bulk_download_is_resumable(seeded: tuple[Any, Any], tmp_path: Path) -> None:
    store, world = seeded
    factory = simulator_factory(world)
    ids = sorted({r.client_id for r in store.ksef_sessions.page(SessionFilter(), 0, 500) if r.expects_upo})[
        :3
    ]
    missing_before = sum(len(store.ksef_sessions.missing_upo(c)) for c in ids)
    events: list[upo_sync.UpoProgress] = []
    result = await upo_sync.download_missing_upos(
        store, factory, ids, tmp_path / "out", lambda: NOW, progress=events.append
    )
    assert result.fetched + result.failed == missing_before and result.fetched > 0
    assert {e.client_id for e in events} == set(ids) and any(e.finished for e in events)
    again = await upo_sync.download_missing_upos(store, factory, ids, tmp_path / "out", lambda: NOW)
    assert again.fetched == 0  # nothing left to fetch: state comes from the store
    assert len(list((tmp_path / "out").rglob("*.xml"))) == result.fetched

"""The purchase sync against the in-process simulator (issue 12 items 1–6 and its reliability list).

Every scenario ends with the same check: the store holds exactly the purchase invoices KSeF holds below
its high-water mark for each client — nothing missing, nothing twice — and the cursor is never ahead of
what is stored. The simulator's clock is moved by the test (invoices arrive over time), and every wait of
the client runs on a virtual timeline.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from ksef_tui.core.clock import WARSAW, VirtualTime
from ksef_tui.core.demo_roster import make_roster
from ksef_tui.core.models import Client, Credential, CredentialKind
from ksef_tui.core.purchases import SUBJECT_BUYER, PurchaseStatus
from ksef_tui.ksef.client import KsefClient
from ksef_tui.ksef.ratelimit import RateScheduler
from ksef_tui.simulator.app import create_app
from ksef_tui.simulator.arrivals import add_purchases, purchases_json
from ksef_tui.simulator.clock import SimClock
from ksef_tui.simulator.faults import Faults
from ksef_tui.simulator.ratelimit import RateLimitConfig
from ksef_tui.simulator.world import World, build_world
from ksef_tui.store import KdfLimits, Store
from ksef_tui.store.database import write_transaction
from ksef_tui.sync.connections import KsefConnections
from ksef_tui.sync.purchases import (
    list_purchases,
    preview_new,
    reconcile,
    redownload,
    sync_purchases,
)

NOW = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
HWM_LAG = timedelta(seconds=120)
# Where a client added on NOW starts: the first day of the month before (sync.purchases.default_start).
START = datetime(2026, 10, 1, tzinfo=WARSAW)


@dataclass
class Office:
    store: Store
    world: World
    clock: SimClock
    app: Any
    factory: KsefConnections
    ids: dict[str, int]  # NIP -> client id

    def faults(self, **fields: Any) -> None:
        self.app.state.faults = Faults.from_json(fields)

    def truth(self, nip: str, start: datetime = START) -> set[str]:
        """What a complete sync must hold now: every purchase below KSeF's HWM, from the start point."""
        hwm = self.world.hwm(self.clock(), timedelta(seconds=self.app.state.faults.hwm_lag_seconds))
        rows = purchases_json(self.world, nip, self.clock(), hwm)
        return {
            r["ksefNumber"]
            for r in rows
            if r["belowHwm"] and datetime.fromisoformat(r["permanentStorageDate"]) >= start
        }

    def stored(self, nip: str) -> list[str]:
        return [
            r.ksef_number
            for r in self.store.purchases.list([self.ids[nip]])
            if r.status is not PurchaseStatus.PROVISIONAL
        ]

    def sync(self, *nips: str, force: bool = True, **kw: Any) -> Any:
        ids = [self.ids[n] for n in nips] if nips else None
        return asyncio.run(sync_purchases(self.store, self.factory, ids, clock=self.clock, force=force, **kw))

    def check_complete(self, nip: str) -> None:
        stored = self.stored(nip)
        assert len(stored) == len(set(stored)), "an invoice stored twice"
        assert set(stored) == self.truth(nip)


def _office(tmp_path: Path, clients: int = 3, faults: Faults | None = None) -> Iterator[Office]:
    roster = make_roster(NOW, 2026)
    world = build_world(seed=2026, now=NOW, roster=roster)
    clock = SimClock(base=lambda: NOW)
    timing = VirtualTime(NOW, seed=7, frozen_wall=True)
    app = create_app(
        world,
        clock=clock,
        sleep=timing.timing().sleep,
        rate_limits=RateLimitConfig(monotonic=timing.timing().monotonic),
        faults=faults,
    )
    store = Store.create(tmp_path / "store", "pass phrase", kdf=KdfLimits.FAST_FOR_TESTS, clock=clock)
    ids: dict[str, int] = {}
    for entry in roster:
        tp = world.taxpayer(entry.nip)
        token = world.token_for(entry.nip)
        if tp is None or token is None or token.status != "Active" or len(tp.purchases) < 10:
            continue
        if "InvoiceRead" not in token.permissions:
            continue
        client = store.clients.add(Client(entry.name, entry.short_code, [entry.nip]))
        assert client.id is not None
        store.credentials.add(Credential(client.id, CredentialKind.KSEF_TOKEN, secret=token.token))
        ids[entry.nip] = client.id
        if len(ids) == clients:
            break
    tt = timing.timing()

    def make(_env: Any, api_log: Any) -> KsefClient:
        return KsefClient(
            "http://ksef-sim.invalid/v2",
            transport=httpx.ASGITransport(app=app),
            api_log=api_log,
            timing=tt,
            scheduler=RateScheduler(None, timing=tt),
        )

    factory = KsefConnections(make)
    try:
        yield Office(store, world, clock, app, factory, ids)
    finally:
        asyncio.run(factory.aclose())
        store.close()


@pytest.fixture
def office(tmp_path: Path) -> Iterator[Office]:
    yield from _office(tmp_path)


def _sha(data: bytes) -> str:
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


# --- the plain sync -----------------------------------------------------------------------------------


def test_a_first_sync_stores_exactly_what_ksef_holds_below_the_hwm(office: Office) -> None:
    report = office.sync()
    assert not report.failed, report.failed
    for nip, cid in office.ids.items():
        office.check_complete(nip)
        state = office.store.purchases.state(cid, SUBJECT_BUYER)
        assert state is not None and state.pending is None and state.last_success == NOW
        # The cursor is the HWM of the last package: at most the clock minus the lag.
        assert state.cursor is not None and state.cursor <= NOW - HWM_LAG
        sample = office.store.purchases.list([cid])[0]
        xml = office.store.documents.get(cid, "invoice", sample.ksef_number)
        assert xml is not None and _sha(xml) == sample.invoice_hash  # the exact bytes, sealed
    assert report.added == sum(len(office.truth(n)) for n in office.ids)


def test_a_second_sync_adds_nothing_and_invoices_arriving_later_are_fetched(office: Office) -> None:
    office.sync()
    again = office.sync()
    assert again.added == 0
    nip = next(iter(office.ids))
    before = set(office.stored(nip))
    office.clock.advance(3 * 86400)  # the demo month goes on: new purchases arrive
    add_purchases(office.world, nip, 5, now=office.clock(), storage_from=office.clock() - timedelta(hours=1))
    office.sync()
    for n in office.ids:
        office.check_complete(n)
    assert len(set(office.stored(nip)) - before) >= 5


def test_not_due_within_fifteen_minutes_unless_forced(office: Office) -> None:
    office.sync()
    office.clock.advance(600)
    report = office.sync(force=False)
    assert all(r.skipped for r in report.results)
    office.clock.advance(301)
    assert not any(r.skipped for r in office.sync(force=False).results)


def test_since_sets_the_start_of_a_client_never_synced(office: Office) -> None:
    nip = next(iter(office.ids))
    cut = date(2026, 11, 15)
    office.sync(nip, since=cut)
    stored = office.store.purchases.list([office.ids[nip]])
    assert stored
    assert all(
        r.permanent_storage_date and r.permanent_storage_date.astimezone(WARSAW).date() >= cut for r in stored
    )
    assert (
        min(r.permanent_storage_date for r in stored if r.permanent_storage_date).astimezone(WARSAW).date()
        == cut
    )


# --- KSeF's awkward answers ---------------------------------------------------------------------------


def test_truncated_packages_continue_from_the_last_date_not_the_hwm(office: Office) -> None:
    office.faults(export_truncate_at=7)
    report = office.sync()
    assert not report.failed
    assert all(r.packages > 1 for r in report.results)
    for nip in office.ids:
        office.check_complete(nip)


def test_packages_without_a_hwm_keep_the_cursor_and_lose_nothing(office: Office) -> None:
    office.faults(export_omit_hwm=True)
    office.sync()
    for nip, cid in office.ids.items():
        state = office.store.purchases.state(cid, SUBJECT_BUYER)
        assert state is not None and state.stalled
        office.check_complete(nip)  # the package itself was stored
    office.faults()
    office.clock.advance(1800)
    office.sync()
    for nip in office.ids:
        office.check_complete(nip)


def test_a_late_invoice_between_the_hwm_and_the_newest_seen_is_not_skipped(office: Office) -> None:
    nip = next(iter(office.ids))
    office.sync()
    office.clock.advance(900)
    # Stored 10 minutes ago (after the last HWM) but shown by KSeF only in 20 minutes; newer ones are
    # visible already. KSeF keeps its HWM below the late one until it shows.
    late = add_purchases(
        office.world,
        nip,
        1,
        now=office.clock(),
        storage_from=office.clock() - timedelta(minutes=10),
        visible_after_seconds=1800,
    )[0]
    newer = add_purchases(
        office.world, nip, 3, now=office.clock(), storage_from=office.clock() - timedelta(minutes=5)
    )
    office.sync(nip)
    office.check_complete(nip)  # nothing past the held-back HWM was committed, nothing below it missed
    stored = set(office.stored(nip))
    assert late.ksef_number not in stored and not stored & {i.ksef_number for i in newer}
    office.clock.advance(1800)
    office.sync(nip)
    office.check_complete(nip)
    assert {late.ksef_number, *(i.ksef_number for i in newer)} <= set(office.stored(nip))


def test_acquisition_later_than_storage_is_kept_as_given(office: Office) -> None:
    nip = next(iter(office.ids))
    office.sync()
    # Stored after the last HWM, as KSeF promises; acquired after it was stored (CIRFMF/ksef-api#459).
    inv = add_purchases(office.world, nip, 1, now=office.clock(), acquisition_after_storage=True)[0]
    office.clock.advance(900)
    office.sync(nip)
    rec = office.store.purchases.get(office.ids[nip], inv.ksef_number or "")
    assert rec is not None and rec.acquisition_date == inv.acquisition_date
    assert (
        rec.acquisition_date
        and rec.permanent_storage_date
        and rec.acquisition_date > rec.permanent_storage_date
    )


def test_nothing_new_below_the_hwm_keeps_the_cursor(office: Office) -> None:
    office.sync()
    cid = next(iter(office.ids.values()))
    before = office.store.purchases.state(cid, SUBJECT_BUYER)
    office.clock.advance(900)
    office.faults(hwm_lag_seconds=3600)  # the HWM now lies behind the cursor: KSeF answers 420/21183
    report = office.sync()
    assert not report.failed
    after = office.store.purchases.state(cid, SUBJECT_BUYER)
    assert before is not None and after is not None and after.cursor == before.cursor


def test_growing_retry_after_blocks_the_client_until_then(office: Office) -> None:
    office.faults(export_429_starts=6)
    report = office.sync()
    assert report.failed and all("429" in r.error or "limit" in r.error.lower() for r in report.failed)
    cid = next(iter(office.ids.values()))
    state = office.store.purchases.state(cid, SUBJECT_BUYER)
    assert state is not None and state.blocked_until is not None and state.blocked_until > office.clock()
    skipped = office.sync()
    assert all(r.skipped for r in skipped.results)  # "sync now" still honours Retry-After
    office.faults()
    office.clock.advance(3600)
    assert not office.sync().failed
    for nip in office.ids:
        office.check_complete(nip)


def test_a_stuck_export_is_resumed_then_parked_and_a_new_one_started(office: Office) -> None:
    nip = next(iter(office.ids))
    cid = office.ids[nip]
    office.faults(export_stuck=True)
    first = office.sync(nip)
    assert first.failed  # "still preparing": fetched next time
    pending = office.store.purchases.state(cid, SUBJECT_BUYER).pending  # type: ignore[union-attr]
    assert pending is not None  # persisted before polling
    office.clock.advance(600)
    office.sync(nip)  # resumed, not a second export
    state = office.store.purchases.state(cid, SUBJECT_BUYER)
    assert state is not None and state.pending is not None and state.pending.reference == pending.reference
    office.clock.advance(1800)  # 30 minutes at 100: parked, one new export next to it
    office.sync(nip)
    state = office.store.purchases.state(cid, SUBJECT_BUYER)
    assert state is not None and pending.reference in {p.reference for p in state.parked}
    running = [
        e for e in office.app.state.sim.exports.values() if e.context_nip == nip and e.status_code == 100
    ]
    assert len(running) <= 3  # never a pile of exports (KSeF refuses at 10: 21182)
    office.faults()
    for e in running:
        e.polls = 10_000  # KSeF finally finishes them
    office.clock.advance(900)
    assert not office.sync(nip).failed
    office.check_complete(nip)


def test_an_export_fetched_after_its_package_expired_is_asked_again(office: Office) -> None:
    nip = next(iter(office.ids))
    cid = office.ids[nip]
    office.faults(export_stuck=True)
    office.sync(nip)
    office.faults()
    for e in office.app.state.sim.exports.values():
        e.polls = 10_000
    office.clock.advance(8 * 86400)  # older than 7 days: 410, or dropped as expired before asking
    assert not office.sync(nip).failed
    office.check_complete(nip)
    assert office.store.purchases.state(cid, SUBJECT_BUYER).pending is None  # type: ignore[union-attr]


# --- hostile packages ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "fault",
    [
        {"export_hostile": "traversal"},
        {"export_hostile": "bomb"},
        {"export_hostile": "bad-metadata"},
        {"export_hostile": "hash-mismatch"},
        {"export_part_hash_wrong": True},
        {"export_part_damaged": True},
    ],
    ids=lambda f: (
        next(iter(f)) + ("=" + str(next(iter(f.values()))) if isinstance(next(iter(f.values())), str) else "")
    ),
)
def test_a_hostile_package_is_refused_whole_and_the_cursor_stays(
    office: Office, fault: dict[str, Any]
) -> None:
    nip = next(iter(office.ids))
    cid = office.ids[nip]
    office.faults(**fault)
    report = office.sync(nip)
    assert report.failed
    assert "nic" in report.failed[0].error.lower() or "nothing" in report.failed[0].error.lower()
    assert office.stored(nip) == []
    state = office.store.purchases.state(cid, SUBJECT_BUYER)
    assert state is not None and state.last_error
    first_cursor = state.cursor
    # The failure is the client's sync state too, so the board turns it yellow with the reason.
    failed = office.store.sync_state.get(cid)
    assert failed is not None and failed.last_error and failed.last_success is None
    office.faults()
    office.clock.advance(900)
    assert not office.sync(nip).failed
    office.check_complete(nip)
    assert first_cursor is not None
    recovered = office.store.sync_state.get(cid)
    assert recovered is not None and not recovered.last_error and recovered.last_success == office.clock()


def test_a_different_hash_for_a_stored_number_is_an_alarm_not_an_overwrite(office: Office) -> None:
    nip = next(iter(office.ids))
    cid = office.ids[nip]
    office.sync(nip)
    victim = office.stored(nip)[0]
    original = office.store.documents.get(cid, "invoice", victim)
    inv = office.world.invoices[victim]
    inv._body = inv.body.replace(b"</Faktura>", b"<!-- changed --></Faktura>")  # KSeF now says otherwise
    redownload_from = inv.permanent_storage_date
    assert redownload_from is not None
    with pytest.raises(Exception) as err:
        asyncio.run(
            redownload(
                office.store,
                office.factory,
                cid,
                redownload_from.date(),
                redownload_from.date(),
                clock=office.clock,
            )
        )
    assert victim in str(err.value)
    assert office.store.documents.get(cid, "invoice", victim) == original


# --- what's new, reconciliation, re-download ----------------------------------------------------------


def test_whats_new_shows_provisional_rows_and_never_moves_the_cursor(office: Office) -> None:
    nip = next(iter(office.ids))
    cid = office.ids[nip]
    office.sync(nip)
    cursor = office.store.purchases.state(cid, SUBJECT_BUYER).cursor  # type: ignore[union-attr]
    # Stored after the cursor (the last HWM, two minutes ago) and before now: listed, not below the HWM.
    fresh = add_purchases(
        office.world,
        nip,
        2,
        now=office.clock(),
        storage_from=office.clock() - timedelta(seconds=100),
        spacing_seconds=30,
    )
    rows = asyncio.run(preview_new(office.store, office.factory, cid, clock=office.clock))
    assert {r.ksef_number for r in rows} >= {i.ksef_number for i in fresh}
    assert all(r.status is PurchaseStatus.PROVISIONAL for r in rows)
    assert office.store.purchases.state(cid, SUBJECT_BUYER).cursor == cursor  # type: ignore[union-attr]
    listed = list_purchases(office.store, [cid])
    assert {r.ksef_number for r in listed if r.status is PurchaseStatus.PROVISIONAL} >= {
        i.ksef_number for i in fresh
    }
    office.clock.advance(900)
    office.sync(nip)  # the export brings their XML: provisional rows become stored ones
    statuses = {r.ksef_number: r.status for r in list_purchases(office.store, [cid])}
    assert all(statuses[i.ksef_number or ""] is not PurchaseStatus.PROVISIONAL for i in fresh)


def test_reconciliation_finds_and_fetches_a_gap_without_touching_the_cursor(office: Office) -> None:
    nip = next(iter(office.ids))
    cid = office.ids[nip]
    office.sync(nip)
    # As if a server error had hidden three invoices from the window they belonged to.
    db = office.store._db  # a test reaching past the API on purpose
    with write_transaction(db):
        db.execute(
            "DELETE FROM purchase_invoices WHERE id IN"
            " (SELECT id FROM purchase_invoices WHERE client_id = ? ORDER BY id LIMIT 3)",
            [cid],
        )
    cursor = office.store.purchases.state(cid, SUBJECT_BUYER).cursor  # type: ignore[union-attr]
    result = asyncio.run(reconcile(office.store, office.factory, cid, clock=office.clock))
    assert (result.missing, result.fetched) == (3, 3)
    office.check_complete(nip)
    assert office.store.purchases.state(cid, SUBJECT_BUYER).cursor == cursor  # type: ignore[union-attr]


def test_redownload_of_a_period_dedupes_and_never_touches_the_cursor(office: Office) -> None:
    nip = next(iter(office.ids))
    cid = office.ids[nip]
    office.sync(nip)
    cursor = office.store.purchases.state(cid, SUBJECT_BUYER).cursor  # type: ignore[union-attr]
    added = asyncio.run(
        redownload(
            office.store, office.factory, cid, date(2026, 11, 1), date(2026, 11, 20), clock=office.clock
        )
    )
    assert added == 0
    assert office.store.purchases.state(cid, SUBJECT_BUYER).cursor == cursor  # type: ignore[union-attr]
    office.check_complete(nip)


def test_progress_counts_clients_and_invoices(office: Office) -> None:
    seen: list[Any] = []
    report = office.sync(on_progress=seen.append)
    assert seen[0].clients_done == 0 and seen[-1].clients_done == len(office.ids)
    assert seen[-1].invoices_fetched == report.added


def test_a_client_without_any_credential_is_skipped_not_failed(office: Office) -> None:
    bare = office.store.clients.add(Client("Bez poświadczeń Sp. z o.o.", "BARE", ["5260250274"]))
    report = office.sync()
    (mine,) = [r for r in report.results if r.client_id == bare.id]
    assert mine.ok and mine.skipped and not report.failed


def test_a_client_without_credentials_syncs_with_the_office_certificate_under_its_grant(
    office: Office,
) -> None:
    """Issue 11: from 2027 a client may hold no credential at all; the office certificate logs in in
    its context under the grant the census found, so the sync must not skip it."""
    from ksef_tui.core.readiness import Census, OfficeGrant
    from ksef_tui.store.repositories.office import OFFICE_CLIENT_ID

    entry = next(e for e in office.world.roster if e.profile == "expiring_10")  # granted read+write
    bare = office.store.clients.add(Client(entry.name, "GRANTED", [entry.nip]))
    assert bare.id is not None
    office.ids[entry.nip] = bare.id
    sim_cert = office.world.office_certificate
    assert sim_cert is not None
    office.store.office_certificate.put(
        Credential(
            OFFICE_CLIENT_ID,
            CredentialKind.OFFICE_CERTIFICATE,
            secret=sim_cert.private_key_pem,
            certificate_pem=sim_cert.certificate_pem,
            serial=sim_cert.serial,
            valid_from=sim_cert.valid_from,
            valid_until=sim_cert.valid_to,
        )
    )
    office.store.grant_censuses.record(
        Census(NOW, {entry.nip: OfficeGrant(entry.nip, read=True, write=True)})
    )
    (result,) = office.sync(entry.nip).results
    assert result.ok and not result.skipped and result.packages >= 1, result
    office.check_complete(entry.nip)
    logins = [(a.result, a.detail) for a in office.store.audit.list(bare.id) if a.action == "sessions.login"]
    assert logins == [("ok", CredentialKind.OFFICE_CERTIFICATE.value)]


def test_ten_exports_already_running_is_a_clear_message_and_nothing_pending(office: Office) -> None:
    """Another program (or KSeF itself) left ten exports of this context hanging: KSeF answers 21182."""
    from ksef_tui.simulator.state import Export

    nip = next(iter(office.ids))
    cid = office.ids[nip]
    office.faults(export_stuck=True)
    for n in range(10):
        ref = f"20261121-EE-HANGING{n:04d}-00"
        office.app.state.sim.exports[ref] = Export(ref, nip, office.clock(), {}, False, "Zip", None, None)
    report = office.sync(nip)
    (result,) = report.results
    assert not result.ok and "wcześniejsze eksporty" in result.error
    state = office.store.purchases.state(cid, SUBJECT_BUYER)
    assert state is not None and state.pending is None and state.cursor == state.started_from

"""Issue 14 end to end over real HTTP: purchase invoices synced from `ksef-tui simulator` (a separate
process) into a real store through `ksef-tui sync`, approved through the queue's use case, exported with
`ksef-tui export --format bundle`; every exported XML is the exact document KSeF served (its SHA-256 is the
`invoiceHash` KSeF reports), and the bookings' file lists exactly what was approved."""

from __future__ import annotations

import base64
import hashlib
import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from ksef_tui.__main__ import cli
from ksef_tui.core.booking_draft import needs_fx_rate
from ksef_tui.core.bookings import OPEN_STATUSES, BookingStatus
from ksef_tui.core.clock import system_clock
from ksef_tui.store import Store
from ksef_tui.sync import bookings as queue_uc
from tests.e2e_simulator import PASSPHRASE, Simulator, real_office, start_simulator


@pytest.fixture(scope="module")
def simulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Simulator]:
    sim = start_simulator(tmp_path_factory, "--no-rate-limits")
    running = next(sim)
    root = running.base_url.removesuffix("/v2")
    httpx.patch(f"{root}/_sim/faults", json={"export_processing_polls": 0}).raise_for_status()
    yield running
    next(sim, None)


def _buyers(sim: Simulator, n: int) -> list[tuple[str, dict[str, object]]]:
    good = [
        t
        for t in sim.world["taxpayers"]
        if t["token"] and t["token_status"] == "Active" and "InvoiceRead" in t["permissions"]
    ]
    return [(f"K{i:02d}", t) for i, t in enumerate(good[:n])]


def _served_hashes(sim: Simulator, nip: str) -> dict[str, str]:
    root = sim.base_url.removesuffix("/v2")
    rows = httpx.get(f"{root}/_sim/purchases", params={"buyer": nip}).json()["purchases"]
    return {r["ksefNumber"]: r["invoiceHash"] for r in rows}


def test_synced_approved_exported_bundle_holds_the_xml_ksef_served(
    simulator: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    office = real_office(simulator, tmp_path, monkeypatch, _buyers(simulator, 2))
    synced = CliRunner().invoke(cli, ["sync", "--passphrase-file", office.passphrase_file])
    assert synced.exit_code == 0, synced.output

    with Store.open(office.home, PASSPHRASE) as store:
        queue_uc.propose_new(store, system_clock)
        open_ones = store.bookings.list(None, OPEN_STATUSES)
        keys = [(b.client_id, b.ksef_number) for b in open_ones if not needs_fx_rate(b)]
        assert keys
        queue_uc.approve(store, keys, "Anna Nowak", system_clock)
        approved = store.bookings.list(None, [BookingStatus.APPROVED])
        period = Counter(b.vat_period for b in approved).most_common(1)[0][0]
        expected = {
            code: {b.ksef_number for b in approved if b.client_id == cid and b.vat_period == period}
            for code, cid in office.ids.items()
        }
    assert sum(len(v) for v in expected.values()) > 5

    out = tmp_path / "out"
    args = ["export", "--format", "bundle", "--period", period, "--out", str(out)]
    run = CliRunner().invoke(cli, [*args, "--passphrase-file", office.passphrase_file])
    assert run.exit_code in (0, 1), run.output  # 1: foreign invoices without a rate are not approved

    nips = {code: str(t["nip"]) for code, t in _buyers(simulator, 2)}
    for code, numbers in expected.items():
        if not numbers:
            continue
        folder = out / code / period
        served = _served_hashes(simulator, nips[code])
        xml_files = {p.name.removesuffix(".xml") for p in folder.glob("*.xml")}
        assert xml_files == numbers
        for number in numbers:
            data = (folder / f"{number}.xml").read_bytes()
            assert base64.b64encode(hashlib.sha256(data).digest()).decode() == served[number]
        listed = json.loads((folder / "bookings.json").read_bytes())["bookings"]
        assert {b["ksef_number"] for b in listed} == numbers
        manifest = json.loads((folder / "manifest.json").read_bytes())
        for entry in manifest["files"]:
            assert hashlib.sha256((folder / entry["name"]).read_bytes()).hexdigest() == entry["sha256"]

    with Store.open(office.home, PASSPHRASE) as store:
        exported = {b.ksef_number for b in store.bookings.list(None, [BookingStatus.EXPORTED])}
        assert exported == set().union(*expected.values())
        assert len(store.exports.list()) == sum(1 for v in expected.values() if v)

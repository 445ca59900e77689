"""sync/exports (issue 14): plan, atomic run, batches re-created byte for byte, undo, and a run SIGKILLed at
every step of its writing (a child process) leaving no partial file and no booking EXPORTED."""

from __future__ import annotations

import os
import signal
import sqlite3
import stat
import subprocess
import sys
import textwrap
from dataclasses import replace
from pathlib import Path

import pytest

from ksef_tui.core.bookings import BookingStatus
from ksef_tui.core.clock import fixed_clock
from ksef_tui.core.export_batch import BatchStatus
from ksef_tui.core.exports import ExportFormat, PeriodKind, TaxpayerProfile
from ksef_tui.core.models import Client
from ksef_tui.store import KdfLimits, Store
from ksef_tui.store.paths import DB_FILENAME
from ksef_tui.store.repositories.exports import BatchUndoRefused
from ksef_tui.sync import exports as uc
from ksef_tui.sync.bookings import INVOICE_DOCUMENT
from tests.export_helpers import CREATED, booking, invoice_xml

PASSPHRASE = "export service pass phrase"
ROOT = Path(__file__).resolve().parent.parent
CLOCK = fixed_clock(CREATED)


@pytest.fixture
def office(tmp_path: Path) -> tuple[Store, int]:
    store = Store.create(tmp_path / "home", PASSPHRASE, operator="Anna Nowak", kdf=KdfLimits.FAST_FOR_TESTS)
    cid = store.clients.add(Client("Piekarnia Nowak Sp. z o.o.", "PIEKARNIA", ["5260250274"])).id
    assert cid is not None
    bookings = [booking(cid, n) for n in range(1, 6)]
    bookings.append(booking(cid, 6, status=BookingStatus.PROPOSED))  # open: a warning
    bookings.append(booking(cid, 7, status=BookingStatus.EXCLUDED))
    bookings.append(booking(cid, 8, vat_period="2026-04"))  # another period
    store.bookings.put_many(bookings)
    for b in bookings:
        store.documents.put(cid, INVOICE_DOCUMENT, b.ksef_number, invoice_xml(b.ksef_number))
    store.exports.set_profile(cid, TaxpayerProfile(email="biuro@piekarnia.pl", tax_office_code="1471"))
    yield store, cid
    store.close()


def _plan(store: Store, cid: int, out: Path, **kw: object) -> uc.ExportPlan:
    return uc.plan_export(store, cid, ExportFormat.BUNDLE, "2026-03", CLOCK, out=out, **kw)  # type: ignore[arg-type]


def _statuses(store: Store, cid: int) -> dict[str, BookingStatus]:
    return {b.ksef_number: b.status for b in store.bookings.list([cid])}


def _folder_files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()} if folder.exists() else {}


def test_plan_previews_and_writes_nothing(office: tuple[Store, int], tmp_path: Path) -> None:
    store, cid = office
    plan = _plan(store, cid, tmp_path / "out")
    assert plan.folder == tmp_path / "out" / "PIEKARNIA" / "2026-03"
    assert plan.summary.count == 5 and plan.summary.not_approved == 1 and plan.summary.excluded == 1
    assert [w.code for w in plan.warnings] == ["export.not_approved"]
    assert plan.all_problems == () and plan.existing == () and len(plan.file_names) == 5 + 3
    assert plan.context.profile.tax_office_code == "1471" and plan.context.created_at == CREATED
    assert not (tmp_path / "out").exists()
    assert set(_statuses(store, cid).values()) == {
        BookingStatus.APPROVED,
        BookingStatus.PROPOSED,
        BookingStatus.EXCLUDED,
    }


def test_run_writes_the_plans_bytes_privately_and_records_the_batch(
    office: tuple[Store, int], tmp_path: Path
) -> None:
    store, cid = office
    plan = _plan(store, cid, tmp_path / "out")
    result = uc.run_export(store, plan, "Anna Nowak")
    assert result.problems == () and result.batch is not None
    assert _folder_files(plan.folder) == {f.name: f.data for f in plan.output.files}  # no temp, no journal
    assert stat.S_IMODE(plan.folder.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in plan.folder.iterdir())
    batch = store.exports.get(result.batch.id)  # type: ignore[arg-type]
    assert batch.folder == str(plan.folder) and batch.created_by == "Anna Nowak"
    assert [f.name for f in batch.files] == list(plan.file_names)
    exported = {b.ksef_number for b in plan.selection.bookings}
    for b in store.bookings.list([cid]):
        if b.ksef_number in exported:
            assert b.status is BookingStatus.EXPORTED and b.export_batch == str(batch.id)
        else:
            assert b.status is not BookingStatus.EXPORTED
    again = _plan(store, cid, tmp_path / "out")  # the period's approved ones are all exported now
    assert again.nothing_to_export and uc.run_export(store, again, "Anna").batch is None


def test_an_existing_file_stops_the_run_unless_overwrite(office: tuple[Store, int], tmp_path: Path) -> None:
    store, cid = office
    plan = _plan(store, cid, tmp_path / "out")
    plan.folder.mkdir(parents=True)
    (plan.folder / "bookings.csv").write_bytes(b"the accountant's own edits")
    seen = _plan(store, cid, tmp_path / "out")
    assert seen.existing == ("bookings.csv",)
    refused = uc.run_export(store, seen, "Anna")
    assert refused.batch is None and refused.problems[0].code == "export.files_exist"
    assert "--overwrite" in refused.problems[0].message and "bookings.csv" in refused.problems[0].message
    assert _folder_files(plan.folder) == {"bookings.csv": b"the accountant's own edits"}
    assert BookingStatus.EXPORTED not in _statuses(store, cid).values()
    done = uc.run_export(store, seen, "Anna", overwrite=True)
    assert done.batch is not None
    assert (plan.folder / "bookings.csv").read_bytes() != b"the accountant's own edits"


def test_a_recreated_batch_is_byte_identical_after_later_changes(
    office: tuple[Store, int], tmp_path: Path
) -> None:
    store, cid = office
    plan = _plan(store, cid, tmp_path / "out")
    batch = uc.run_export(store, plan, "Anna").batch
    assert batch is not None and batch.id is not None
    original = _folder_files(plan.folder)
    # Later: the client is renamed, its profile changes, the batch is undone and a booking edited.
    client = store.clients.get(cid)
    store.clients.update(replace(client, name="Piekarnia Nowak i Córki"))
    store.exports.set_profile(cid, TaxpayerProfile(email="nowy@piekarnia.pl", tax_office_code="1435"))
    uc.undo_batch(store, batch.id, "Anna", CLOCK)
    first = store.bookings.get(cid, plan.selection.bookings[0].ksef_number)
    assert first is not None
    store.bookings.put_many([replace(first, note="zmiana po eksporcie")])
    again = uc.recreate_batch(store, batch.id, tmp_path / "again")
    assert again.problems == ()
    assert _folder_files(tmp_path / "again") == original
    twice = uc.recreate_batch(store, batch.id, tmp_path / "again")
    assert twice.problems[0].code == "export.files_exist"
    assert uc.recreate_batch(store, batch.id, tmp_path / "again", overwrite=True).problems == ()


def test_recreate_refuses_when_an_invoice_xml_is_gone(office: tuple[Store, int], tmp_path: Path) -> None:
    store, cid = office
    plan = _plan(store, cid, tmp_path / "out")
    batch = uc.run_export(store, plan, "Anna").batch
    assert batch is not None and batch.id is not None
    store.documents.remove(cid, INVOICE_DOCUMENT, plan.selection.bookings[2].ksef_number)
    result = uc.recreate_batch(store, batch.id, tmp_path / "again")
    assert result.problems and result.written == ()
    assert not (tmp_path / "again").exists()


def test_undo_then_export_again_replaces_the_unchanged_files_without_asking(
    office: tuple[Store, int], tmp_path: Path
) -> None:
    store, cid = office
    first = uc.run_export(store, _plan(store, cid, tmp_path / "out"), "Anna").batch
    assert first is not None and first.id is not None
    undone = uc.undo_batch(store, first.id, "Anna", CLOCK)
    assert undone.status is BatchStatus.UNDONE
    assert BookingStatus.EXPORTED not in _statuses(store, cid).values()
    plan = _plan(store, cid, tmp_path / "out")
    assert plan.existing == () and set(plan.leftovers) == set(plan.file_names)
    second = uc.run_export(store, plan, "Anna")
    assert second.batch is not None and second.problems == ()
    with pytest.raises(BatchUndoRefused):
        uc.undo_batch(store, first.id, "Anna", CLOCK)  # already undone


def test_a_booking_changed_after_the_preview_takes_the_files_back(
    office: tuple[Store, int], tmp_path: Path
) -> None:
    store, cid = office
    plan = _plan(store, cid, tmp_path / "out")
    changed = store.bookings.get(cid, plan.selection.bookings[1].ksef_number)
    assert changed is not None
    store.bookings.put_many([replace(changed, note="poprawka w trakcie podglądu")])
    result = uc.run_export(store, plan, "Anna")
    assert result.batch is None and result.problems[0].code == "export.store"
    assert _folder_files(plan.folder) == {}  # neither the files nor the journal stay
    assert BookingStatus.EXPORTED not in _statuses(store, cid).values()


def test_a_problem_writes_nothing(office: tuple[Store, int], tmp_path: Path) -> None:
    store, cid = office
    number = store.bookings.list([cid])[0].ksef_number
    store.documents.remove(cid, INVOICE_DOCUMENT, number)
    plan = _plan(store, cid, tmp_path / "out")
    assert [p.code for p in plan.all_problems] == ["bundle.missing_xml"]
    result = uc.run_export(store, plan, "Anna")
    assert result.batch is None and not (tmp_path / "out").exists()


def test_a_format_not_registered_is_a_problem(
    office: tuple[Store, int], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store, cid = office
    monkeypatch.delitem(uc.WRITERS, ExportFormat.EPP, raising=False)
    plan = uc.plan_export(store, cid, ExportFormat.EPP, "2026-03", CLOCK, out=tmp_path)
    assert [p.code for p in plan.all_problems] == ["export.format_unavailable"]


def test_the_cost_period_and_again(office: tuple[Store, int], tmp_path: Path) -> None:
    store, cid = office
    uc.run_export(store, _plan(store, cid, tmp_path / "out"), "Anna")
    plan = _plan(store, cid, tmp_path / "out2", again=True, period_kind=PeriodKind.COST)
    # The five exported (again) and the one whose VAT period is April but whose cost is March's.
    assert plan.summary.count == 6 and plan.again and plan.summary.exported_before == 0
    result = uc.run_export(store, plan, "Anna")
    assert result.batch is not None and result.batch.again


# --- killed while writing -----------------------------------------------------------------------------

CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from pathlib import Path
    sys.path.insert(0, {root!r})
    import ksef_tui.store.store as store_module
    from ksef_tui.core.clock import fixed_clock
    from ksef_tui.core.exports import ExportFormat
    from ksef_tui.store import Store
    from ksef_tui.sync import exports as uc
    from tests.export_helpers import CREATED

    kill_at, mode = {kill_at!r}, {mode!r}
    calls = 0
    real_replace = os.replace

    def counted_replace(*args, **kwargs):
        global calls
        real_replace(*args, **kwargs)
        calls += 1
        if mode == "replace" and calls == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)

    os.replace = counted_replace
    real_transaction = store_module.write_transaction

    from contextlib import contextmanager

    @contextmanager
    def killed_before_commit(db):
        with real_transaction(db) as conn:
            yield conn
            if mode == "commit":
                os.kill(os.getpid(), signal.SIGKILL)  # everything written, nothing committed

    store = Store.open(Path({home!r}), {passphrase!r})
    clock = fixed_clock(CREATED)
    plan = uc.plan_export(store, {cid!r}, ExportFormat.BUNDLE, "2026-03", clock, out=Path({out!r}))
    store_module.write_transaction = killed_before_commit
    uc.run_export(store, plan, "Anna")
    sys.exit(0)
    """
)


@pytest.mark.parametrize(
    ("mode", "kill_at"),
    [
        ("replace", 1),  # the journal is in place, no file yet
        ("replace", 2),  # the first file under its final name
        ("replace", 5),  # some files
        ("replace", 9),  # every file, not recorded
        ("commit", 0),  # the batch written in the store, not committed
    ],
)
def test_a_killed_run_leaves_no_partial_file_and_no_exported_booking(
    office: tuple[Store, int], tmp_path: Path, mode: str, kill_at: int
) -> None:
    store, cid = office
    out = tmp_path / "out"
    plan = _plan(store, cid, out)
    expected = {f.name: f.data for f in plan.output.files}
    assert len(expected) == 8  # 5 XML, csv, json, manifest: 1 journal + 8 renames
    store.close()
    code = CHILD.format(
        root=str(ROOT),
        kill_at=kill_at,
        mode=mode,
        home=str(tmp_path / "home"),
        passphrase=PASSPHRASE,
        cid=cid,
        out=str(out),
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, timeout=120)
    assert child.returncode == -signal.SIGKILL, child.stderr.decode()

    left = _folder_files(plan.folder)
    finals = {n: d for n, d in left.items() if not n.startswith(".ksef-tui-")}
    for name, data in finals.items():
        assert data == expected[name], f"{name} is partial or foreign"  # complete, or absent
    renamed = {"replace": max(0, kill_at - 1), "commit": 8}[mode]
    assert len(finals) == renamed
    assert any(n.startswith(".ksef-tui-") for n in left)  # temporaries or the journal stayed behind

    with Store.open(tmp_path / "home", PASSPHRASE) as again:
        assert BookingStatus.EXPORTED not in _statuses(again, cid).values()
        assert again.exports.list(cid) == []
        # The next run cleans up and succeeds without --overwrite: what is there is ours, unrecorded.
        retry = _plan(again, cid, out)
        assert retry.existing == () and set(retry.leftovers) == set(finals)
        result = uc.run_export(again, retry, "Anna")
        assert result.problems == () and result.batch is not None
        assert _folder_files(plan.folder) == expected
        assert {b.status for b in again.bookings.list([cid]) if b.ksef_number in expected} <= {
            BookingStatus.EXPORTED
        }


def test_a_damaged_invoice_xml_is_reported_as_missing_not_exported(
    office: tuple[Store, int], tmp_path: Path
) -> None:
    store, cid = office
    number = booking(cid, 1).ksef_number  # the fixture's first document
    store.close()
    conn = sqlite3.connect(tmp_path / "home" / DB_FILENAME)
    conn.execute("UPDATE documents SET data = ? WHERE id = (SELECT min(id) FROM documents)", [b"\x00" * 64])
    conn.commit()
    conn.close()
    with Store.open(tmp_path / "home", PASSPHRASE) as reopened:
        plan = _plan(reopened, cid, tmp_path / "out")
        assert [(p.code, p.ksef_number) for p in plan.all_problems] == [("bundle.missing_xml", number)]
        assert [d.table for d in reopened.damaged] == ["documents"]  # recorded, for the damage report

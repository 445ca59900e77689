"""The demo's export (issue 14): every demo client has a taxpayer profile (a few natural persons, a few on
KPiR, real tax-office codes), and `ksef-tui export --demo --period <last month>` writes per client the
approved month, `--client` only that client's. One fresh demo for the module (it takes a while)."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from lxml import etree

from ksef_tui import demo as demo_module
from ksef_tui.__main__ import cli
from ksef_tui.core.bookings import BookingStatus, Deduction, JpkGroup
from ksef_tui.core.exports import Ledger, TaxpayerKind
from ksef_tui.demo import DEMO_PASSPHRASE
from ksef_tui.demo.profiles import CITIES, LARGE_WARSAW
from ksef_tui.store import Store
from ksef_tui.sync.bookings import INVOICE_DOCUMENT
from ksef_tui.sync.exports import check_profile

NOW = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
LAST_MONTH = "2026-10"
OFFICES = {code for *_rest, offices in CITIES.values() for code, _name in offices} | {LARGE_WARSAW[0]}


pytestmark = pytest.mark.xdist_group("purchases_demo")  # shares `purchases_demo_home` (conftest)


@pytest.fixture
def demo_home(purchases_demo_home: Path) -> Path:
    return purchases_demo_home


@pytest.fixture
def fresh_demo(demo_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """`--demo` opens a copy of the module's demo (an export changes the store)."""
    home = tmp_path / "demo-copy"
    shutil.copytree(demo_home, home)

    class Ready:
        def __init__(self) -> None:
            self.home = home

        def cleanup(self) -> None:
            pass

    monkeypatch.setattr(demo_module, "prepare_demo", lambda *a, **k: Ready())
    return home


def test_every_demo_client_has_a_profile_a_tax_office_would_accept(demo_home: Path) -> None:
    with Store.open(demo_home, DEMO_PASSPHRASE) as store:
        profiles = [store.exports.profile(c.id) for c in store.clients.list() if c.id is not None]
    assert len(profiles) == 45
    for profile in profiles:
        assert check_profile(profile) == profile
        assert profile.tax_office_code in OFFICES and profile.email.startswith("biuro@")
        assert profile.city and profile.postcode and profile.street and profile.house_no
        if profile.kind is TaxpayerKind.PERSON:
            assert profile.first_name and profile.last_name and profile.birth_date is not None
            assert profile.ledger is Ledger.KPIR
        else:
            assert profile.full_name
    persons = sum(p.kind is TaxpayerKind.PERSON for p in profiles)
    on_kpir = sum(p.ledger is Ledger.KPIR for p in profiles)
    assert 3 <= persons < on_kpir < len(profiles)  # a few persons, more on KPiR, most companies


def test_export_demo_writes_last_months_approved_bookings_per_client(
    fresh_demo: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    with Store.open(fresh_demo, DEMO_PASSPHRASE) as store:
        approved = {
            (b.client_id, b.ksef_number)
            for b in store.bookings.list(None, [BookingStatus.APPROVED])
            if b.vat_period == LAST_MONTH
        }
        codes = {c.id: c.short_code for c in store.clients.list()}
    result = CliRunner().invoke(
        cli,
        ["export", "--demo", "--format", "bundle", "--period", LAST_MONTH, "--out", str(out)],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    clients = {cid for cid, _n in approved}
    assert len(result.stdout.strip().splitlines()) == len(clients) > 10
    with Store.open(fresh_demo, DEMO_PASSPHRASE) as store:
        for cid in clients:
            folder = out / codes[cid] / LAST_MONTH
            data = json.loads((folder / "bookings.json").read_bytes())
            numbers = {b["ksef_number"] for b in data["bookings"]}
            assert numbers == {n for c, n in approved if c == cid}
            for number in numbers:  # the exact XML KSeF served, as the store keeps it
                assert (folder / f"{number}.xml").read_bytes() == store.documents.get(
                    cid, INVOICE_DOCUMENT, number
                )
        exported = {(b.client_id, b.ksef_number) for b in store.bookings.list(None, [BookingStatus.EXPORTED])}
        assert exported == approved


def test_export_demo_with_client_writes_only_that_client(fresh_demo: Path, tmp_path: Path) -> None:
    with Store.open(fresh_demo, DEMO_PASSPHRASE) as store:
        busiest = max(
            store.clients.list(),
            key=lambda c: store.bookings.count([c.id], [BookingStatus.APPROVED]),  # type: ignore[list-item]
        )
    out = tmp_path / "out"
    result = CliRunner().invoke(
        cli,
        [
            "export",
            "--demo",
            "--format",
            "bundle",
            "--period",
            LAST_MONTH,
            "--out",
            str(out),
            "--client",
            busiest.short_code,
        ],
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.output
    assert [p.name for p in out.iterdir()] == [busiest.short_code]


APPROVED = BookingStatus.APPROVED
SCHEMAS = Path(__file__).resolve().parent.parent / "ksef_tui" / "resources" / "schemas" / "JPK"


def _xsd(relative: str) -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMAS / relative)))


def _run(out: Path, fmt: str) -> Result:
    return CliRunner().invoke(
        cli,
        ["export", "--demo", "--format", fmt, "--period", LAST_MONTH, "--out", str(out)],
        catch_exceptions=False,
    )


def test_export_demo_jpk_v7m_is_valid_and_its_rows_are_the_approved_bookings(
    fresh_demo: Path, tmp_path: Path
) -> None:
    """Issue 14 "Done when": per client, a file the official XSD accepts whose purchase rows match the
    approved bookings (those with VAT to deduct: a booking with no deduction has no purchase row)."""
    with Store.open(fresh_demo, DEMO_PASSPHRASE) as store:
        expected: dict[int, set[str]] = {}
        for b in store.bookings.list(None, [BookingStatus.APPROVED]):
            if b.vat_period == LAST_MONTH and any(
                line.deduction is not Deduction.NONE and line.jpk_group is not JpkGroup.NONE
                for line in b.lines
            ):
                expected.setdefault(b.client_id, set()).add(b.ksef_number)
        codes = {c.id: c.short_code for c in store.clients.list()}
    out = tmp_path / "out"
    result = _run(out, "jpk-v7m")
    assert result.exit_code in (0, 1), result.output
    schema = _xsd("JPK_V7M_3/schemat_JPK_V7M(3)_v1-0E.xsd")
    assert len(expected) > 10
    for cid, numbers in expected.items():
        (path,) = (out / codes[cid] / LAST_MONTH).glob("JPK_V7M_*.xml")
        doc = etree.parse(str(path))
        assert schema.validate(doc), schema.error_log
        rows = doc.getroot().findall(".//{*}ZakupWiersz")
        assert {r.findtext("{*}NrKSeF") for r in rows} == numbers
        ctrl = doc.getroot().find(".//{*}ZakupCtrl")
        assert ctrl is not None and int(ctrl.findtext("{*}LiczbaWierszyZakupow") or -1) == len(rows)


def test_export_demo_kpir_writes_the_clients_on_kpir_and_skips_full_books(
    fresh_demo: Path, tmp_path: Path
) -> None:
    with Store.open(fresh_demo, DEMO_PASSPHRASE) as store:
        on_kpir = {
            c.short_code
            for c in store.clients.list()
            if c.id is not None
            and store.exports.profile(c.id).ledger is Ledger.KPIR
            and any(
                b.cost_period == LAST_MONTH for b in store.bookings.list([c.id], [BookingStatus.APPROVED])
            )
        }
    out = tmp_path / "out"
    result = _run(out, "jpk-pkpir")
    assert result.exit_code in (0, 1), result.output  # full books are not asked for by name: no problem
    assert {p.name for p in out.iterdir()} == on_kpir and on_kpir
    schema = _xsd("JPK_PKPIR_3/schemat_JPK_PKPIR(3)_v1-0.xsd")
    for code in on_kpir:
        (path,) = (out / code / LAST_MONTH).glob("*.xml")
        assert schema.validate(etree.parse(str(path))), schema.error_log

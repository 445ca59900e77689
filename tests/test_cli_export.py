"""`ksef-tui export`, `ksef-tui exports list|recreate|undo` and `ksef-tui clients profile` (issue 14 item 6):
exit codes 0/1/2/3, `--client`, what each line says. A real store on disk."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from ksef_tui.__main__ import cli
from ksef_tui.core.bookings import BookingStatus
from ksef_tui.core.exports import Ledger, TaxpayerKind, TaxpayerProfile
from ksef_tui.core.models import Client
from ksef_tui.store import KdfLimits, Store
from ksef_tui.sync.bookings import INVOICE_DOCUMENT
from tests.export_helpers import booking, invoice_xml

PASSPHRASE = "export cli pass phrase"


@pytest.fixture
def office(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    home = tmp_path / "home"
    store = Store.create(home, PASSPHRASE, operator="Anna Nowak", kdf=KdfLimits.FAST_FOR_TESTS)
    try:
        ids = {}
        for code, nip in (("PIEKARNIA", "5260250274"), ("WARSZTAT", "1234563218")):
            cid = store.clients.add(Client(f"{code.title()} Sp. z o.o.", code, [nip])).id
            assert cid is not None
            ids[code] = cid
            bookings = [booking(cid, n) for n in range(1, 4)]
            store.bookings.put_many(bookings)
            for b in bookings:
                store.documents.put(cid, INVOICE_DOCUMENT, b.ksef_number, invoice_xml(b.ksef_number))
    finally:
        store.close()
    monkeypatch.setenv("KSEF_TUI_HOME", str(home))
    monkeypatch.setenv("KSEF_TUI_PASSPHRASE", PASSPHRASE)
    return ids


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def _store() -> Store:
    return Store.open(Path(os.environ["KSEF_TUI_HOME"]), PASSPHRASE)


def _export(out: Path, *more: str) -> Result:
    return _run("export", "--format", "bundle", "--period", "2026-03", "--out", str(out), *more)


def test_written_is_exit_0_with_one_line_per_client(office: dict[str, int], tmp_path: Path) -> None:
    result = _export(tmp_path / "out")
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("PIEKARNIA: księgowania: 3, pliki: 6 zapisane do ")
    assert "paczka 1" in lines[0] and "netto" in lines[0] and "PLN" in lines[0]
    for code in ("PIEKARNIA", "WARSZTAT"):
        folder = tmp_path / "out" / code / "2026-03"
        assert {p.name for p in folder.iterdir()} >= {"bookings.csv", "bookings.json", "manifest.json"}
    with _store() as store:
        assert {b.status for b in store.bookings.list()} == {BookingStatus.EXPORTED}
    again = _export(tmp_path / "out")  # nothing new: said, and not an error
    assert again.exit_code == 0 and "nic do eksportu" in again.stdout


def test_client_limits_the_run_to_that_client(office: dict[str, int], tmp_path: Path) -> None:
    result = _export(tmp_path / "out", "--client", "warsztat")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("WARSZTAT: ")
    assert not (tmp_path / "out" / "PIEKARNIA").exists()
    with _store() as store:
        assert {b.status for b in store.bookings.list([office["PIEKARNIA"]])} == {BookingStatus.APPROVED}
        assert {b.status for b in store.bookings.list([office["WARSZTAT"]])} == {BookingStatus.EXPORTED}


def test_written_with_warnings_is_exit_1_and_lists_them(office: dict[str, int], tmp_path: Path) -> None:
    with _store() as store:
        store.bookings.put_many(
            [booking(office["PIEKARNIA"], 9, status=BookingStatus.NEEDS_REVIEW, invoice_number="FV/9/2026")]
        )
    result = _export(tmp_path / "out", "--client", "PIEKARNIA")
    assert result.exit_code == 1, result.output
    assert "  ! Faktura FV/9/2026 od " in result.stdout and "okres jest niepełny" in result.stdout


def test_something_wrong_is_exit_2_nothing_exported_and_listed(
    office: dict[str, int], tmp_path: Path
) -> None:
    with _store() as store:
        first = store.bookings.list([office["PIEKARNIA"]])[0]
        store.documents.remove(office["PIEKARNIA"], INVOICE_DOCUMENT, first.ksef_number)
    result = _export(tmp_path / "out")
    assert result.exit_code == 2, result.output
    assert "PIEKARNIA: nic nie wyeksportowano:" in result.stdout
    assert f"  - W magazynie nie ma pliku XML faktury {first.ksef_number}" in result.stdout
    assert "WARSZTAT: księgowania: 3" in result.stdout  # the other client is exported all the same
    assert not (tmp_path / "out" / "PIEKARNIA").exists()
    with _store() as store:
        assert {b.status for b in store.bookings.list([office["PIEKARNIA"]])} == {BookingStatus.APPROVED}


def test_an_existing_file_is_exit_2_until_overwrite(office: dict[str, int], tmp_path: Path) -> None:
    folder = tmp_path / "out" / "PIEKARNIA" / "2026-03"
    folder.mkdir(parents=True)
    (folder / "bookings.csv").write_text("moje", encoding="utf-8")
    refused = _export(tmp_path / "out", "--client", "PIEKARNIA")
    assert refused.exit_code == 2 and "bookings.csv" in refused.stdout and "--overwrite" in refused.stdout
    assert (folder / "bookings.csv").read_text(encoding="utf-8") == "moje"
    done = _export(tmp_path / "out", "--client", "PIEKARNIA", "--overwrite")
    assert done.exit_code == 0, done.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--period", "2026-13"), "RRRR-MM"),
        (("--period", "2026-03", "--client", "NIEMA"), "NIEMA"),
    ],
)
def test_cannot_run_is_exit_3(
    office: dict[str, int], tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    result = _run("export", "--format", "bundle", "--out", str(tmp_path / "out"), *args)
    assert result.exit_code == 3 and message in result.output
    assert not (tmp_path / "out").exists()


def test_no_store_is_exit_3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KSEF_TUI_HOME", str(tmp_path / "nothing"))
    result = _export(tmp_path / "out")
    assert result.exit_code == 3 and "Brak magazynu" in result.output


def test_exports_list_recreate_and_undo(office: dict[str, int], tmp_path: Path) -> None:
    assert _export(tmp_path / "out", "--client", "PIEKARNIA").exit_code == 0
    listed = _run("exports", "list")
    assert listed.exit_code == 0, listed.output
    (line,) = listed.stdout.strip().splitlines()
    assert "PIEKARNIA" in line and "bundle" in line and "2026-03 vat" in line and "zapisana" in line
    assert "księgowania: 3, pliki: 6" in line and "Anna Nowak" in line

    again = _run("exports", "recreate", "1", "--out", str(tmp_path / "copy"))
    assert again.exit_code == 0, again.output
    original = tmp_path / "out" / "PIEKARNIA" / "2026-03"
    assert {p.name: p.read_bytes() for p in (tmp_path / "copy").iterdir()} == {
        p.name: p.read_bytes() for p in original.iterdir()
    }
    assert _run("exports", "recreate", "1", "--out", str(tmp_path / "copy")).exit_code == 2  # files exist
    assert _run("exports", "recreate", "77", "--out", str(tmp_path / "x")).exit_code == 3

    undone = _run("exports", "undo", "1")
    assert undone.exit_code == 0 and "Paczka 1 cofnięta" in undone.stdout
    with _store() as store:
        assert {b.status for b in store.bookings.list([office["PIEKARNIA"]])} == {BookingStatus.APPROVED}
    twice = _run("exports", "undo", "1")
    assert twice.exit_code == 2 and "została już cofnięta" in twice.stdout
    assert "cofnięta" in _run("exports", "list", "--client", "PIEKARNIA").stdout
    assert _run("exports", "list", "--client", "WARSZTAT").stdout.strip() == "Nie ma jeszcze paczek eksportu."


def test_clients_profile_shows_sets_and_refuses(office: dict[str, int]) -> None:
    shown = _run("clients", "profile", "PIEKARNIA")
    assert shown.exit_code == 0 and "Kod urzędu skarbowego" in shown.stdout
    changed = _run(
        "clients",
        "profile",
        "5260250274",
        "--kind",
        "person",
        "--first-name",
        "Jan",
        "--last-name",
        "Kowalski",
        "--birth-date",
        "1980-02-29",
        "--tax-office",
        " 1471 ",
        "--email",
        "jan@piekarnia.pl",
        "--ledger",
        "kpir",
        "--city",
        "Łódź",
    )
    assert changed.exit_code == 0, changed.output
    assert "osoba fizyczna" in changed.stdout and "1471" in changed.stdout
    with _store() as store:
        assert store.exports.profile(office["PIEKARNIA"]) == TaxpayerProfile(
            kind=TaxpayerKind.PERSON,
            first_name="Jan",
            last_name="Kowalski",
            birth_date=__import__("datetime").date(1980, 2, 29),
            email="jan@piekarnia.pl",
            tax_office_code="1471",
            ledger=Ledger.KPIR,
            city="Łódź",
        )
    refused = _run("clients", "profile", "PIEKARNIA", "--tax-office", "14")
    assert (
        refused.exit_code == 3 and "cztery cyfry" in refused.output and "Nic nie zapisano" in refused.output
    )
    assert _run("clients", "profile", "PIEKARNIA", "--birth-date", "29.02.1980").exit_code == 3
    with _store() as store:
        assert store.exports.profile(office["PIEKARNIA"]).tax_office_code == "1471"

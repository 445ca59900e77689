"""`ksef-tui init` and `ksef-tui clients import|export` on a real store (issue 10 items 3 and 4).

Files as offices have them: a UTF-8 CSV with a BOM (Excel's "CSV UTF-8"), a Windows-1250 CSV (Excel's
plain "CSV" on a Polish Windows), an .xlsx built here with openpyxl, and a file with a bad NIP that
imports nothing. No output line may show a token.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import Workbook

import ksef_tui.cli.init as init_module
from ksef_tui.__main__ import cli
from ksef_tui.core.clock import fixed_clock
from ksef_tui.core.models import CredentialKind
from ksef_tui.store import KdfLimits, Store
from ksef_tui.sync.client_import import ImportProblem, apply_import, prepare_import

PASSPHRASE = "rehearsal pass phrase"
SECRET = "0123456789abcdef0123456789abcdef0123456789abcdef"
TOKEN_A = f"20251010-EC-2B0C8AB000-4A3D8E9C3B-8D|nip-5260250274|{SECRET}"
TOKEN_B = f"20251011-EC-1A0C8AB000-4A3D8E9C3B-8E|nip-1234563218|{SECRET[::-1]}"
HEADER = ["NIP", "Nazwa", "Kod", "Środowisko", "Token", "Token ważny do", "Notatki"]
ROWS = [
    ["526-025-02-74", "Zażółć Gęślą Sp. z o.o.", "", "test", TOKEN_A, "31.12.2026", "VIP"],
    ["PL1234563218", "Łąka Beta SA", "BETA", "prod", TOKEN_B, "2026-06-30", ""],
    ["701-000-21-39", "Gamma", "", "", "", "", ""],
]


@pytest.fixture
def office(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    """A store made by `ksef-tui init` (the KDF at its test limits) and a passphrase file."""
    monkeypatch.setattr(init_module, "KDF", KdfLimits.FAST_FOR_TESTS)
    home = tmp_path / "home"
    monkeypatch.setenv("KSEF_TUI_HOME", str(home))
    monkeypatch.delenv("KSEF_TUI_PASSPHRASE", raising=False)
    pass_file = tmp_path / "pass"
    pass_file.write_text(PASSPHRASE + "\n", encoding="utf-8")
    pass_file.chmod(0o600)
    result = CliRunner().invoke(cli, ["init", "--passphrase-file", str(pass_file)])
    assert result.exit_code == 0, result.output
    return {"home": home, "pass": pass_file, "dir": tmp_path}


def run(office: dict[str, Path], *args: str) -> Result:
    return CliRunner().invoke(cli, [*args, "--passphrase-file", str(office["pass"])])


def csv_bytes(rows: list[list[str]], encoding: str, sep: str = ";") -> bytes:
    text = "\r\n".join(sep.join(r) for r in [HEADER, *rows]) + "\r\n"
    return text.encode(encoding)


def stored(office: dict[str, Path]) -> dict[str, tuple[str, str, str, str, list[str]]]:
    """NIP -> (name, code, environment, notes, token secrets) as the store holds them."""
    with Store.open(office["home"], PASSPHRASE) as store:
        creds = store.credentials.all()
        return {
            c.nip: (
                c.name,
                c.short_code,
                c.environment.value,
                c.notes,
                [k.secret for k in creds.get(c.id or 0, []) if k.kind is CredentialKind.KSEF_TOKEN],
            )
            for c in store.clients.list()
        }


# --- init ------------------------------------------------------------------------------------------------


def test_init_creates_a_store_that_opens_with_the_passphrase(office: dict[str, Path]) -> None:
    with Store.open(office["home"], PASSPHRASE) as store:
        assert store.count_clients() == 0


def test_init_refuses_an_existing_store_and_leaves_it_alone(office: dict[str, Path]) -> None:
    db = office["home"] / "ksef-tui.db"
    before = db.read_bytes()
    result = run(office, "init")
    assert result.exit_code == 3
    assert "już istnieje" in result.output
    assert db.read_bytes() == before


def test_init_takes_the_passphrase_from_the_environment_and_applies_the_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(init_module, "KDF", KdfLimits.FAST_FOR_TESTS)
    monkeypatch.setenv("KSEF_TUI_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KSEF_TUI_PASSPHRASE", "short")
    result = CliRunner().invoke(cli, ["init"])
    assert result.exit_code == 3 and "co najmniej 8" in result.output
    assert not Store.exists(tmp_path / "home")
    monkeypatch.setenv("KSEF_TUI_PASSPHRASE", "long enough pass phrase")
    result = CliRunner().invoke(cli, ["init"])
    assert result.exit_code == 0, result.output
    Store.open(tmp_path / "home", "long enough pass phrase").close()


# --- import ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("encoding", "sep"), [("utf-8-sig", ";"), ("cp1250", ";"), ("utf-8", "\t")])
def test_import_a_csv_as_excel_writes_it(office: dict[str, Path], encoding: str, sep: str) -> None:
    path = office["dir"] / "klienci.csv"
    path.write_bytes(csv_bytes(ROWS, encoding, sep))
    result = run(office, "clients", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "Zaimportowano: nowi klienci: 3" in result.output
    clients = stored(office)
    assert clients["5260250274"] == ("Zażółć Gęślą Sp. z o.o.", "ZAZOLC_274", "test", "VIP", [TOKEN_A])
    assert clients["1234563218"][:2] == ("Łąka Beta SA", "BETA")
    assert clients["1234563218"][4] == [TOKEN_B]
    assert clients["7010002139"][4] == []


def test_import_an_xlsx_made_with_openpyxl(office: dict[str, Path]) -> None:
    from datetime import datetime

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["nip", "name", "token", "token_valid_until"])
    sheet.append([5260250274, "Acme", TOKEN_A, datetime(2026, 12, 31)])  # a NIP typed as a number
    sheet.append(["123-456-32-18", "Beta", None, None])
    path = office["dir"] / "klienci.xlsx"
    book.save(path)
    result = run(office, "clients", "import", str(path))
    assert result.exit_code == 0, result.output
    clients = stored(office)
    assert set(clients) == {"5260250274", "1234563218"}
    assert clients["5260250274"][4] == [TOKEN_A]
    with Store.open(office["home"], PASSPHRASE) as store:
        client = store.clients.find_by_nip("5260250274")
        assert client is not None and client.id is not None
        until = store.credentials.for_client(client.id)[0].valid_until
        assert until is not None and until.date().isoformat() == "2026-12-31"


def test_a_bad_nip_imports_nothing_and_says_which_row(office: dict[str, Path]) -> None:
    path = office["dir"] / "zly.csv"
    path.write_bytes(csv_bytes([*ROWS, ["123-456-32-19", "Zła suma", "", "", "", "", ""]], "utf-8-sig"))
    result = run(office, "clients", "import", str(path))
    assert result.exit_code == 2, result.output
    assert "Wiersz 5  123-456-32-19  BŁĄD: Suma kontrolna" in result.output
    assert "Niczego nie zaimportowano" in result.output
    assert stored(office) == {}


def test_skip_invalid_imports_the_other_rows_and_exits_1(office: dict[str, Path]) -> None:
    path = office["dir"] / "zly.csv"
    path.write_bytes(csv_bytes([*ROWS, ["123-456-32-19", "Zła suma", "", "", "", "", ""]], "utf-8-sig"))
    result = run(office, "clients", "import", str(path), "--skip-invalid")
    assert result.exit_code == 1, result.output
    assert len(stored(office)) == 3


def test_dry_run_writes_nothing(office: dict[str, Path]) -> None:
    path = office["dir"] / "klienci.csv"
    path.write_bytes(csv_bytes(ROWS, "utf-8-sig"))
    result = run(office, "clients", "import", str(path), "--dry-run")
    assert result.exit_code == 0, result.output
    assert "nowy klient ZAZOLC_274" in result.output and "niczego nie zapisano" in result.output
    assert stored(office) == {}


def test_reimport_is_idempotent_and_never_duplicates_a_token(office: dict[str, Path]) -> None:
    path = office["dir"] / "klienci.csv"
    path.write_bytes(csv_bytes(ROWS, "utf-8-sig"))
    assert run(office, "clients", "import", str(path)).exit_code == 0
    first = stored(office)
    again = run(office, "clients", "import", str(path))
    assert again.exit_code == 0, again.output
    assert "nowi klienci: 0, zmienieni: 0, bez zmian: 3; zapieczętowane tokeny: 0" in again.output
    assert "token już zapisany" in again.output
    assert stored(office) == first
    # A changed name updates the client found by its NIP; the token stays one credential.
    changed = [["5260250274", "Zażółć Nowa", "", "", TOKEN_A, "31.12.2026", ""], *ROWS[1:]]
    path.write_bytes(csv_bytes(changed, "utf-8-sig"))
    third = run(office, "clients", "import", str(path))
    assert third.exit_code == 0, third.output
    assert "ZAZOLC_274: zmiany: nazwa" in third.output
    clients = stored(office)
    assert clients["5260250274"][0] == "Zażółć Nowa"
    assert clients["5260250274"][3] == "VIP"  # a blank cell keeps what the store has
    assert clients["5260250274"][4] == [TOKEN_A]


def test_no_output_line_shows_a_token(office: dict[str, Path]) -> None:
    path = office["dir"] / "klienci.csv"
    bad = ["123-456-32-19", "Zła", "", "", TOKEN_A + "x", "", ""]
    path.write_bytes(csv_bytes([*ROWS, bad], "utf-8-sig"))
    outputs = [
        run(office, "clients", "import", str(path), "--dry-run").output,
        run(office, "clients", "import", str(path), "--skip-invalid").output,
        run(office, "clients", "import", str(path), "--skip-invalid").output,
    ]
    for output in outputs:
        assert SECRET not in output and SECRET[::-1] not in output, output
    for output in outputs[:2]:  # a new token is shown by its reference, which tells tokens apart
        assert "nowy token 20251010-EC-2B0C8AB000-4A3D8E9C3B-8D|…" in output


def test_an_unreadable_file_or_a_missing_column_exits_3(office: dict[str, Path]) -> None:
    assert run(office, "clients", "import", str(office["dir"] / "missing.csv")).exit_code == 3
    path = office["dir"] / "bez_nazwy.csv"
    path.write_text("nip;kod\n5260250274;ACME\n", encoding="utf-8")
    result = run(office, "clients", "import", str(path))
    assert result.exit_code == 3 and "brak kolumny" in result.output


def test_a_store_failure_midway_rolls_the_whole_import_back(office: dict[str, Path]) -> None:
    """One transaction: when the store refuses the third row's write, the first two are not kept."""
    path = office["dir"] / "klienci.csv"
    path.write_bytes(csv_bytes(ROWS, "utf-8-sig"))
    with Store.open(office["home"], PASSPHRASE, clock=fixed_clock(_now())) as store:
        plan = prepare_import(store, path)
        real_add = store.clients.add
        calls = []

        def failing_add(client):  # type: ignore[no-untyped-def]
            calls.append(client)
            if len(calls) == 3:
                from ksef_tui.store import StoreError

                raise StoreError("disk full")
            return real_add(client)

        store.clients.add = failing_add  # type: ignore[method-assign]
        with pytest.raises(ImportProblem):
            apply_import(store, plan, fixed_clock(_now()))
        store.clients.add = real_add  # type: ignore[method-assign]
        assert store.clients.list() == []
        assert store.credentials.all() == {}
        apply_import(store, plan, fixed_clock(_now()))  # the store is usable afterwards
        assert store.count_clients() == 3


def _now():  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    return datetime(2026, 11, 21, 9, 30, tzinfo=UTC)


# --- export ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".csv", ".xlsx"])
def test_export_round_trip_without_secrets(office: dict[str, Path], tmp_path: Path, suffix: str) -> None:
    source = office["dir"] / "klienci.csv"
    source.write_bytes(csv_bytes(ROWS, "cp1250"))
    assert run(office, "clients", "import", str(source)).exit_code == 0
    out = office["dir"] / f"eksport{suffix}"
    result = run(office, "clients", "export", str(out))
    assert result.exit_code == 0, result.output
    data = out.read_bytes()
    if suffix == ".csv":
        assert data.startswith(b"\xef\xbb\xbf")
        text = data.decode("utf-8-sig")
        assert text.splitlines()[0] == "nip;nazwa;kod;środowisko;notatki;stan;powód;wygasa;poświadczenie"
        assert "5260250274;Zażółć Gęślą Sp. z o.o.;ZAZOLC_274;test;VIP;" in text
        assert ";2026-12-31;token" in text
    for secret in (SECRET, SECRET[::-1], "20251010-EC"):
        assert secret.encode() not in data
    # The export reads back into a new store as the same clients (health columns ignored).
    before = {nip: row[:4] for nip, row in stored(office).items()}
    other = {"home": tmp_path / "other", "pass": office["pass"], "dir": office["dir"]}
    Store.create(other["home"], PASSPHRASE, kdf=KdfLimits.FAST_FOR_TESTS).close()
    import os

    os.environ["KSEF_TUI_HOME"] = str(other["home"])  # restored by monkeypatch in the fixture
    again = run(other, "clients", "import", str(out))
    assert again.exit_code == 0, again.output
    assert "Pominięte kolumny" not in again.output
    assert {nip: row[:4] for nip, row in stored(other).items()} == before

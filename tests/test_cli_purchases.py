"""`ksef-tui sync` and `ksef-tui invoices` (issue 12 item 8): arguments, exit codes, both formats.

A real store on disk; the sync use cases are faked (the lead's end-to-end tests run them against the
simulator). The fakes replace module attributes of `ksef_tui.sync.purchases`, which the commands look
up at call time.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result

from ksef_tui import demo as demo_module
from ksef_tui.__main__ import cli
from ksef_tui.core.models import Client
from ksef_tui.core.purchases import PurchaseRecord, PurchaseStatus
from ksef_tui.store import KdfLimits, Store
from ksef_tui.sync import purchases as purchase_sync
from ksef_tui.sync.purchases import ClientSyncResult, SyncReport

PASSPHRASE = "purchase cli pass phrase"
RECEIVED = datetime(2026, 11, 20, 13, 3, 11, tzinfo=UTC)  # 14:03:11 in Warsaw


@pytest.fixture
def office(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Client]:
    """A store with two clients; KSEF_TUI_HOME and the passphrase point at it."""
    home = tmp_path / "home"
    store = Store.create(home, PASSPHRASE, kdf=KdfLimits.FAST_FOR_TESTS)
    try:
        clients = {
            "PIEKARNIA": store.clients.add(Client("Piekarnia Nowak", "PIEKARNIA", ["5260250274"])),
            "WARSZTAT": store.clients.add(Client("Warsztat Kowalski", "WARSZTAT", ["1234563218"])),
        }
    finally:
        store.close()
    monkeypatch.setenv("KSEF_TUI_HOME", str(home))
    monkeypatch.setenv("KSEF_TUI_PASSPHRASE", PASSPHRASE)
    return clients


class FakeSync:
    def __init__(self, results: dict[int, ClientSyncResult] | None = None) -> None:
        self.calls: list[dict[str, Any]] = []
        self.results = results or {}

    async def __call__(
        self, store: Any, factory: Any, client_ids: Sequence[int] | None = None, **kwargs: Any
    ) -> SyncReport:
        self.calls.append({"ids": client_ids, **kwargs})
        ids = client_ids if client_ids is not None else [c.id for c in store.clients.list()]
        report = SyncReport()
        for client_id in ids:
            client = store.clients.get(client_id)
            default = ClientSyncResult(
                client_id, client.short_code, client.nip, True, added=12, known=3, packages=1
            )
            report.results.append(self.results.get(client_id, default))
        return report


def _record(client_id: int, number: str, **changes: Any) -> PurchaseRecord:
    values: dict[str, Any] = {
        "seller_nip": "9570957722",
        "seller_name": "Energa Obrót SA",
        "invoice_number": "E/001000/11/2026",
        "issue_date": date(2026, 11, 19),
        "acquisition_date": RECEIVED,
        "permanent_storage_date": RECEIVED + timedelta(seconds=40),
        "net": Decimal("412.35"),
        "vat": Decimal("94.84"),
        "gross": Decimal("507.19"),
        "invoice_type": "Vat",
    }
    values.update(changes)
    return PurchaseRecord(client_id, number, **values)


class FakeList:
    def __init__(self, records: list[PurchaseRecord]) -> None:
        self.records = records
        self.calls: list[tuple[Any, Any]] = []

    def __call__(
        self, store: Any, client_ids: Sequence[int] | None = None, since: date | None = None
    ) -> list[PurchaseRecord]:
        self.calls.append((client_ids, since))
        return [r for r in self.records if client_ids is None or r.client_id in client_ids]


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


# --- sync ---------------------------------------------------------------------------------------


def test_sync_every_client_table_exit_0(office: dict[str, Client], monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeSync()
    monkeypatch.setattr(purchase_sync, "sync_purchases", fake)
    result = _run("sync")
    assert result.exit_code == 0, result.output
    assert fake.calls[0]["ids"] is None  # every client with a usable credential: the use case picks them
    assert fake.calls[0]["force"] is False and fake.calls[0]["since"] is None
    assert fake.calls[0]["subjects"] == ("Subject2",)  # the client as buyer; Podmiot3 only when asked
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["Klient", "NIP", "Nowe", "Znane", "Paczki", "Status"]
    assert lines[1].split() == ["PIEKARNIA", "5260250274", "12", "3", "1", "zsynchronizowany"]
    assert lines[-1] == "Pobrano faktury zakupu: 2/2 klientów, nowych: 24."
    assert result.stderr == ""


def test_sync_some_failed_json_exit_1_one_line_each_on_stderr(
    office: dict[str, Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    bad = office["WARSZTAT"]
    fake = FakeSync(
        {bad.id: ClientSyncResult(bad.id, "WARSZTAT", bad.nip, False, error="KSeF odmówił logowania (21301)")}
    )
    monkeypatch.setattr(purchase_sync, "sync_purchases", fake)
    result = _run("sync", "--format", "json")
    assert result.exit_code == 1
    rows = json.loads(result.stdout)
    assert rows == [
        {
            "client": "PIEKARNIA",
            "client_nip": "5260250274",
            "ok": True,
            "added": 12,
            "known": 3,
            "packages": 1,
            "skipped": None,
            "error": None,
        },
        {
            "client": "WARSZTAT",
            "client_nip": "1234563218",
            "ok": False,
            "added": 0,
            "known": 0,
            "packages": 0,
            "skipped": None,
            "error": "KSeF odmówił logowania (21301)",
        },
    ]
    assert result.stderr.splitlines() == ["WARSZTAT 1234563218: KSeF odmówił logowania (21301)"]


def test_sync_only_the_clients_named_and_since(
    office: dict[str, Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeSync()
    monkeypatch.setattr(purchase_sync, "sync_purchases", fake)
    result = _run("sync", "--client", "warsztat", "--client", "526-025-02-74", "--since", "2026-03-01")
    assert result.exit_code == 0, result.output
    assert fake.calls[0]["ids"] == [office["WARSZTAT"].id, office["PIEKARNIA"].id]
    assert fake.calls[0]["since"] == date(2026, 3, 1)
    assert "skipped" not in result.stdout


def test_sync_skipped_client_is_not_a_failure(
    office: dict[str, Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    client = office["PIEKARNIA"]
    why = "KSeF prosi o czekanie do 10:45"
    fake = FakeSync({client.id: ClientSyncResult(client.id, "PIEKARNIA", client.nip, True, skipped=why)})
    monkeypatch.setattr(purchase_sync, "sync_purchases", fake)
    result = _run("sync", "--client", "PIEKARNIA")
    assert result.exit_code == 0, result.output
    assert f"pominięty: {why}" in result.stdout
    assert "Pominięci: 1." in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--client", "NIEMA"), "Brak klienta o NIP-ie ani kodzie NIEMA."),
        (
            ("--since", "1.03.2026"),
            "--since: 1.03.2026 to nie data; zapisz ją jako RRRR-MM-DD, np. 2026-02-01.",
        ),
        (("--since", "2999-01-01"), "--since: 2999-01-01 to data z przyszłości."),
    ],
)
def test_sync_bad_arguments_exit_3_with_a_polish_message(
    office: dict[str, Client], monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], message: str
) -> None:
    fake = FakeSync()
    monkeypatch.setattr(purchase_sync, "sync_purchases", fake)
    result = _run("sync", *args)
    assert result.exit_code == 3
    assert message in result.output
    assert fake.calls == []


def test_sync_without_a_store_exits_3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KSEF_TUI_HOME", str(tmp_path / "nothing"))
    fake = FakeSync()
    monkeypatch.setattr(purchase_sync, "sync_purchases", fake)
    result = _run("sync")
    assert result.exit_code == 3
    assert "Brak magazynu" in result.output
    assert fake.calls == []


def test_sync_with_a_wrong_passphrase_exits_3(
    office: dict[str, Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KSEF_TUI_PASSPHRASE", "not the passphrase")
    fake = FakeSync()
    monkeypatch.setattr(purchase_sync, "sync_purchases", fake)
    result = _run("sync")
    assert result.exit_code == 3
    assert fake.calls == []


def test_sync_speaks_english_with_lang_en(office: dict[str, Client], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(purchase_sync, "sync_purchases", FakeSync())
    result = _run("--lang", "en", "sync")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].split() == ["Client", "NIP", "New", "Known", "Packages", "Status"]
    assert result.stdout.splitlines()[-1] == "Purchase invoices fetched: 2/2 clients, 24 new."
    bad = _run("--lang", "en", "sync", "--since", "yesterday")
    assert bad.exit_code == 3
    assert "--since: yesterday is not a date; write it as YYYY-MM-DD, e.g. 2026-02-01." in bad.output


def test_sync_demo_runs_on_a_fresh_demo_store_without_presynced_purchases(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[dict[str, Any]] = []
    original = demo_module.prepare_demo

    def prepare(now: datetime, **kwargs: Any) -> Any:
        asked.append(kwargs)
        return original(now, kdf=KdfLimits.FAST_FOR_TESTS)

    monkeypatch.setattr(demo_module, "prepare_demo", prepare)
    fake = FakeSync()
    monkeypatch.setattr(purchase_sync, "sync_purchases", fake)
    result = _run("sync", "--demo", "--format", "json")
    assert result.exit_code == 0, result.output
    assert asked == [{}]  # the command's own sync is the demo's first one
    assert fake.calls[0]["ids"] is None
    rows = json.loads(result.stdout)
    assert len(rows) > 5 and all(row["ok"] for row in rows)


# --- invoices -----------------------------------------------------------------------------------


def test_invoices_json_has_the_documented_keys_and_exact_amounts(
    office: dict[str, Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    client = office["PIEKARNIA"]
    older = _record(
        client.id,
        "5260250995-20261118-0000000000AB-CD",
        acquisition_date=RECEIVED - timedelta(days=2),
        currency="EUR",
        net=Decimal("100"),
        vat=Decimal("23.005"),
        gross=Decimal("123.005"),
        status=PurchaseStatus.WARNINGS,
        problems=2,
    )
    newer = _record(client.id, "9570957722-20261120-A1B2C3000000-FC")
    provisional = _record(
        office["WARSZTAT"].id,
        "7740001454-20261120-000000000001-01",
        issue_date=None,
        net=None,
        vat=None,
        gross=None,
        status=PurchaseStatus.PROVISIONAL,
    )
    fake = FakeList([older, newer, provisional])
    monkeypatch.setattr(purchase_sync, "list_purchases", fake)
    result = _run("invoices", "--format", "json")
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["ksef_number"] for r in rows] == [newer.ksef_number, provisional.ksef_number, older.ksef_number]
    first = rows[0]
    assert first == {
        "ksef_number": "9570957722-20261120-A1B2C3000000-FC",
        "client": "PIEKARNIA",
        "client_nip": "5260250274",
        "seller_nip": "9570957722",
        "seller_name": "Energa Obrót SA",
        "invoice_number": "E/001000/11/2026",
        "invoice_type": "Vat",
        "issue_date": "2026-11-19",
        "acquisition_date": "2026-11-20T14:03:11+01:00",
        "permanent_storage_date": "2026-11-20T14:03:51+01:00",
        "currency": "PLN",
        "net": "412.35",
        "vat": "94.84",
        "gross": "507.19",
        "status": "stored",
        "status_text": "pobrana",
        "problems": 0,
    }
    assert (rows[2]["net"], rows[2]["vat"], rows[2]["gross"]) == ("100.00", "23.01", "123.01")
    assert (rows[2]["status"], rows[2]["status_text"]) == ("warnings", "uwagi (2)")
    assert (rows[1]["gross"], rows[1]["issue_date"], rows[1]["status"]) == (None, None, "provisional")
    assert not any(isinstance(v, float) for row in rows for v in row.values())
    assert fake.calls == [(None, None)]


def test_invoices_table_client_and_since(office: dict[str, Client], monkeypatch: pytest.MonkeyPatch) -> None:
    client = office["WARSZTAT"]
    fake = FakeList([_record(client.id, "9570957722-20261120-A1B2C3000000-FC")])
    monkeypatch.setattr(purchase_sync, "list_purchases", fake)
    result = _run("invoices", "--client", "1234563218", "--since", "2026-11-01")
    assert result.exit_code == 0, result.output
    assert fake.calls == [([client.id], date(2026, 11, 1))]
    line, total = result.stdout.splitlines()
    assert line.startswith(
        "2026-11-20 14:03  WARSZTAT     9570957722-20261120-A1B2C3000000-FC  9570957722 Energa"
    )
    assert line.rstrip().endswith("507,19 PLN  pobrana")
    assert total == "Faktur zakupu: 1 (czas polski, Europe/Warsaw)."  # the received column is Warsaw time


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--client", "0000000000"), "Brak klienta o NIP-ie ani kodzie 0000000000."),
        (("--since", "2026-13-01"), "--since: 2026-13-01 to nie data"),
    ],
)
def test_invoices_bad_arguments_exit_3(
    office: dict[str, Client], monkeypatch: pytest.MonkeyPatch, args: tuple[str, ...], message: str
) -> None:
    fake = FakeList([])
    monkeypatch.setattr(purchase_sync, "list_purchases", fake)
    result = _run("invoices", *args)
    assert result.exit_code == 3
    assert message in result.output
    assert fake.calls == []


def test_invoices_demo_asks_for_a_demo_with_its_purchases_synced(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[dict[str, Any]] = []
    original = demo_module.prepare_demo

    def prepare(now: datetime, **kwargs: Any) -> Any:
        asked.append(kwargs)
        return original(now, kdf=KdfLimits.FAST_FOR_TESTS)  # the real sync is the lead's; faked here

    monkeypatch.setattr(demo_module, "prepare_demo", prepare)
    monkeypatch.setattr(purchase_sync, "list_purchases", FakeList([]))
    result = _run("invoices", "--demo", "--format", "json")
    assert result.exit_code == 0, result.output
    assert asked == [{"purchases": True}]
    assert json.loads(result.stdout) == []


def test_sync_force_and_third_party_are_passed_on(
    office: dict[str, Client], monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = FakeSync()
    monkeypatch.setattr(purchase_sync, "sync_purchases", fake)
    result = _run("sync", "--force", "--third-party")
    assert result.exit_code == 0, result.output
    assert fake.calls[0]["force"] is True
    assert fake.calls[0]["subjects"] == ("Subject2", "Subject3")


def test_sync_reconcile_is_passed_on(office: dict[str, Client], monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeSync()
    monkeypatch.setattr(purchase_sync, "sync_purchases", fake)
    assert _run("sync", "--reconcile").exit_code == 0
    assert fake.calls[0]["reconcile_now"] is True


def test_redownload_a_period_per_client(office: dict[str, Client], monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[int, date, date]] = []

    async def fake_redownload(
        store: Any, factory: Any, client_id: int, start: date, end: date, **kw: Any
    ) -> int:
        calls.append((client_id, start, end))
        if client_id == office["WARSZTAT"].id:
            raise RuntimeError("KSeF nie odpowiada")
        return 4

    monkeypatch.setattr(purchase_sync, "redownload", fake_redownload)
    result = _run("sync", "--redownload", "2026-03-01..2026-03-31", "--format", "json")
    assert result.exit_code == 1, result.output
    assert {c[1:] for c in calls} == {(date(2026, 3, 1), date(2026, 3, 31))} and len(calls) == 2
    rows = {r["client"]: r for r in json.loads(result.stdout)}
    assert rows["PIEKARNIA"]["added"] == 4 and rows["PIEKARNIA"]["ok"] is True
    assert "KSeF nie odpowiada" in result.stderr


@pytest.mark.parametrize("period", ["2026-03-31..2026-03-01", "marzec", "2026-03-01", "2026-03-01..x"])
def test_redownload_bad_period_exit_3(office: dict[str, Client], period: str) -> None:
    result = _run("sync", "--redownload", period)
    assert result.exit_code == 3
    assert "RRRR-MM-DD..RRRR-MM-DD" in result.stderr

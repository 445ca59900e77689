"""`ksef-tui status` passes the office certificate (issue 11): a client that depends on it is judged with
it, and every row says whether the client is ready for 2027-01-01."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from ksef_tui.__main__ import cli
from ksef_tui.core.clock import fixed_clock
from ksef_tui.core.models import CheckOutcome, Client, Credential, CredentialKind, LiveCheck
from ksef_tui.core.readiness import Census, OfficeGrant
from ksef_tui.store import KdfLimits, Store

NOW = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)
PERMS = frozenset({"InvoiceRead", "InvoiceWrite", "Introspection"})


class FixedDatetime(datetime):
    @classmethod
    def now(cls, tz=None):  # type: ignore[no-untyped-def, override]
        return NOW.astimezone(tz) if tz is not None else NOW.replace(tzinfo=None)


def _status(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, office_days: int | None
) -> tuple[int, list[dict]]:
    import ksef_tui.cli.status as status_module

    monkeypatch.setattr(status_module, "datetime", FixedDatetime)
    monkeypatch.setenv("KSEF_TUI_HOME", str(tmp_path / "home"))
    store = Store.create(
        tmp_path / "home", "pass phrase 1", kdf=KdfLimits.FAST_FOR_TESTS, clock=fixed_clock(NOW)
    )
    token_only = store.clients.add(Client("Tokenowa", "TOKEN_218", ["1234563218"]))
    token = store.credentials.add(
        Credential(token_only.id, CredentialKind.KSEF_TOKEN, secret="t", reference="20261001-EC-1")
    )
    store.checks.record(
        LiveCheck(token_only.id, NOW, CheckOutcome.OK, credential_id=token.id, permissions=PERMS)
    )
    own = store.clients.add(Client("Własna", "WLASNA_635", ["5265877635"]))
    cert = store.credentials.add(
        Credential(own.id, CredentialKind.KSEF_CERTIFICATE, valid_until=NOW + timedelta(days=400))
    )
    store.checks.record(LiveCheck(own.id, NOW, CheckOutcome.OK, credential_id=cert.id, permissions=PERMS))
    if office_days is not None:
        store.office_certificate.put(
            Credential(
                0,
                CredentialKind.OFFICE_CERTIFICATE,
                secret="k",
                valid_until=NOW + timedelta(days=office_days),
            )
        )
        store.grant_censuses.record(
            Census(NOW, {"1234563218": OfficeGrant("1234563218", read=True, write=True)})
        )
    store.close()
    pass_file = tmp_path / "pass"
    pass_file.write_text("pass phrase 1\n", encoding="utf-8")
    pass_file.chmod(0o600)
    result = CliRunner().invoke(cli, ["status", "--format", "json", "--passphrase-file", str(pass_file)])
    return result.exit_code, json.loads(result.output)


def test_an_office_certificate_about_to_expire_turns_its_dependants_red(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, rows = _status(tmp_path, monkeypatch, office_days=3)
    by_code = {r["short_code"]: r for r in rows}
    assert code == 2
    assert by_code["TOKEN_218"]["level"] == "red"
    assert by_code["TOKEN_218"]["reason"].startswith("Certyfikat biura")
    assert by_code["WLASNA_635"]["level"] == "green"  # an own certificate: the office's does not matter
    assert by_code["TOKEN_218"]["ready_2027"] == "no"  # the office certificate will not live to 2027


def test_a_healthy_office_certificate_with_a_grant_makes_the_token_client_ready(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    code, rows = _status(tmp_path, monkeypatch, office_days=400)
    by_code = {r["short_code"]: r for r in rows}
    assert code == 1, rows  # the token's own sunset warning (yellow), nothing red
    assert by_code["TOKEN_218"]["level"] == "yellow"
    assert by_code["TOKEN_218"]["ready_2027"] == "yes"
    assert by_code["WLASNA_635"]["ready_2027"] == "yes"


def test_without_an_office_certificate_a_token_client_is_not_ready(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _code, rows = _status(tmp_path, monkeypatch, office_days=None)
    by_code = {r["short_code"]: r for r in rows}
    assert by_code["TOKEN_218"]["ready_2027"] == "no"
    assert by_code["TOKEN_218"]["level"] == "yellow"  # only the token's sunset: no office to judge

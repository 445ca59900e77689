"""The office profile use case (issue 10 item 2): values checked in words, sealed, one UPO folder setting."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from ksef_tui.core.health import HealthSettings
from ksef_tui.core.models import Environment
from ksef_tui.store import KdfLimits, Store
from ksef_tui.sync.office import (
    OfficeProfile,
    OfficeSettingError,
    parse_value,
    profile_from_values,
    read_profile,
    set_value,
    write_profile,
)
from ksef_tui.sync.upo import UPO_FOLDER_SETTING, upo_folder
from tests.store.plaintext_scan import find_plaintext

PASSPHRASE = "office profile pass phrase"


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    s = Store.create(tmp_path / "home", PASSPHRASE, kdf=KdfLimits.FAST_FOR_TESTS)
    yield s
    s.close()


def test_an_empty_store_has_the_defaults_of_the_app(store: Store) -> None:
    profile = read_profile(store)
    assert profile == OfficeProfile()
    assert profile.health() == HealthSettings()
    assert profile.idle_timeout == store.idle_timeout == timedelta(minutes=15)
    assert profile.environment is Environment.PROD


@pytest.mark.parametrize(
    ("key", "raw", "words"),
    [
        ("nip", "123", "10 cyfr"),
        ("nip", "5260250275", "Suma kontrolna"),
        ("environment", "production", "prod, test, demo"),
        ("red_days", "siedem", "liczbę dni"),
        ("red_days", "400", "od 0 do 365"),
        ("check_stale_days", "0", "od 1 do 365"),
        ("idle_minutes", "0", "od 1 do 480"),
        ("idle_minutes", "-5", "od 1 do 480"),
        ("upo_folder", "UPO", "pełną ścieżkę"),
        ("name", "x" * 201, "za długa"),
        ("colour", "red", "Nieznane ustawienie colour"),
    ],
)
def test_a_bad_value_is_refused_in_polish(key: str, raw: str, words: str) -> None:
    with pytest.raises(OfficeSettingError) as caught:
        parse_value(key, raw)
    assert words in str(caught.value)
    assert caught.value.key == key


def test_values_are_normalised() -> None:
    assert parse_value("nip", "PL 526-025-02-74") == "5260250274"
    assert parse_value("name", "  Biuro \n Rachunkowe  ") == "Biuro Rachunkowe"
    assert parse_value("environment", " TEST ") is Environment.TEST
    assert parse_value("upo_folder", "~/UPO") == str(Path.home() / "UPO")
    assert parse_value("upo_folder", "  ") == ""  # back to the default
    assert parse_value("idle_minutes", "30") == 30


def test_a_file_is_not_a_folder(tmp_path: Path) -> None:
    file = tmp_path / "plik.txt"
    file.write_text("x", encoding="utf-8")
    with pytest.raises(OfficeSettingError, match="plik, a nie folder"):
        parse_value("export_folder", str(file))


def test_red_after_yellow_is_refused_with_the_field_named() -> None:
    values = {k: str(v) for k, v in OfficeProfile().values().items()}
    values.update(red_days="40", yellow_days="30", nip="1")
    errors = profile_from_values(values)
    assert isinstance(errors, dict)
    assert set(errors) == {"nip", "yellow_days"}  # every refusal at once
    assert "co najmniej 40" in errors["yellow_days"]
    values.update(nip="", red_days="30")
    assert profile_from_values(values) == OfficeProfile(red_days=30)  # equal is fine


def test_the_profile_round_trips_sealed(store: Store, tmp_path: Path) -> None:
    profile = OfficeProfile(
        nip="5260250274",
        name="Biuro Rachunkowe Zielonka",
        environment=Environment.TEST,
        upo_folder=str(tmp_path / "upo-kopie"),
        export_folder=str(tmp_path / "eksport-biura"),
        red_days=3,
        yellow_days=14,
        check_stale_days=2,
        idle_minutes=5,
    )
    write_profile(store, profile)
    assert read_profile(store) == profile
    health = profile.health(HealthSettings(sunset_warn_days=90))
    assert (health.red_days, health.warn_days, health.check_stale_days) == (3, 14, 2)
    assert health.sunset_warn_days == 90  # the rest of the settings kept
    store.close()
    reopened = Store.open(tmp_path / "home", PASSPHRASE)
    try:
        assert read_profile(reopened) == profile
    finally:
        reopened.close()
    assert find_plaintext(tmp_path / "home", ["Zielonka", "5260250274", "upo-kopie", "eksport-biura"]) == []


def test_the_upo_folder_is_the_sessions_screens_setting(store: Store, tmp_path: Path) -> None:
    """One setting, not two: what the sessions screen saves (`p`) is the profile's, and back."""
    store.settings.set(UPO_FOLDER_SETTING, str(tmp_path / "z-sesji"))
    assert read_profile(store).upo_folder == str(tmp_path / "z-sesji")
    set_value(store, "upo_folder", str(tmp_path / "z-profilu"))
    assert upo_folder(store, tmp_path, demo=False) == tmp_path / "z-profilu"
    set_value(store, "upo_folder", "")
    assert store.settings.get(UPO_FOLDER_SETTING) is None
    assert read_profile(store).upo_path() == Path.home() / "KSeF" / "UPO"


def test_set_value_changes_one_value_and_audits_the_key_only(store: Store) -> None:
    set_value(store, "name", "Biuro Tajne")
    profile = set_value(store, "red_days", "5")
    assert (profile.name, profile.red_days, profile.yellow_days) == ("Biuro Tajne", 5, 30)
    entries = [e for e in store.audit.list(limit=50) if e.action == "office.profile"]
    assert [e.detail for e in entries] == ["red_days", "name"]
    with pytest.raises(OfficeSettingError):
        set_value(store, "red_days", "31")  # after yellow (30)
    assert read_profile(store).red_days == 5  # nothing saved


def test_sync_stale_days_is_an_office_setting_that_reaches_health() -> None:
    """Issue 12 item 7: a client turns yellow when its last good sync is older than this setting."""
    from ksef_tui.sync.office import OfficeProfile, OfficeSettingError, parse_value

    assert OfficeProfile(sync_stale_days=5).health().sync_stale_days == 5
    assert parse_value("sync_stale_days", "3") == 3
    with pytest.raises(OfficeSettingError):
        parse_value("sync_stale_days", "0")

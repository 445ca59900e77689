"""Credential health (DESIGN.md "Credential health"): every rule, with the clock passed in."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from ksef_tui.core.health import HealthSettings, Level, client_health, credential_health, effective_expiry
from ksef_tui.core.models import (
    CheckOutcome,
    Client,
    Credential,
    CredentialKind,
    CredentialStatus,
    LiveCheck,
    SyncState,
)

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
S = HealthSettings()
ALL = frozenset({"InvoiceRead", "InvoiceWrite", "Introspection"})
CLIENT = Client("Piekarnia Nowak", "PIEKARNI_218", ["1234563218"], id=1)


def cert(days: float, **kw) -> Credential:
    kw.setdefault("id", 10)
    return Credential(1, CredentialKind.KSEF_CERTIFICATE, valid_until=NOW + timedelta(days=days), **kw)


def token(**kw) -> Credential:
    kw.setdefault("id", 11)
    return Credential(1, CredentialKind.KSEF_TOKEN, secret="x" * 40, **kw)


def ok_check(cred: Credential, perms=ALL, age=timedelta(hours=1)) -> LiveCheck:
    return LiveCheck(1, NOW - age, CheckOutcome.OK, credential_id=cred.id, permissions=perms)


def health_of(cred: Credential, check: LiveCheck | None = None, sync=None, settings=S):
    checks = {cred.id: check} if check else {}
    return client_health(CLIENT, [cred], checks, sync, NOW, settings)


def test_no_credential_is_red() -> None:
    h = client_health(CLIENT, [], {}, None, NOW)
    assert h.level is Level.RED and "certyfikat" in h.reason


@pytest.mark.parametrize(
    ("days", "level"),
    [
        (-1, Level.RED),
        (3, Level.RED),
        (7, Level.RED),
        (7.5, Level.YELLOW),
        (10, Level.YELLOW),
        (30, Level.YELLOW),
        (31, Level.GREEN),
        (600, Level.GREEN),
    ],
)
def test_certificate_expiry_thresholds(days: float, level: Level) -> None:
    c = cert(days)
    assert health_of(c, ok_check(c)).level is level


def test_thresholds_are_configurable() -> None:
    c = cert(20)
    assert health_of(c, ok_check(c)).level is Level.YELLOW
    relaxed = HealthSettings(red_days=3, warn_days=14)
    assert health_of(c, ok_check(c), settings=relaxed).level is Level.GREEN
    strict = HealthSettings(red_days=21)
    assert health_of(c, ok_check(c), settings=strict).level is Level.RED


def test_token_expiry_is_the_earlier_of_own_validity_and_sunset() -> None:
    t = token()
    assert effective_expiry(t, S).date() == date(2026, 12, 31)
    t2 = token(valid_until=NOW + timedelta(days=5))
    assert effective_expiry(t2, S) == NOW + timedelta(days=5)
    moved = HealthSettings(token_sunset=date(2027, 6, 30))
    assert effective_expiry(t, moved).date() == date(2027, 6, 30)


def test_token_only_near_sunset_is_yellow_with_advice() -> None:
    t = token()
    h = health_of(t, ok_check(t))  # 40 days before the sunset
    assert h.level is Level.YELLOW
    assert "certyfikat" in h.reason.lower()
    far = HealthSettings(token_sunset=date(2027, 12, 31))
    assert health_of(t, ok_check(t), settings=far).level is Level.GREEN


def test_token_after_sunset_is_red() -> None:
    t = token()
    later = NOW.replace(year=2027, month=1, day=2)
    h = credential_health(t, ok_check(t), later, S)
    assert h.level is Level.RED and "2026" not in h.reason  # a reason in words, not a date dump


def test_revoked_and_failed_are_red() -> None:
    assert health_of(token(status=CredentialStatus.REVOKED)).level is Level.RED
    t = token()
    revoked_check = LiveCheck(1, NOW, CheckOutcome.REVOKED, credential_id=t.id, ksef_code=450)
    assert health_of(t, revoked_check).level is Level.RED
    failed = LiveCheck(
        1, NOW, CheckOutcome.AUTH_FAILED, credential_id=t.id, ksef_code=450, message="zły token"
    )
    h = health_of(t, failed)
    assert h.level is Level.RED and "450" in h.reason


def test_missing_invoice_read_is_red_missing_write_or_introspection_yellow() -> None:
    c = cert(400)
    assert health_of(c, ok_check(c, perms=frozenset({"InvoiceWrite", "Introspection"}))).level is Level.RED
    h = health_of(c, ok_check(c, perms=frozenset({"InvoiceRead", "InvoiceWrite"})))
    assert h.level is Level.YELLOW and "Introspection" in h.reason
    h = health_of(c, ok_check(c, perms=frozenset({"InvoiceRead", "Introspection"})))
    assert h.level is Level.YELLOW and "InvoiceWrite" in h.reason


def test_never_checked_and_stale_check_are_yellow() -> None:
    c = cert(400)
    assert health_of(c).level is Level.YELLOW
    assert health_of(c, ok_check(c, age=timedelta(days=8))).level is Level.YELLOW
    assert health_of(c, ok_check(c, age=timedelta(days=6))).level is Level.GREEN


def test_unreachable_ksef_is_yellow_not_red() -> None:
    c = cert(400)
    err = LiveCheck(1, NOW, CheckOutcome.ERROR, credential_id=c.id, message="timeout")
    assert health_of(c, err).level is Level.YELLOW


def test_failed_or_stale_sync_is_yellow() -> None:
    c = cert(400)
    failed = SyncState(
        1, last_attempt=NOW - timedelta(hours=1), last_success=NOW - timedelta(days=1), last_error="timeout"
    )
    assert health_of(c, ok_check(c), failed).level is Level.YELLOW
    stale = SyncState(1, last_attempt=NOW - timedelta(days=5), last_success=NOW - timedelta(days=5))
    assert health_of(c, ok_check(c), stale).level is Level.YELLOW
    fresh = SyncState(1, last_attempt=NOW - timedelta(hours=1), last_success=NOW - timedelta(hours=1))
    assert health_of(c, ok_check(c), fresh).level is Level.GREEN


def test_best_credential_wins() -> None:
    bad = token(id=1, status=CredentialStatus.REVOKED)
    good = cert(500, id=2)
    h = client_health(CLIENT, [bad, good], {2: ok_check(good)}, None, NOW)
    assert h.level is Level.GREEN and h.credential is good


def test_not_yet_valid_certificate_is_red() -> None:
    c = cert(500, valid_from=NOW + timedelta(days=2))
    assert health_of(c, ok_check(c)).level is Level.RED


def test_reasons_are_polish_by_default_and_english_on_request() -> None:
    from ksef_tui.core.i18n import set_language

    c = cert(10)
    pl = health_of(c, ok_check(c)).reason
    set_language("en")
    en = health_of(c, ok_check(c)).reason
    assert pl != en
    assert "in 10 days" in en
    assert "za 10 dni" in pl


def test_sunset_counts_calendar_days_in_polish_time() -> None:
    from ksef_tui.core.humanize_pl import until_words

    t = token()
    for hour in (0, 9, 22):
        now = NOW.replace(hour=hour)
        h = credential_health(t, ok_check(t), now, S)
        assert "za 40 dni" in h.reason, (hour, h.reason)
    # 23:30 UTC on 21 Nov is already 22 Nov in Warsaw: one day fewer.
    late = NOW.replace(hour=23, minute=30)
    assert until_words(effective_expiry(t, S), late) == "za 39 dni"
    assert effective_expiry(t, S).isoformat().startswith("2026-12-31T23:59:59+01")

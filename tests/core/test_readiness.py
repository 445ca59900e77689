"""Readiness for 2027-01-01 (issue 11 item 5): the rules, table-driven, with the clock passed in."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from ksef_tui.core.health import Level, client_health
from ksef_tui.core.models import Client, Credential, CredentialKind, CredentialStatus
from ksef_tui.core.readiness import (
    Census,
    OfficeGrant,
    Probe,
    Ready,
    Via,
    census_changes,
    client_readiness,
    grant_request_text,
    not_clients,
    office_certificate_summary,
    probe_words,
    readiness_exit_code,
)

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
DAY = timedelta(days=1)
CLIENT = Client("Piekarnia Nowak", "PIEK_123", ["5260250274"], id=1)
OFFICE_NIP = "7740001454"


def cert(kind: CredentialKind, days: int, status: CredentialStatus = CredentialStatus.ACTIVE) -> Credential:
    return Credential(1, kind, valid_from=NOW - 30 * DAY, valid_until=NOW + days * DAY, status=status)


def token() -> Credential:
    return Credential(1, CredentialKind.KSEF_TOKEN, secret="x")


OWN_LONG = cert(CredentialKind.KSEF_CERTIFICATE, 400)
OWN_SHORT = cert(CredentialKind.KSEF_CERTIFICATE, 10)  # ends before 2027-01-01
OWN_REVOKED = cert(CredentialKind.KSEF_CERTIFICATE, 400, CredentialStatus.REVOKED)
OFFICE = Credential(0, CredentialKind.OFFICE_CERTIFICATE, valid_until=NOW + 500 * DAY)
OFFICE_SHORT = Credential(0, CredentialKind.OFFICE_CERTIFICATE, valid_until=NOW + 20 * DAY)
RW = Census(NOW - DAY, {CLIENT.nip: OfficeGrant(CLIENT.nip, read=True, write=True, since=NOW - 9 * DAY)})
READ = Census(NOW - DAY, {CLIENT.nip: OfficeGrant(CLIENT.nip, read=True)})
WRITE = Census(NOW - DAY, {CLIENT.nip: OfficeGrant(CLIENT.nip, write=True)})
NONE = Census(NOW - DAY, {})

CASES = [
    # (id, credentials, office cert, census, probe, ready, via, missing)
    ("own certificate past 2027", [OWN_LONG, token()], None, None, None, "yes", "own_certificate", ()),
    ("own certificate beats no grant", [OWN_LONG], OFFICE, NONE, None, "yes", "own_certificate", ()),
    (
        "own certificate ends before",
        [OWN_SHORT],
        None,
        None,
        None,
        "no",
        None,
        ("InvoiceRead", "InvoiceWrite"),
    ),
    (
        "own certificate revoked",
        [OWN_REVOKED],
        OFFICE,
        NONE,
        None,
        "no",
        None,
        ("InvoiceRead", "InvoiceWrite"),
    ),
    ("office read+write", [token()], OFFICE, RW, None, "yes", "office_certificate", ()),
    ("office read+write, no own creds", [], OFFICE, RW, None, "yes", "office_certificate", ()),
    ("office read only", [token()], OFFICE, READ, None, "partly", "office_certificate", ("InvoiceWrite",)),
    ("office write only", [], OFFICE, WRITE, None, "partly", "office_certificate", ("InvoiceRead",)),
    ("office, no grant", [token()], OFFICE, NONE, None, "no", None, ("InvoiceRead", "InvoiceWrite")),
    ("office, no census yet", [token()], OFFICE, None, None, "no", None, ("InvoiceRead", "InvoiceWrite")),
    (
        "office cert ends before",
        [token()],
        OFFICE_SHORT,
        RW,
        None,
        "no",
        None,
        ("InvoiceRead", "InvoiceWrite"),
    ),
    ("token only", [token()], None, RW, None, "no", None, ("InvoiceRead", "InvoiceWrite")),
    ("nothing", [], None, None, None, "no", None, ("InvoiceRead", "InvoiceWrite")),
    ("later probe 415 revokes", [], OFFICE, RW, Probe(NOW, 415), "no", None, ("InvoiceRead", "InvoiceWrite")),
    ("later probe 460", [], OFFICE, RW, Probe(NOW, 460), "no", None, ("InvoiceRead", "InvoiceWrite")),
    ("older probe ignored", [], OFFICE, RW, Probe(NOW - 5 * DAY, 415), "yes", "office_certificate", ()),
    ("probe error says nothing", [], OFFICE, RW, Probe(NOW, None), "yes", "office_certificate", ()),
]


@pytest.mark.parametrize(
    ("creds", "office", "census", "probe", "ready", "via", "missing"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
def test_readiness_rules(creds, office, census, probe, ready, via, missing) -> None:
    row = client_readiness(CLIENT, creds, office, census, NOW, probe=probe)
    assert row.ready is Ready(ready)
    assert row.via == (Via(via) if via else None)
    assert row.missing == missing
    assert row.reason


def test_after_the_cutoff_the_clock_decides() -> None:
    """In 2027 a certificate must be valid at `now`, not merely on 1 January."""
    later = datetime(2027, 3, 1, tzinfo=UTC)
    mid = Credential(1, CredentialKind.KSEF_CERTIFICATE, valid_until=datetime(2027, 2, 1, tzinfo=UTC))
    assert client_readiness(CLIENT, [mid], None, None, NOW).ready is Ready.YES
    assert client_readiness(CLIENT, [mid], None, None, later).ready is Ready.NO


def test_grant_requested_is_in_the_reason() -> None:
    row = client_readiness(CLIENT, [token()], OFFICE, NONE, NOW, grant_requested=date(2026, 11, 20))
    assert row.ready is Ready.NO
    assert "2026-11-20" in row.reason


def test_json_row_shape() -> None:
    row = client_readiness(CLIENT, [token()], OFFICE, READ, NOW).to_json()
    assert {"short_code", "nip", "ready", "via", "missing", "reason"} <= set(row)
    assert (
        row["ready"] == "partly" and row["via"] == "office_certificate" and row["missing"] == ["InvoiceWrite"]
    )


def test_exit_codes() -> None:
    yes = client_readiness(CLIENT, [OWN_LONG], None, None, NOW)
    partly = client_readiness(CLIENT, [], OFFICE, READ, NOW)
    no = client_readiness(CLIENT, [], None, None, NOW)
    assert readiness_exit_code([yes]) == 0
    assert readiness_exit_code([yes, partly]) == 1
    assert readiness_exit_code([yes, partly, no]) == 2


def test_census_changes_and_not_clients() -> None:
    before = Census(
        NOW - 2 * DAY, {"1": OfficeGrant("1", read=True), "2": OfficeGrant("2", read=True, write=True)}
    )
    after = Census(NOW, {"1": OfficeGrant("1", read=True, write=True), "3": OfficeGrant("3", read=True)})
    changes = {(c.nip, c.before, c.after) for c in census_changes(before, after)}
    assert changes == {("1", "read", "read_write"), ("2", "read_write", "none"), ("3", "none", "read")}
    assert census_changes(after, after) == []
    assert not_clients(after, ["1"]) == ["3"]


def test_office_grant_round_trips_json() -> None:
    grant = OfficeGrant("5260250274", read=True, write=False, can_delegate=True, since=NOW, ids=("a", "b"))
    assert OfficeGrant.from_json(grant.to_json()) == grant


def test_office_certificate_summary_counts_dependants() -> None:
    creds = {1: [token()], 2: [OWN_LONG], 3: []}
    office = Credential(0, CredentialKind.OFFICE_CERTIFICATE, valid_until=NOW + 25 * DAY)
    summary = office_certificate_summary(office, creds, [1, 2, 3], NOW)
    assert summary.dependants == 2
    assert "25" in summary.text and "2" in summary.text
    assert office_certificate_summary(None, creds, [1, 2, 3], NOW).expires is None


def test_dependent_client_health_reflects_the_office_certificate() -> None:
    """A token-only client is green on its own; with an office certificate about to expire it is not."""
    fresh = Credential(1, CredentialKind.KSEF_TOKEN, id=5, permissions=frozenset({"InvoiceRead"}))
    early = datetime(2026, 6, 1, tzinfo=UTC)
    dying = Credential(0, CredentialKind.OFFICE_CERTIFICATE, valid_until=early + 3 * DAY)
    from ksef_tui.core.models import CheckOutcome, LiveCheck

    checks = {
        5: LiveCheck(
            1,
            early,
            CheckOutcome.OK,
            5,
            permissions=frozenset({"InvoiceRead", "InvoiceWrite", "Introspection"}),
        )
    }
    alone = client_health(CLIENT, [fresh], checks, None, early)
    assert alone.level is Level.GREEN
    reflected = client_health(CLIENT, [fresh], checks, None, early, office=dying)
    assert reflected.level is Level.RED
    # A client with its own certificate does not depend on it.
    own = Credential(1, CredentialKind.KSEF_CERTIFICATE, id=6, valid_until=early + 400 * DAY)
    checks[6] = LiveCheck(
        1, early, CheckOutcome.OK, 6, permissions=frozenset({"InvoiceRead", "InvoiceWrite", "Introspection"})
    )
    assert client_health(CLIENT, [own], checks, None, early, office=dying).level is Level.GREEN


@pytest.mark.parametrize("status", [200, 415, 425, 460, 480, 500, 550, None, 999])
def test_probe_words_explain_each_status(status) -> None:
    assert probe_words(status)


def test_grant_request_text_names_the_office_nip_and_boxes() -> None:
    text = grant_request_text(OFFICE_NIP, "Biuro Bilans", CLIENT)
    assert "774-000-14-54" in text
    assert "Uprawnienia" in text and "Nadaj uprawnienie" in text
    assert "InvoiceRead" in text and "InvoiceWrite" in text
    assert "przeglądanie faktur" in text and "wystawianie faktur" in text
    assert "prawo do dalszego przekazywania" in text

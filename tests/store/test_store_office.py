"""The office certificate, the grant censuses and the client office state (issue 11), and the merge of
per-client copies of the office certificate on the first unlock after migration 4."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from store_helpers import FIXED_NOW, PASSPHRASE, client

from ksef_tui.core.clock import fixed_clock
from ksef_tui.core.models import Credential, CredentialKind
from ksef_tui.core.readiness import Census, OfficeGrant, Probe
from ksef_tui.store import KdfLimits, Store
from tests.certgen import key_pem, make_cert, make_key

DAY = timedelta(days=1)


def office_copy(client_id: int, cert, key, days: int = 300) -> Credential:  # type: ignore[no-untyped-def]
    return Credential(
        client_id,
        CredentialKind.OFFICE_CERTIFICATE,
        secret=key_pem(key).decode(),
        certificate_pem=cert.public_bytes(serialization.Encoding.PEM).decode(),
        serial=format(cert.serial_number, "X"),
        valid_from=FIXED_NOW - 10 * DAY,
        valid_until=FIXED_NOW + days * DAY,
    )


def test_first_unlock_merges_copies_of_the_same_certificate(home: Path) -> None:
    store = Store.create(home, PASSPHRASE, kdf=KdfLimits.FAST_FOR_TESTS, clock=fixed_clock(FIXED_NOW))
    key, other_key = make_key(), make_key()
    same = make_cert(key, not_before=FIXED_NOW - 10 * DAY, not_after=FIXED_NOW + 300 * DAY, serial=0xAA01)
    other = make_cert(
        other_key, not_before=FIXED_NOW - 10 * DAY, not_after=FIXED_NOW + 100 * DAY, serial=0xBB02
    )
    ids = [store.clients.add(client(n)).id for n in range(4)]
    for cid in ids[:3]:
        store.credentials.add(office_copy(cid, same, key))
    store.credentials.add(office_copy(ids[3], other, other_key, days=100))
    store.close()

    store = Store.open(home, PASSPHRASE, clock=fixed_clock(FIXED_NOW))
    try:
        office = store.office_certificate.get()
        assert office is not None and office.serial == "AA01"
        assert office.secret.startswith("-----BEGIN PRIVATE KEY")
        for cid in ids[:3]:
            assert store.credentials.for_client(cid) == []
        left = store.credentials.for_client(ids[3])
        assert [c.serial for c in left] == ["BB02"]  # a different certificate: left as it is ...
        report = store.office_certificate.merge_report()
        assert report is not None and report.moved == 3
        assert report.differing == [(ids[3], "BB02")]  # ... and reported
        actions = [e.action for e in store.audit.list(ids[0])]
        assert "credential.merged_into_office" in actions
    finally:
        store.close()
    # Once only: a copy imported later is not merged behind the user's back.
    store = Store.open(home, PASSPHRASE, clock=fixed_clock(FIXED_NOW))
    try:
        store.credentials.add(office_copy(ids[0], same, key))
        store.close()
        store = Store.open(home, PASSPHRASE, clock=fixed_clock(FIXED_NOW))
        assert len(store.credentials.for_client(ids[0])) == 1
    finally:
        store.close()


def test_newest_valid_copy_wins_when_copies_differ(home: Path) -> None:
    store = Store.create(home, PASSPHRASE, kdf=KdfLimits.FAST_FOR_TESTS, clock=fixed_clock(FIXED_NOW))
    keys = [make_key() for _ in range(3)]
    certs = [
        make_cert(
            keys[0], not_before=FIXED_NOW - 400 * DAY, not_after=FIXED_NOW - DAY, serial=0x101
        ),  # expired
        make_cert(keys[1], not_before=FIXED_NOW - 10 * DAY, not_after=FIXED_NOW + 50 * DAY, serial=0x102),
        make_cert(keys[2], not_before=FIXED_NOW - 5 * DAY, not_after=FIXED_NOW + 700 * DAY, serial=0x103),
    ]
    ids = [store.clients.add(client(n)).id for n in range(3)]
    for cid, cert, key, days in zip(ids, certs, keys, (-1, 50, 700), strict=True):
        store.credentials.add(office_copy(cid, cert, key, days=days))
    store.close()
    store = Store.open(home, PASSPHRASE, clock=fixed_clock(FIXED_NOW))
    try:
        office = store.office_certificate.get()
        assert office is not None and office.serial == "103"
        report = store.office_certificate.merge_report()
        assert report is not None and report.moved == 1
        assert sorted(s for _c, s in report.differing) == ["101", "102"]
    finally:
        store.close()


def test_put_replaces_the_office_certificate(store: Store) -> None:
    key = make_key()
    one = make_cert(key, not_before=FIXED_NOW - DAY, not_after=FIXED_NOW + 30 * DAY, serial=0x1)
    two = make_cert(key, not_before=FIXED_NOW - DAY, not_after=FIXED_NOW + 730 * DAY, serial=0x2)
    store.office_certificate.put(office_copy(0, one, key, 30))
    store.office_certificate.put(office_copy(0, two, key, 730))
    office = store.office_certificate.get(with_secrets=False)
    assert office is not None and office.serial == "2" and office.secret == ""
    actions = [e.action for e in store.audit.list()]
    assert "office_certificate.import" in actions and "office_certificate.replace" in actions


def test_censuses_keep_the_newest_first(store: Store) -> None:
    first = Census(FIXED_NOW - DAY, {"5260250274": OfficeGrant("5260250274", read=True)})
    second = Census(FIXED_NOW, {"5260250274": OfficeGrant("5260250274", read=True, write=True, ids=("x",))})
    store.grant_censuses.record(first)
    store.grant_censuses.record(second)
    latest = store.grant_censuses.latest()
    assert [c.taken_at for c in latest] == [second.taken_at, first.taken_at]
    assert latest[0].grants == second.grants


def test_client_office_state_round_trips(store: Store) -> None:
    cid = store.clients.add(client(1)).id
    assert store.client_office.get(cid).grant_requested is None
    store.client_office.set_grant_requested(cid, date(2026, 11, 20))
    store.client_office.record_probe(cid, Probe(FIXED_NOW, 415, "Brak przypisanych uprawnień"))
    state = store.client_office.get(cid)
    assert state.grant_requested == date(2026, 11, 20)
    assert state.probe == Probe(FIXED_NOW, 415, "Brak przypisanych uprawnień")
    assert set(store.client_office.all()) == {cid}

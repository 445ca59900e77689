"""The seeded world: built from the roster, deterministic, covering every state (its build time is
measured by benchmarks/bench_world.py, not asserted here)."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import timedelta

from cryptography import x509

from ksef_tui.core.demo_roster import make_roster
from ksef_tui.core.ksef_number import is_valid_ksef_number
from ksef_tui.core.models import CredentialKind
from ksef_tui.core.nip import is_valid_nip
from ksef_tui.simulator.keys import subject_nip
from ksef_tui.simulator.world import SPECIAL_SESSIONS, TOKEN_STATUS, World, build_world
from tests.simulator.conftest import NOW


def digest(world: World, bodies: int = 40) -> str:
    h = hashlib.sha256()
    h.update(f"{world.office_nip}|{world.office_name}".encode())
    for tp in world.taxpayers.values():
        h.update(f"{tp.nip}|{tp.name}".encode())
        for t in tp.tokens:
            h.update(f"{t.reference}|{t.token}|{t.status}|{sorted(t.permissions)}".encode())
        for c in tp.certificates:
            h.update(f"{c.serial}|{c.certificate_pem}|{c.private_key_pem}".encode())
        for s in tp.sessions:
            h.update(f"{s.reference}|{s.status_code}|{s.created.isoformat()}".encode())
            for i in s.invoices:
                h.update(f"{i.reference}|{i.ksef_number}|{i.status_code}|{i.invoice_number}".encode())
    for inv in sorted(world.invoices.values(), key=lambda i: i.ksef_number or "")[:bodies]:
        h.update(inv.body)
    return h.hexdigest()


def test_same_seed_same_world() -> None:
    assert digest(build_world(seed=7, now=NOW)) == digest(build_world(seed=7, now=NOW))


def test_different_seed_different_world() -> None:
    assert digest(build_world(seed=7, now=NOW), 0) != digest(build_world(seed=8, now=NOW), 0)


def test_taxpayers_and_credentials_come_from_the_roster(world: World) -> None:
    roster = make_roster(NOW, 2026)
    assert list(world.taxpayers) == [nip for e in roster for nip in e.nips]
    assert is_valid_nip(world.office_nip) and world.office_nip not in world.taxpayers
    for entry in roster:
        tp = world.taxpayers[entry.nip]
        assert tp.name == entry.name
        for spec in entry.credentials:
            if spec.kind == CredentialKind.KSEF_TOKEN:
                token = world.token_by_text(spec.token)
                assert token is not None and token.reference == spec.token_reference
                assert token.status == TOKEN_STATUS[spec.ksef_status]
                assert token.permissions == frozenset(str(p) for p in spec.permissions)
            else:
                cert = world.certificate_for(entry.nip, spec.kind)
                assert cert is not None
                parsed = x509.load_pem_x509_certificate(cert.certificate_pem.encode())
                assert parsed.not_valid_after_utc == spec.valid_until.replace(microsecond=0)
                assert parsed.not_valid_before_utc == spec.valid_from.replace(microsecond=0)
                expected_subject = (
                    world.office_nip if spec.kind == CredentialKind.OFFICE_CERTIFICATE else entry.nip
                )
                assert subject_nip(parsed) == expected_subject == cert.subject_nip
                for nip in entry.nips:
                    granted = {g.permission for g in world.grants_for(expected_subject, nip)}
                    assert granted == {str(p) for p in spec.permissions}


def test_every_session_status_and_invoice_error_is_represented(world: World) -> None:
    seen = {(s.kind, s.status_code) for s in world.sessions.values()}
    assert set(SPECIAL_SESSIONS) | {("Online", 200), ("Batch", 200)} <= seen
    codes = Counter(i.status_code for s in world.sessions.values() for i in s.invoices)
    assert {200, 430, 440, 450} <= set(codes)
    for s in world.sessions.values():
        for inv in s.invoices:
            if inv.status_code == 440:
                original = world.invoices[inv.status_extensions["originalKsefNumber"]]
                assert original.session_ref == inv.status_extensions["originalSessionReferenceNumber"]
                assert original.invoice_number == inv.invoice_number and original.accepted
            elif inv.status_code in (430, 450):
                assert inv.status_details
            else:
                assert inv.accepted and is_valid_ksef_number(inv.ksef_number)
                assert inv.ksef_number.startswith(inv.seller_nip)


def test_sessions_span_sixty_days_and_purchases_exist(world: World) -> None:
    created = [s.created for s in world.sessions.values()]
    assert min(created) >= NOW - timedelta(days=61) and max(created) <= NOW
    for tp in world.taxpayers.values():
        assert tp.purchases and all(p.buyer_nip == tp.nip for p in tp.purchases)
        assert any(s.kind == "Online" for s in tp.sessions)
    # Some purchases come from other roster clients (the office sees both sides).
    assert any(p.seller_nip in world.taxpayers for tp in world.taxpayers.values() for p in tp.purchases)

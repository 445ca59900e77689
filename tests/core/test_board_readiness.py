"""The board's readiness for 2027 (issue 11): computed in core with the clock's `now`, the office
certificate judging dependent clients, and the "not ready for 2027" filter."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from ksef_tui.core.board import build_board, not_ready_2027
from ksef_tui.core.health import Level
from ksef_tui.core.models import CheckOutcome, Client, Credential, CredentialKind, LiveCheck
from ksef_tui.core.readiness import Census, ClientOfficeState, OfficeGrant, Ready, Via

NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
ALL = frozenset({"InvoiceRead", "InvoiceWrite", "Introspection"})


def _token_client(cid: int, nip: str):  # type: ignore[no-untyped-def]
    client = Client(f"Klient {cid}", f"K{cid:02d}_X", [nip], id=cid)
    cred = Credential(cid, CredentialKind.KSEF_TOKEN, secret="t", reference=f"ref-{cid}", id=cid)
    check = LiveCheck(cid, NOW, CheckOutcome.OK, credential_id=cid, permissions=ALL)
    return (client, [cred], {cid: check}, None)


def _own_cert_client(cid: int, nip: str, days: int):  # type: ignore[no-untyped-def]
    client = Client(f"Klient {cid}", f"K{cid:02d}_X", [nip], id=cid)
    cred = Credential(cid, CredentialKind.KSEF_CERTIFICATE, valid_until=NOW + timedelta(days=days), id=cid)
    check = LiveCheck(cid, NOW, CheckOutcome.OK, credential_id=cid, permissions=ALL)
    return (client, [cred], {cid: check}, None)


ROWS = [
    _token_client(1, "1234563218"),  # office grant read+write
    _token_client(2, "5265877635"),  # read only
    _token_client(3, "7639017757"),  # no grant
    _own_cert_client(4, "6875744212", 600),
]
OFFICE = Credential(0, CredentialKind.OFFICE_CERTIFICATE, valid_until=NOW + timedelta(days=400))
CENSUS = Census(
    NOW,
    {
        "1234563218": OfficeGrant("1234563218", read=True, write=True),
        "5265877635": OfficeGrant("5265877635", read=True),
    },
)


def _by_id(entries):  # type: ignore[no-untyped-def]
    return {e.client.id: e for e in entries}


def test_every_entry_carries_its_readiness_and_the_filter_keeps_the_not_ready() -> None:
    board = _by_id(build_board(ROWS, NOW, office=OFFICE, census=CENSUS))
    assert (board[1].readiness.ready, board[1].readiness.via) == (Ready.YES, Via.OFFICE_CERTIFICATE)
    assert board[2].readiness.ready is Ready.PARTLY and board[2].ready_glyph == "½"
    assert board[3].readiness.ready is Ready.NO and board[3].ready_glyph == "✗"
    assert (board[4].readiness.ready, board[4].ready_glyph) == (Ready.YES, "✓")
    shown = not_ready_2027(list(board.values()))
    assert {e.client.id for e in shown} == {2, 3}


def test_readiness_uses_the_now_passed_in() -> None:
    """An own certificate valid until 2027-03-01: ready today; asked on 2027-04-01 it no longer is."""
    row = _own_cert_client(5, "8668982496", 100)
    assert build_board([row], NOW)[0].readiness.ready is Ready.YES
    later = NOW + timedelta(days=131)
    assert build_board([row], later)[0].readiness.ready is Ready.NO


def test_a_grant_request_is_named_in_the_reason() -> None:
    states = {3: ClientOfficeState(3, grant_requested=date(2026, 11, 10))}
    board = _by_id(build_board(ROWS, NOW, office=OFFICE, census=CENSUS, states=states))
    assert "2026-11-10" in board[3].readiness.reason


def test_the_office_certificate_judges_the_clients_that_depend_on_it() -> None:
    expiring = Credential(0, CredentialKind.OFFICE_CERTIFICATE, valid_until=NOW + timedelta(days=3))
    board = _by_id(build_board(ROWS, NOW, office=expiring, census=CENSUS))
    assert board[1].level is Level.RED and board[1].health.reason.startswith("Certyfikat biura")
    assert board[4].level is Level.GREEN  # its own certificate: the office's does not matter
    without = _by_id(build_board(ROWS, NOW, census=CENSUS))
    assert without[1].level is not Level.RED

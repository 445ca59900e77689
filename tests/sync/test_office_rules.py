"""Office rules on offer (issue 13 item 2) and the audit of every decision path (item 5), on a real store:
the use cases `office_rule_candidates` / `promote_office_rule`, and one walk through approve, edit, exclude,
reject, undo and the rule changes reading `store.audit.list` back."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from test_bookings_usecases import BUYER, NOW, SUPPLIERS, _stored

from ksef_tui.core.bookings import Deduction, Rule, RuleTemplate, Strength
from ksef_tui.core.clock import fixed_clock
from ksef_tui.core.models import Client
from ksef_tui.core.nip import random_nip
from ksef_tui.store import KdfLimits, Store
from ksef_tui.sync import bookings as uc
from tests.booking_engine import engine  # noqa: F401  (the fixture)

pytestmark = pytest.mark.usefixtures("engine")

SELLER = SUPPLIERS[0].nip
FUEL = RuleTemplate(vat_register="ZAKUP-50", deduction=Deduction.HALF, gl_account="402-02", cost_share_pct=75)
BY = "Anna Nowak"


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    s = Store.create(tmp_path / "home", "pass phrase", operator=BY, kdf=KdfLimits.FAST_FOR_TESTS)
    yield s
    s.close()


def _clients(store: Store, n: int) -> list[int]:
    """The client the stored invoices are for (BUYER) first, then n - 1 others."""
    rng, used = random.Random(13), {BUYER}
    ids = []
    for i in range(n):
        nip = BUYER if i == 0 else random_nip(rng, used)
        used.add(nip)
        added = store.clients.add(Client(f"Klient {i}", f"K{i}", [nip]))
        assert added.id is not None
        ids.append(added.id)
    return ids


def _rule(store: Store, client_id: int, template: RuleTemplate) -> Rule:
    return store.bookings.save_rule(Rule(client_id, SELLER, template, confirmations=3), BY, NOW)


def _details(store: Store, action: str) -> list[dict[str, object]]:
    return [json.loads(e.detail) for e in store.audit.list(limit=500) if e.action == action]


def test_four_clients_agreeing_offer_an_office_rule_that_a_fifth_then_gets(store: Store) -> None:
    ids = _clients(store, 6)
    number = _stored(store, ids[0], 1, days_ago=2)  # the first client has no rule for the seller
    uc.propose_new(store, fixed_clock(NOW), [ids[0]])
    for cid in ids[1:5]:  # four agree (their contra accounts differ: not part of the shared treatment)
        _rule(store, cid, replace(FUEL, gl_contra=f"20{cid}"))
    own = _rule(store, ids[5], RuleTemplate(vat_register="ZAKUP", gl_account="401-01"))
    assert store.bookings.get(ids[0], number).rule_id is None  # type: ignore[union-attr]

    (offer,) = uc.office_rule_candidates(store)
    assert offer.rule.client_id is None and offer.rule.seller_nip == SELLER
    assert offer.rule.template == FUEL and offer.clients == tuple(ids[1:5]) and offer.disagreeing == 1

    later = fixed_clock(NOW + timedelta(hours=1))
    office = uc.promote_office_rule(store, SELLER, offer.rule.template, BY, later)
    assert office.id is not None and office.client_id is None and office.created == later()
    assert uc.office_rule_candidates(store) == []  # covered now
    assert store.bookings.rule(own.id) == own  # type: ignore[arg-type]  # client rules stay as they were
    assert len(store.bookings.rules(ids[1], seller_nip=SELLER, office=False)) == 1
    reproposed = store.bookings.get(ids[0], number)
    assert reproposed is not None and reproposed.rule_id == office.id
    assert reproposed.strength is Strength.PATTERN  # an office rule is never strong on its own
    (entry,) = [e for e in store.audit.list(limit=100) if e.action == "booking_rule.promoted"]
    assert entry.client_id is None and entry.operator == BY
    detail = json.loads(entry.detail)
    assert detail["rule"] == office.id and detail["by"] == BY and detail["clients"] == ids[1:5]
    assert detail["after"]["template"]["gl_account"] == "402-02" and detail["disagreeing"] == 1
    with pytest.raises(ValueError, match=SELLER):  # promoted twice: refused, nothing written
        uc.promote_office_rule(store, SELLER, offer.rule.template, BY, later)
    assert len(store.bookings.rules(ids[0], seller_nip=SELLER)) == 1


def test_two_agreeing_clients_or_a_split_office_offer_nothing(store: Store) -> None:
    ids = _clients(store, 6)
    for cid in ids[:2]:
        _rule(store, cid, FUEL)
    assert uc.office_rule_candidates(store) == []  # two clients are not enough
    _rule(store, ids[2], FUEL)
    assert [len(c.clients) for c in uc.office_rule_candidates(store)] == [3]
    for cid in ids[3:]:  # three book it otherwise: 3 against 3 is no majority
        _rule(store, cid, RuleTemplate(vat_register="ZAKUP"))
    assert uc.office_rule_candidates(store) == []
    with pytest.raises(ValueError):
        uc.promote_office_rule(store, SELLER, FUEL, BY, fixed_clock(NOW))
    assert store.bookings.rules(None, office=True)[-1].client_id is not None  # no office rule written


def test_every_decision_path_leaves_a_sealed_entry_with_who_when_what_and_before_after(store: Store) -> None:
    (cid,) = _clients(store, 1)
    a, b, c = (_stored(store, cid, n, days_ago=1) for n in range(3))
    clock = fixed_clock(NOW)
    uc.propose_new(store, clock, [cid])
    first = store.bookings.get(cid, a)
    assert first is not None
    edited = replace(first, lines=tuple(replace(x, gl_account="402-01") for x in first.lines))
    uc.save_booking(store, edited, BY, clock)  # approve with changes: learns a rule
    uc.exclude(store, [(cid, b)], "zakup prywatny", BY, clock)
    approved = uc.approve(store, [(cid, c)], BY, clock)
    uc.reject(store, [(cid, c)], BY, clock)
    again = uc.approve(store, [(cid, c)], BY, clock)
    uc.undo(store, again, BY, clock)
    (learned,) = store.bookings.rules(cid)
    changed = uc.save_rule(store, replace(learned, item_text="mąka"), BY, clock)
    uc.delete_rule(store, changed.id, BY, clock)  # type: ignore[arg-type]
    assert approved.after

    entries = store.audit.list(limit=100)
    actions = [e.action for e in reversed(entries)]
    for wanted in (
        "booking.edit",
        "booking.exclude",
        "booking.approve",
        "booking.reject",
        "booking.undo",
        "booking_rule.created",
        "booking_rule.updated",
        "booking_rule.deleted",
    ):
        assert wanted in actions, wanted
    for entry in entries:
        if not entry.action.startswith("booking"):
            continue
        assert not entry.damaged and entry.operator == BY and entry.client_id == cid
        detail = json.loads(entry.detail)
        assert detail["by"] == BY and detail["at"] == NOW.isoformat()
        assert "booking" in detail or "rule" in detail
        assert isinstance(detail["before"], dict) and isinstance(detail["after"], dict)
        if entry.action.startswith("booking."):
            assert detail["before"]["status"] != detail["after"]["status"] or entry.action == "booking.edit"
    # the rules screen's change (result "ok"); the approvals' confirmations are updates under their step
    (updated,) = [
        json.loads(e.detail) for e in entries if e.action == "booking_rule.updated" and e.result == "ok"
    ]
    assert updated["before"] == {"item_text": ""} and updated["after"] == {"item_text": "mąka"}
    (deleted,) = [json.loads(e.detail) for e in entries if e.action == "booking_rule.deleted"]
    assert (
        deleted["rule"] == changed.id and deleted["before"]["item_text"] == "mąka" and deleted["after"] == {}
    )
    assert any(json.loads(e.detail).get("booking") for e in entries if e.action == "booking.undo")
    confirmed = [
        json.loads(e.detail) for e in entries if e.action == "booking_rule.updated" and e.result == "approve"
    ]
    assert confirmed and all(
        d["after"]["confirmations"] == d["before"]["confirmations"] + 1 for d in confirmed
    )

"""Operators limited to some clients, enforced by keys (issue 15 item 1), and the recovery key (item 4)."""

from __future__ import annotations

from pathlib import Path

import pytest
from store_helpers import FIXED_NOW, PASSPHRASE, client, ok_check, raw, token_for

from ksef_tui.core.clock import fixed_clock
from ksef_tui.core.operators import OfficeRole
from ksef_tui.store import KdfLimits, NotFound, Store, StoreError, WrongPassphrase
from ksef_tui.store.errors import AdminOnly, NotAssigned
from ksef_tui.store.paths import DB_FILENAME
from ksef_tui.store.recovery import WrongRecoveryWords, from_words, to_words, word_list
from ksef_tui.store.sealing import SealBroken, SecretKey, associated_data, unseal

OP_PASS = "hasło-startowe-Ani"
OP_NEW = "nowe hasło Ani 2026"
CLOCK = fixed_clock(FIXED_NOW)


def _office(store: Store, n: int = 6) -> list[int]:
    ids = []
    for i in range(1, n + 1):
        c = store.clients.add(client(i))
        assert c.id is not None
        cred = store.credentials.add(token_for(c.id, i))
        assert cred.id is not None
        store.checks.record(ok_check(c.id, cred.id, FIXED_NOW))
        ids.append(c.id)
    return ids


def _as_operator(home: Path, passphrase: str = OP_PASS, login: str = "ania") -> Store:
    return Store.open(home, passphrase, operator=login, clock=CLOCK)


@pytest.fixture
def office(store: Store) -> list[int]:
    ids = _office(store)
    store.operators.add("ania", "Anna Nowak", OP_PASS, OfficeRole.ACCOUNTANT, ids[:3])
    return ids


def test_an_operator_sees_only_the_assigned_clients(store: Store, home: Path, office: list[int]) -> None:
    with _as_operator(home) as op:
        assert [c.id for c in op.clients.list()] == office[:3]
        assert [r.client.id for r in op.board_rows()] == office[:3]
        assert set(op.credentials.all()) == set(office[:3])
        assert set(op.checks.latest_all()) == set(office[:3])
        assert op.damaged == []  # the other clients' rows were not even tried, so nothing is "damaged"
        assert op.count_clients() == 6  # that rows exist is not secret (the board says "3 of 6")
        with pytest.raises(NotFound):
            op.clients.get(office[4])
        assert op.clients.find_by_short_code(client(5).short_code) is None


def test_the_operator_key_material_cannot_open_another_clients_sealed_values(
    store: Store, home: Path, office: list[int]
) -> None:
    """The proof on the ciphertexts: every key the operator's passphrase leads to, tried on another
    client's sealed name, token and wrapped key, as read straight from the database file."""
    other = office[4]
    with _as_operator(home) as op:
        op.clients.list()  # unwrap every key the operator can reach
        ring = op._keys
        assert ring is not None and ring.office is None
        material: list[SecretKey] = [k for k in (ring.slot, ring.index, ring.data) if k is not None]
        material += list(ring.clients.values())
        assert set(ring.clients) == set(office[:3])
        conn = raw(home / DB_FILENAME)
        (name,) = conn.execute("SELECT name FROM clients WHERE id = ?", [other]).fetchone()
        (wrapped,) = conn.execute("SELECT wrapped_key FROM clients WHERE id = ?", [other]).fetchone()
        (secret,) = conn.execute("SELECT secret FROM credentials WHERE client_id = ?", [other]).fetchone()
        wrapped_for_slots = conn.execute(
            "SELECT count(*) FROM slot_client_keys WHERE client_id = ?", [other]
        ).fetchone()[0]
        conn.close()
        assert wrapped_for_slots == 0  # no copy of the other client's key exists for any operator
        cred_id = store.credentials.for_client(other)[0].id
        for key in material:
            for blob, ad in (
                (name, associated_data("clients", other, "name")),
                (wrapped, associated_data("clients", other, "wrapped_key")),
                (secret, associated_data("credentials", cred_id, "secret")),  # type: ignore[arg-type]
            ):
                with pytest.raises(SealBroken):
                    unseal(key, blob, ad)
        # ... while the administrator's office key opens the very same blob
    assert store.clients.get(other).name == client(5).name


def test_writes_to_another_client_fail_with_a_clear_polish_error(
    store: Store, home: Path, office: list[int]
) -> None:
    with _as_operator(home) as op:
        with pytest.raises(NotAssigned) as refused:
            op.credentials.add(token_for(office[4], 99))
        assert str(refused.value) == "Ten klient nie jest przypisany operatorowi ania; poproś administratora."
        op.credentials.add(token_for(office[0], 98))  # an assigned client: fine
        with pytest.raises(AdminOnly):
            op.clients.add(client(50))
        with pytest.raises(AdminOnly):
            op.operators.list()
        with pytest.raises(AdminOnly):
            op.operators.add("bob", "Bob", "x", OfficeRole.READ_ONLY)


def test_assigning_later_rewraps_and_unassigning_deletes_the_wrapped_key(
    store: Store, home: Path, office: list[int]
) -> None:
    store.operators.assign("ania", [office[4]])
    with _as_operator(home) as op:
        assert [c.id for c in op.clients.list()] == [*office[:3], office[4]]
    store.operators.unassign("ania", [office[0], office[4]])
    conn = raw(home / DB_FILENAME)
    rows = conn.execute("SELECT client_id FROM slot_client_keys ORDER BY client_id").fetchall()
    conn.close()
    assert [r[0] for r in rows] == office[1:3]
    with _as_operator(home) as op:
        assert [c.id for c in op.clients.list()] == office[1:3]
    info = store.operators.get("ania")
    assert info.client_ids == tuple(office[1:3]) and info.role is OfficeRole.ACCOUNTANT
    assert info.name == "Anna Nowak"


def test_an_unassigned_client_stays_shut_even_with_the_old_wrapped_row_put_back(
    store: Store, home: Path, office: list[int]
) -> None:
    """Unassign deletes the wrapped key; a copy of the deleted row put back by hand after a reset
    (a new slot key) no longer authenticates: the client stays shut, and the row is reported damaged."""
    conn = raw(home / DB_FILENAME)
    old = conn.execute(
        "SELECT slot_id, client_id, wrapped_key FROM slot_client_keys WHERE client_id = ?", [office[0]]
    ).fetchone()
    conn.close()
    store.operators.unassign("ania", [office[0]])
    store.operators.reset_passphrase("ania", "reset-hasło")
    conn = raw(home / DB_FILENAME)
    conn.execute("INSERT INTO slot_client_keys VALUES (?, ?, ?)", list(old))
    conn.close()
    with _as_operator(home, "reset-hasło") as op:
        names = [c.name for c in op.clients.list()]
        assert client(1).name not in names
        assert any(d.table == "slot_client_keys" for d in op.damaged)


def test_the_initial_passphrase_must_be_changed_and_then_is_not_asked_again(
    store: Store, home: Path, office: list[int]
) -> None:
    with _as_operator(home) as op:
        assert op.must_change_passphrase
        assert op.role is OfficeRole.ACCOUNTANT and op.operator == "ania" and not op.is_admin
        op.change_passphrase(OP_PASS, OP_NEW)
        assert not op.must_change_passphrase
    with pytest.raises(WrongPassphrase):
        _as_operator(home)
    with _as_operator(home, OP_NEW) as op:
        assert not op.must_change_passphrase
        assert op.profile.name == "Anna Nowak"


def test_reset_makes_new_slot_material_and_asks_for_a_change(
    store: Store, home: Path, office: list[int]
) -> None:
    with _as_operator(home) as op:
        op.change_passphrase(OP_PASS, OP_NEW)
    conn = raw(home / DB_FILENAME)
    before = conn.execute("SELECT wrapped_key FROM slot_client_keys ORDER BY client_id").fetchall()
    conn.close()
    store.operators.reset_passphrase("ania", "tymczasowe")
    with pytest.raises(WrongPassphrase):
        _as_operator(home, OP_NEW)
    with _as_operator(home, "tymczasowe") as op:
        assert op.must_change_passphrase
        assert [c.id for c in op.clients.list()] == office[:3]
    conn = raw(home / DB_FILENAME)
    after = conn.execute("SELECT wrapped_key FROM slot_client_keys ORDER BY client_id").fetchall()
    conn.close()
    assert len(after) == 3 and not set(before) & set(after)


def test_remove_deletes_the_slot_and_every_wrapped_key(store: Store, home: Path, office: list[int]) -> None:
    store.operators.remove("ania")
    conn = raw(home / DB_FILENAME)
    assert conn.execute("SELECT count(*) FROM slot_client_keys").fetchone()[0] == 0
    assert conn.execute("SELECT count(*) FROM operator_keys").fetchone()[0] == 0
    conn.close()
    with pytest.raises(StoreError):
        _as_operator(home)
    assert [o.login for o in store.operators.list()] == ["admin"]


def test_audit_entries_carry_the_logged_in_operator(store: Store, home: Path, office: list[int]) -> None:
    with _as_operator(home) as op:
        op.change_passphrase(OP_PASS, OP_NEW)
        op.audit.append(office[0], "check", "ok")
        mine = op.audit.list(office[0])
        assert mine[0].operator == "ania"
        # the operator reads the assigned clients' trail and office entries, never another client's
        assert {e.client_id for e in op.audit.list()} <= {None, *office[:3]}
    assert store.audit.list(office[0])[0].operator == "ania"
    added = [e for e in store.audit.list() if e.action == "operator.added"]
    assert added and added[0].operator == "admin" and "ania" in added[0].detail


def test_logins_are_validated_and_unique(store: Store, office: list[int]) -> None:
    with pytest.raises(StoreError):
        store.operators.add("Ania Nowak", "Anna", "x", OfficeRole.READ_ONLY)
    with pytest.raises(StoreError):
        store.operators.add("ania", "Anna bis", "x", OfficeRole.READ_ONLY)
    with pytest.raises(StoreError):
        store.operators.add("szef", "Szef", "x", OfficeRole.ADMINISTRATOR)


def test_a_relabelled_slot_does_not_escalate(store: Store, home: Path, office: list[int]) -> None:
    store.close()
    conn = raw(home / DB_FILENAME)
    conn.execute("UPDATE key_slots SET role = 'admin', access = '' WHERE operator = 'ania'")
    conn.close()
    with pytest.raises(WrongPassphrase):  # the role is in the associated data: it no longer opens
        _as_operator(home)


# -- the recovery key ------------------------------------------------------------------------------------


def test_the_word_list_is_fixed() -> None:
    import hashlib

    words = word_list()
    assert len(words) == len(set(words)) == 2048
    assert len({w[:4] for w in words}) == 2048
    assert all(w.isascii() and w.isalpha() and len(w) == 5 for w in words)
    digest = hashlib.sha256(" ".join(words).encode()).hexdigest()
    assert digest == RECOVERY_WORDS_SHA256  # never change the list: written-down keys must keep working


RECOVERY_WORDS_SHA256 = "4654111374d58b69555e9773a105107615f930281ae4adb2d50ac15fd804fa91"


def test_words_round_trip_and_a_mistyped_word_is_named() -> None:
    entropy = bytes(range(32))
    words = to_words(entropy)
    assert from_words(" ".join(words)) == entropy
    assert from_words("\n".join(f"{i}. {w.upper()[:4]}" for i, w in enumerate(words, 1))) == entropy
    typo = [*words]
    typo[6] = "qqqqq"
    with pytest.raises(WrongRecoveryWords, match="7"):
        from_words(" ".join(typo))
    swapped = [*words]
    swapped[0], swapped[1] = swapped[1], swapped[0]
    with pytest.raises(WrongRecoveryWords):
        from_words(" ".join(swapped))
    with pytest.raises(WrongRecoveryWords):
        from_words(" ".join(words[:23]))


def test_recovery_unlocks_and_sets_a_new_admin_passphrase(
    store: Store, home: Path, office: list[int]
) -> None:
    words = store.create_recovery_key()
    assert len(words) == 24
    with pytest.raises(StoreError):
        store.create_recovery_key()  # once
    conn = raw(home / DB_FILENAME)
    dump = b"".join(bytes(str(row), "utf-8") for row in conn.execute("SELECT * FROM key_slots"))
    conn.close()
    assert not any(w.encode() in dump for w in words)  # never stored
    assert "#recovery" not in [o.login for o in store.operators.list()]
    store.close()
    with pytest.raises(WrongPassphrase):
        Store.open(home, " ".join(words), clock=CLOCK)  # never tried as a passphrase
    with Store.recover(home, " ".join(words), "nowe hasło szefa", clock=CLOCK) as recovered:
        assert recovered.is_admin and recovered.operator == "admin"
        assert len(recovered.clients.list()) == 6
        assert recovered.audit.list()[0].action == "recovery.used"
    with pytest.raises(WrongPassphrase):
        Store.open(home, PASSPHRASE, clock=CLOCK)
    with Store.open(home, "nowe hasło szefa", clock=CLOCK) as again:
        assert again.has_recovery_key()


def test_wrong_recovery_words_change_nothing(store: Store, home: Path) -> None:
    store.create_recovery_key()
    store.close()
    other = to_words(bytes(32))
    with pytest.raises(WrongRecoveryWords):
        Store.recover(home, " ".join(other), "nowe", clock=CLOCK)
    with Store.open(home, PASSPHRASE, clock=CLOCK):
        pass


def test_a_store_without_a_recovery_key_says_so(store: Store, home: Path) -> None:
    store.close()
    with pytest.raises(StoreError, match="nie ma klucza odzyskiwania"):
        Store.recover(home, " ".join(to_words(bytes(32))), "nowe", clock=CLOCK)


def test_store_created_before_migration_8_opens_and_gets_operators(home: Path) -> None:
    old = Store._create(
        home, PASSPHRASE, operator="admin", kdf=KdfLimits.FAST_FOR_TESTS, clock=CLOCK, schema_version=7
    )
    old.clients.add(client(1))
    old.close()
    with Store.open(home, PASSPHRASE, clock=CLOCK) as store:
        store.operators.add("ania", "Anna", OP_PASS, OfficeRole.READ_ONLY, [1])
    with _as_operator(home) as op:
        assert op.role is OfficeRole.READ_ONLY and len(op.clients.list()) == 1

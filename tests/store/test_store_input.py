"""Issue 17 item 9: the store itself normalises and validates NIPs, and caps the free text it accepts
(not only the client form: an import, a script or a later screen goes straight to the repositories)."""

from __future__ import annotations

import pytest
from store_helpers import client, token_for

from ksef_tui.core.models import Client
from ksef_tui.store import Store, StoreError
from ksef_tui.store.text_caps import MAX_CLIENT_NAME, MAX_CREDENTIAL_LABEL, MAX_NOTES, MAX_SHORT_CODE

NIP = "5260250274"
VARIANTS = {
    "fullwidth": "５２６０２５０２７４",
    "Arabic-Indic": "٥٢٦٠٢٥٠٢٧٤",
    "Extended Arabic-Indic": "۵۲۶۰۲۵۰۲۷۴",
    "Devanagari": "५२६०२५०२७४",
    "zero-width joiner inside": "526\u200d0250274",
    "zero-width space and BOM": "\ufeff526\u200b025\u200b0274",
    "bidi marks": "\u200e5260250274\u200f",
    "no-break spaces and an en dash": "526\u00a0025\u202f02\u201374",
    "fullwidth PL prefix": "ＰＬ5260250274",
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_a_nip_written_another_way_is_the_same_client(store: Store, variant: str) -> None:
    first = store.clients.add(Client("Pierwszy", "FIRST_1", [NIP]))
    with pytest.raises(StoreError, match="NIP"):
        store.clients.add(Client("Drugi", "SECOND_1", [VARIANTS[variant]]))
    found = store.clients.find_by_nip(VARIANTS[variant])
    assert found is not None and found.id == first.id
    assert len(store.clients.list()) == 1


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_a_variant_is_stored_as_the_plain_ten_digits(store: Store, variant: str) -> None:
    added = store.clients.add(Client("Klient", "KLIENT_1", [VARIANTS[variant]]))
    assert added.nips == [NIP]
    assert store.clients.get(added.id).nips == [NIP]  # type: ignore[arg-type]
    assert store.clients.find_by_nip("526-025-02-74") is not None


@pytest.mark.parametrize(
    "bad",
    [
        "5260250275",  # checksum
        "526025027",  # nine digits
        "0260250274",  # leading zero
        "52600250274x",
        "526\u00000250274",  # a NUL is not noise
        "5260250274\u0301",  # a combining accent is not noise either
    ],
)
def test_the_store_refuses_what_is_not_a_nip(store: Store, bad: str) -> None:
    with pytest.raises(StoreError):
        store.clients.add(Client("Klient", "KLIENT_1", [bad]))
    assert store.clients.list() == []


def test_an_edit_cannot_smuggle_a_variant_of_another_clients_nip(store: Store) -> None:
    store.clients.add(Client("Pierwszy", "FIRST_1", [NIP]))
    second = store.clients.add(client(2))
    second.nips = [second.nips[0], VARIANTS["fullwidth"]]
    with pytest.raises(StoreError, match="NIP"):
        store.clients.update(second)


def test_the_same_nip_twice_in_one_client_in_two_spellings(store: Store) -> None:
    with pytest.raises(StoreError):
        store.clients.add(Client("Klient", "KLIENT_1", [NIP, VARIANTS["Arabic-Indic"]]))


# -- text caps ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "cap"), [("name", MAX_CLIENT_NAME), ("short_code", MAX_SHORT_CODE), ("notes", MAX_NOTES)]
)
def test_client_text_is_capped(store: Store, polish_from_source: None, field: str, cap: int) -> None:
    fill = "A" if field == "short_code" else "ż"
    at_cap = client(1)
    setattr(at_cap, field, fill * cap)
    kept = store.clients.add(at_cap)
    assert len(getattr(store.clients.get(kept.id), field)) == cap  # type: ignore[arg-type]
    too_long = client(2)
    setattr(too_long, field, fill * (cap + 1))
    with pytest.raises(StoreError, match=rf"najwyżej {cap} znaków"):
        store.clients.add(too_long)
    # An edit is held to the same cap, and the stored value stays as it was.
    setattr(kept, field, fill * (cap + 1))
    with pytest.raises(StoreError):
        store.clients.update(kept)
    assert len(getattr(store.clients.get(kept.id), field)) == cap  # type: ignore[arg-type]
    assert len(store.clients.list()) == 1


def test_the_audits_ten_megabyte_name_is_refused(store: Store) -> None:
    huge = client(1)
    huge.name = "X" * 10_000_000
    with pytest.raises(StoreError):
        store.clients.add(huge)
    assert store.clients.list() == []


def test_credential_label_is_capped(store: Store) -> None:
    c = store.clients.add(client(1))
    cred = token_for(c.id, 1)  # type: ignore[arg-type]
    cred.label = "ł" * MAX_CREDENTIAL_LABEL
    cred = store.credentials.add(cred)
    cred.label += "ł"
    with pytest.raises(StoreError):
        store.credentials.update(cred)
    too_long = token_for(c.id, 2)  # type: ignore[arg-type]
    too_long.label = "x" * (MAX_CREDENTIAL_LABEL + 1)
    with pytest.raises(StoreError):
        store.credentials.add(too_long)
    assert [x.label for x in store.credentials.for_client(c.id)] == ["ł" * MAX_CREDENTIAL_LABEL]  # type: ignore[arg-type]

from __future__ import annotations

from ksef_tui.core.client_form import ClientDraft, FormErrors, validate_client, validate_nips
from ksef_tui.core.models import Client, suggest_short_code, token_reference
from ksef_tui.core.passphrase import strength


def test_valid_draft_becomes_a_client() -> None:
    result = validate_client(ClientDraft("  Piekarnia   Nowak ", "PL 123-456-32-18, 5265877635", "piek_218"))
    assert isinstance(result, Client)
    assert result.name == "Piekarnia Nowak"
    assert result.nips == ["1234563218", "5265877635"]
    assert result.short_code == "PIEK_218"


def test_invalid_nip_is_explained() -> None:
    result = validate_client(ClientDraft("Firma", "123-456-32-19", "FIRMA_219"))
    assert isinstance(result, FormErrors)
    assert "sum" in result.fields["nips"].lower() or "kontrol" in result.fields["nips"].lower()
    assert "name" not in result.fields


def test_duplicate_nip_in_one_client() -> None:
    _nips, error = validate_nips("1234563218, 123-456-32-18")
    assert error is not None and "1234563218" in error and "dwa razy" in error, error


def test_markup_in_name_is_kept_literally() -> None:
    result = validate_client(ClientDraft('Biuro [/x] "Ś"', "1234563218", "BIURO_218"))
    assert isinstance(result, Client) and result.name == 'Biuro [/x] "Ś"'


def test_short_code_suggestion() -> None:
    assert suggest_short_code("Piekarnia Nowak Sp. z o.o.", "1234563218") == "PIEKARNI_218"
    assert suggest_short_code("Łódzka Spółdzielnia", "5265877635") == "LODZKA_635"
    assert suggest_short_code('Biuro [/x] "Ś"', "1234563218") == "BIURO_218"


def test_token_reference_from_prefix() -> None:
    tok = "20251010-EC-2B0C8AB000-4A3D8E9C3B-8D|nip-1234563218|" + "ab" * 32
    assert token_reference(tok) == "20251010-EC-2B0C8AB000-4A3D8E9C3B-8D"
    assert token_reference("ab" * 32) is None


def test_passphrase_strength_orders_sensibly() -> None:
    assert strength("abc").bits < strength("correct horse battery staple").bits
    assert strength("aaaaaaaaaaaa").bits < strength("k8#Lq2!vZp9m").bits

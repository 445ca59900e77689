"""The board never decrypts credential secrets: they stay sealed until a credential is used."""

from __future__ import annotations

from pathlib import Path

from ksef_tui.core.models import Client, Credential, CredentialKind
from ksef_tui.store import KdfLimits, Store


def test_board_rows_carry_no_secrets(tmp_path: Path) -> None:
    store = Store.create(tmp_path / "s", "pass phrase 1", kdf=KdfLimits.FAST_FOR_TESTS)
    client = store.clients.add(Client("Firma", "FIRMA_218", ["1234563218"]))
    store.credentials.add(Credential(client.id, CredentialKind.KSEF_TOKEN, secret="tok-" + "a" * 40))
    store.credentials.add(
        Credential(
            client.id,
            CredentialKind.KSEF_CERTIFICATE,
            secret="-----KEY-----",
            certificate_pem="-----CERT-----",
            serial="01AB",
        )
    )
    [row] = store.board_rows()
    assert {c.kind for c in row.credentials} == {CredentialKind.KSEF_TOKEN, CredentialKind.KSEF_CERTIFICATE}
    assert all(c.secret == "" and c.certificate_pem is None for c in row.credentials)
    assert next(c.serial for c in row.credentials if c.serial) == "01AB"
    # The repository still gives them when a credential is used.
    full = store.credentials.for_client(client.id)
    assert {c.secret for c in full} == {"tok-" + "a" * 40, "-----KEY-----"}

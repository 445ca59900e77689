"""Reading a certificate and its key from files: what is accepted, and how each problem is explained."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from ksef_tui.core.certificates import CertificateError, Problem, load, nip_mismatch, preview
from tests.certgen import write_pair, write_pkcs12

NOW = datetime(2026, 11, 21, 9, 30, tzinfo=UTC)


def _problem(cert: str | Path, key: str | Path, password: str | None = None) -> CertificateError:
    with pytest.raises(CertificateError) as info:
        load(str(cert), str(key), password, NOW)
    return info.value


@pytest.mark.parametrize("key_kind", ["rsa", "ec"])
def test_valid_pair_is_loaded_with_an_unencrypted_pkcs8_key(tmp_path: Path, key_kind: str) -> None:
    cert, key = write_pair(tmp_path, NOW, key_kind=key_kind)
    loaded = load(str(cert), str(key), None, NOW)
    assert loaded.info.subject_cn == "Piekarnia Testowa"
    assert loaded.info.nip == "1234563218"
    assert loaded.info.serial == "1A2B3C4D5E6F"
    assert loaded.info.issuer_cn == "KSeF Test CA"
    assert loaded.info.valid_until > NOW > loaded.info.valid_from
    assert loaded.certificate_pem.startswith("-----BEGIN CERTIFICATE-----")
    assert loaded.private_key_pem.startswith("-----BEGIN PRIVATE KEY-----")
    assert "ENCRYPTED" not in loaded.private_key_pem
    assert "PRIVATE" not in repr(loaded)


def test_der_certificate(tmp_path: Path) -> None:
    cert, key = write_pair(tmp_path, NOW, der=True)
    assert load(str(cert), str(key), None, NOW).info.serial == "1A2B3C4D5E6F"


def test_pesel_from_serial_number(tmp_path: Path) -> None:
    cert, key = write_pair(tmp_path, NOW, nip=None, pesel="85010112345", cn="Jan Kowalski")
    info = load(str(cert), str(key), None, NOW).info
    assert (info.nip, info.pesel) == (None, "85010112345")
    assert not nip_mismatch(info, ["1234563218"])


def test_nip_mismatch(tmp_path: Path) -> None:
    cert, key = write_pair(tmp_path, NOW)
    info = load(str(cert), str(key), None, NOW).info
    assert not nip_mismatch(info, ["5260250274", "1234563218"])
    assert nip_mismatch(info, ["5260250274"])


def test_expired_and_not_yet_valid_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    cert, key = write_pair(tmp_path / "a", NOW, days_before=400, days_after=-1)
    err = _problem(cert, key)
    assert err.problem is Problem.EXPIRED and "wygasł" in err.message
    cert, key = write_pair(tmp_path / "b", NOW, days_before=-3, days_after=365)
    err = _problem(cert, key)
    assert err.problem is Problem.NOT_YET_VALID
    # The preview still shows what the certificate is.
    shown = preview(str(cert), str(key), None, NOW)
    assert shown.info is not None and shown.problem is not None


def test_mismatched_key(tmp_path: Path) -> None:
    cert, key = write_pair(tmp_path, NOW, other_key=True)
    assert _problem(cert, key).problem is Problem.KEY_MISMATCH


def test_encrypted_key_right_wrong_and_missing_password(tmp_path: Path) -> None:
    cert, key = write_pair(tmp_path, NOW, key_kind="rsa", password="tajne haslo")
    assert load(str(cert), str(key), "tajne haslo", NOW).private_key_pem.startswith("-----BEGIN PRIVATE KEY")
    err = _problem(cert, key, "zle haslo")
    assert err.problem is Problem.WRONG_PASSWORD
    assert "zle haslo" not in err.message and "tajne" not in err.message
    assert _problem(cert, key).problem is Problem.NEEDS_PASSWORD


def test_password_for_an_unencrypted_key_is_ignored(tmp_path: Path) -> None:
    cert, key = write_pair(tmp_path, NOW)
    assert load(str(cert), str(key), "niepotrzebne", NOW).info.nip == "1234563218"


def test_pkcs12_right_and_wrong_password(tmp_path: Path) -> None:
    bundle = write_pkcs12(tmp_path, NOW, "p12 haslo")
    loaded = load(str(bundle), "", "p12 haslo", NOW)
    assert loaded.info.serial == "1A2B3C4D5E6F"
    assert loaded.private_key_pem.startswith("-----BEGIN PRIVATE KEY-----")
    assert _problem(bundle, "", "zle").problem is Problem.WRONG_PASSWORD
    assert _problem(bundle, "").problem is Problem.NEEDS_PASSWORD


def test_missing_and_garbage_files(tmp_path: Path) -> None:
    cert, key = write_pair(tmp_path, NOW)
    err = _problem(tmp_path / "nie-ma.pem", key)
    assert err.problem is Problem.NO_FILE and "nie-ma.pem" in err.message
    assert str(tmp_path) not in err.message  # the file's name, not where it lives
    garbage = tmp_path / "garbage.crt"
    garbage.write_bytes(b"\x00\x01 not a certificate at all")
    assert _problem(garbage, key).problem is Problem.NOT_A_CERTIFICATE
    pem_garbage = tmp_path / "garbage.pem"
    pem_garbage.write_text("-----BEGIN CERTIFICATE-----\nnonsense\n-----END CERTIFICATE-----\n")
    assert _problem(pem_garbage, key).problem is Problem.NOT_A_CERTIFICATE
    assert _problem(cert, cert).problem is Problem.NOT_A_KEY
    assert _problem(cert, "").problem is Problem.NO_KEY
    assert _problem(cert, tmp_path / "brak.pem").problem is Problem.NO_FILE


def test_unsupported_key_type(tmp_path: Path) -> None:
    cert, _key = write_pair(tmp_path, NOW)
    ed = tmp_path / "ed.pem"
    ed.write_bytes(
        ed25519.Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    assert _problem(cert, ed).problem is Problem.UNSUPPORTED_KEY


def test_preview_of_a_good_pair_has_no_problem(tmp_path: Path) -> None:
    cert, key = write_pair(tmp_path, NOW)
    shown = preview(str(cert), str(key), None, NOW)
    assert shown.problem is None and shown.info is not None
    shown = preview(str(cert), "", None, NOW)
    assert shown.info is not None and shown.problem is not None and shown.problem.problem is Problem.NO_KEY

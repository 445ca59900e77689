"""Registered secrets are masked wherever they appear as a token run, however many are registered."""

from __future__ import annotations

from ksef_tui.ksef.apilog import MASK, forget_secret, redact_text, register_secret


def test_registered_secret_masked_whole_and_after_separators() -> None:
    secret = "Zq8vN2xYp4Lk0Rt6Ws3e"
    register_secret(secret)
    try:
        assert secret not in redact_text(f"token {secret} end")
        assert secret not in redact_text(f"key={secret}&x=1")
        assert secret not in redact_text(f'{{"value": "{secret}"}}')
        assert redact_text(f"a:{secret}") == f"a:{MASK}"
        # Unrelated text is untouched.
        assert redact_text("Session 20250625-SO-2C3E6C8000-B675CF5D68-07 ok") == (
            "Session 20250625-SO-2C3E6C8000-B675CF5D68-07 ok"
        )
    finally:
        forget_secret(secret)


def test_many_registered_secrets_still_all_masked() -> None:
    secrets = [f"S{i:05d}xyzSECRETabc{i * 7919:08d}" for i in range(2000)]
    for s in secrets:
        register_secret(s)
    try:
        text = " ".join(secrets[::97])
        out = redact_text(text)
        assert not any(s in out for s in secrets)
        assert out.count(MASK) == len(secrets[::97])
    finally:
        for s in secrets:
            forget_secret(s)

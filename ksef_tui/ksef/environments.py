"""KSeF environments and their API base URLs (API-NOTES §1).

A client is built for a named environment or for any base URL (the simulator, a proxy).
"""

from __future__ import annotations

from dataclasses import dataclass

from ksef_tui.core.models import Environment


@dataclass(frozen=True)
class KsefEnvironment:
    name: str  # "test" / "demo" / "prod", or "custom" for an arbitrary base URL
    base_url: str  # without a trailing slash, including the `/v2` prefix

    @property
    def is_official(self) -> bool:
        return self.name in {e.value for e in Environment}


BASE_URLS: dict[Environment, str] = {
    Environment.TEST: "https://api-test.ksef.mf.gov.pl/v2",
    Environment.DEMO: "https://api-demo.ksef.mf.gov.pl/v2",
    Environment.PROD: "https://api.ksef.mf.gov.pl/v2",
}


def resolve_environment(env: Environment | str | KsefEnvironment) -> KsefEnvironment:
    """`Environment.PROD`, `"demo"` or `"http://127.0.0.1:8765/v2"` -> KsefEnvironment."""
    if isinstance(env, KsefEnvironment):
        return env
    if isinstance(env, Environment):
        return KsefEnvironment(env.value, BASE_URLS[env])
    text = str(env).strip()
    try:
        known = Environment(text.lower())
    except ValueError:
        if not text.startswith(("http://", "https://")):
            raise ValueError(f"unknown KSeF environment or URL: {text!r}") from None
        return KsefEnvironment("custom", text.rstrip("/"))
    return KsefEnvironment(known.value, BASE_URLS[known])

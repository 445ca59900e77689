"""KSeF API 2.0 client on httpx.AsyncClient (no textual import): `KsefClient`, `check_credential`."""

from ksef_tui.ksef.apilog import (
    ApiLog,
    ApiLogEntry,
    RedactingFilter,
    install_log_redaction,
    redact,
    redact_text,
)
from ksef_tui.ksef.client import KsefClient
from ksef_tui.ksef.errors import KsefError
from ksef_tui.ksef.live_check import check_credential
from ksef_tui.ksef.ratelimit import RateScheduler
from ksef_tui.ksef.retry import RetryPolicy

__all__ = [
    "ApiLog",
    "ApiLogEntry",
    "KsefClient",
    "KsefError",
    "RateScheduler",
    "RedactingFilter",
    "RetryPolicy",
    "check_credential",
    "install_log_redaction",
    "redact",
    "redact_text",
]

"""The API log: every call the client makes, with secrets redacted (issue item 4).

- `ApiLog` keeps a ring buffer per context (NIP) for the network-inspector screen
  (`api_log.recent(nip, limit)`), and forwards each entry to an optional sink (persistence).
- `redact()` / `redact_text()` scrub JSON-like data and free text; every string that leaves this
  package through logs, entries or exception messages goes through them.
- `RedactingFilter` applies the same scrubbing to Python logging records, so nothing logged leaks.

Secrets are recognised three ways, because no single rule is enough: by JSON key (token,
encryptedToken, ...), by shape (Bearer headers, JWTs, KSeF-token layout, pre-signed URL signatures),
and by value (every secret the client handles is registered with `register_secret`).
"""

from __future__ import annotations

import logging
import re
import threading
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

MASK = "***"

# JSON keys whose values are always secret (compared case-insensitively).
SENSITIVE_KEYS = frozenset(
    k.lower()
    for k in (
        "token",
        "accessToken",
        "refreshToken",
        "authenticationToken",
        "encryptedToken",
        "ksefToken",
        "encryptionKey",
        "encryptedSymmetricKey",
        "symmetricKey",
        "encryptedInvoiceContent",
        "invoiceContent",
        "authorization",
        "privateKey",
        "private_key",
        "secret",
        "password",
        "passphrase",
    )
)

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"(?i)\bBearer\s+[^\s\"',;]+"), "Bearer " + MASK),
    # JWT: three base64url parts, the first one a JSON header ({"...} -> eyJ).
    (re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), MASK),
    # KSeF token `{ref}|{context}|{hex secret}`: keep the reference (it identifies, it does not open).
    (
        re.compile(r"(\d{8}-EC-[0-9A-F]{10}-[0-9A-F]{10}-[0-9A-F]{2})\|([^|\s\"']+)\|[^\s\"',;]+"),
        r"\1|\2|" + MASK,
    ),
    # Pre-signed storage URLs: the signature is a bearer credential.
    (re.compile(r"(?i)([?&](?:sig|signature|skoid|sktid)=)[^&\s\"']+"), r"\1" + MASK),
]

_registry_lock = threading.Lock()
_registered: dict[str, None] = {}  # insertion-ordered set, bounded
_REGISTRY_LIMIT = 10_000
_MIN_SECRET_LEN = 6


def register_secret(value: str | None) -> None:
    """Remember a secret's exact text so it is masked wherever it appears later."""
    if not value or len(value) < _MIN_SECRET_LEN:
        return
    with _registry_lock:
        _registered.pop(value, None)
        _registered[value] = None
        while len(_registered) > _REGISTRY_LIMIT:
            _registered.pop(next(iter(_registered)))


def forget_secret(value: str | None) -> None:
    with _registry_lock:
        _registered.pop(value or "", None)


# Registered secrets (tokens, JWTs, keys in base64 or hex) are unbroken runs of these characters. Looking
# each run (and its pieces between separators, for `key=<secret>` or `<ref>|<ctx>|<secret>`) up in the
# registry costs O(len(text)), however many secrets are registered; scanning the text once per secret
# made every logged call slower as a session authenticated more clients.
_RUN = re.compile(r"[A-Za-z0-9+/=_\-.|:~]+")
_SEPARATORS = "=|:"


def _mask_run(match: re.Match[str]) -> str:
    run = match.group()
    if len(run) < _MIN_SECRET_LEN:
        return run
    if run in _registered:
        return MASK
    if not any(c in run for c in _SEPARATORS):
        return run
    starts = [0] + [i + 1 for i, c in enumerate(run) if c in _SEPARATORS]
    ends = [i for i, c in enumerate(run) if c in _SEPARATORS] + [len(run)]
    out: list[str] = []
    pos = 0
    for a in starts:
        if a < pos:
            continue
        for b in sorted((e for e in ends if e - a >= _MIN_SECRET_LEN), reverse=True):
            if run[a:b] in _registered:
                out.append(run[pos:a] + MASK)
                pos = b
                break
    out.append(run[pos:])
    return "".join(out)


def redact_text(text: str) -> str:
    if not text:
        return text
    if _registered:
        text = _RUN.sub(_mask_run, text)
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    return text


def redact(value: Any) -> Any:
    """A deep copy of JSON-like `value` (dicts, lists, strings) with every secret masked."""
    if isinstance(value, Mapping):
        out = {}
        for k, v in value.items():
            if isinstance(k, str) and k.lower() in SENSITIVE_KEYS and v is not None:
                # `token` in ExportPart/UPO responses never appears; a nested {"token":..} is a secret.
                out[k] = MASK if not isinstance(v, Mapping) else redact_mapping_all(v)
            else:
                out[k] = redact(v)
        return out
    if isinstance(value, list | tuple):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return value


def redact_mapping_all(value: Mapping[str, Any]) -> dict[str, Any]:
    """`accessToken: {token, validUntil}`: mask the token, keep the validity (useful, not secret)."""
    return {k: (MASK if k.lower() in SENSITIVE_KEYS or k == "token" else redact(v)) for k, v in value.items()}


def redact_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in headers:
        out[k] = MASK if k.lower() in {"authorization", "cookie", "set-cookie"} else redact_text(v)
    return out


@dataclass(frozen=True)
class ApiLogEntry:
    timestamp: datetime
    method: str
    path: str  # the path actually called (query string dropped), no host
    route: str  # the spec's path template, e.g. /sessions/{referenceNumber}
    status: int | None  # None: no response (network error, timeout, cancelled)
    duration_ms: float
    context_nip: str | None
    ksef_codes: tuple[int, ...] = ()
    error: str = ""  # redacted, short
    attempt: int = 1
    request_body: Any = None  # redacted JSON, or a size note for XML / binary
    response_body: Any = None  # redacted JSON of error responses (and small JSON answers)
    extra: dict[str, Any] = field(default_factory=dict)


Sink = Callable[[ApiLogEntry], None]


class ApiLog:
    """In-memory ring buffer per context, plus an optional sink for persistence."""

    def __init__(self, capacity_per_context: int = 500, sink: Sink | None = None) -> None:
        self.capacity = capacity_per_context
        self.sink = sink
        self._by_context: dict[str | None, deque[ApiLogEntry]] = {}
        self._lock = threading.Lock()

    def record(self, entry: ApiLogEntry) -> None:
        with self._lock:
            buf = self._by_context.get(entry.context_nip)
            if buf is None:
                buf = self._by_context[entry.context_nip] = deque(maxlen=self.capacity)
            buf.append(entry)
        if self.sink is not None:
            try:
                self.sink(entry)
            except Exception:  # a broken sink must not break API calls
                logging.getLogger(__name__).exception("API log sink failed")

    def recent(self, nip: str | None = None, limit: int = 100) -> list[ApiLogEntry]:
        """Newest first. `nip=None` merges every context (calls made before authentication included)."""
        with self._lock:
            if nip is None:
                entries = [e for buf in self._by_context.values() for e in buf]
            else:
                entries = list(self._by_context.get(nip, ()))
        entries.sort(key=lambda e: e.timestamp, reverse=True)
        return entries[:limit]

    def contexts(self) -> list[str | None]:
        with self._lock:
            return list(self._by_context)

    def clear(self) -> None:
        with self._lock:
            self._by_context.clear()


class RedactingFilter(logging.Filter):
    """Scrub secrets from every record passing through (attach to handlers or loggers)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # malformed %-args: scrub what we have
            message = str(record.msg)
        record.msg = redact_text(message)
        record.args = None
        if record.exc_info and record.exc_info[1] is not None:
            # Render the traceback now, scrubbed; the formatter then uses exc_text as is.
            formatter = logging.Formatter()
            record.exc_text = redact_text(formatter.formatException(record.exc_info))
            record.exc_info = None
        return True


_FILTER = RedactingFilter()


def get_logger(name: str) -> logging.Logger:
    """A logger with the redacting filter attached.

    Logger-level filters do not apply to records propagated from child loggers, so each module of
    this package takes its logger from here instead of relying on a filter on `ksef_tui`.
    """
    logger = logging.getLogger(name)
    if _FILTER not in logger.filters:
        logger.addFilter(_FILTER)
    return logger


def install_log_redaction(
    logger_names: Iterable[str] = ("httpx", "httpcore"), *, root_handlers: bool = True
) -> RedactingFilter:
    """Attach the redacting filter to third-party loggers that see KSeF traffic and to the root
    logger's handlers (so records from any logger are scrubbed before they are written). Idempotent.

    httpx logs request URLs at INFO; pre-signed URL signatures are masked by the filter.
    """
    for name in logger_names:
        get_logger(name)
    if root_handlers:
        for handler in logging.getLogger().handlers:
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)
    return _FILTER

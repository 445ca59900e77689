"""The API log: every call the client makes, with secrets redacted (issue item 4).

- `ApiLog` keeps a ring buffer per context (NIP) for the network-inspector screen
  (`api_log.recent(nip, limit)`), and forwards each entry to an optional sink (persistence).
- `redact()` / `redact_text()` scrub JSON-like data and free text; every string that leaves this
  package through logs, entries or exception messages goes through them.
- `RedactingFilter` applies the same scrubbing to Python logging records, so nothing logged leaks.

Secrets are recognised three ways, because no single rule is enough: by JSON key (token,
encryptedToken, ...), by shape (Bearer headers, JWTs, KSeF-token layout, pre-signed URL signatures),
and by value (every secret the client handles is registered with `register_secret`).

Registering a credential registers every part of it that opens something on its own
(`secret_parts`): a KSeF token `<reference>|<context>|<secret>` whole, its secret part alone and
`<context>|<secret>` (KSeF or a proxy may echo any of them); a private key PEM's body whole and line
by line. The parts that only identify (the token's reference, the NIP) are never masked.
`install_log_redaction` scrubs records of every logger, third-party ones included (httpx, httpcore's
child loggers, uvicorn), when they are created.
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
_REGISTRY_LIMIT = 200_000  # a PEM key registers ~30 parts; 500 clients with two credentials fit
_MIN_SECRET_LEN = 6
# Registered secrets by their head (the text before their first separator), longest first: a run is
# scanned once, looking up the head at each place a secret may start (see _mask_run).
_by_head: dict[str, tuple[str, ...]] = {}


_KSEF_REFERENCE = re.compile(r"\d{8}-[A-Z]{2}-[0-9A-F]{10}-[0-9A-F]{10}-[0-9A-F]{2}")
# A token's context part identifies, it does not open: `nip-5265877635`, `5265877635`, `pesel-...`.
_CONTEXT_PART = re.compile(r"(?i)(?:[a-z]+-)?\d{10,11}")
_PEM_PRIVATE = re.compile(r"-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----(.*?)-----END \1-----", re.DOTALL)


def secret_parts(value: str | bytes | None) -> list[str]:
    """Every part of a credential that is secret on its own, the whole value first (see the module
    docstring). Parts shorter than 6 characters are left out (they would mask ordinary words)."""
    if value is None:
        return []
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    parts: list[str] = [value, value.strip()]
    for match in _PEM_PRIVATE.finditer(value):
        lines = [line.strip() for line in match.group(2).splitlines()]
        body = [line for line in lines if line and ":" not in line]  # no Proc-Type/DEK-Info headers
        parts.append("".join(body))
        parts.extend(body)
    token = value.strip()
    if "|" in token and "-----BEGIN" not in token:
        pieces = token.split("|")
        secret_at = [
            i
            for i, piece in enumerate(pieces)
            if not _KSEF_REFERENCE.fullmatch(piece) and not _CONTEXT_PART.fullmatch(piece)
        ]
        for i in secret_at:
            parts.append(pieces[i])
            parts.append("|".join(pieces[i:]))  # `<context>|<secret>` and the like
            if i > 0:
                parts.append("|".join(pieces[i - 1 :]))
    seen: dict[str, None] = {}
    for part in parts:
        if len(part) >= _MIN_SECRET_LEN:
            seen.setdefault(part, None)
    return list(seen)


def register_secret(value: str | bytes | None) -> None:
    """Remember a credential's secret text, and each secret part of it (`secret_parts`), so they are
    masked wherever they appear later."""
    parts = secret_parts(value)
    if not parts:
        return
    with _registry_lock:
        for part in parts:
            if part in _registered:
                _registered.pop(part)
            else:
                _index(part)
            _registered[part] = None
        while len(_registered) > _REGISTRY_LIMIT:
            oldest = next(iter(_registered))
            _registered.pop(oldest)
            _unindex(oldest)


def forget_secret(value: str | bytes | None) -> None:
    with _registry_lock:
        for part in secret_parts(value):
            if _registered.pop(part, 0) is None:
                _unindex(part)


def _head(text: str, start: int = 0) -> str:
    end = start
    while end < len(text) and text[end] not in _SEPARATORS:
        end += 1
    return text[start:end]


def _index(secret: str) -> None:
    head = _head(secret)
    _by_head[head] = tuple(sorted({*_by_head.get(head, ()), secret}, key=len, reverse=True))


def _unindex(secret: str) -> None:
    head = _head(secret)
    left = tuple(s for s in _by_head.get(head, ()) if s != secret)
    if left:
        _by_head[head] = left
    else:
        _by_head.pop(head, None)


# Registered secrets (tokens, JWTs, keys in base64 or hex) are unbroken runs of these characters. Looking
# each run (and its pieces between separators, for `key=<secret>` or `<ref>|<ctx>|<secret>`) up in the
# registry costs O(len(text)), however many secrets are registered; scanning the text once per secret
# made every logged call slower as a session authenticated more clients.
_RUN = re.compile(r"[A-Za-z0-9+/=_\-.|:~]+")
# Where a registered secret may begin or end inside a run: `key=<secret>`, `<ref>|<ctx>|<secret>`,
# `a:<secret>`, and `<secret>.` / `<secret>...` at the end of a sentence ("Nieprawidłowy token <secret>.").
_SEPARATORS = "=|:.~"


def _mask_run(match: re.Match[str]) -> str:
    """Mask every registered secret in this run that starts at the run's start or just after a
    separator and ends at one or at the run's end. One pass: at each such start, only the secrets
    whose head (text before their first separator) is the head found there are compared."""
    run = match.group()
    n = len(run)
    if n < _MIN_SECRET_LEN:
        return run
    out: list[str] = []
    pos = 0
    a = 0
    while a < n:
        head = _head(run, a)
        found = -1
        for secret in _by_head.get(head, ()):  # longest first
            b = a + len(secret)
            if (b == n or (b < n and run[b] in _SEPARATORS)) and run.startswith(secret, a):
                found = b
                break
        if found >= 0:
            out.append(run[pos:a])
            out.append(MASK)
            pos = found
            a = found + 1
        else:
            a += len(head) + 1
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


def scrub_record(record: logging.LogRecord) -> logging.LogRecord:
    """Mask secrets in a log record, in place (idempotent). When its %-args are what carried the
    secret and masking each arg is enough, the args stay args (formatters such as uvicorn's access
    log unpack them); otherwise the message is rendered, masked, and the args dropped."""
    try:
        message = record.getMessage()
    except Exception:  # malformed %-args: scrub what we have
        message = str(record.msg)
        record.args = None
    clean = redact_text(message)
    if clean != message:
        kept = False
        args = record.args
        if isinstance(record.msg, str) and isinstance(args, tuple) and args:
            masked_args = tuple(redact_text(a) if isinstance(a, str) else a for a in args)
            masked_msg = redact_text(record.msg)
            try:
                again = masked_msg % masked_args
            except Exception:
                again = None
            if again is not None and redact_text(again) == again:
                record.msg, record.args = masked_msg, masked_args
                kept = True
        if not kept:
            record.msg, record.args = clean, None
    if record.exc_info and record.exc_info[1] is not None:
        # Render the traceback now, scrubbed; the formatter then uses exc_text as is.
        formatter = logging.Formatter()
        record.exc_text = redact_text(formatter.formatException(record.exc_info))
        record.exc_info = None
    elif record.exc_text:
        record.exc_text = redact_text(record.exc_text)
    if record.stack_info:
        record.stack_info = redact_text(record.stack_info)
    return record


class RedactingFilter(logging.Filter):
    """Scrub secrets from every record passing through (attach to handlers or loggers)."""

    def filter(self, record: logging.LogRecord) -> bool:
        scrub_record(record)
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


# Third-party loggers that see KSeF traffic. A logger's filter does not see its children's records, so
# httpcore's real loggers are named one by one; the record factory below covers any other.
THIRD_PARTY_LOGGERS = (
    "httpx",
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
    "uvicorn",
    "uvicorn.error",
    "uvicorn.access",
    "starlette",
    "asyncio",
)


class _ScrubbingFactory:
    """Wraps the LogRecord factory: every record, of any logger, is scrubbed as it is made (records
    are made only when their level is enabled), before any handler, filter or formatter sees it."""

    def __init__(self, inner: Callable[..., logging.LogRecord]) -> None:
        self.inner = inner

    def __call__(self, *args: Any, **kwargs: Any) -> logging.LogRecord:
        return scrub_record(self.inner(*args, **kwargs))


def install_log_redaction(
    logger_names: Iterable[str] = THIRD_PARTY_LOGGERS, *, root_handlers: bool = True
) -> RedactingFilter:
    """Scrub every log record, third-party ones included. Idempotent.

    - the LogRecord factory is wrapped, so records of every logger (httpcore's children, uvicorn's,
      anything configured later) are scrubbed when made;
    - the filter is attached to the named third-party loggers and to the root logger's handlers too,
      for records made before this call or by a factory someone installs after it.

    httpx logs request URLs at INFO; pre-signed URL signatures are masked.
    """
    current = logging.getLogRecordFactory()
    if not isinstance(current, _ScrubbingFactory):
        logging.setLogRecordFactory(_ScrubbingFactory(current))
    for name in logger_names:
        get_logger(name)
    if root_handlers:
        for handler in logging.getLogger().handlers:
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)
    return _FILTER

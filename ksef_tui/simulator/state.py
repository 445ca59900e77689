"""Runtime state of one simulator app: the world plus what clients have done to it."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from ksef_tui.simulator.faults import Faults, FaultState
from ksef_tui.simulator.ratelimit import RateLimitConfig, RateLimiter
from ksef_tui.simulator.world import World


@dataclass
class AuthOp:
    """One authentication operation (GET /auth/{ref}) and the tokens redeemed from it."""

    reference: str
    started: datetime
    method: str  # AuthenticationMethod
    method_info: dict
    context_type: str
    context_value: str
    context_nip: str
    subject: str  # "Token:<ref>" or "Nip:<nip>"
    subject_nip: str
    permissions: frozenset[str]
    status_code: int
    status_details: list[str] = field(default_factory=list)
    token_ref: str | None = None
    certificate_fingerprint: str | None = None
    document_hash: str | None = None
    redeemed: bool = False
    refresh_revoked: bool = False
    last_refresh: datetime | None = None
    refresh_valid_until: datetime | None = None
    polls: int = 0
    client_ip: str = ""


@dataclass
class Challenge:
    value: str
    created: datetime
    timestamp_ms: int
    used: bool = False


@dataclass
class Export:
    reference: str
    context_nip: str
    created: datetime
    filters: dict
    only_metadata: bool
    compression: str
    key: bytes | None
    iv: bytes | None
    status_code: int = 100
    polls: int = 0
    completed: datetime | None = None
    package: dict | None = None
    parts: list[bytes] = field(default_factory=list, repr=False)


class SimState:
    def __init__(
        self,
        world: World,
        rate_limits: RateLimitConfig,
        faults: Faults,
        clock: Callable[[], datetime],
        sleep: Callable[[float], Awaitable[None]],
    ) -> None:
        self.world = world
        self.clock = clock
        self.sleep = sleep
        self.secret = secrets.token_bytes(32)
        self.limiter = RateLimiter(rate_limits)
        self.fault_state = FaultState(faults)
        self.challenges: dict[str, Challenge] = {}
        self.auth_ops: dict[str, AuthOp] = {}
        self.exports: dict[str, Export] = {}

    def now(self) -> datetime:
        return self.clock()

    def sign(self, path: str) -> str:
        """Signature for pre-signed storage URLs (UPO, export parts, batch parts)."""
        return hmac.new(self.secret, path.encode(), hashlib.sha256).hexdigest()[:32]

    def check_signature(self, path: str, sig: str) -> bool:
        return hmac.compare_digest(self.sign(path), sig or "")

"""Faults on demand: what a flaky KSeF does to a client, reproducible from a seed.

Set them at construction (`create_app(..., faults=Faults(...))`), at runtime by assigning
`app.state.faults`, or over HTTP with `POST /_sim/faults` (JSON with any of the fields below).

Every decision is made per *request identity*, not per arrival order (issue 8): the identity is
(method, the spec's path template, the context the request is made in, how many requests of that same
kind in that same context came before it), and each fault is drawn from a hash of the seed and that
identity. Concurrent clients interleave differently on every run, but each context's own sequence of
requests does not, so a seed replays: the 3rd GET /auth/{ref} of NIP X fails on every run or on none.
Requests that name no context (POST /auth/challenge, public keys) are counted under "-", so for them the
order among concurrent logins still decides which client meets the fault; what faults happen does not.

Purchase-invoice sync (issue 12; all off by default):
- `hwm_lag_seconds`: how far permanentStorageHwmDate trails the clock (a late invoice holds it lower
  still, see World.hwm).
- `export_truncate_at`: invoices per export package (KSeF: 10,000); a package cut there says isTruncated
  and lastPermanentStorageDate (independent of `metadata_truncate_at`, the metadata query's cap).
- `export_stuck`: exports stay at status 100 forever; with 10 of them running in a context the next start
  answers 21182.
- `export_part_hash_wrong`: part 1's declared encryptedPartHash is wrong (the bytes are fine).
- `export_part_damaged`: a byte of part 1's ciphertext is flipped after partHash was computed; its
  encryptedPartHash is that of the damaged bytes (as storage reports it), so only decryption notices:
  a plain hash or PKCS#7 padding mismatch.
- `export_omit_hwm`: packages carry no permanentStorageHwmDate (empty ones included).
- `export_429_starts`: the first N export starts of each context answer 429, Retry-After 1, 2, 4, 8 ... s.
- `export_hostile`: one of HOSTILE_KINDS, a package a client must refuse whole: "traversal" (an extra
  entry `../evil.xml`), "bomb" (the first invoice's entry is BOMB_BYTES of zeros, or an extra one when
  the window is empty), "bad-metadata" (`_metadata.json` is not JSON), "hash-mismatch" (the first
  invoice's bytes differ from its invoiceHash).
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field

# How a damaged UPO is served: "truncated" (cut in half, hash header matching the cut body), "hash" (intact
# body, x-ms-meta-hash of other bytes), "not_xml" (binary garbage, matching hash), "not_upo" (well-formed
# XML that is not a Potwierdzenie, matching hash).
DAMAGE_KINDS = ("truncated", "hash", "not_xml", "not_upo")
HOSTILE_KINDS = ("traversal", "bomb", "bad-metadata", "hash-mismatch")


def damage_upo(body: bytes, kind: str) -> tuple[bytes, bytes]:
    """(the body served, the bytes whose SHA-256 goes into x-ms-meta-hash) for a UPO damaged `kind`."""
    if kind == "truncated":
        cut = body[: len(body) // 2]
        return cut, cut
    if kind == "hash":
        return body, body + b"\n"
    if kind == "not_xml":
        junk = bytes(range(256)) * 4
        return junk, junk
    if kind == "not_upo":
        other = b'<?xml version="1.0" encoding="utf-8"?>\n<Faktura><P_1>2026-01-01</P_1></Faktura>'
        return other, other
    raise ValueError(f"unknown UPO damage kind: {kind}")


@dataclass
class Faults:
    seed: int = 0
    # Every request under /v2 (or only those whose path contains one of `paths`).
    latency_ms: float = 0.0
    latency_spike_ms: float = 0.0
    latency_spike_rate: float = 0.0
    error_rate: float = 0.0  # share of requests answered 500/502/503
    drop_rate: float = 0.0  # share of requests whose connection drops mid-response
    burst_429_rate: float = 0.0  # chance that a request starts a burst of 429s
    burst_429_length: int = 3  # requests refused in one burst
    burst_retry_after: int = 1  # Retry-After (seconds) during a burst
    paths: tuple[str, ...] = ()
    # Endpoint-specific.
    upo_not_ready_requests: int = 0  # the first N requests for each UPO answer 21178
    invoice_not_available_requests: int = 0  # the first N downloads of each invoice answer 21165
    metadata_truncate_at: int | None = None  # result cap per filter set (KSeF: 10,000)
    revoke_token_after_auths: dict[str, int] = field(default_factory=dict)  # NIP -> K successful auths
    auth_stuck: bool = False  # GET /auth/{ref} stays at 100 forever
    auth_pending_polls: int = 0  # the first N polls of each authentication answer 100
    # UPO reference (a UPO page's, a session's or an invoice's KSeF number) -> how its UPO is damaged,
    # one of DAMAGE_KINDS; every download of that UPO (API and pre-signed link) is damaged that way.
    damaged_upo_refs: dict[str, str] = field(default_factory=dict)
    # Not faults but realism: how many status polls a closed session / an export stays "processing".
    close_processing_polls: int = 1
    export_processing_polls: int = 1
    # Purchase-invoice sync (module docstring).
    hwm_lag_seconds: float = 120.0
    export_truncate_at: int | None = None
    export_stuck: bool = False
    export_part_hash_wrong: bool = False
    export_part_damaged: bool = False
    export_omit_hwm: bool = False
    export_429_starts: int = 0
    export_hostile: str | None = None

    def upo_damage(self, *references: str | None) -> str | None:
        """How the UPO known by any of `references` is damaged, or None when it is served intact."""
        for ref in references:
            if ref and ref in self.damaged_upo_refs:
                return self.damaged_upo_refs[ref]
        return None

    def applies_to(self, path: str) -> bool:
        return not self.paths or any(p in path for p in self.paths)

    @classmethod
    def from_json(cls, data: dict, base: Faults | None = None) -> Faults:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown fault fields: {sorted(unknown)}")
        values = dataclasses.asdict(base) if base is not None else {}
        values.update(data)
        if "paths" in values:
            values["paths"] = tuple(values["paths"])
        bad = {k: v for k, v in dict(values.get("damaged_upo_refs") or {}).items() if v not in DAMAGE_KINDS}
        if bad:
            raise ValueError(f"unknown UPO damage kinds: {sorted(set(bad.values()))}; use {DAMAGE_KINDS}")
        hostile = values.get("export_hostile")
        if hostile is not None and hostile not in HOSTILE_KINDS:
            raise ValueError(f"unknown export_hostile kind: {hostile!r}; use {HOSTILE_KINDS}")
        return cls(**values)

    def to_json(self) -> dict:
        out = dataclasses.asdict(self)
        out["paths"] = list(self.paths)
        return out


@dataclass(frozen=True)
class Decision:
    """What the fault layer does to one request."""

    latency_ms: float = 0.0
    too_many_requests: bool = False
    error_status: int | None = None  # 500/502/503
    drop: bool = False


ERROR_STATUSES = (500, 502, 503)


class FaultState:
    """The live faults plus their per-identity counters; reset when the faults object changes."""

    def __init__(self, faults: Faults) -> None:
        self.reset(faults)

    def reset(self, faults: Faults) -> None:
        self.faults = faults
        self.counters: dict[tuple[str, str], int] = {}
        self.auths: dict[str, int] = {}

    def _draw(self, identity: str, occurrence: int, what: str) -> float:
        """A number in [0, 1) fixed by the seed, the identity, its occurrence and what is decided."""
        text = f"{self.faults.seed}|{identity}|{occurrence}|{what}"
        digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") / 2**64

    def decide(self, method: str, route: str, context: str) -> Decision:
        """The faults for the next request of this (method, route template, context)."""
        f = self.faults
        identity = f"{method}|{route}|{context}"
        k = self.count("request", identity)
        latency = f.latency_ms
        if f.latency_spike_rate > 0 and self._draw(identity, k, "spike") < f.latency_spike_rate:
            latency += f.latency_spike_ms
        # A burst that started at one of the last `burst_429_length` occurrences still refuses this one.
        if f.burst_429_rate > 0:
            first = max(0, k - max(1, f.burst_429_length) + 1)
            if any(self._draw(identity, j, "burst") < f.burst_429_rate for j in range(first, k + 1)):
                return Decision(latency, too_many_requests=True)
        if f.error_rate > 0 and self._draw(identity, k, "error") < f.error_rate:
            status = ERROR_STATUSES[int(self._draw(identity, k, "status") * len(ERROR_STATUSES))]
            return Decision(latency, error_status=status)
        if f.drop_rate > 0 and self._draw(identity, k, "drop") < f.drop_rate:
            return Decision(latency, drop=True)
        return Decision(latency)

    @property
    def active(self) -> bool:
        f = self.faults
        return bool(f.latency_ms or f.latency_spike_rate or f.burst_429_rate or f.error_rate or f.drop_rate)

    def sync(self, current: Faults) -> Faults:
        if current is not self.faults:
            self.reset(current)
        return self.faults

    def count(self, kind: str, key: str) -> int:
        """How many times (before this one) `kind` was requested for `key`."""
        n = self.counters.get((kind, key), 0)
        self.counters[(kind, key)] = n + 1
        return n

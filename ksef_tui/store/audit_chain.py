"""The audit log's hash chain: each entry's digest covers the previous entry's digest and the entry itself.

    link(n) = BLAKE2b_chainkey("link" | link(n-1) | id | at | slot | client | body(n))
    body(n) = BLAKE2b_chainkey("body" | operator | action | result | detail(n))
    detail(n) = BLAKE2b_chainkey("detail" | the detail's plaintext)

Every part is length-prefixed, so no two different entries frame to the same bytes. The chain key is
derived from the office's index key (keyed BLAKE2b with its own domain): whoever may append an entry can
extend the chain, but nobody holding only the file can recompute a digest. The digests are computed over
plaintext, not over the sealed columns, so re-sealing an entry under another key (a removed client's trail
moves to the office key) leaves its digest valid; a redacted entry keeps `detail(n)` in its tombstone
(see docs/SECURITY.md "The audit chain").
"""

from __future__ import annotations

from nacl.encoding import RawEncoder
from nacl.hash import blake2b

from ksef_tui.store.sealing import SecretKey

DIGEST_BYTES = 32
GENESIS = bytes(DIGEST_BYTES)  # the "previous digest" of the first entry
_KEY_DOMAIN = b"ksef-tui audit chain v1"


def chain_key(index_key: SecretKey) -> SecretKey:
    """The chain's own key, derived from the index key (never stored)."""
    return SecretKey(
        blake2b(_KEY_DOMAIN, digest_size=DIGEST_BYTES, key=index_key.material(), encoder=RawEncoder)
    )


def _frame(*parts: bytes) -> bytes:
    return b"".join(len(part).to_bytes(4, "big") + part for part in parts)


def _text(value: str) -> bytes:
    return value.encode("utf-8", "surrogatepass")


def _mac(key: SecretKey, domain: bytes, *parts: bytes) -> bytes:
    return blake2b(_frame(domain, *parts), digest_size=DIGEST_BYTES, key=key.material(), encoder=RawEncoder)


def detail_digest(key: SecretKey, detail: str) -> bytes:
    return _mac(key, b"detail", _text(detail))


def body_digest(key: SecretKey, operator: str, action: str, result: str, detail: bytes) -> bytes:
    """`detail` is detail_digest() of the detail's plaintext (or a tombstone's recorded one)."""
    return _mac(key, b"body", _text(operator), _text(action), _text(result), detail)


def link(
    key: SecretKey,
    previous: bytes,
    entry_id: int,
    at: str,
    slot_id: int | None,
    client_id: int | None,
    body: bytes,
) -> bytes:
    return _mac(
        key,
        b"link",
        previous,
        str(entry_id).encode(),
        _text(at),
        b"" if slot_id is None else str(slot_id).encode(),
        b"" if client_id is None else str(client_id).encode(),
        body,
    )

"""KSeF public-key certificates: fetched once per environment, cached, chosen by usage and validity.

Keys can be re-certified or rotated (API-NOTES §3), so a 21470 answer ("unknown publicKeyId") makes the
caller `invalidate()` the cache and try once more with a fresh list.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from cryptography.hazmat.primitives.asymmetric import rsa

from ksef_tui.ksef.crypto import load_public_key
from ksef_tui.ksef.errors import PublicKeyUnavailable
from ksef_tui.ksef.http import HttpCore
from ksef_tui.ksef.models import PublicKeyCertificate, PublicKeyUsage, list_from_json

ROUTE = "/security/public-key-certificates"


class PublicKeyCache:
    """One per environment (base URL); shared by every context's client."""

    def __init__(self) -> None:
        self._certs: list[PublicKeyCertificate] | None = None
        self._lock = asyncio.Lock()
        self.fetches = 0

    def invalidate(self) -> None:
        self._certs = None

    async def certificates(self, core: HttpCore, context: str | None = None) -> list[PublicKeyCertificate]:
        async with self._lock:
            if self._certs is None:
                data = await core.get_json(ROUTE, context=context)
                self._certs = list_from_json(PublicKeyCertificate, data)
                self.fetches += 1
            return self._certs

    async def pick(
        self, core: HttpCore, usage: PublicKeyUsage, now: datetime, context: str | None = None
    ) -> tuple[PublicKeyCertificate, rsa.RSAPublicKey]:
        """The certificate for `usage` valid at `now` (the one valid longest if several), and its key."""
        for attempt in range(2):
            certs = await self.certificates(core, context)
            usable = [
                c
                for c in certs
                if usage in c.usage
                and (c.valid_from is None or c.valid_from <= now)
                and (c.valid_to is None or now < c.valid_to)
            ]
            usable.sort(key=lambda c: c.valid_to or datetime.max.replace(tzinfo=now.tzinfo), reverse=True)
            for cert in usable:
                try:
                    return cert, load_public_key(cert.certificate)
                except ValueError:
                    continue
            if attempt == 0:
                self.invalidate()  # maybe the cached list is stale: one fresh look before giving up
        raise PublicKeyUnavailable()

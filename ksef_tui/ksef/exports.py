"""Invoice exports (API-NOTES §12): the bulk path for syncing purchase invoices.

start (AES-256 key RSA-wrapped with the SymmetricKeyEncryption key) → poll status → download each part
from its pre-signed URL (no Bearer, not rate-limited) → check the encrypted hash → decrypt → check the
plain hash → concatenate → unzip → `{ksefNumber}.xml` files and `_metadata.json`. The download and
everything after it stream, with limits: `export_package.py`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from ksef_tui.core.i18n import N_
from ksef_tui.ksef.base import ApiBase
from ksef_tui.ksef.crypto import SymmetricKey
from ksef_tui.ksef.errors import KsefError
from ksef_tui.ksef.export_package import (
    DEFAULT_LIMITS,
    ExportPackageReader,
    PackageLimits,
    open_export_package,
    read_archive,
)
from ksef_tui.ksef.invoices import InvoiceQueryFilters
from ksef_tui.ksef.models import (
    ExportPackage,
    ExportResult,
    ExportStarted,
    ExportStatus,
    PublicKeyUsage,
    from_json,
)

EXPORT_DONE = 200
EXPORT_RUNNING = {100}


@dataclass
class ExportPollPolicy:
    first_delay: float = 2.0
    factor: float = 1.5
    max_delay: float = 15.0
    timeout: float = 1800.0


class ExportFailed(KsefError):
    default_explanation = N_("KSeF could not prepare the export.")


class ExportsApi(ApiBase):
    async def start_export(
        self,
        filters: InvoiceQueryFilters | dict,
        *,
        only_metadata: bool = False,
        compression_type: str | None = None,
    ) -> tuple[ExportStarted, SymmetricKey]:
        """POST /invoices/exports. Keep the returned key: the parts are encrypted with it."""
        cert, public_key = await self._keys.pick(
            self.core, PublicKeyUsage.SYMMETRIC_KEY_ENCRYPTION, self.core.clock(), self.context_nip
        )
        key = SymmetricKey.generate(public_key, cert.public_key_id or None)
        body: dict[str, object] = {
            "encryption": key.encryption_json(),
            "filters": filters.to_json() if isinstance(filters, InvoiceQueryFilters) else filters,
        }
        if only_metadata:
            body["onlyMetadata"] = True
        if compression_type:
            body["compressionType"] = compression_type
        data = await self._authed_json("POST", "/invoices/exports", json=body)
        return from_json(ExportStarted, data), key

    async def get_export_status(self, reference_number: str) -> ExportStatus:
        data = await self._authed_json(
            "GET", "/invoices/exports/{referenceNumber}", path_params={"referenceNumber": reference_number}
        )
        return from_json(ExportStatus, data)

    async def wait_for_export(
        self, reference_number: str, poll: ExportPollPolicy | None = None
    ) -> ExportStatus:
        poll = poll or ExportPollPolicy()
        delay, waited = poll.first_delay, 0.0
        while True:
            status = await self.get_export_status(reference_number)
            code = status.status.code
            if code == EXPORT_DONE:
                return status
            if code not in EXPORT_RUNNING:
                raise ExportFailed(
                    codes=[code] if code else (),
                    descriptions=[status.status.description],
                    details=status.status.details,
                )
            if waited >= poll.timeout:
                raise ExportFailed(details=["timeout"])
            await self.core.sleep(delay)  # cancellable
            waited += delay
            delay = min(poll.max_delay, delay * poll.factor)

    async def open_package(
        self,
        key: SymmetricKey,
        package: ExportPackage,
        *,
        limits: PackageLimits = DEFAULT_LIMITS,
        spool_dir: Path | None = None,
        only_metadata: bool = False,
    ) -> ExportPackageReader:
        """Download and check the package, streaming (`export_package.open_export_package`): the
        reader to read `metadata` and `invoices()` from. Close it (`with reader:`)."""
        return await open_export_package(
            self, key, package, limits=limits, spool_dir=spool_dir, only_metadata=only_metadata
        )

    async def download_export(
        self,
        reference_number: str,
        key: SymmetricKey,
        package: ExportPackage,
        *,
        limits: PackageLimits = DEFAULT_LIMITS,
        only_metadata: bool = False,
    ) -> ExportResult:
        """The whole package's invoices in memory (small exports); with the reader's checks, so a
        hostile package raises `PackageRefused`. For big packages use `open_package`."""
        with await self.open_package(key, package, limits=limits, only_metadata=only_metadata) as reader:

            def collect() -> dict[str, bytes]:
                return {f"{meta.ksef_number}.xml": xml for meta, xml in reader.invoices()}

            files = await asyncio.to_thread(collect)
            return ExportResult(reference_number, files, reader.metadata, package)

    async def export_invoices(
        self,
        filters: InvoiceQueryFilters | dict,
        *,
        only_metadata: bool = False,
        poll: ExportPollPolicy | None = None,
    ) -> ExportResult:
        """The whole export in one call (cancellable at every wait)."""
        started, key = await self.start_export(filters, only_metadata=only_metadata)
        status = await self.wait_for_export(started.reference_number, poll)
        return await self.download_export(
            started.reference_number, key, status.package or ExportPackage(), only_metadata=only_metadata
        )


def unpack_export(reference_number: str, archive: bytes, package: ExportPackage) -> ExportResult:
    """An archive already in memory (the parts' plaintexts, concatenated), with the reader's checks."""
    with read_archive(archive, package) as reader:
        files = {f"{meta.ksef_number}.xml": xml for meta, xml in reader.invoices()}
        return ExportResult(reference_number, files, reader.metadata, package)

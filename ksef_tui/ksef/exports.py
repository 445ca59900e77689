"""Invoice exports (API-NOTES §12): the bulk path for syncing purchase invoices.

start (AES-256 key RSA-wrapped with the SymmetricKeyEncryption key) → poll status → download each part
from its pre-signed URL (no Bearer, not rate-limited) → check the encrypted hash → decrypt → check the
plain hash → concatenate → unzip → `{ksefNumber}.xml` files and `_metadata.json`.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass

from ksef_tui.core.i18n import N_
from ksef_tui.ksef.base import ApiBase
from ksef_tui.ksef.crypto import SymmetricKey
from ksef_tui.ksef.errors import IntegrityError, KsefError
from ksef_tui.ksef.invoices import InvoiceQueryFilters
from ksef_tui.ksef.models import (
    ExportPackage,
    ExportResult,
    ExportStarted,
    ExportStatus,
    InvoiceMetadata,
    PublicKeyUsage,
    from_json,
    list_from_json,
)
from ksef_tui.ksef.sessions import verify_hash

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

    async def download_export(
        self, reference_number: str, key: SymmetricKey, package: ExportPackage
    ) -> ExportResult:
        archive = bytearray()
        for part in sorted(package.parts, key=lambda p: p.ordinal_number):
            response = await self.core.request(
                part.method or "GET",
                "<pre-signed export part URL>",
                absolute_url=part.url,
                context=self.context_nip,
            )
            encrypted = response.content
            verify_hash(encrypted, part.encrypted_part_hash, f"export part {part.ordinal_number} (encrypted)")
            try:
                plain = key.decrypt(encrypted)
            except ValueError as exc:
                raise IntegrityError(details=[f"export part {part.ordinal_number}: {exc}"]) from None
            verify_hash(plain, part.part_hash, f"export part {part.ordinal_number}")
            archive += plain
        return unpack_export(reference_number, bytes(archive), package)

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
        return await self.download_export(started.reference_number, key, status.package or ExportPackage())


def unpack_export(reference_number: str, archive: bytes, package: ExportPackage) -> ExportResult:
    files: dict[str, bytes] = {}
    metadata: list[InvoiceMetadata] = []
    if archive:
        try:
            with zipfile.ZipFile(io.BytesIO(archive)) as zf:
                for info in zf.infolist():
                    if info.is_dir():
                        continue
                    data = zf.read(info)
                    if info.filename == "_metadata.json":
                        parsed = json.loads(data.decode("utf-8-sig"))
                        metadata = list_from_json(
                            InvoiceMetadata, parsed.get("invoices") if isinstance(parsed, dict) else parsed
                        )
                    else:
                        files[info.filename.rsplit("/", 1)[-1]] = data
        except zipfile.BadZipFile as exc:
            raise IntegrityError(details=[f"export archive: {exc}"]) from None
    return ExportResult(reference_number, files, metadata, package)

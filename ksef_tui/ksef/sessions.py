"""Sessions (API-NOTES §6, §8, §9): history, status, invoices, UPO, and sending in an online session."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ksef_tui.ksef.base import ApiBase, drop_none, iso
from ksef_tui.ksef.crypto import SymmetricKey, b64, sha256_b64
from ksef_tui.ksef.errors import IntegrityError
from ksef_tui.ksef.models import (
    FA3,
    FormCode,
    InvoiceSent,
    OnlineSessionOpened,
    PublicKeyUsage,
    SessionInvoice,
    SessionInvoicesPage,
    SessionsPage,
    SessionStatus,
    SessionType,
    Upo,
    from_json,
)

HASH_HEADER = "x-ms-meta-hash"


@dataclass
class OnlineSession:
    """An open online session: its reference and the AES key its invoices are encrypted with."""

    reference_number: str
    key: SymmetricKey = field(repr=False)
    valid_until: datetime | None = None
    form_code: FormCode = FA3


def verify_hash(content: bytes, declared: str | None, what: str) -> str:
    """SHA-256 of the exact bytes; raise IntegrityError when KSeF declared a different hash."""
    actual = sha256_b64(content)
    if declared and declared.strip() != actual:
        raise IntegrityError(details=[f"{what}: {declared.strip()} != {actual}"])
    return actual


class SessionsApi(ApiBase):
    async def list_sessions(
        self,
        session_type: SessionType | str,
        *,
        page_size: int = 100,
        continuation_token: str | None = None,
        statuses: Sequence[str] = (),
        reference_number: str | None = None,
        date_created_from: datetime | None = None,
        date_created_to: datetime | None = None,
        date_closed_from: datetime | None = None,
        date_closed_to: datetime | None = None,
        date_modified_from: datetime | None = None,
        date_modified_to: datetime | None = None,
    ) -> SessionsPage:
        """One page of GET /sessions (Online or Batch; `sessionType` is required by KSeF)."""
        params: list[tuple[str, str | int]] = list(
            drop_none(
                {
                    "sessionType": str(session_type),
                    "pageSize": page_size,
                    "referenceNumber": reference_number,
                    "dateCreatedFrom": iso(date_created_from),
                    "dateCreatedTo": iso(date_created_to),
                    "dateClosedFrom": iso(date_closed_from),
                    "dateClosedTo": iso(date_closed_to),
                    "dateModifiedFrom": iso(date_modified_from),
                    "dateModifiedTo": iso(date_modified_to),
                }
            ).items()
        )
        params += [("statuses", s) for s in statuses]  # arrays are repeated query parameters
        headers = {"x-continuation-token": continuation_token} if continuation_token else None
        page = from_json(
            SessionsPage, await self._authed_json("GET", "/sessions", params=params, headers=headers)
        )
        if str(session_type) in {t.value for t in SessionType}:
            for item in page.sessions:  # the listing does not repeat the type it was asked for
                item.session_type = item.session_type or SessionType(str(session_type))
        return page

    async def iter_sessions(self, session_type: SessionType | str, **kw: Any) -> AsyncIterator[SessionsPage]:
        """Every page, following continuation tokens (null or empty = last page)."""
        token: str | None = None
        while True:
            page = await self.list_sessions(session_type, continuation_token=token, **kw)
            yield page
            token = page.continuation_token
            if not token:
                return

    async def get_session_status(self, reference_number: str) -> SessionStatus:
        data = await self._authed_json(
            "GET", "/sessions/{referenceNumber}", path_params={"referenceNumber": reference_number}
        )
        return from_json(SessionStatus, data)

    async def list_session_invoices(
        self,
        reference_number: str,
        *,
        failed_only: bool = False,
        page_size: int = 100,
        continuation_token: str | None = None,
    ) -> SessionInvoicesPage:
        route = (
            "/sessions/{referenceNumber}/invoices/failed"
            if failed_only
            else "/sessions/{referenceNumber}/invoices"
        )
        headers = {"x-continuation-token": continuation_token} if continuation_token else None
        data = await self._authed_json(
            "GET",
            route,
            path_params={"referenceNumber": reference_number},
            params={"pageSize": page_size},
            headers=headers,
        )
        return from_json(SessionInvoicesPage, data)

    async def all_session_invoices(
        self, reference_number: str, *, failed_only: bool = False
    ) -> list[SessionInvoice]:
        out: list[SessionInvoice] = []
        token: str | None = None
        while True:
            page = await self.list_session_invoices(
                reference_number, failed_only=failed_only, page_size=1000, continuation_token=token
            )
            out += page.invoices
            token = page.continuation_token
            if not token:
                return out

    async def get_session_invoice(self, reference_number: str, invoice_reference: str) -> SessionInvoice:
        data = await self._authed_json(
            "GET",
            "/sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}",
            path_params={"referenceNumber": reference_number, "invoiceReferenceNumber": invoice_reference},
        )
        return from_json(SessionInvoice, data)

    # --- UPO ----------------------------------------------------------------------------------------

    async def _upo(self, route: str, path_params: dict[str, str], reference: str) -> Upo:
        response = await self._authed(
            "GET", route, path_params=path_params, headers={"Accept": "application/xml"}
        )
        digest = verify_hash(response.content, response.headers.get(HASH_HEADER), "UPO")
        return Upo(response.content, digest, reference)

    async def get_session_upo(self, reference_number: str, upo_reference: str) -> Upo:
        """One page of the session's collective UPO (`upo.pages[].referenceNumber` of the session status)."""
        return await self._upo(
            "/sessions/{referenceNumber}/upo/{upoReferenceNumber}",
            {"referenceNumber": reference_number, "upoReferenceNumber": upo_reference},
            upo_reference,
        )

    async def get_invoice_upo_by_ksef_number(self, reference_number: str, ksef_number: str) -> Upo:
        return await self._upo(
            "/sessions/{referenceNumber}/invoices/ksef/{ksefNumber}/upo",
            {"referenceNumber": reference_number, "ksefNumber": ksef_number},
            ksef_number,
        )

    async def get_invoice_upo_by_reference(self, reference_number: str, invoice_reference: str) -> Upo:
        return await self._upo(
            "/sessions/{referenceNumber}/invoices/{invoiceReferenceNumber}/upo",
            {"referenceNumber": reference_number, "invoiceReferenceNumber": invoice_reference},
            invoice_reference,
        )

    async def download_upo_url(self, url: str, reference: str = "") -> Upo:
        """A pre-signed UPO link (`downloadUrl` / `upoDownloadUrl`): no Authorization, not rate-limited."""
        response = await self.core.request(
            "GET",
            "<pre-signed UPO URL>",
            absolute_url=url,
            context=self.context_nip,
            headers={"Accept": "application/xml"},
        )
        digest = verify_hash(response.content, response.headers.get(HASH_HEADER), "UPO")
        return Upo(response.content, digest, reference)

    # --- online session -----------------------------------------------------------------------------

    async def open_online_session(self, form_code: FormCode = FA3) -> OnlineSession:
        """POST /sessions/online with a fresh AES key (one key per session, API-NOTES §6)."""
        cert, public_key = await self._keys.pick(
            self.core, PublicKeyUsage.SYMMETRIC_KEY_ENCRYPTION, self.core.clock(), self.context_nip
        )
        key = SymmetricKey.generate(public_key, cert.public_key_id or None)
        body = {"formCode": form_code.to_json(), "encryption": key.encryption_json()}
        opened = from_json(
            OnlineSessionOpened, await self._authed_json("POST", "/sessions/online", json=body)
        )
        return OnlineSession(opened.reference_number, key, opened.valid_until, form_code)

    async def send_invoice(
        self,
        session: OnlineSession,
        invoice_xml: bytes,
        *,
        offline_mode: bool = False,
        hash_of_corrected_invoice: str | None = None,
    ) -> InvoiceSent:
        """Encrypt and send one invoice. `invoice_xml` is sent byte for byte (hash of the exact bytes)."""
        if invoice_xml.startswith(b"\xef\xbb\xbf"):
            raise ValueError("KSeF rejects invoices with a UTF-8 BOM")
        encrypted = session.key.encrypt(invoice_xml)
        body: dict[str, object] = {
            "invoiceHash": sha256_b64(invoice_xml),
            "invoiceSize": len(invoice_xml),
            "encryptedInvoiceHash": sha256_b64(encrypted),
            "encryptedInvoiceSize": len(encrypted),
            "encryptedInvoiceContent": b64(encrypted),
        }
        if offline_mode:
            body["offlineMode"] = True
        if hash_of_corrected_invoice:
            body["hashOfCorrectedInvoice"] = hash_of_corrected_invoice
        data = await self._authed_json(
            "POST",
            "/sessions/online/{referenceNumber}/invoices",
            path_params={"referenceNumber": session.reference_number},
            json=body,
        )
        return from_json(InvoiceSent, data)

    async def close_online_session(self, session: OnlineSession | str) -> None:
        ref = session.reference_number if isinstance(session, OnlineSession) else session
        await self._authed(
            "POST", "/sessions/online/{referenceNumber}/close", path_params={"referenceNumber": ref}
        )

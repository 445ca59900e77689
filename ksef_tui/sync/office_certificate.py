"""The office certificate (issue 11 items 1-2): import or replace it once for every client, enrol one
through the KSeF API with the office's qualified seal or signature, list and revoke the office's KSeF
certificates. Shared by the screens and the CLI. No textual here.

The qualified-signature file is read for the enrolment's login only: its key stays in this process's
memory for that login and is never stored (docs/SECURITY.md).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from ksef_tui.core.certificates import CertificateError, LoadedCertificate, Problem, load
from ksef_tui.core.clock import Clock
from ksef_tui.core.i18n import _
from ksef_tui.core.models import Credential, CredentialKind, CredentialStatus
from ksef_tui.core.operators import Action
from ksef_tui.core.readiness import OfficeCertificateSummary, office_certificate_summary
from ksef_tui.ksef.certificates import CertificateListItem, EnrolledCertificate, enroll_certificate
from ksef_tui.store import Store
from ksef_tui.store.repositories.office import OFFICE_CLIENT_ID
from ksef_tui.sync.grants import KsefFactory, OfficeNotReady, office_client, office_session
from ksef_tui.sync.office import read_profile
from ksef_tui.sync.permissions import require

ENROLMENT_NAME = "Certyfikat biura ksef-tui"


def save_office_certificate(store: Store, loaded: LoadedCertificate, label: str = "") -> Credential:
    """Import (or replace: renewal) the office certificate from a checked file. Blocking."""
    require(store, Action.OFFICE)
    old = store.office_certificate.get(with_secrets=False)
    cred = Credential(
        OFFICE_CLIENT_ID,
        CredentialKind.OFFICE_CERTIFICATE,
        secret=loaded.private_key_pem,
        certificate_pem=loaded.certificate_pem,
        serial=loaded.info.serial,
        valid_from=loaded.info.valid_from,
        valid_until=loaded.info.valid_until,
        label=label,
    )
    detail = f"{old.serial} -> {loaded.info.serial}" if old is not None else loaded.info.serial
    return store.office_certificate.put(cred, detail)


def import_office_certificate(
    store: Store, cert_path: str, key_path: str, password: str | None, now: datetime, label: str = ""
) -> Credential:
    """Read PEM/DER + key or PKCS#12 (core/certificates.py checks it) and save it as the office's.
    The certificate must name the office's NIP when the profile has one. Blocking."""
    require(store, Action.OFFICE)
    loaded = load(cert_path, key_path, password, now)
    nip = read_profile(store).nip
    if nip and loaded.info.nip and loaded.info.nip != nip:
        raise CertificateError(
            Problem.NOT_A_CERTIFICATE,
            _("This certificate names NIP {cert}, not the office's NIP {office}.").format(
                cert=loaded.info.nip, office=nip
            ),
        )
    return save_office_certificate(store, loaded, label)


def office_summary(store: Store, now: datetime) -> OfficeCertificateSummary:
    """ "office certificate expires in 25 days — 120 clients depend on it". Blocking."""
    office = store.office_certificate.get(with_secrets=False)
    rows = store.board_rows()
    creds = {r.client.id or 0: r.credentials for r in rows}
    return office_certificate_summary(office, creds, [r.client.id or 0 for r in rows], now)


@dataclass(frozen=True)
class OfficeCertificateView:
    """What the office certificate screen shows: the certificate (no secrets) and its dependants."""

    certificate: Credential | None
    summary: OfficeCertificateSummary


def read_office_certificate_view(store: Store, now: datetime) -> OfficeCertificateView:
    """Blocking: call it in a thread, or use `load_office_certificate_view`."""
    return OfficeCertificateView(store.office_certificate.get(with_secrets=False), office_summary(store, now))


async def load_office_certificate_view(store: Store, clock: Clock) -> OfficeCertificateView:
    return await asyncio.to_thread(read_office_certificate_view, store, clock())


EnrolmentProgress = Callable[[str], object]


async def enroll_office_certificate(
    store: Store,
    factory: KsefFactory,
    clock: Clock,
    qualified_path: str,
    key_path: str = "",
    password: str | None = None,
    *,
    name: str = ENROLMENT_NAME,
    progress: EnrolmentProgress | None = None,
) -> Credential:
    """Enrol the office's KSeF certificate: XAdES login with the qualified seal/signature in the office's
    own context, limits, enrolment data, a local EC P-256 key, CSR with exactly KSeF's subject, submit,
    poll, retrieve; the new key and certificate are sealed as the office certificate. `progress` hears
    each step in words."""
    require(store, Action.OFFICE)

    def step(words: str) -> None:
        if progress is not None:
            progress(words)

    step(_("Reading the qualified certificate…"))
    qualified = await asyncio.to_thread(load, qualified_path, key_path, password, clock())
    office = await asyncio.to_thread(office_client, store)
    if qualified.info.nip is not None and qualified.info.nip != office.nip:
        raise OfficeNotReady(
            _("The qualified certificate names NIP {cert}, not the office's NIP {office}.").format(
                cert=qualified.info.nip, office=office.nip
            )
        )
    try:
        async with factory(office) as ksef:
            ctx = ksef.for_context(office.nip)
            step(_("Logging in to KSeF with the qualified certificate…"))
            await ctx.authenticate_with_certificate(
                office.nip, qualified.certificate_pem, qualified.private_key_pem
            )
            step(_("Enrolling the office certificate in KSeF (a new key is made here)…"))
            enrolled: EnrolledCertificate = await enroll_certificate(ctx, name)
            await ctx.logout()
    except Exception as err:
        # The qualified certificate was used (or tried): recorded; success is recorded by the put below.
        detail = type(err).__name__
        await asyncio.to_thread(store.audit.append, None, "office_certificate.enrol", "failed", detail)
        raise
    del qualified  # the qualified key is not kept
    step(_("Sealing the office certificate in the store…"))
    cred = Credential(
        OFFICE_CLIENT_ID,
        CredentialKind.OFFICE_CERTIFICATE,
        secret=enrolled.private_key_pem,
        certificate_pem=enrolled.certificate_pem,
        serial=enrolled.serial,
        valid_from=enrolled.valid_from,
        valid_until=enrolled.valid_until,
        status=CredentialStatus.ACTIVE,
        label=enrolled.name,
    )
    return await asyncio.to_thread(store.office_certificate.put, cred, f"enrolled {enrolled.serial}")


async def list_office_certificates(store: Store, factory: KsefFactory) -> list[CertificateListItem]:
    """The office's KSeF certificates as KSeF lists them (logged in with the office certificate)."""
    async with office_session(store, factory) as (_office, ctx):
        items: list[CertificateListItem] = await ctx.all_certificates()
        return items


async def revoke_office_certificate(store: Store, factory: KsefFactory, serial: str) -> None:
    """Revoke one of the office's KSeF certificates; when it is the stored one, mark it revoked."""
    require(store, Action.OFFICE)
    async with office_session(store, factory) as (_office, ctx):
        await ctx.revoke_certificate(serial, "Superseded")
    current = await asyncio.to_thread(store.office_certificate.get, with_secrets=False)
    if current is not None and (current.serial or "").upper() == serial.upper():
        await asyncio.to_thread(store.office_certificate.set_status, CredentialStatus.REVOKED)
    await asyncio.to_thread(store.audit.append, None, "office_certificate.revoke", "ok", serial)

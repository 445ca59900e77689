"""Online (interactive) sessions: open, send invoices, close (API-NOTES §6)."""

from __future__ import annotations

import base64
import binascii
import hashlib
from datetime import timedelta

from starlette.responses import Response

from ksef_tui.simulator.errors import ApiError, validation
from ksef_tui.simulator.keys import SYMMETRIC_USAGE, aes_cbc_decrypt, rsa_oaep_decrypt
from ksef_tui.simulator.model import Session
from ksef_tui.simulator.processing import receive
from ksef_tui.simulator.refs import iso, reference
from ksef_tui.simulator.routing import Ctx, json_response, route
from ksef_tui.simulator.sessions import find_session, settle

WRITE_PERMS = ("InvoiceWrite", "PefInvoiceWrite", "EnforcementOperations")
SUPPORTED_FORMS = {("FA (3)", "1-0E", "FA"), ("FA (2)", "1-0E", "FA")}
ONLINE_LIFETIME = timedelta(hours=12)
MAX_INVOICES = 10_000
MAX_INVOICE_BYTES = 1_000_000


def b64_field(data: dict, name: str, *, required: bool = True) -> bytes | None:
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value:
        raise validation(f"Pole {name} jest wymagane.")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise validation(f"Pole {name} nie jest poprawnym Base64.") from exc


def form_code(data: dict) -> dict:
    form = data.get("formCode")
    if not isinstance(form, dict):
        raise validation("Pole formCode jest wymagane.")
    key = (form.get("systemCode"), form.get("schemaVersion"), form.get("value"))
    if key not in SUPPORTED_FORMS:
        raise validation("Wskazany kod formularza nie jest wspierany.")
    return {"systemCode": key[0], "schemaVersion": key[1], "value": key[2]}


def symmetric_key(ctx: Ctx, encryption: object) -> tuple[bytes | None, bytes]:
    """(key or None when it cannot be decrypted, iv); 21470 for an unknown publicKeyId."""
    if not isinstance(encryption, dict):
        raise validation("Pole encryption jest wymagane.")
    wrapped = b64_field(encryption, "encryptedSymmetricKey")
    iv = b64_field(encryption, "initializationVector")
    assert wrapped is not None and iv is not None
    if len(iv) != 16:
        raise validation("Wektor inicjujący musi mieć 16 bajtów.")
    keys = ctx.world.keys
    key = keys.by_usage(SYMMETRIC_USAGE)
    key_id = encryption.get("publicKeyId")
    if key_id is not None:
        chosen = keys.by_public_key_id(str(key_id))
        if chosen is None or SYMMETRIC_USAGE not in chosen.usage:
            raise ApiError(21470, f"Klucz o identyfikatorze {key_id} nie jest wspierany.")
        key = chosen
    try:
        plain = rsa_oaep_decrypt(key.private_key, wrapped)
    except Exception:
        return None, iv
    return (plain if len(plain) == 32 else None), iv


def new_session(ctx: Ctx, kind: str, form: dict) -> Session:
    op = ctx.op
    assert op is not None
    now = ctx.now()
    session = Session(
        reference=reference(ctx.world.runtime_rng, now, "SO" if kind == "Online" else "SB"),
        kind=kind,
        context_nip=op.context_nip,
        opened_by=op.subject,
        created=now,
        updated=now,
        status_code=100,
        valid_until=now + ONLINE_LIFETIME if kind == "Online" else None,
        auth_token_ref=op.token_ref,
        auth_document_hash=op.document_hash or (None if op.token_ref else "0" * 43 + "="),
        form_code=form,
    )
    tp = ctx.world.taxpayer(op.context_nip)
    if tp is not None:
        tp.sessions.insert(0, session)
    ctx.world.sessions[session.reference] = session
    return session


@route("POST", "/sessions/online", permissions=WRITE_PERMS)
async def open_online(ctx: Ctx) -> Response:
    data = await ctx.json()
    form = form_code(data)
    key, iv = symmetric_key(ctx, data.get("encryption"))
    session = new_session(ctx, "Online", form)
    session.symmetric_key, session.iv = key, iv
    if key is None:
        session.status_code = 415
        session.closed = session.updated
    assert session.valid_until is not None
    return json_response({"referenceNumber": session.reference, "validUntil": iso(session.valid_until)}, 201)


def _own_open_session(ctx: Ctx, verb: str) -> Session:
    session = find_session(ctx)
    assert ctx.op is not None
    if session.kind != "Online" or session.opened_by != ctx.op.subject:
        ref = session.reference
        raise ApiError(21173, f"Sesja o numerze referencyjnym {ref} nie została odnaleziona.")
    if session.status_code == 100 and session.valid_until and ctx.now() > session.valid_until:
        session.final_status = 440 if not session.invoices else (200 if session.accepted else 445)
        session.status_code = 170
    if session.status_code != 100:
        raise ApiError(21180, f"Status sesji {session.status_code} uniemożliwia {verb}.")
    return session


@route("POST", "/sessions/online/{referenceNumber}/invoices", permissions=WRITE_PERMS)
async def send_invoice(ctx: Ctx) -> Response:
    data = await ctx.json()
    session = _own_open_session(ctx, "wysyłkę faktur")
    for name in ("invoiceHash", "encryptedInvoiceHash"):
        if not isinstance(data.get(name), str) or len(data[name]) != 44:
            raise validation(f"Pole {name} jest wymagane (SHA-256 w Base64).")
    for name in ("invoiceSize", "encryptedInvoiceSize"):
        if not isinstance(data.get(name), int) or isinstance(data.get(name), bool) or data[name] < 1:
            raise validation(f"Pole {name} jest wymagane (liczba bajtów).")
    content = b64_field(data, "encryptedInvoiceContent")
    assert content is not None
    if len(session.invoices) >= MAX_INVOICES:
        raise ApiError(
            21155,
            f"Sesja o numerze referencyjnym {session.reference} osiągnęła dozwolony limit "
            f"liczby faktur {MAX_INVOICES}.",
        )
    if data["invoiceSize"] > MAX_INVOICE_BYTES:
        raise validation("Rozmiar faktury przekracza 1 MB.")
    if len(content) != data["encryptedInvoiceSize"]:
        raise ApiError(21402, "Długość treści nie zgadza się z rozmiarem pliku.")
    if base64.b64encode(hashlib.sha256(content).digest()).decode() != data["encryptedInvoiceHash"]:
        raise ApiError(21403, "Skrót treści nie zgadza się ze skrótem pliku.")
    try:
        assert session.symmetric_key is not None and session.iv is not None
        xml: bytes | None = aes_cbc_decrypt(session.symmetric_key, session.iv, content)
    except Exception:
        xml = None
    if xml is not None:
        if len(xml) != data["invoiceSize"]:
            raise ApiError(21402, "Długość treści nie zgadza się z rozmiarem pliku.")
        if base64.b64encode(hashlib.sha256(xml).digest()).decode() != data["invoiceHash"]:
            raise ApiError(21403, "Skrót treści nie zgadza się ze skrótem pliku.")
    invoice = receive(ctx.world, session, xml, ctx.now(), offline=bool(data.get("offlineMode", False)))
    if xml is None:
        invoice.fake_hash = data["invoiceHash"]
    return json_response({"referenceNumber": invoice.reference}, 202)


def close(ctx: Ctx, session: Session, *, processing_code: int) -> None:
    """Closing starts processing: the session reports `processing_code` for a few polls (faults.py)."""
    now = ctx.now()
    session.closed = now
    session.updated = now
    if not session.invoices:
        session.status_code = 440
        session.status_details = ["Nie przesłano faktur"]
        return
    session.final_status = 200 if session.accepted else 445
    session.status_code = processing_code
    session.status_polls_after_close = max(0, ctx.faults.close_processing_polls)
    settle(ctx, session, poll=False)


@route("POST", "/sessions/online/{referenceNumber}/close", permissions=WRITE_PERMS)
async def close_online(ctx: Ctx) -> Response:
    session = _own_open_session(ctx, "jej zamknięcie")
    close(ctx, session, processing_code=170)
    return Response(status_code=204)

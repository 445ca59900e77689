"""UPO (Urzędowe Poświadczenie Odbioru, v4-3; API-NOTES §9): tolerant parsing and hash verification.

Tolerant on purpose: the TEST/DEMO issuer name ("Ministerstwo Finansów - środowisko testowe (TE)")
breaks the XSD's fixed value, real UPOs carry a XAdES `ds:Signature` the XSD has no slot for, and
whitespace may wrap values. Elements are matched by local name, so a namespace change or a new
element does not stop the receipt from being read. A UPO is never rejected on XSD grounds.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime

from lxml import etree

from ksef_tui.core.clock import WARSAW
from ksef_tui.core.i18n import _
from ksef_tui.core.xml_safety import UnsafeXml, parse_untrusted

NAMESPACE = "http://upo.schematy.mf.gov.pl/KSeF/v4-3"
PRODUCTION_ISSUER = "Ministerstwo Finansów"
MAX_BYTES = 64 * 1024 * 1024  # 10,000 documents of about 1 KB each, with room to spare

CONTEXT_KINDS = ("Nip", "IdWewnetrzny", "IdZlozonyVatUE", "IdDostawcyUslugPeppol")


class UpoError(ValueError):
    """The bytes are not a readable UPO (not XML, or not a Potwierdzenie)."""


class UpoHashMismatch(UpoError):
    """The UPO's bytes do not match the hash KSeF declared (x-ms-meta-hash)."""


@dataclass(frozen=True)
class UpoDocument:
    seller_nip: str
    ksef_number: str
    invoice_number: str
    issue_date: date | None
    sent_at: datetime | None
    ksef_number_at: datetime | None
    hash: str
    mode: str  # Online | Offline (empty when absent)


@dataclass(frozen=True)
class UpoReceipt:
    issuer: str
    session_reference: str
    context_kind: str  # Nip | IdWewnetrzny | IdZlozonyVatUE | IdDostawcyUslugPeppol
    context_value: str
    auth_kind: str  # "token" (KSeF token reference) | "document" (hash of the signed auth document)
    auth_value: str
    structure: str  # NazwaStrukturyLogicznej, e.g. Schemat_FA(3)_v1-0E.xsd
    form_code: str
    documents: tuple[UpoDocument, ...]
    page: int | None = None
    page_count: int | None = None
    range_from: int | None = None
    range_to: int | None = None
    total_documents: int | None = None
    signed: bool = False  # a ds:Signature is present (not verified here)
    warnings: tuple[str, ...] = field(default=())

    @property
    def is_test_issuer(self) -> bool:
        return self.issuer.strip() != PRODUCTION_ISSUER


def sha256_b64(content: bytes) -> str:
    return base64.b64encode(hashlib.sha256(content).digest()).decode("ascii")


def verify_hash(content: bytes, declared: str | None) -> str:
    """The SHA-256 (base64) of the exact bytes; UpoHashMismatch when KSeF declared another one.
    A missing declaration is accepted (the pre-signed links may omit it) and the digest returned."""
    actual = sha256_b64(content)
    if declared is not None and declared.strip() and declared.strip() != actual:
        raise UpoHashMismatch(_("The UPO does not match the hash KSeF gave for it; it was not saved."))
    return actual


def _local(tag: object) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _child(node: etree._Element | None, name: str) -> etree._Element | None:
    if node is None:
        return None
    for child in node:
        if _local(child.tag) == name:
            return child
    return None


def _text(node: etree._Element | None, name: str) -> str:
    found = _child(node, name)
    return "".join(found.itertext()).strip() if found is not None else ""


def _int(text: str) -> int | None:
    try:
        return int(text)
    except ValueError:
        return None


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text[:10]) if text else None
    except ValueError:
        return None


def _moment(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None
    except ValueError:
        return None


def parse_upo(content: bytes) -> UpoReceipt:
    """Read a UPO; raises UpoError when it is not XML or not a Potwierdzenie."""
    if len(content) > MAX_BYTES:
        raise UpoError(_("The UPO is too large to read."))
    try:
        root = parse_untrusted(content, remove_comments=True)
    except UnsafeXml as exc:
        raise UpoError(exc.message) from None
    except etree.XMLSyntaxError as exc:
        raise UpoError(_("The UPO is not well-formed XML: {error}").format(error=str(exc)[:200])) from None
    if _local(root.tag) != "Potwierdzenie":
        raise UpoError(_("This XML is not a UPO (its root element is not Potwierdzenie)."))
    warnings: list[str] = []
    if etree.QName(root).namespace != NAMESPACE:
        warnings.append(_("Unexpected UPO namespace: {ns}").format(ns=etree.QName(root).namespace or "-"))
    auth = _child(root, "Uwierzytelnienie")
    context = _child(auth, "IdKontekstu")
    context_kind = context_value = ""
    if context is not None:
        for child in context:
            if _local(child.tag):
                context_kind, context_value = _local(child.tag), "".join(child.itertext()).strip()
                break
    token_ref = _text(auth, "NumerReferencyjnyTokenaKSeF")
    doc_hash = _text(auth, "SkrotDokumentuUwierzytelniajacego")
    auth_kind, auth_value = ("token", token_ref) if token_ref else ("document", doc_hash)
    description = _child(root, "OpisPotwierdzenia")
    documents = tuple(
        UpoDocument(
            seller_nip=_text(node, "NipSprzedawcy"),
            ksef_number=_text(node, "NumerKSeFDokumentu"),
            invoice_number=_text(node, "NumerFaktury"),
            issue_date=_date(_text(node, "DataWystawieniaFaktury")),
            sent_at=_moment(_text(node, "DataPrzeslaniaDokumentu")),
            ksef_number_at=_moment(_text(node, "DataNadaniaNumeruKSeF")),
            hash=_text(node, "SkrotDokumentu"),
            mode=_text(node, "TrybWysylki"),
        )
        for node in root
        if _local(node.tag) == "Dokument"
    )
    signed = any(_local(n.tag) == "Signature" for n in root.iter())
    receipt = UpoReceipt(
        issuer=_text(root, "NazwaPodmiotuPrzyjmujacego"),
        session_reference=_text(root, "NumerReferencyjnySesji"),
        context_kind=context_kind,
        context_value=context_value,
        auth_kind=auth_kind,
        auth_value=auth_value,
        structure=_text(root, "NazwaStrukturyLogicznej"),
        form_code=_text(root, "KodFormularza"),
        documents=documents,
        page=_int(_text(description, "Strona")),
        page_count=_int(_text(description, "LiczbaStron")),
        range_from=_int(_text(description, "ZakresDokumentowOd")),
        range_to=_int(_text(description, "ZakresDokumentowDo")),
        total_documents=_int(_text(description, "CalkowitaLiczbaDokumentow")),
        signed=signed,
        warnings=tuple(warnings),
    )
    if not receipt.session_reference:
        raise UpoError(_("The UPO names no session (NumerReferencyjnySesji is missing)."))
    return receipt


def is_upo(data: bytes) -> bool:
    """True when the bytes are XML whose root is a Potwierdzenie: a UPO, not an invoice (`inspect` routes
    it to the UPO viewer). Parsed by the hardened parser; anything unreadable is "not a UPO"."""
    try:
        root = parse_untrusted(data, remove_comments=True)
    except (UnsafeXml, etree.XMLSyntaxError):
        return False
    return _local(root.tag) == "Potwierdzenie"


def _when(moment: datetime | None) -> str:
    return moment.astimezone(WARSAW).strftime("%Y-%m-%d %H:%M:%S") if moment is not None else "—"


def upo_text(receipt: UpoReceipt) -> str:
    """The receipt as plain text (`inspect --format text` of a UPO file), times in Polish time."""
    auth = (
        _("KSeF token {ref}").format(ref=receipt.auth_value)
        if receipt.auth_kind == "token"
        else _("signed document, hash {hash}").format(hash=receipt.auth_value)
    )
    context = "NIP" if receipt.context_kind == "Nip" else receipt.context_kind
    lines = [
        _("UPO — official acknowledgement of receipt"),
        f"{_('Accepted by')}: {receipt.issuer or '—'}",
        f"{_('Session')}: {receipt.session_reference}",
        f"{_('Context')}: {context} {receipt.context_value}".rstrip(),
        f"{_('Authentication')}: {auth}",
        f"{_('Structure')}: {receipt.form_code} · {receipt.structure}",
        f"{_('Documents')}: {receipt.total_documents or len(receipt.documents)}",
    ]
    if receipt.signed:
        lines.append(_("XAdES signature present"))
    lines.extend(receipt.warnings)
    for doc in receipt.documents:
        issued = f"  {_('Seller NIP')}: {doc.seller_nip}  {_('Issued')}: {doc.issue_date or '—'}  {doc.mode}"
        lines += [
            "",
            f"{doc.invoice_number}  {_('KSeF number')}: {doc.ksef_number}",
            issued.rstrip(),
            f"  {_('Sent')}: {_when(doc.sent_at)}  {_('Number given')}: {_when(doc.ksef_number_at)}",
            f"  {_('Hash')}: {doc.hash}",
        ]
    return "\n".join(lines)


def upo_json(receipt: UpoReceipt) -> dict[str, object]:
    """The receipt for `inspect --format json` of a UPO file (dates in ISO 8601, as KSeF gave them)."""

    def plain(value: object) -> object:
        return value.isoformat() if isinstance(value, date | datetime) else value

    out: dict[str, object] = {"kind": "upo"}
    for name in receipt.__dataclass_fields__:
        value = getattr(receipt, name)
        if name == "documents":
            value = [{k: plain(getattr(d, k)) for k in d.__dataclass_fields__} for d in value]
        elif name == "warnings":
            value = list(value)
        out[name] = plain(value)
    return out

"""What KSeF does with one received invoice (API-NOTES §6, `faktury/weryfikacja-faktury.md`).

Checks in KSeF's order: encoding and well-formedness, XSD, permission scope (the seller must be the
context), semantics (issue date not in the future), duplicates on (Podmiot1 NIP, RodzajFaktury, P_2).
An accepted invoice gets a KSeF number and is indexed (it becomes a purchase of its buyer).
"""

from __future__ import annotations

import re
from datetime import date, datetime

from lxml import etree

from ksef_tui.core.clock import WARSAW
from ksef_tui.core.xml_safety import UnsafeXml, parse_untrusted
from ksef_tui.simulator.model import Invoice, Session
from ksef_tui.simulator.refs import ksef_number, reference, sha256_b64
from ksef_tui.simulator.world import World
from ksef_tui.simulator.xsd import fa2_schema, fa3_schema

FA_NAMESPACES = {
    "http://crd.gov.pl/wzor/2025/06/25/13775/": "FA (3)",
    "http://crd.gov.pl/wzor/2023/06/29/12648/": "FA (2)",
}
# Discouraged Unicode ranges KSeF rejects (weryfikacja-faktury.md).
_DISCOURAGED = re.compile("[\x7f-\x84\x86-\x9f\ufdd0-\ufdef]")


class Rejected(Exception):
    def __init__(self, code: int, *details: str, extensions: dict[str, str] | None = None) -> None:
        super().__init__(code, details)
        self.code = code
        self.details = list(details)
        self.extensions = extensions


def _text(root: etree._Element, path: str, ns: str) -> str:
    found = root.find(path.replace("{}", "{" + ns + "}"))
    return (found.text or "").strip() if found is not None else ""


def _check(world: World, session: Session, xml: bytes, now: datetime) -> dict:
    if xml.startswith(b"\xef\xbb\xbf"):
        raise Rejected(430, "Plik faktury zawiera znacznik BOM; wymagane jest kodowanie UTF-8 bez BOM.")
    try:
        text = xml.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Rejected(430, "Nieprawidłowe kodowanie znaków: wymagane jest UTF-8.") from exc
    if _DISCOURAGED.search(text):
        raise Rejected(430, "Plik faktury zawiera niedozwolone znaki Unicode.")
    try:
        root = parse_untrusted(xml)
    except UnsafeXml as exc:
        if exc.code == "not-utf8":
            raise Rejected(430, "Nieprawidłowe kodowanie znaków: wymagane jest UTF-8.") from exc
        raise Rejected(430, f"Nieprawidłowy dokument XML: {exc.message}") from exc
    except etree.XMLSyntaxError as exc:
        raise Rejected(430, f"Nieprawidłowy dokument XML: {exc}") from exc
    if any(
        isinstance(n, etree._ProcessingInstruction) for n in root.itersiblings(preceding=True)
    ) or root.xpath("//processing-instruction()"):
        raise Rejected(430, "Plik faktury nie może zawierać instrukcji przetwarzania.")
    ns = etree.QName(root).namespace or ""
    form = FA_NAMESPACES.get(ns)
    if form is None or form != session.form_code.get("systemCode"):
        raise Rejected(430, f"Dokument nie odpowiada schemie sesji ({session.form_code.get('systemCode')}).")
    schema = fa3_schema() if form == "FA (3)" else fa2_schema()
    if not schema.validate(root):
        raise Rejected(430, *[f"Linia {e.line}: {e.message}" for e in list(schema.error_log)[:5]])
    fields = {
        "seller_nip": _text(root, "{}Podmiot1/{}DaneIdentyfikacyjne/{}NIP", ns),
        "seller_name": _text(root, "{}Podmiot1/{}DaneIdentyfikacyjne/{}Nazwa", ns),
        "buyer_nip": _text(root, "{}Podmiot2/{}DaneIdentyfikacyjne/{}NIP", ns),
        "buyer_name": _text(root, "{}Podmiot2/{}DaneIdentyfikacyjne/{}Nazwa", ns),
        "number": _text(root, "{}Fa/{}P_2", ns),
        "issue": _text(root, "{}Fa/{}P_1", ns),
        "kind": _text(root, "{}Fa/{}RodzajFaktury", ns),
        "currency": _text(root, "{}Fa/{}KodWaluty", ns) or "PLN",
    }
    if fields["seller_nip"] != session.context_nip:
        raise Rejected(
            410,
            f"Podmiot uwierzytelniony w kontekście {session.context_nip} nie może wystawić faktury "
            f"w imieniu sprzedawcy {fields['seller_nip']}.",
        )
    if date.fromisoformat(fields["issue"]) > now.astimezone(WARSAW).date():
        raise Rejected(
            450, "Data wystawienia faktury (P_1) jest późniejsza niż data przyjęcia faktury w KSeF."
        )
    original = world.find_duplicate(fields["seller_nip"], fields["kind"], fields["number"])
    if original is not None:
        raise Rejected(
            440,
            f"Duplikat faktury. Faktura o numerze KSeF: {original.ksef_number} została już prawidłowo "
            f"przesłana do systemu w sesji: {original.session_ref}",
            extensions={
                "originalSessionReferenceNumber": original.session_ref or "",
                "originalKsefNumber": original.ksef_number or "",
            },
        )
    return fields


def receive(
    world: World,
    session: Session,
    xml: bytes | None,
    now: datetime,
    *,
    offline: bool = False,
    file_name: str | None = None,
    failure: Rejected | None = None,
) -> Invoice:
    """Add one invoice to the session and decide its fate (synchronously: status 200 or an error)."""
    rng = world.runtime_rng
    inv = Invoice(
        seller_nip=session.context_nip,
        seller_name="",
        buyer_nip="",
        buyer_name="",
        invoice_number="",
        issue_date=now.astimezone(WARSAW).date(),
        invoicing_date=now,
        session_ref=session.reference,
        reference=reference(rng, now, "EE"),
        ordinal=len(session.invoices) + 1,
        invoicing_mode="Offline" if offline else "Online",
        file_name=file_name,
    )
    session.invoices.append(inv)
    session.updated = now
    if failure is None and xml is not None:
        try:
            fields = _check(world, session, xml, now)
        except Rejected as exc:
            failure = exc
    if failure is not None or xml is None:
        failure = failure or Rejected(435, "Nie udało się odszyfrować pliku faktury.")
        inv.status_code = failure.code
        inv.status_details = failure.details
        inv.status_extensions = failure.extensions
        inv.fake_hash = sha256_b64(xml or b"")
        return inv
    inv.seller_name = fields["seller_name"]
    inv.buyer_nip = fields["buyer_nip"]
    inv.buyer_name = fields["buyer_name"]
    inv.invoice_number = fields["number"]
    inv.issue_date = date.fromisoformat(fields["issue"])
    inv.kind = fields["kind"]
    inv.currency = fields["currency"]
    inv._body = xml
    inv.acquisition_date = now
    inv.permanent_storage_date = now
    inv.ksef_number = ksef_number(rng, inv.seller_nip, now.astimezone(WARSAW))
    inv.status_code = 200
    tp = world.taxpayer(session.context_nip)
    if tp is not None:
        tp.invoices.append(inv)
    world.register_invoice(inv)
    return inv

"""UPO (Urzędowe Poświadczenie Odbioru) documents, v4-3 (API-NOTES §9).

Built from the session's accepted invoices; valid against ksef_tui/resources/schemas/UPO/upo-v4-3.xsd
with the production issuer name (TE/DEMO add an environment suffix, which that XSD's `fixed`
value rejects: `issuer=` lets a test reproduce that variant). Real UPOs are also XAdES-signed by the
ministry; the XSD has no slot for that, and neither do we.
"""

from __future__ import annotations

import random
from datetime import datetime
from xml.sax.saxutils import escape

from ksef_tui.core.clock import WARSAW
from ksef_tui.simulator.model import Invoice, Session, UpoPage
from ksef_tui.simulator.refs import reference

NS = "http://upo.schematy.mf.gov.pl/KSeF/v4-3"
ISSUER = "Ministerstwo Finansów"
ISSUER_TE = "Ministerstwo Finansów - środowisko testowe (TE)"
PAGE_SIZE = 10_000


def _ts(dt: datetime) -> str:
    return dt.astimezone(WARSAW).isoformat(timespec="milliseconds")


def _auth(session: Session) -> str:
    if session.auth_token_ref:
        proof = f"<NumerReferencyjnyTokenaKSeF>{session.auth_token_ref}</NumerReferencyjnyTokenaKSeF>"
    else:
        tag = "SkrotDokumentuUwierzytelniajacego"
        proof = f"<{tag}>{session.auth_document_hash}</{tag}>"
    return (
        "\t<Uwierzytelnienie>\n"
        f"\t\t<IdKontekstu>\n\t\t\t<Nip>{session.context_nip}</Nip>\n\t\t</IdKontekstu>\n"
        f"\t\t{proof}\n"
        "\t</Uwierzytelnienie>\n"
    )


def _document(inv: Invoice) -> str:
    assert inv.ksef_number and inv.acquisition_date
    return (
        "\t<Dokument>\n"
        f"\t\t<NipSprzedawcy>{inv.seller_nip}</NipSprzedawcy>\n"
        f"\t\t<NumerKSeFDokumentu>{inv.ksef_number}</NumerKSeFDokumentu>\n"
        f"\t\t<NumerFaktury>{escape(inv.invoice_number)}</NumerFaktury>\n"
        f"\t\t<DataWystawieniaFaktury>{inv.issue_date.isoformat()}</DataWystawieniaFaktury>\n"
        f"\t\t<DataPrzeslaniaDokumentu>{_ts(inv.invoicing_date)}</DataPrzeslaniaDokumentu>\n"
        f"\t\t<DataNadaniaNumeruKSeF>{_ts(inv.acquisition_date)}</DataNadaniaNumeruKSeF>\n"
        f"\t\t<SkrotDokumentu>{inv.hash}</SkrotDokumentu>\n"
        f"\t\t<TrybWysylki>{inv.invoicing_mode}</TrybWysylki>\n"
        "\t</Dokument>\n"
    )


def _form(session: Session) -> tuple[str, str]:
    code = session.form_code.get("systemCode", "FA (3)")
    version = session.form_code.get("schemaVersion", "1-0E")
    digit = code.split("(")[-1].rstrip(")").strip() if "(" in code else "3"
    return f"Schemat_FA({digit})_v{version}.xsd", code


def _wrap(session: Session, body: tuple[str, str], issuer: str) -> bytes:
    structure, form = _form(session)
    xml = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        f'<Potwierdzenie xmlns="{NS}">\n'
        f"\t<NazwaPodmiotuPrzyjmujacego>{escape(issuer)}</NazwaPodmiotuPrzyjmujacego>\n"
        f"\t<NumerReferencyjnySesji>{session.reference}</NumerReferencyjnySesji>\n"
        f"{_auth(session)}"
        f"{body[0]}"
        f"\t<NazwaStrukturyLogicznej>{structure}</NazwaStrukturyLogicznej>\n"
        f"\t<KodFormularza>{escape(form)}</KodFormularza>\n"
        f"{body[1]}"
        "</Potwierdzenie>"
    )
    return xml.encode("utf-8")


def session_upo(session: Session, page: UpoPage, issuer: str = ISSUER) -> bytes:
    if page._xml is None or issuer != ISSUER:
        accepted = session.accepted
        pages = len(session.upo_pages)
        number = session.upo_pages.index(page) + 1
        description = (
            "\t<OpisPotwierdzenia>\n"
            f"\t\t<Strona>{number}</Strona>\n"
            f"\t\t<LiczbaStron>{pages}</LiczbaStron>\n"
            f"\t\t<ZakresDokumentowOd>{page.first}</ZakresDokumentowOd>\n"
            f"\t\t<ZakresDokumentowDo>{page.last}</ZakresDokumentowDo>\n"
            f"\t\t<CalkowitaLiczbaDokumentow>{len(accepted)}</CalkowitaLiczbaDokumentow>\n"
            "\t</OpisPotwierdzenia>\n"
        )
        docs = "".join(_document(i) for i in accepted[page.first - 1 : page.last])
        xml = _wrap(session, (description, docs), issuer)
        if issuer != ISSUER:
            return xml
        page._xml = xml
    return page._xml


def invoice_upo(session: Session, invoice: Invoice, issuer: str = ISSUER) -> bytes:
    return _wrap(session, ("", _document(invoice)), issuer)


def make_pages(session: Session, rng: random.Random) -> list[UpoPage]:
    n = len(session.accepted)
    return [
        UpoPage(reference(rng, session.updated, "EU"), first, min(first + PAGE_SIZE - 1, n))
        for first in range(1, n + 1, PAGE_SIZE)
    ]

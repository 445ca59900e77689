"""FA(2)/FA(3) XML -> `Invoice`.

The parser is lenient on purpose: structure is the XSD's business (see `xsd.py`), so a missing or
unreadable field becomes `None` plus a finding, and the inspector can still show everything else.
Only a document that is not an FA(2)/FA(3) invoice at all raises `FaParseError`.

Speed matters (thousands of invoices per sync), so each element's children are indexed once by local
name instead of running many `find()` calls, and values are converted with precompiled regexes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from lxml import etree

from ksef_tui.core.fa.findings import FaParseError, Finding, error
from ksef_tui.core.fa.model import (
    VAT_FIELDS,
    Address,
    Adjustment,
    AdvanceInvoiceRef,
    Advances,
    Annotations,
    AttachmentBlock,
    AttachmentTable,
    BankAccount,
    CorrectedInvoice,
    Correction,
    DueDate,
    Exemption,
    Footer,
    FormCode,
    Header,
    Invoice,
    InvoiceLine,
    NewVehicle,
    Order,
    OrderLine,
    PartialAdvance,
    PartialPayment,
    Party,
    Payment,
    Registry,
    Settlement,
    TransactionTerms,
    VatRateSummary,
)
from ksef_tui.core.fa.secure_xml import DEFAULT_MAX_BYTES, parse_xml
from ksef_tui.core.i18n import _

NS_FA3 = "http://crd.gov.pl/wzor/2025/06/25/13775/"
NS_FA2 = "http://crd.gov.pl/wzor/2023/06/29/12648/"
NS_FA1 = "http://crd.gov.pl/wzor/2021/11/29/11089/"
FORMS: dict[str, FormCode] = {NS_FA3: FormCode.FA3, NS_FA2: FormCode.FA2}

# Lenient versions of the XSD's number and date lexical spaces. Anything else (NaN, exponents,
# 10,50) is refused here so Decimal never sees it: "1e999999" would make later arithmetic explode.
_NUMBER = re.compile(r"-?\d{1,24}(?:\.\d{1,12})?")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_INT = re.compile(r"\d{1,9}")

Element = etree._Element


@dataclass(slots=True)
class ParseResult:
    """A parsed invoice, the tree it came from (for XSD validation) and what the parser noticed."""

    invoice: Invoice
    root: Element
    problems: list[Finding] = field(default_factory=list)


class _Reader:
    """Converts values of one document, collecting findings instead of raising."""

    __slots__ = ("n", "ns", "problems")

    def __init__(self, ns: str) -> None:
        self.ns = "{" + ns + "}"
        self.n = len(self.ns)
        self.problems: list[Finding] = []

    # -- indexing ---------------------------------------------------------------------------------
    def first(self, el: Element | None) -> dict[str, Element]:
        """Children by local name, first occurrence wins (foreign or non-element nodes skipped)."""
        out: dict[str, Element] = {}
        if el is None:
            return out
        ns, n = self.ns, self.n
        for child in el:
            tag = child.tag
            if isinstance(tag, str) and tag.startswith(ns):
                out.setdefault(tag[n:], child)
        return out

    def group(self, el: Element | None) -> dict[str, list[Element]]:
        """Children by local name, all occurrences in document order."""
        out: dict[str, list[Element]] = {}
        if el is None:
            return out
        ns, n = self.ns, self.n
        for child in el:
            tag = child.tag
            if isinstance(tag, str) and tag.startswith(ns):
                out.setdefault(tag[n:], []).append(child)
        return out

    # -- values -----------------------------------------------------------------------------------
    @staticmethod
    def text(el: Element | None) -> str | None:
        if el is None:
            return None
        value = el.text
        if value is None:
            return None
        value = value.strip()
        return value or None

    def dec(self, el: Element | None) -> Decimal | None:
        value = self.text(el)
        if value is None:
            return None
        if _NUMBER.fullmatch(value) is None:
            self.problems.append(
                error(
                    "bad-number",
                    _("{field}: '{value}' is not a number.").format(field=_local(el), value=value[:40]),
                    el.sourceline if el is not None else None,
                )
            )
            return None
        return Decimal(value)

    def day(self, el: Element | None) -> date | None:
        value = self.text(el)
        if value is None:
            return None
        if _DATE.fullmatch(value) is not None:
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.problems.append(
            error(
                "bad-date",
                _("{field}: '{value}' is not a date (YYYY-MM-DD).").format(
                    field=_local(el), value=value[:40]
                ),
                el.sourceline if el is not None else None,
            )
        )
        return None

    def integer(self, el: Element | None) -> int | None:
        value = self.text(el)
        if value is None or _INT.fullmatch(value) is None:
            return None
        return int(value)

    def flag12(self, el: Element | None) -> bool | None:
        """TWybor1_2: 1 = yes, 2 = no."""
        value = self.text(el)
        return True if value == "1" else False if value == "2" else None

    def flag1(self, el: Element | None) -> bool:
        """TWybor1: present with 1 = yes."""
        return self.text(el) == "1"


def _local(el: Element | None) -> str:
    if el is None or not isinstance(el.tag, str):
        return "?"
    return el.tag.rpartition("}")[2]


# ------------------------------------------------------------------------------------------------
# entry points


def detect_form(root: Element) -> FormCode:
    """The form from the root namespace, or FaParseError for anything that is not FA(2)/FA(3)."""
    tag = root.tag if isinstance(root.tag, str) else ""
    ns, _sep, local = tag[1:].partition("}") if tag.startswith("{") else ("", "", tag)
    if local == "Faktura" and ns in FORMS:
        return FORMS[ns]
    if ns == NS_FA1:
        raise FaParseError(
            "fa1-unsupported",
            _("This is an FA(1) invoice (namespace {ns}); only FA(2) and FA(3) are supported.").format(ns=ns),
            root.sourceline,
        )
    if local == "Faktura":
        raise FaParseError(
            "unknown-namespace",
            _("Unknown invoice namespace '{ns}'; expected FA(3) ({fa3}) or FA(2) ({fa2}).").format(
                ns=ns or "-", fa3=NS_FA3, fa2=NS_FA2
            ),
            root.sourceline,
        )
    raise FaParseError(
        "not-an-invoice",
        _("This is not an FA invoice: the root element is '{tag}', expected 'Faktura'.").format(
            tag=local or "?"
        ),
        root.sourceline,
    )


def parse_invoice(data: bytes, *, max_bytes: int = DEFAULT_MAX_BYTES) -> ParseResult:
    """Parse FA(2)/FA(3) bytes. Raises only FaParseError."""
    root = parse_xml(data, max_bytes=max_bytes)
    return parse_tree(root)


def parse_tree(root: Element) -> ParseResult:
    form = detect_form(root)
    ns = etree.QName(root).namespace or ""  # detect_form accepted a namespaced root
    r = _Reader(ns)
    top = r.group(root)
    invoice = _invoice(r, form, ns, top)
    return ParseResult(invoice=invoice, root=root, problems=r.problems)


# ------------------------------------------------------------------------------------------------
# sections


def _one(groups: dict[str, list[Element]], name: str) -> Element | None:
    items = groups.get(name)
    return items[0] if items else None


def _header(r: _Reader, form: FormCode, el: Element | None) -> Header:
    f = r.first(el)
    code = f.get("KodFormularza")
    return Header(
        form=form,
        schema_version=code.get("wersjaSchemy") if code is not None else None,
        variant=r.integer(f.get("WariantFormularza")),
        created_at=r.text(f.get("DataWytworzeniaFa")),
        system_info=r.text(f.get("SystemInfo")),
    )


def _address(r: _Reader, el: Element | None) -> Address | None:
    if el is None:
        return None
    f = r.first(el)
    return Address(
        country=r.text(f.get("KodKraju")),
        line1=r.text(f.get("AdresL1")),
        line2=r.text(f.get("AdresL2")),
        gln=r.text(f.get("GLN")),
    )


def _party(r: _Reader, el: Element | None) -> Party | None:
    if el is None:
        return None
    g = r.group(el)
    ident = r.first(_one(g, "DaneIdentyfikacyjne"))
    emails: list[str] = []
    phones: list[str] = []
    for contact in g.get("DaneKontaktowe", ()):
        for child in contact:
            tag = child.tag
            if not isinstance(tag, str):
                continue
            value = r.text(child)
            if value is None:
                continue
            if tag.endswith(("}Email", "}EmailPU")):
                emails.append(value)
            elif tag.endswith(("}Telefon", "}TelefonPU")):
                phones.append(value)
    role_el = _one(g, "Rola")
    if role_el is None:  # lxml elements are falsy when childless: compare with None, never `or`
        role_el = _one(g, "RolaPU")
    return Party(
        name=r.text(ident.get("Nazwa")),
        nip=r.text(ident.get("NIP")),
        eu_code=r.text(ident.get("KodUE")),
        eu_vat_number=r.text(ident.get("NrVatUE")),
        country_code=r.text(ident.get("KodKraju")),
        foreign_id=r.text(ident.get("NrID")),
        internal_id=r.text(ident.get("IDWew")),
        no_id=r.flag1(ident.get("BrakID")),
        vat_prefix=r.text(_one(g, "PrefiksPodatnika")),
        eori=r.text(_one(g, "NrEORI")),
        address=_address(r, _one(g, "Adres")),
        correspondence_address=_address(r, _one(g, "AdresKoresp")),
        emails=tuple(emails),
        phones=tuple(phones),
        customer_number=r.text(_one(g, "NrKlienta")),
        buyer_id=r.text(_one(g, "IDNabywcy")),
        jst=r.flag12(_one(g, "JST")),
        gv=r.flag12(_one(g, "GV")),
        role=r.text(role_el),
        role_other=r.text(_one(g, "OpisRoli")),
        share=r.dec(_one(g, "Udzial")),
        taxpayer_status=r.text(_one(g, "StatusInfoPodatnika")),
        line=el.sourceline,
    )


def _line(r: _Reader, el: Element) -> InvoiceLine:
    f = r.first(el)
    get = f.get
    return InvoiceLine(
        number=r.integer(get("NrWierszaFa")),
        uuid=r.text(get("UU_ID")),
        sale_date=r.day(get("P_6A")),
        name=r.text(get("P_7")),
        index=r.text(get("Indeks")),
        gtin=r.text(get("GTIN")),
        pkwiu=r.text(get("PKWiU")),
        cn=r.text(get("CN")),
        pkob=r.text(get("PKOB")),
        unit=r.text(get("P_8A")),
        quantity=r.dec(get("P_8B")),
        unit_net_price=r.dec(get("P_9A")),
        unit_gross_price=r.dec(get("P_9B")),
        discount=r.dec(get("P_10")),
        net=r.dec(get("P_11")),
        gross=r.dec(get("P_11A")),
        vat=r.dec(get("P_11Vat")),
        rate=r.text(get("P_12")),
        oss_rate=r.dec(get("P_12_XII")),
        annex15=r.flag1(get("P_12_Zal_15")),
        excise=r.dec(get("KwotaAkcyzy")),
        gtu=r.text(get("GTU")),
        procedure=r.text(get("Procedura")),
        exchange_rate=r.dec(get("KursWaluty")),
        before_correction=r.flag1(get("StanPrzed")),
        line=el.sourceline,
    )


def _order(r: _Reader, el: Element | None) -> Order | None:
    if el is None:
        return None
    g = r.group(el)
    lines = []
    for row in g.get("ZamowienieWiersz", ()):
        f = r.first(row)
        get = f.get
        lines.append(
            OrderLine(
                number=r.integer(get("NrWierszaZam")),
                uuid=r.text(get("UU_IDZ")),
                name=r.text(get("P_7Z")),
                index=r.text(get("IndeksZ")),
                gtin=r.text(get("GTINZ")),
                pkwiu=r.text(get("PKWiUZ")),
                cn=r.text(get("CNZ")),
                pkob=r.text(get("PKOBZ")),
                unit=r.text(get("P_8AZ")),
                quantity=r.dec(get("P_8BZ")),
                unit_net_price=r.dec(get("P_9AZ")),
                net=r.dec(get("P_11NettoZ")),
                vat=r.dec(get("P_11VatZ")),
                rate=r.text(get("P_12Z")),
                oss_rate=r.dec(get("P_12Z_XII")),
                annex15=r.flag1(get("P_12Z_Zal_15")),
                gtu=r.text(get("GTUZ")),
                procedure=r.text(get("ProceduraZ")),
                excise=r.dec(get("KwotaAkcyzyZ")),
                before_correction=r.flag1(get("StanPrzedZ")),
                line=row.sourceline,
            )
        )
    return Order(value=r.dec(_one(g, "WartoscZamowienia")), lines=tuple(lines), line=el.sourceline)


_MARGIN = {"P_PMarzy_2": "travel", "P_PMarzy_3_1": "used", "P_PMarzy_3_2": "art", "P_PMarzy_3_3": "antiques"}


def _annotations(r: _Reader, el: Element | None) -> Annotations:
    if el is None:
        return Annotations()
    f = r.first(el)
    exemption = None
    zw = r.first(f.get("Zwolnienie"))
    if zw:
        basis = basis_kind = None
        for kind in ("A", "B", "C"):
            value = r.text(zw.get(f"P_19{kind}"))
            if value is not None:
                basis, basis_kind = value, kind
                break
        exemption = Exemption(applies=r.flag1(zw.get("P_19")), basis=basis, basis_kind=basis_kind)
    nst = r.group(f.get("NoweSrodkiTransportu"))
    vehicles = []
    for vehicle in nst.get("NowySrodekTransportu", ()):
        vf = r.first(vehicle)
        details = tuple(
            (name, value)
            for name, child in vf.items()
            if name not in ("P_22A", "P_NrWierszaNST") and (value := r.text(child)) is not None
        )
        vehicles.append(
            NewVehicle(
                first_use=r.day(vf.get("P_22A")),
                line_number=r.integer(vf.get("P_NrWierszaNST")),
                details=details,
            )
        )
    new_transport: bool | None = None
    if nst:
        new_transport = r.flag1(_one(nst, "P_22")) or bool(vehicles)
        if _one(nst, "P_22N") is not None:
            new_transport = False
    margin_el = r.first(f.get("PMarzy"))
    margin: bool | None = None
    scheme = None
    if margin_el:
        for name, label in _MARGIN.items():
            if r.flag1(margin_el.get(name)):
                scheme = label
        margin = r.flag1(margin_el.get("P_PMarzy")) or scheme is not None
        if margin_el.get("P_PMarzyN") is not None:
            margin = False
    return Annotations(
        cash_method=r.flag12(f.get("P_16")),
        self_billing=r.flag12(f.get("P_17")),
        reverse_charge=r.flag12(f.get("P_18")),
        split_payment=r.flag12(f.get("P_18A")),
        exemption=exemption,
        new_transport=new_transport,
        new_transport_art42_5=r.flag12(_one(nst, "P_42_5")),
        new_vehicles=tuple(vehicles),
        triangular_simplified=r.flag12(f.get("P_23")),
        margin=margin,
        margin_scheme=scheme,
    )


def _correction(r: _Reader, fa: dict[str, list[Element]]) -> Correction | None:
    corrected = []
    for item in fa.get("DaneFaKorygowanej", ()):
        f = r.first(item)
        corrected.append(
            CorrectedInvoice(
                issue_date=r.day(f.get("DataWystFaKorygowanej")),
                number=r.text(f.get("NrFaKorygowanej")),
                ksef_number=r.text(f.get("NrKSeFFaKorygowanej")),
                outside_ksef=r.flag1(f.get("NrKSeFN")),
                line=item.sourceline,
            )
        )
    reason = r.text(_one(fa, "PrzyczynaKorekty"))
    ctype = r.text(_one(fa, "TypKorekty"))
    seller_before = _party(r, _one(fa, "Podmiot1K"))
    buyers_before = tuple(p for el in fa.get("Podmiot2K", ()) if (p := _party(r, el)) is not None)
    if not (corrected or reason or ctype or seller_before or buyers_before):
        return None
    return Correction(
        reason=reason,
        type=ctype,
        corrected=tuple(corrected),
        period=r.text(_one(fa, "OkresFaKorygowanej")),
        corrected_number=r.text(_one(fa, "NrFaKorygowany")),
        seller_before=seller_before,
        buyers_before=buyers_before,
    )


def _advances(r: _Reader, fa: dict[str, list[Element]]) -> Advances:
    refs = []
    for item in fa.get("FakturaZaliczkowa", ()):
        f = r.first(item)
        refs.append(
            AdvanceInvoiceRef(
                number=r.text(f.get("NrFaZaliczkowej")),
                ksef_number=r.text(f.get("NrKSeFFaZaliczkowej")),
                outside_ksef=r.flag1(f.get("NrKSeFZN")),
                line=item.sourceline,
            )
        )
    partial = []
    for item in fa.get("ZaliczkaCzesciowa", ()):
        f = r.first(item)
        partial.append(
            PartialAdvance(
                date=r.day(f.get("P_6Z")),
                amount=r.dec(f.get("P_15Z")),
                exchange_rate=r.dec(f.get("KursWalutyZW")),
            )
        )
    return Advances(
        advance_invoices=tuple(refs),
        partial_advances=tuple(partial),
        gross_before_correction=r.dec(_one(fa, "P_15ZK")),
        exchange_rate_before_correction=r.dec(_one(fa, "KursWalutyZK")),
    )


def _adjustments(r: _Reader, items: list[Element]) -> tuple[Adjustment, ...]:
    out = []
    for item in items:
        f = r.first(item)
        out.append(Adjustment(amount=r.dec(f.get("Kwota")), reason=r.text(f.get("Powod"))))
    return tuple(out)


def _settlement(r: _Reader, el: Element | None) -> Settlement | None:
    if el is None:
        return None
    g = r.group(el)
    return Settlement(
        charges=_adjustments(r, g.get("Obciazenia", [])),
        charges_total=r.dec(_one(g, "SumaObciazen")),
        deductions=_adjustments(r, g.get("Odliczenia", [])),
        deductions_total=r.dec(_one(g, "SumaOdliczen")),
        to_pay=r.dec(_one(g, "DoZaplaty")),
        to_settle=r.dec(_one(g, "DoRozliczenia")),
        line=el.sourceline,
    )


def _account(r: _Reader, el: Element, factor: bool) -> BankAccount:
    f = r.first(el)
    return BankAccount(
        number=r.text(f.get("NrRB")),
        swift=r.text(f.get("SWIFT")),
        own_bank_account=r.text(f.get("RachunekWlasnyBanku")),
        bank_name=r.text(f.get("NazwaBanku")),
        description=r.text(f.get("OpisRachunku")),
        factor=factor,
    )


def _payment(r: _Reader, el: Element | None) -> Payment | None:
    if el is None:
        return None
    g = r.group(el)
    due = []
    for item in g.get("TerminPlatnosci", ()):
        f = r.first(item)
        desc = None
        opis = r.first(f.get("TerminOpis"))
        if opis:
            # FA(3) splits the description (14 / dni / od doręczenia); FA(2) has it as text.
            desc = " ".join(
                x for x in (r.text(opis.get(k)) for k in ("Ilosc", "Jednostka", "ZdarzeniePoczatkowe")) if x
            )
        elif f.get("TerminOpis") is not None:
            desc = r.text(f.get("TerminOpis"))
        due.append(DueDate(date=r.day(f.get("Termin")), description=desc or None))
    partial = []
    for item in g.get("ZaplataCzesciowa", ()):
        f = r.first(item)
        partial.append(
            PartialPayment(
                amount=r.dec(f.get("KwotaZaplatyCzesciowej")),
                date=r.day(f.get("DataZaplatyCzesciowej")),
                form=r.text(f.get("FormaPlatnosci")),
                description=r.text(f.get("OpisPlatnosci")),
            )
        )
    accounts = [_account(r, a, False) for a in g.get("RachunekBankowy", ())]
    accounts += [_account(r, a, True) for a in g.get("RachunekBankowyFaktora", ())]
    skonto = r.first(_one(g, "Skonto"))
    return Payment(
        paid=r.flag1(_one(g, "Zaplacono")),
        paid_date=r.day(_one(g, "DataZaplaty")),
        partly_paid=r.text(_one(g, "ZnacznikZaplatyCzesciowej")),
        partial_payments=tuple(partial),
        due_dates=tuple(due),
        form=r.text(_one(g, "FormaPlatnosci")),
        other_form=r.text(_one(g, "OpisPlatnosci")),
        bank_accounts=tuple(accounts),
        discount_terms=r.text(skonto.get("WarunkiSkonta")),
        discount_amount=r.text(skonto.get("WysokoscSkonta")),
        link=r.text(_one(g, "LinkDoPlatnosci")),
        ipksef=r.text(_one(g, "IPKSeF")),
        line=el.sourceline,
    )


def _dated_pairs(r: _Reader, items: list[Element], date_name: str, no_name: str) -> tuple[Any, ...]:
    out = []
    for item in items:
        f = r.first(item)
        out.append((r.day(f.get(date_name)), r.text(f.get(no_name))))
    return tuple(out)


def _terms(r: _Reader, el: Element | None) -> TransactionTerms | None:
    if el is None:
        return None
    g = r.group(el)
    return TransactionTerms(
        contracts=_dated_pairs(r, g.get("Umowy", []), "DataUmowy", "NrUmowy"),
        orders=_dated_pairs(r, g.get("Zamowienia", []), "DataZamowienia", "NrZamowienia"),
        batch_numbers=tuple(t for e in g.get("NrPartiiTowaru", ()) if (t := r.text(e))),
        delivery_terms=r.text(_one(g, "WarunkiDostawy")),
        contract_rate=r.dec(_one(g, "KursUmowny")),
        contract_currency=r.text(_one(g, "WalutaUmowna")),
        transport_count=len(g.get("Transport", ())),
        intermediary=r.flag1(_one(g, "PodmiotPosredniczacy")),
    )


def _footer(r: _Reader, el: Element | None) -> Footer | None:
    if el is None:
        return None
    g = r.group(el)
    info = tuple(t for e in g.get("Informacje", ()) if (t := r.text(r.first(e).get("StopkaFaktury"))))
    regs = []
    for e in g.get("Rejestry", ()):
        f = r.first(e)
        regs.append(
            Registry(
                full_name=r.text(f.get("PelnaNazwa")),
                krs=r.text(f.get("KRS")),
                regon=r.text(f.get("REGON")),
                bdo=r.text(f.get("BDO")),
            )
        )
    return Footer(info=info, registries=tuple(regs))


def _pairs(r: _Reader, items: list[Element], key: str, value: str) -> tuple[tuple[str, str], ...]:
    out = []
    for item in items:
        f = r.first(item)
        out.append((r.text(f.get(key)) or "", r.text(f.get(value)) or ""))
    return tuple(out)


def _attachment(r: _Reader, el: Element | None) -> tuple[AttachmentBlock, ...]:
    if el is None:
        return ()
    blocks = []
    for block in r.group(el).get("BlokDanych", ()):
        g = r.group(block)
        paragraphs = tuple(
            t for tekst in g.get("Tekst", ()) for a in r.group(tekst).get("Akapit", ()) if (t := r.text(a))
        )
        tables = []
        for table in g.get("Tabela", ()):
            tg = r.group(table)
            head = r.group(_one(tg, "TNaglowek"))
            columns = tuple(r.text(r.first(k).get("NKom")) or "" for k in head.get("Kol", ()))
            rows = tuple(
                tuple(r.text(c) or "" for c in r.group(w).get("WKom", ())) for w in tg.get("Wiersz", ())
            )
            sums = tuple(r.text(c) or "" for c in r.group(_one(tg, "Suma")).get("SKom", ()))
            tables.append(
                AttachmentTable(
                    description=r.text(_one(tg, "Opis")),
                    metadata=_pairs(r, tg.get("TMetaDane", []), "TKlucz", "TWartosc"),
                    columns=columns,
                    rows=rows,
                    sums=sums,
                )
            )
        blocks.append(
            AttachmentBlock(
                heading=r.text(_one(g, "ZNaglowek")),
                metadata=_pairs(r, g.get("MetaDane", []), "ZKlucz", "ZWartosc"),
                paragraphs=paragraphs,
                tables=tuple(tables),
            )
        )
    return tuple(blocks)


def _invoice(r: _Reader, form: FormCode, ns: str, top: dict[str, list[Element]]) -> Invoice:
    fa_el = _one(top, "Fa")
    fa = r.group(fa_el)
    sourcelines = {name: items[0].sourceline for name, items in fa.items() if items[0].sourceline}

    amounts: dict[str, Decimal] = {}
    vat_rates = []
    for vf in VAT_FIELDS:
        values = []
        for name in (vf.net, vf.vat, vf.vat_pln):
            value = r.dec(_one(fa, name)) if name is not None else None
            if value is not None and name is not None:
                amounts[name] = value
            values.append(value)
        if any(v is not None for v in values):
            vat_rates.append(
                VatRateSummary(
                    code=vf.code,
                    label=vf.label,
                    net=values[0],
                    vat=values[1],
                    vat_pln=values[2],
                    line=sourcelines.get(vf.net),
                )
            )

    period = None
    okres = _one(fa, "OkresFa")
    if okres is not None:
        of = r.first(okres)
        period = (r.day(of.get("P_6_Od")), r.day(of.get("P_6_Do")))

    return Invoice(
        header=_header(r, form, _one(top, "Naglowek")),
        namespace=ns,
        kind=r.text(_one(fa, "RodzajFaktury")),
        number=r.text(_one(fa, "P_2")),
        issue_date=r.day(_one(fa, "P_1")),
        issue_place=r.text(_one(fa, "P_1M")),
        sale_date=r.day(_one(fa, "P_6")),
        sale_period=period,
        currency=r.text(_one(fa, "KodWaluty")),
        exchange_rate=r.dec(_one(fa, "KursWalutyZ")),
        seller=_party(r, _one(top, "Podmiot1")),
        buyer=_party(r, _one(top, "Podmiot2")),
        third_parties=tuple(p for el in top.get("Podmiot3", ()) if (p := _party(r, el)) is not None),
        authorised=_party(r, _one(top, "PodmiotUpowazniony")),
        amounts=amounts,
        vat_rates=tuple(vat_rates),
        gross=r.dec(_one(fa, "P_15")),
        annotations=_annotations(r, _one(fa, "Adnotacje")),
        correction=_correction(r, fa),
        advances=_advances(r, fa),
        lines=tuple(_line(r, el) for el in fa.get("FaWiersz", ())),
        order=_order(r, _one(fa, "Zamowienie")),
        settlement=_settlement(r, _one(fa, "Rozliczenie")),
        payment=_payment(r, _one(fa, "Platnosc")),
        terms=_terms(r, _one(fa, "WarunkiTransakcji")),
        descriptions=_pairs(r, fa.get("DodatkowyOpis", []), "Klucz", "Wartosc"),
        wz=tuple(t for e in fa.get("WZ", ()) if (t := r.text(e))),
        fp=r.flag1(_one(fa, "FP")),
        tp=r.flag1(_one(fa, "TP")),
        excise_refund=r.flag1(_one(fa, "ZwrotAkcyzy")),
        footer=_footer(r, _one(top, "Stopka")),
        attachment=_attachment(r, _one(top, "Zalacznik")),
        sourcelines=sourcelines,
    )

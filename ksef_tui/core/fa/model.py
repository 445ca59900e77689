"""The typed invoice model shared by FA(2) and FA(3).

Every value the XML may omit (or the parser could not read) is `None`; amounts are `Decimal`, dates
`datetime.date`. The model is deliberately rich: the inspector screen builds its Summary, Lines, VAT,
Payment, Parties, Checks and XML tabs from it without touching the XML again. `line` attributes hold the
XML source line so findings and the UI can point at the place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from ksef_tui.core.i18n import N_


class FormCode(StrEnum):
    FA2 = "FA (2)"
    FA3 = "FA (3)"


class InvoiceKind(StrEnum):
    VAT = "VAT"
    KOR = "KOR"
    ZAL = "ZAL"
    ROZ = "ROZ"
    UPR = "UPR"
    KOR_ZAL = "KOR_ZAL"
    KOR_ROZ = "KOR_ROZ"


KIND_LABELS: dict[str, str] = {
    "VAT": N_("basic invoice"),
    "KOR": N_("correcting invoice"),
    "ZAL": N_("advance payment invoice"),
    "ROZ": N_("settlement invoice (after advances)"),
    "UPR": N_("simplified invoice"),
    "KOR_ZAL": N_("correction of an advance payment invoice"),
    "KOR_ROZ": N_("correction of a settlement invoice"),
}

CORRECTION_KINDS = frozenset({"KOR", "KOR_ZAL", "KOR_ROZ"})
ADVANCE_KINDS = frozenset({"ZAL", "KOR_ZAL"})
SETTLEMENT_KINDS = frozenset({"ROZ", "KOR_ROZ"})

# Podmiot3/Rola (TRolaPodmiotu3).
THIRD_PARTY_ROLES: dict[str, str] = {
    "1": N_("factor"),
    "2": N_("recipient"),
    "3": N_("original entity"),
    "4": N_("additional buyer"),
    "5": N_("invoice issuer"),
    "6": N_("payer"),
    "7": N_("local government unit – issuer"),
    "8": N_("local government unit – recipient"),
    "9": N_("VAT group member – issuer"),
    "10": N_("VAT group member – recipient"),
    "11": N_("employee"),
}

AUTHORISED_ROLES: dict[str, str] = {
    "1": N_("enforcement authority"),
    "2": N_("court bailiff"),
    "3": N_("tax representative"),
}

PAYMENT_FORMS: dict[str, str] = {
    "1": N_("cash"),
    "2": N_("card"),
    "3": N_("voucher"),
    "4": N_("cheque"),
    "5": N_("credit"),
    "6": N_("bank transfer"),
    "7": N_("mobile payment"),
}

CORRECTION_TYPES: dict[str, str] = {
    "1": N_("effective on the date of the original invoice"),
    "2": N_("effective on the date of the correcting invoice"),
    "3": N_("effective on another date"),
}


@dataclass(frozen=True, slots=True)
class VatField:
    """One VAT-by-rate group of Fa: P_13_x (net), P_14_x (VAT), P_14_xW (VAT in PLN)."""

    code: str
    net: str
    vat: str | None
    vat_pln: str | None
    label: str  # msgid; translate with `_()` when shown


VAT_FIELDS: tuple[VatField, ...] = (
    VatField("1", "P_13_1", "P_14_1", "P_14_1W", N_("23% or 22%")),
    VatField("2", "P_13_2", "P_14_2", "P_14_2W", N_("8% or 7%")),
    VatField("3", "P_13_3", "P_14_3", "P_14_3W", N_("5%")),
    VatField("4", "P_13_4", "P_14_4", "P_14_4W", N_("4% or 3% (taxi flat rate)")),
    VatField("5", "P_13_5", "P_14_5", None, N_("OSS/IOSS special procedure")),
    VatField("6_1", "P_13_6_1", None, None, N_("0% domestic")),
    VatField("6_2", "P_13_6_2", None, None, N_("0% intra-EU supply")),
    VatField("6_3", "P_13_6_3", None, None, N_("0% export")),
    VatField("7", "P_13_7", None, None, N_("exempt")),
    VatField("8", "P_13_8", None, None, N_("outside Poland")),
    VatField("9", "P_13_9", None, None, N_("services under art. 100(1)(4)")),
    VatField("10", "P_13_10", None, None, N_("domestic reverse charge")),
    VatField("11", "P_13_11", None, None, N_("margin scheme")),
)
VAT_FIELD_NAMES: frozenset[str] = frozenset(
    name for f in VAT_FIELDS for name in (f.net, f.vat, f.vat_pln) if name is not None
)


@dataclass(frozen=True, slots=True)
class Address:
    country: str | None = None
    line1: str | None = None
    line2: str | None = None
    gln: str | None = None

    def lines(self) -> tuple[str, ...]:
        return tuple(x for x in (self.line1, self.line2, self.country) if x)


@dataclass(frozen=True, slots=True)
class Party:
    """Podmiot1 (seller), Podmiot2 (buyer), Podmiot3 (third party), PodmiotUpowazniony, Podmiot1K/2K."""

    name: str | None = None
    nip: str | None = None
    eu_code: str | None = None  # KodUE + NrVatUE: an EU VAT number
    eu_vat_number: str | None = None
    country_code: str | None = None  # KodKraju + NrID: another tax id
    foreign_id: str | None = None
    internal_id: str | None = None  # IDWew (Podmiot3: a unit of a local government, VAT group ...)
    no_id: bool = False  # BrakID
    vat_prefix: str | None = None  # PrefiksPodatnika
    eori: str | None = None
    address: Address | None = None
    correspondence_address: Address | None = None
    emails: tuple[str, ...] = ()
    phones: tuple[str, ...] = ()
    customer_number: str | None = None
    buyer_id: str | None = None  # IDNabywcy
    jst: bool | None = None  # Podmiot2/JST: the buyer is a local government unit (FA(3))
    gv: bool | None = None  # Podmiot2/GV: the buyer is a VAT group member (FA(3))
    role: str | None = None  # Podmiot3/Rola or PodmiotUpowazniony/RolaPU code
    role_other: str | None = None  # OpisRoli when RolaInna
    share: Decimal | None = None  # Udzial (%), additional buyers
    taxpayer_status: str | None = None  # StatusInfoPodatnika
    line: int | None = None

    @property
    def tax_id(self) -> str | None:
        """The best identifier to show: NIP, else EU VAT number, else foreign id."""
        if self.nip:
            return self.nip
        if self.eu_vat_number:
            return f"{self.eu_code or ''}{self.eu_vat_number}"
        if self.foreign_id:
            return f"{self.country_code or ''} {self.foreign_id}".strip()
        return self.internal_id


@dataclass(frozen=True, slots=True)
class InvoiceLine:
    """Fa/FaWiersz."""

    number: int | None
    uuid: str | None = None  # UU_ID
    sale_date: date | None = None  # P_6A
    name: str | None = None  # P_7
    index: str | None = None
    gtin: str | None = None
    pkwiu: str | None = None
    cn: str | None = None
    pkob: str | None = None
    unit: str | None = None  # P_8A
    quantity: Decimal | None = None  # P_8B
    unit_net_price: Decimal | None = None  # P_9A
    unit_gross_price: Decimal | None = None  # P_9B
    discount: Decimal | None = None  # P_10
    net: Decimal | None = None  # P_11
    gross: Decimal | None = None  # P_11A
    vat: Decimal | None = None  # P_11Vat
    rate: str | None = None  # P_12 (TStawkaPodatku: "23", "0 WDT", "zw", "oo", "np I", ...)
    oss_rate: Decimal | None = None  # P_12_XII
    annex15: bool = False  # P_12_Zal_15 (split payment goods)
    excise: Decimal | None = None
    gtu: str | None = None
    procedure: str | None = None
    exchange_rate: Decimal | None = None  # KursWaluty
    before_correction: bool = False  # StanPrzed
    line: int | None = None


@dataclass(frozen=True, slots=True)
class OrderLine:
    """Fa/Zamowienie/ZamowienieWiersz (advance payment invoices)."""

    number: int | None
    uuid: str | None = None
    name: str | None = None
    index: str | None = None
    gtin: str | None = None
    pkwiu: str | None = None
    cn: str | None = None
    pkob: str | None = None
    unit: str | None = None
    quantity: Decimal | None = None
    unit_net_price: Decimal | None = None
    net: Decimal | None = None  # P_11NettoZ
    vat: Decimal | None = None  # P_11VatZ
    rate: str | None = None  # P_12Z
    oss_rate: Decimal | None = None
    annex15: bool = False
    gtu: str | None = None
    procedure: str | None = None
    excise: Decimal | None = None
    before_correction: bool = False  # StanPrzedZ
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Order:
    value: Decimal | None  # WartoscZamowienia (gross)
    lines: tuple[OrderLine, ...] = ()
    line: int | None = None


@dataclass(frozen=True, slots=True)
class VatRateSummary:
    """One row of the VAT table: the net, VAT and VAT-in-PLN amounts for a rate group."""

    code: str  # "1", "2", ..., "6_1", ... "11" (see VAT_FIELDS)
    label: str  # msgid
    net: Decimal | None
    vat: Decimal | None
    vat_pln: Decimal | None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Exemption:
    applies: bool  # P_19 = 1
    basis: str | None = None  # P_19A/B/C text
    basis_kind: str | None = None  # "A" (Polish act), "B" (directive), "C" (other)


@dataclass(frozen=True, slots=True)
class NewVehicle:
    first_use: date | None  # P_22A
    line_number: int | None  # P_NrWierszaNST
    details: tuple[tuple[str, str], ...] = ()  # every other P_22* field as (name, value)


@dataclass(frozen=True, slots=True)
class Annotations:
    """Fa/Adnotacje. Booleans are None when the element is absent or unreadable."""

    cash_method: bool | None = None  # P_16 "metoda kasowa"
    self_billing: bool | None = None  # P_17 "samofakturowanie"
    reverse_charge: bool | None = None  # P_18 "odwrotne obciążenie"
    split_payment: bool | None = None  # P_18A "mechanizm podzielonej płatności"
    exemption: Exemption | None = None
    new_transport: bool | None = None  # P_22 present
    new_transport_art42_5: bool | None = None  # P_42_5
    new_vehicles: tuple[NewVehicle, ...] = ()
    triangular_simplified: bool | None = None  # P_23
    margin: bool | None = None
    margin_scheme: str | None = None  # "travel", "used", "art", "antiques"


@dataclass(frozen=True, slots=True)
class CorrectedInvoice:
    """Fa/DaneFaKorygowanej."""

    issue_date: date | None
    number: str | None
    ksef_number: str | None
    outside_ksef: bool  # NrKSeFN: the corrected invoice was issued outside KSeF
    line: int | None = None


@dataclass(frozen=True, slots=True)
class Correction:
    reason: str | None  # PrzyczynaKorekty
    type: str | None  # TypKorekty 1/2/3
    corrected: tuple[CorrectedInvoice, ...] = ()
    period: str | None = None  # OkresFaKorygowanej
    corrected_number: str | None = None  # NrFaKorygowany (the right number when correcting it)
    seller_before: Party | None = None  # Podmiot1K
    buyers_before: tuple[Party, ...] = ()  # Podmiot2K


@dataclass(frozen=True, slots=True)
class AdvanceInvoiceRef:
    """Fa/FakturaZaliczkowa: an advance invoice settled by this (ROZ) invoice."""

    number: str | None
    ksef_number: str | None
    outside_ksef: bool
    line: int | None = None


@dataclass(frozen=True, slots=True)
class PartialAdvance:
    """Fa/ZaliczkaCzesciowa: one advance received, covered by this invoice."""

    date: date | None
    amount: Decimal | None
    exchange_rate: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Advances:
    advance_invoices: tuple[AdvanceInvoiceRef, ...] = ()
    partial_advances: tuple[PartialAdvance, ...] = ()
    gross_before_correction: Decimal | None = None  # P_15ZK
    exchange_rate_before_correction: Decimal | None = None  # KursWalutyZK

    def __bool__(self) -> bool:
        return bool(
            self.advance_invoices
            or self.partial_advances
            or self.gross_before_correction is not None
            or self.exchange_rate_before_correction is not None
        )


@dataclass(frozen=True, slots=True)
class Adjustment:
    amount: Decimal | None
    reason: str | None


@dataclass(frozen=True, slots=True)
class Settlement:
    """Fa/Rozliczenie: extra charges and deductions, and what is left to pay or settle."""

    charges: tuple[Adjustment, ...] = ()
    charges_total: Decimal | None = None
    deductions: tuple[Adjustment, ...] = ()
    deductions_total: Decimal | None = None
    to_pay: Decimal | None = None
    to_settle: Decimal | None = None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class DueDate:
    date: date | None  # Termin
    description: str | None = None  # TerminOpis, e.g. "14 dni od doręczenia"


@dataclass(frozen=True, slots=True)
class BankAccount:
    number: str | None
    swift: str | None = None
    own_bank_account: str | None = None  # RachunekWlasnyBanku code
    bank_name: str | None = None
    description: str | None = None
    factor: bool = False  # RachunekBankowyFaktora


@dataclass(frozen=True, slots=True)
class PartialPayment:
    amount: Decimal | None
    date: date | None
    form: str | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class Payment:
    paid: bool = False  # Zaplacono
    paid_date: date | None = None  # DataZaplaty
    partly_paid: str | None = None  # ZnacznikZaplatyCzesciowej: "1" in part, "2" in full (in parts)
    partial_payments: tuple[PartialPayment, ...] = ()
    due_dates: tuple[DueDate, ...] = ()
    form: str | None = None  # FormaPlatnosci code (PAYMENT_FORMS)
    other_form: str | None = None  # OpisPlatnosci when PlatnoscInna
    bank_accounts: tuple[BankAccount, ...] = ()
    discount_terms: str | None = None  # Skonto/WarunkiSkonta
    discount_amount: str | None = None  # Skonto/WysokoscSkonta
    link: str | None = None  # LinkDoPlatnosci
    ipksef: str | None = None
    line: int | None = None


@dataclass(frozen=True, slots=True)
class TransactionTerms:
    """Fa/WarunkiTransakcji (the parts an accountant looks at)."""

    contracts: tuple[tuple[date | None, str | None], ...] = ()
    orders: tuple[tuple[date | None, str | None], ...] = ()
    batch_numbers: tuple[str, ...] = ()
    delivery_terms: str | None = None
    contract_rate: Decimal | None = None
    contract_currency: str | None = None
    transport_count: int = 0
    intermediary: bool = False


@dataclass(frozen=True, slots=True)
class Registry:
    full_name: str | None = None
    krs: str | None = None
    regon: str | None = None
    bdo: str | None = None


@dataclass(frozen=True, slots=True)
class Footer:
    info: tuple[str, ...] = ()
    registries: tuple[Registry, ...] = ()


@dataclass(frozen=True, slots=True)
class AttachmentTable:
    description: str | None
    metadata: tuple[tuple[str, str], ...]
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    sums: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class AttachmentBlock:
    heading: str | None
    metadata: tuple[tuple[str, str], ...] = ()
    paragraphs: tuple[str, ...] = ()
    tables: tuple[AttachmentTable, ...] = ()


@dataclass(frozen=True, slots=True)
class Header:
    form: FormCode
    schema_version: str | None
    variant: int | None
    created_at: str | None  # DataWytworzeniaFa, as written (xsd:dateTime)
    system_info: str | None


@dataclass(frozen=True, slots=True)
class Invoice:
    header: Header
    namespace: str
    kind: str | None  # RodzajFaktury (InvoiceKind value, or whatever the file says)
    number: str | None  # P_2
    issue_date: date | None  # P_1
    issue_place: str | None  # P_1M
    sale_date: date | None  # P_6
    sale_period: tuple[date | None, date | None] | None  # OkresFa P_6_Od, P_6_Do
    currency: str | None
    exchange_rate: Decimal | None  # KursWalutyZ
    seller: Party | None
    buyer: Party | None
    third_parties: tuple[Party, ...]
    authorised: Party | None  # PodmiotUpowazniony
    amounts: dict[str, Decimal]  # every P_13_*/P_14_* present, by element name
    vat_rates: tuple[VatRateSummary, ...]
    gross: Decimal | None  # P_15
    annotations: Annotations
    correction: Correction | None
    advances: Advances
    lines: tuple[InvoiceLine, ...]
    order: Order | None
    settlement: Settlement | None
    payment: Payment | None
    terms: TransactionTerms | None
    descriptions: tuple[tuple[str, str], ...] = ()  # DodatkowyOpis (Klucz, Wartosc)
    wz: tuple[str, ...] = ()  # WZ delivery note numbers
    fp: bool = False  # FP: receipt-based invoice (art. 109 ust. 3d)
    tp: bool = False  # TP: related parties
    excise_refund: bool = False  # ZwrotAkcyzy
    footer: Footer | None = None
    attachment: tuple[AttachmentBlock, ...] = ()
    sourcelines: dict[str, int] = field(default_factory=dict)  # Fa field name -> XML line

    @property
    def form(self) -> FormCode:
        return self.header.form

    @property
    def variant(self) -> int | None:
        return self.header.variant

    @property
    def is_correction(self) -> bool:
        return self.kind in CORRECTION_KINDS

    @property
    def total_net(self) -> Decimal:
        """Sum of every P_13_* (the JSON report's `totals.net`)."""
        return sum((v for k, v in self.amounts.items() if k.startswith("P_13_")), Decimal(0))

    @property
    def total_vat(self) -> Decimal:
        """Sum of every P_14_* except the P_14_xW amounts in PLN."""
        return sum(
            (v for k, v in self.amounts.items() if k.startswith("P_14_") and not k.endswith("W")),
            Decimal(0),
        )

    @property
    def line_count(self) -> int:
        """FaWiersz count; for an advance invoice without them, the ZamowienieWiersz count."""
        if self.lines:
            return len(self.lines)
        return len(self.order.lines) if self.order is not None else 0

    @property
    def corrected_refs(self) -> tuple[str, ...]:
        """KSeF numbers of corrected invoices (their own numbers when no KSeF number is given)."""
        if self.correction is None:
            return ()
        return tuple(ref for c in self.correction.corrected if (ref := c.ksef_number or c.number) is not None)

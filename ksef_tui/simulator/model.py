"""The simulator's records: what KSeF knows about each taxpayer.

Plain mutable dataclasses; the world builder fills them and the endpoints read and change them.
Invoice XML is generated lazily (and cached) because the demo builds the world at start-up.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from ksef_tui.core.fa.generate import generate_invoice
from ksef_tui.core.models import CredentialKind
from ksef_tui.simulator.fa import read_amounts
from ksef_tui.simulator.purchase_fa import Correction, generate_purchase
from ksef_tui.simulator.refs import sha256_b64

FA3_FORM = {"systemCode": "FA (3)", "schemaVersion": "1-0E", "value": "FA"}

# FA(3) RodzajFaktury -> API InvoiceType.
INVOICE_TYPES = {
    "VAT": "Vat",
    "ZAL": "Zal",
    "KOR": "Kor",
    "ROZ": "Roz",
    "UPR": "Upr",
    "KOR_ZAL": "KorZal",
    "KOR_ROZ": "KorRoz",
}


@dataclass
class SimToken:
    reference: str
    token: str
    status: str  # AuthenticationTokenStatus: Pending | Active | Revoking | Revoked | Failed
    permissions: frozenset[str]
    created: datetime
    context_nip: str = ""
    author_nip: str = ""
    description: str = ""
    last_used: datetime | None = None
    status_details: list[str] = field(default_factory=list)
    held_by_office: bool = False  # from the roster: the office has this token
    activation_reads: int = 0  # runtime tokens: Pending until first observed (see tokens.py)


@dataclass
class SimCertificate:
    serial: str  # uppercase hex
    certificate_pem: str
    private_key_pem: str
    valid_from: datetime
    valid_to: datetime
    kind: CredentialKind
    revoked: bool = False
    subject_nip: str = ""  # who the certificate speaks for (the office NIP for office certificates)
    subject_name: str = ""
    context_nip: str = ""  # the client this certificate was issued for
    fingerprint: str = ""  # SHA-256 of the DER, uppercase hex


@dataclass
class Grant:
    """A permission the context (client) granted to a subject (identified by NIP)."""

    id: str
    context_nip: str
    subject_nip: str
    permission: str
    start: datetime
    description: str = ""
    can_delegate: bool = False


@dataclass
class Invoice:
    seller_nip: str
    seller_name: str
    buyer_nip: str
    buyer_name: str
    invoice_number: str
    issue_date: date
    invoicing_date: datetime  # accepted by KSeF ("DataPrzeslaniaDokumentu")
    currency: str = "PLN"
    kind: str = "VAT"
    lines: int = 3
    gen_seed: int = 0
    ksef_number: str | None = None
    acquisition_date: datetime | None = None  # KSeF number assigned
    permanent_storage_date: datetime | None = None
    session_ref: str | None = None
    reference: str = ""  # invoice reference in its session (EE)
    ordinal: int = 0
    status_code: int = 200
    status_details: list[str] = field(default_factory=list)
    status_extensions: dict[str, str] | None = None
    invoicing_mode: str = "Online"
    file_name: str | None = None  # batch sessions only
    fake_hash: str | None = None  # rejected invoices: hash of what was sent (body never kept)
    # When it appears in KSeF (queries, exports, downloads); None: at its permanent storage date. Later
    # than the storage date for a "late" invoice, which holds the HWM below its storage date until then.
    visible_from: datetime | None = None
    supplier: str | None = None  # a catalogue supplier's key (suppliers.py): the body is a purchase invoice
    corrects: Invoice | None = field(default=None, repr=False)  # KOR: the invoice it corrects
    reverse_charge: bool = False  # "oo" lines, P_13_10, P_18 = 1
    settles: Invoice | None = field(default=None, repr=False)  # ROZ: the advance invoice (ZAL) it settles
    third_party_nip: str = ""  # Podmiot3 (an additional buyer): KSeF lists it for that NIP as Subject3
    third_party_name: str = ""
    _body: bytes | None = field(default=None, repr=False)
    _amounts: tuple[Decimal, Decimal, Decimal] | None = field(default=None, repr=False)

    @property
    def accepted(self) -> bool:
        return self.ksef_number is not None and self.status_code == 200

    @property
    def visible_at(self) -> datetime | None:
        """When KSeF starts listing it (never before its permanent storage date); None: not stored."""
        stored = self.permanent_storage_date
        if stored is None:
            return None
        return max(stored, self.visible_from) if self.visible_from is not None else stored

    def visible(self, now: datetime) -> bool:
        at = self.visible_at
        return at is not None and at <= now

    @property
    def late(self) -> bool:
        """Visible only some time after its permanent storage date."""
        stored = self.permanent_storage_date
        return stored is not None and self.visible_from is not None and self.visible_from > stored

    @property
    def body(self) -> bytes:
        if self._body is None and self.supplier is not None:
            original = self.corrects
            self._body = generate_purchase(
                self.supplier,
                self.seller_nip,
                self.buyer_nip,
                self.buyer_name,
                self.invoice_number,
                self.issue_date,
                kind=self.kind,
                currency=self.currency,
                lines=self.lines,
                seed=self.gen_seed,
                reverse_charge=self.reverse_charge,
                corrects=Correction(
                    original.ksef_number or "",
                    original.invoice_number,
                    original.issue_date,
                    original.gen_seed,
                    original.lines,
                )
                if original is not None
                else None,
                settles=_reference(self.settles),
                third_party=(self.third_party_nip, self.third_party_name) if self.third_party_nip else None,
            )
        if self._body is None:
            self._body = generate_invoice(
                self.seller_nip,
                self.seller_name,
                self.buyer_nip,
                self.buyer_name,
                self.invoice_number,
                self.issue_date,
                lines=self.lines,
                currency=self.currency,
                kind=self.kind,
                seed=self.gen_seed,
            )
        return self._body

    @property
    def body_loaded(self) -> bool:
        return self._body is not None

    @property
    def hash(self) -> str:
        if self.fake_hash is not None and self._body is None:
            return self.fake_hash
        return sha256_b64(self.body)

    @property
    def amounts(self) -> tuple[Decimal, Decimal, Decimal]:
        """(net, vat, gross) read from the invoice body."""
        if self._amounts is None:
            self._amounts = read_amounts(self.body)
        return self._amounts

    @property
    def invoice_type(self) -> str:
        return INVOICE_TYPES.get(self.kind, "Vat")


def _reference(invoice: Invoice | None) -> Correction | None:
    """What a ROZ needs of the advance invoice it settles (the same fields as a correction's)."""
    if invoice is None:
        return None
    return Correction(
        invoice.ksef_number or "", invoice.invoice_number, invoice.issue_date, invoice.gen_seed, invoice.lines
    )


@dataclass
class UpoPage:
    reference: str
    first: int  # 1-based index of the first accepted invoice on this page
    last: int  # inclusive
    _xml: bytes | None = field(default=None, repr=False)


@dataclass
class Session:
    reference: str
    kind: str  # "Online" | "Batch"
    context_nip: str
    opened_by: str  # subject key, e.g. "Token:<ref>" or "Nip:<nip>" (see auth.py)
    created: datetime
    updated: datetime
    status_code: int
    valid_until: datetime | None = None
    closed: datetime | None = None
    status_details: list[str] = field(default_factory=list)
    invoices: list[Invoice] = field(default_factory=list)
    upo_pages: list[UpoPage] = field(default_factory=list)
    # How the opener authenticated, for the UPO's <Uwierzytelnienie>.
    auth_token_ref: str | None = None
    auth_document_hash: str | None = None
    form_code: dict = field(default_factory=lambda: dict(FA3_FORM))
    # Runtime state (sessions opened through the API).
    symmetric_key: bytes | None = field(default=None, repr=False)
    iv: bytes | None = field(default=None, repr=False)
    status_polls_after_close: int = 0
    final_status: int | None = None  # set on close; applied once the processing polls are used up
    batch_parts: dict[int, bytes] = field(default_factory=dict, repr=False)
    batch_declared: list[dict] = field(default_factory=list, repr=False)
    batch_file: dict = field(default_factory=dict, repr=False)

    @property
    def accepted(self) -> list[Invoice]:
        return [i for i in self.invoices if i.accepted]

    @property
    def failed(self) -> list[Invoice]:
        return [i for i in self.invoices if not i.accepted and i.status_code not in (100, 150)]


@dataclass
class Taxpayer:
    nip: str
    name: str
    profile: str = ""
    tokens: list[SimToken] = field(default_factory=list)
    certificates: list[SimCertificate] = field(default_factory=list)
    sessions: list[Session] = field(default_factory=list)
    invoices: list[Invoice] = field(default_factory=list)  # sales (Podmiot1 = this NIP), accepted or not
    purchases: list[Invoice] = field(default_factory=list)  # accepted invoices naming this NIP as buyer
    third_party: list[Invoice] = field(default_factory=list)  # ... naming it in Podmiot3 (Subject3)
    city: str = ""


@dataclass
class Enrollment:
    """A certificate enrolment request (POST /certificates/enrollments) and what became of it."""

    reference: str
    subject_nip: str
    name: str
    certificate_type: str
    requested: datetime
    csr_der: bytes = field(repr=False)
    polls: int = 0
    status_code: int = 100
    serial: str | None = None

"""Bookings of purchase invoices (issue 13): what an accountant decides for each purchase invoice, and the
rules that propose it (PURCHASES.md §Bookings B3–B5).

The shared types only. The arithmetic (drafting a booking from an invoice, PLN conversion, rounding that
sums to the invoice), the rule engine (proposals with strength and reason, the never-auto list, learning)
and the queue operations (approve, exclude, reject, undo) live beside this module in `core/booking_*.py`.
Pure: no I/O, the clock passed in. Amounts are `Decimal` in PLN, two places, signed (corrections are
negative).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum


class BookingStatus(StrEnum):
    NEW = "new"  # drafted, no proposal run yet
    PROPOSED = "proposed"  # a rule proposed it and nothing asks for a closer look
    NEEDS_REVIEW = "needs_review"  # no rule, or a never-auto reason (see ReviewReason)
    APPROVED = "approved"
    EXPORTED = "exported"  # handed over to the accounting program (issue 14)
    EXCLUDED = "excluded"  # not the client's cost (a private purchase, a duplicate paper copy, ...)


OPEN_STATUSES = frozenset({BookingStatus.NEW, BookingStatus.PROPOSED, BookingStatus.NEEDS_REVIEW})


class Deduction(StrEnum):
    FULL = "full"
    HALF = "half"  # art. 86a ust. 1 pkt 1 (mixed-use passenger cars)
    NONE = "none"
    PROPORTION = "proportion"  # art. 90: `deduction_pct` of the VAT


class JpkGroup(StrEnum):
    """Where the line goes in JPK_V7 `ZakupWiersz` (PURCHASES.md B3)."""

    FIXED_ASSETS = "fixed_assets"  # K_40 / K_41
    OTHER = "other"  # K_42 / K_43
    CORRECTION_FIXED_ASSETS = "correction_fixed_assets"  # K_44
    CORRECTION_OTHER = "correction_other"  # K_45
    BAD_DEBT_1 = "art89b1"  # K_46
    BAD_DEBT_4 = "art89b4"  # K_47
    NONE = "none"


class KpirColumn(StrEnum):
    """KPiR column by meaning (printed 2026 numbers 12/13/14/15/17/18; JPK_PKPIR K_10/11/12/13/15/16)."""

    GOODS = "goods"  # zakup towarów handlowych i materiałów
    INCIDENTAL = "incidental"  # koszty uboczne zakupu
    SALARIES = "salaries"
    OTHER = "other"  # pozostałe wydatki
    FREE = "free"  # kolumna wolna
    RND = "rnd"  # B+R
    NONE = "none"


class Strength(StrEnum):
    """How the proposal was found, strongest first (PURCHASES.md B5)."""

    SELLER_ITEMS = "seller_items"  # the seller's NIP and the line text/code matched a rule
    SELLER = "seller"  # the seller's NIP matched a rule
    PATTERN = "pattern"  # an office-wide rule or a name hint: never enough on its own
    NONE = "none"


class ReviewReason(StrEnum):
    """Why a proposal is never approved without a look (issue 13 item 2)."""

    NO_RULE = "no_rule"
    FIRST_FROM_SELLER = "first_from_seller"
    CORRECTION = "correction"
    ADVANCE = "advance"  # ZAL
    FINAL = "final"  # ROZ (the invoice settling advances)
    REVERSE_CHARGE = "reverse_charge"
    FOREIGN_CURRENCY = "foreign_currency"
    FIXED_ASSET = "fixed_asset"  # a line over the office's threshold that looks like a fixed asset
    UNUSUAL_AMOUNT = "unusual_amount"  # far from this seller's usual
    THIRD_PARTY = "third_party"  # the client is Podmiot3 on it


@dataclass(frozen=True)
class BookingLine:
    """One line of a booking: by default one per VAT rate of the invoice (what JPK, EDI++ "biuro" and the
    FK programs' VAT registers carry); splittable by the invoice's line ordinals."""

    line_no: int
    vat_rate: str  # FA's P_12 code: "23", "8", "5", "0 KR", "0 WDT", "0 EX", "zw", "oo", "np I", "np II"
    net: Decimal  # PLN
    vat: Decimal  # PLN
    deduction: Deduction = Deduction.FULL
    deduction_pct: Decimal | None = None  # PROPORTION only: e.g. Decimal("76")
    jpk_group: JpkGroup = JpkGroup.OTHER
    kpir_column: KpirColumn = KpirColumn.OTHER
    cost_share_pct: int = 100  # share that is a tax cost (KUP): 100, 75 (cars), 20, 0
    gl_account: str = ""  # e.g. "402-01"
    gl_contra: str = ""  # e.g. "202-<seller>"
    cost_centre: str = ""  # MPK
    source_lines: tuple[int, ...] = ()  # FaWiersz ordinals when split by invoice line


@dataclass(frozen=True)
class Booking:
    """The proposed (or decided) booking of one purchase invoice of one client."""

    client_id: int
    ksef_number: str
    status: BookingStatus
    lines: tuple[BookingLine, ...]
    doc_kind: str = "VAT"  # FA RodzajFaktury: VAT, KOR, ZAL, ROZ, UPR, KOR_ZAL, KOR_ROZ
    seller_nip: str = ""
    seller_name: str = ""
    invoice_number: str = ""
    issue_date: date | None = None
    receipt_date: date | None = None  # the KSeF number's date, in Polish time (JPK DataWplywu)
    vat_period: str = ""  # "YYYY-MM": default the receipt month
    cost_period: str = ""  # "YYYY-MM": default the issue month
    vat_register: str = ""  # office-defined code, e.g. "ZAKUP"
    currency: str = "PLN"
    fx_rate: Decimal | None = None  # the invoice's rate (KursWaluty) when not PLN
    gross: Decimal = Decimal("0.00")  # PLN, the invoice's total
    description: str = ""  # KPiR "opis zdarzenia" / GL narrative
    note: str = ""  # the accountant's note
    excluded_reason: str = ""
    strength: Strength = Strength.NONE
    confidence: int = 0  # 0–100, shown as "pewność"; marking "above N %" uses it
    reason: str = ""  # one line in the user's language: why this proposal
    review_reasons: tuple[ReviewReason, ...] = ()
    rule_id: int | None = None
    queued_at: datetime | None = None  # when it entered the queue: the SLA's clock starts here
    decided_by: str = ""  # who approved / excluded
    decided_at: datetime | None = None
    export_batch: str = ""
    id: int | None = None
    # Added by the engine (issue 13, bkcore): what `propose` needs of the invoice without parsing it again.
    item_names: tuple[str, ...] = ()  # the invoice's distinct line names (P_7), in order
    item_codes: tuple[str, ...] = ()  # the lines' GTIN / PKWiU / CN / index codes, distinct
    third_party: bool = False  # the client is Podmiot3 on it (fetched as Subject3), not the buyer
    # Added for the fixed-asset hint (issue 13, qdemo): the largest net in PLN of ONE unit of goods on the
    # invoice (a FaWiersz in pieces or sets, or without a unit; services are left out), None when the
    # invoice has no such line or the booking was drafted before the field existed.
    max_item_net: Decimal | None = None


@dataclass(frozen=True)
class RuleTemplate:
    """What a rule fills in (None = leave as drafted)."""

    vat_register: str | None = None
    deduction: Deduction | None = None
    deduction_pct: Decimal | None = None
    jpk_group: JpkGroup | None = None
    kpir_column: KpirColumn | None = None
    cost_share_pct: int | None = None
    gl_account: str | None = None
    gl_contra: str | None = None
    cost_centre: str | None = None
    description: str | None = None
    exclude: bool = False


@dataclass(frozen=True)
class Rule:
    """A learned (or written) rule: per client by default, office-wide when `client_id` is None."""

    client_id: int | None
    seller_nip: str
    template: RuleTemplate
    item_text: str = ""  # narrows to invoices with a line whose name contains this (case-insensitive)
    item_code: str = ""  # ... or whose GTIN / PKWiU / index equals this
    doc_kind: str = ""  # narrows to one document kind
    amount_min: Decimal | None = None  # gross PLN
    amount_max: Decimal | None = None
    confirmations: int = 0  # approved unchanged
    overrides: int = 0  # approved with changes
    last_confirmed: datetime | None = None
    created: datetime | None = None
    id: int | None = None


@dataclass(frozen=True)
class QueueSettings:
    """The office's choices for the queue (defaults an accountant would expect)."""

    sla_hours: int = 24
    fixed_asset_threshold: Decimal = Decimal("10000.00")  # net PLN of one item of goods (KŚT: 10 000 zł)
    unusual_factor: Decimal = Decimal("3")  # gross over 3× (or under 1/3 of) the seller's median
    min_confirmations: int = 2  # before a rule's proposal counts as strong
    default_register: str = "ZAKUP"


@dataclass(frozen=True)
class Dictionaries:
    """Per client: the codes offered in the booking form (defaults are Polish office standards)."""

    registers: tuple[str, ...] = ("ZAKUP", "ZAKUP-ŚT", "IMPORT-USŁ", "WNT", "ZAKUP-50")
    accounts: tuple[tuple[str, str], ...] = (
        ("401-01", "Zużycie materiałów"),
        ("401-02", "Zużycie energii"),
        ("402-01", "Usługi obce"),
        ("402-02", "Usługi telekomunikacyjne"),
        ("403-01", "Podatki i opłaty"),
        ("409-01", "Pozostałe koszty"),
        ("011-01", "Środki trwałe"),
        ("301-01", "Rozliczenie zakupu"),
    )
    cost_centres: tuple[str, ...] = ()
    contra_prefix: str = "202"  # rozrachunki z dostawcami: 202-<seller>
    vat_account: str = "221-01"


@dataclass(frozen=True)
class Decision:
    """One step a user took (approve, edit, exclude, reject) over one or many bookings: before → after,
    what the audit log records and what undo restores."""

    action: str  # "approve" | "edit" | "exclude" | "reject"
    before: tuple[Booking, ...]
    after: tuple[Booking, ...]
    by: str
    at: datetime
    rule_changes: tuple[tuple[Rule | None, Rule | None], ...] = field(default=())  # (before, after)

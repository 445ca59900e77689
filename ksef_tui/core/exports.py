"""Hand-over to the accounting program (issue 14): the shared types of every export format.

An export runs for one client and one period (the VAT period or the cost period) over its APPROVED
bookings (and, on request, EXPORTED ones again). A writer turns `ExportItem`s into files:

    writer(items, context) -> ExportOutput

Writers are pure (no I/O, no clock: `ExportContext.created_at` is the batch's time, so re-creating a
batch from its record gives the same bytes) and live beside this module: `export_bundle.py`,
`export_epp.py`, `export_jpk_v7m.py`, `export_jpk_pkpir.py`. `sync/exports.py` gathers the items from the
store, writes the files atomically and records the batch.

A writer never cuts or drops a value silently: a value changed to fit a format is an `ExportWarning`
(written, exit 1); anything that makes the file wrong is a problem (nothing written, exit 2).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from ksef_tui.core.bookings import Booking


class ExportFormat(StrEnum):
    BUNDLE = "bundle"  # the invoices' XML + bookings.csv + bookings.json + manifest
    EPP = "epp"  # EDI++ 1.05 "biuro rachunkowe" (InsERT Rewizor / Rachmistrz, Symfonia IDK, ...)
    JPK_V7M = "jpk-v7m"  # JPK_V7M(3) purchase part: Ewidencja/ZakupWiersz + ZakupCtrl
    JPK_PKPIR = "jpk-pkpir"  # JPK_PKPIR(3) expense rows, for clients on KPiR


class PeriodKind(StrEnum):
    VAT = "vat"  # Booking.vat_period
    COST = "cost"  # Booking.cost_period


class TaxpayerKind(StrEnum):
    COMPANY = "company"  # osoba niefizyczna: NIP + full name
    PERSON = "person"  # osoba fizyczna: NIP + first name, surname, date of birth


class Ledger(StrEnum):
    FULL = "full"  # księgi rachunkowe (full accounting)
    KPIR = "kpir"  # podatkowa księga przychodów i rozchodów


@dataclass(frozen=True)
class TaxpayerProfile:
    """Per client: what the JPK headers and the EDI++ [INFO] section need beyond the client record.

    Kept sealed per client in the store; empty fields are reported as problems by the formats that need
    them (with the Polish name of the missing field), never invented."""

    kind: TaxpayerKind = TaxpayerKind.COMPANY
    full_name: str = ""  # company: PelnaNazwa (empty: the client's name)
    first_name: str = ""  # person
    last_name: str = ""  # person
    birth_date: date | None = None  # person
    email: str = ""
    phone: str = ""
    tax_office_code: str = ""  # KodUrzedu: the 4-digit code of the client's tax office
    ledger: Ledger = Ledger.FULL
    # Address (JPK_PKPIR's Podmiot1 and EDI++ [INFO]); Polish address unless `country` says otherwise.
    country: str = "PL"
    voivodeship: str = ""
    county: str = ""
    commune: str = ""
    street: str = ""
    house_no: str = ""
    flat_no: str = ""
    city: str = ""
    postcode: str = ""  # "00-950"
    post_office: str = ""


@dataclass(frozen=True)
class ExportContext:
    """Everything a writer needs besides the items."""

    client_id: int
    client_name: str
    client_nip: str
    short_code: str
    profile: TaxpayerProfile
    period: str  # "YYYY-MM"
    period_kind: PeriodKind
    created_at: datetime  # the batch's time (aware): written into the files, kept with the batch
    office_name: str = ""
    office_nip: str = ""
    program: str = "ksef-tui"  # the producing program's name as written into file headers


@dataclass(frozen=True)
class ExportItem:
    """One booking to export, with the invoice's exact XML as KSeF stored it (None when the store has no
    XML for it: the writers that need it report a problem)."""

    booking: Booking
    xml: bytes | None = None


@dataclass(frozen=True)
class ExportWarning:
    """A finding, in the user's language. `code` is stable (tests and JSON output match on it)."""

    code: str  # e.g. "epp.number_cut", "jpk.missing_tax_office"
    message: str
    ksef_number: str = ""


@dataclass(frozen=True)
class ExportFile:
    name: str  # a bare file name (no directories): written under <export folder>/<short code>/<period>/
    data: bytes


@dataclass(frozen=True)
class ExportOutput:
    files: tuple[ExportFile, ...]
    warnings: tuple[ExportWarning, ...] = ()  # written anyway, listed to the user (exit 1)
    problems: tuple[ExportWarning, ...] = ()  # nothing is written when there is any (exit 2)


Writer = Callable[[Sequence[ExportItem], ExportContext], ExportOutput]

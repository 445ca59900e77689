"""The KSeF bundle (issue 14 item 1): what an FK program that downloads KSeF invoices itself lacks — the
office's decisions, keyed by KSeF number — next to the exact invoices.

Files (docs/EXPORT.md documents every column and key):

- `<KSeF number>.xml`: the invoice's XML, the exact bytes KSeF served (as the store keeps them);
- `bookings.csv`: one row per booking line, every booking field; UTF-8 with BOM, `;` between fields,
  decimal comma, CRLF (what a Polish Excel opens cleanly). Text that a spreadsheet would read as a
  formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage return) gets a leading apostrophe;
  amounts are numbers we write ourselves and are never changed (a correction's `-12,50` stays a number);
- `bookings.json`: lossless (every Booking field, Decimals as strings), with a top-level `schema`;
- `manifest.json`: the SHA-256 and size of every other file, and what the batch is.

Pure: no I/O, no clock (`context.created_at` is the only time written).
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
import re
from collections.abc import Callable, Sequence
from datetime import date
from decimal import Decimal
from enum import Enum
from typing import Any

from ksef_tui.core.booking_draft import vat_deductible
from ksef_tui.core.bookings import Booking, BookingLine, BookingStatus
from ksef_tui.core.exports import (
    ExportContext,
    ExportFile,
    ExportFormat,
    ExportItem,
    ExportOutput,
    ExportWarning,
)
from ksef_tui.core.i18n import _

BOOKINGS_SCHEMA = "ksef-tui/bookings/1"
MANIFEST_SCHEMA = "ksef-tui/manifest/1"
CSV_NAME = "bookings.csv"
JSON_NAME = "bookings.json"
MANIFEST_NAME = "manifest.json"
BOM = "\ufeff"
# Store-internal row ids: they mean nothing outside this store (the KSeF number and the client's NIP
# identify a booking everywhere).
INTERNAL_FIELDS = frozenset({"id", "client_id"})
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_SAFE_NAME = re.compile(r"[0-9A-Za-z][0-9A-Za-z-]*")


# -- values -------------------------------------------------------------------------------------------


def plain(value: Any) -> Any:
    """A value as JSON: Decimal as its exact string, dates ISO (a datetime with its offset), enums by
    value, tuples as lists, dataclasses as objects (store-internal ids left out)."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):  # and datetime, a subclass
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name not in INTERNAL_FIELDS
        }
    return value


def decimal_comma(value: Decimal | None) -> str:
    """`1234.5` → `1234,5`; never an exponent, no thousands separator; None → empty."""
    if value is None:
        return ""
    return format(value, "f").replace(".", ",")


def neutralised(text: str) -> str:
    """Text a spreadsheet would run as a formula gets a leading apostrophe (shown as text, not run)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _day(value: date | None) -> str:
    return value.isoformat() if value is not None else ""


# -- bookings.csv -------------------------------------------------------------------------------------

Row = tuple[Booking, BookingLine, ExportContext]
# (column, value, is text): text values are neutralised against formula injection; the others are
# amounts, rates, dates and codes we format ourselves.
COLUMNS: tuple[tuple[str, Callable[[Row], str], bool], ...] = (
    ("ksef_number", lambda r: r[0].ksef_number, True),
    ("client_nip", lambda r: r[2].client_nip, True),
    ("seller_nip", lambda r: r[0].seller_nip, True),
    ("seller_name", lambda r: r[0].seller_name, True),
    ("invoice_number", lambda r: r[0].invoice_number, True),
    ("doc_kind", lambda r: r[0].doc_kind, True),
    ("issue_date", lambda r: _day(r[0].issue_date), False),
    ("receipt_date", lambda r: _day(r[0].receipt_date), False),
    ("vat_period", lambda r: r[0].vat_period, True),
    ("cost_period", lambda r: r[0].cost_period, True),
    ("vat_register", lambda r: r[0].vat_register, True),
    ("line_no", lambda r: str(r[1].line_no), False),
    ("vat_rate", lambda r: r[1].vat_rate, True),
    ("net", lambda r: decimal_comma(r[1].net), False),
    ("vat", lambda r: decimal_comma(r[1].vat), False),
    ("vat_deductible", lambda r: decimal_comma(vat_deductible(r[1])), False),
    ("deduction", lambda r: r[1].deduction.value, False),
    ("deduction_pct", lambda r: decimal_comma(r[1].deduction_pct), False),
    ("jpk_group", lambda r: r[1].jpk_group.value, False),
    ("kpir_column", lambda r: r[1].kpir_column.value, False),
    ("cost_share_pct", lambda r: str(r[1].cost_share_pct), False),
    ("gl_account", lambda r: r[1].gl_account, True),
    ("gl_contra", lambda r: r[1].gl_contra, True),
    ("cost_centre", lambda r: r[1].cost_centre, True),
    ("source_lines", lambda r: ",".join(str(n) for n in r[1].source_lines), False),
    ("gross", lambda r: decimal_comma(r[0].gross), False),
    ("description", lambda r: r[0].description, True),
    ("note", lambda r: r[0].note, True),
    ("status", lambda r: r[0].status.value, False),
    ("decided_by", lambda r: r[0].decided_by, True),
    ("decided_at", lambda r: r[0].decided_at.isoformat() if r[0].decided_at else "", False),
    ("currency", lambda r: r[0].currency, True),
    ("fx_rate", lambda r: decimal_comma(r[0].fx_rate), False),
)
CSV_HEADER = tuple(name for name, _get, _text in COLUMNS)


def bookings_csv(bookings: Sequence[Booking], context: ExportContext) -> bytes:
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=";", quotechar='"', lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(CSV_HEADER)
    for booking in bookings:
        for line in booking.lines:
            row = (booking, line, context)
            writer.writerow([neutralised(get(row)) if text else get(row) for _name, get, text in COLUMNS])
    return (BOM + out.getvalue()).encode("utf-8", "surrogatepass")


# -- bookings.json and the manifest ---------------------------------------------------------------


def _head(context: ExportContext) -> dict[str, Any]:
    return {
        "program": context.program,
        "created_at": context.created_at.isoformat(),
        "client": {"nip": context.client_nip, "name": context.client_name, "short_code": context.short_code},
        "office": {"nip": context.office_nip, "name": context.office_name},
        "period": context.period,
        "period_kind": context.period_kind.value,
    }


def _json_bytes(value: Any) -> bytes:
    return (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode("utf-8", "surrogatepass")


def bookings_json(bookings: Sequence[Booking], context: ExportContext) -> bytes:
    return _json_bytes(
        {"schema": BOOKINGS_SCHEMA, **_head(context), "bookings": [plain(b) for b in bookings]}
    )


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest(files: Sequence[ExportFile], bookings: int, context: ExportContext) -> bytes:
    return _json_bytes(
        {
            "schema": MANIFEST_SCHEMA,
            "format": ExportFormat.BUNDLE.value,
            **_head(context),
            "bookings": bookings,
            "files": [{"name": f.name, "size": len(f.data), "sha256": sha256(f.data)} for f in files],
        }
    )


# -- the writer -------------------------------------------------------------------------------------


def write_bundle(items: Sequence[ExportItem], context: ExportContext) -> ExportOutput:
    """The bundle's files for these items, in their order (module doc). A booking without the invoice's
    XML, or whose KSeF number cannot be a file name, is a problem; an EXCLUDED one is skipped with a
    warning."""
    warnings: list[ExportWarning] = []
    problems: list[ExportWarning] = []
    kept: list[Booking] = []
    xml_files: list[ExportFile] = []
    seen: set[str] = set()
    for item in items:
        booking = item.booking
        number = booking.ksef_number
        if booking.status is BookingStatus.EXCLUDED:
            warnings.append(
                ExportWarning(
                    "bundle.excluded",
                    _("Invoice {number} is excluded from the client's costs; it was left out.").format(
                        number=number
                    ),
                    number,
                )
            )
            continue
        if not _SAFE_NAME.fullmatch(number):
            problems.append(
                ExportWarning(
                    "bundle.bad_number",
                    _("The KSeF number {number} cannot be a file name.").format(number=repr(number)),
                    number,
                )
            )
            continue
        if number.upper() in seen:
            problems.append(
                ExportWarning(
                    "bundle.duplicate",
                    _("Invoice {number} is in the export twice.").format(number=number),
                    number,
                )
            )
            continue
        seen.add(number.upper())
        if item.xml is None:
            problems.append(
                ExportWarning(
                    "bundle.missing_xml",
                    _(
                        "The store has no XML of invoice {number}; fetch the client's purchase invoices "
                        "again."
                    ).format(number=number),
                    number,
                )
            )
            continue
        kept.append(booking)
        xml_files.append(ExportFile(f"{number}.xml", bytes(item.xml)))
    if problems:
        return ExportOutput((), tuple(warnings), tuple(problems))
    files = [
        *xml_files,
        ExportFile(CSV_NAME, bookings_csv(kept, context)),
        ExportFile(JSON_NAME, bookings_json(kept, context)),
    ]
    files.append(ExportFile(MANIFEST_NAME, manifest(files, len(kept), context)))
    return ExportOutput(tuple(files), tuple(warnings), ())

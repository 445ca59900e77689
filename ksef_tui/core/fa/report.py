"""The headless inspector: `ksef-tui inspect FILE.xml --format json|text`.

`inspect_file`/`inspect_bytes` never raise: unreadable input becomes a report with `invoice=None`,
`valid=False` and a problem saying why, so the JSON always prints and the exit code is 2.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from ksef_tui.core.display_text import json_dumps, safe_display
from ksef_tui.core.fa.checks import check_hash, money, run_checks, sha256_b64
from ksef_tui.core.fa.findings import FaParseError, Finding, Severity, error
from ksef_tui.core.fa.model import KIND_LABELS, Invoice, Party
from ksef_tui.core.fa.parse import parse_invoice
from ksef_tui.core.fa.secure_xml import DEFAULT_MAX_BYTES, read_capped
from ksef_tui.core.fa.xsd import validate
from ksef_tui.core.i18n import _

EXIT_OK = 0
EXIT_WARNINGS = 1
EXIT_INVALID = 2


@dataclass(frozen=True, slots=True)
class InspectReport:
    source: str | None  # the path (or another label) the bytes came from
    invoice: Invoice | None  # None when the input could not be read as an invoice
    valid: bool  # valid against the official XSD
    problems: tuple[Finding, ...]
    sha256: str | None = None  # base64, as KSeF's metadata gives it

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(p for p in self.problems if p.severity is Severity.ERROR)

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(p for p in self.problems if p.severity is Severity.WARNING)


def inspect_bytes(
    data: bytes,
    *,
    source: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    expected_sha256: str | None = None,
    today: date | None = None,
) -> InspectReport:
    """Parse, validate against the XSD and check `data`. Never raises."""
    try:
        parsed = parse_invoice(data, max_bytes=max_bytes)
    except FaParseError as exc:
        return InspectReport(source=source, invoice=None, valid=False, problems=(exc.finding,))
    problems: list[Finding] = []
    try:
        xsd_findings = validate(parsed.root, parsed.invoice.form)
        problems += xsd_findings
        problems += parsed.problems
        problems += run_checks(parsed.invoice, today=today)
        if expected_sha256 is not None:
            problems += check_hash(data, expected_sha256)
    except Exception as exc:  # a defect in a check must not take the command line down with it
        xsd_findings = [
            error("internal-error", _("Internal error while checking: {error}").format(error=exc))
        ]
        problems += xsd_findings
    return InspectReport(
        source=source,
        invoice=parsed.invoice,
        valid=not xsd_findings,
        problems=tuple(problems),
        sha256=sha256_b64(data),
    )


def inspect_file(
    path: Path,
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    expected_sha256: str | None = None,
    today: date | None = None,
) -> InspectReport:
    """Inspect one invoice file; the size is checked before anything is read."""
    path = Path(path)
    try:
        data = read_capped(path, max_bytes)
    except FaParseError as exc:
        return InspectReport(source=str(path), invoice=None, valid=False, problems=(exc.finding,))
    return inspect_bytes(
        data, source=str(path), max_bytes=max_bytes, expected_sha256=expected_sha256, today=today
    )


def exit_code(report: InspectReport) -> int:
    """0 valid and clean, 1 warnings only, 2 invalid (XSD or any error finding) or unreadable."""
    if report.invoice is None or not report.valid or report.errors:
        return EXIT_INVALID
    return EXIT_WARNINGS if report.warnings else EXIT_OK


# ------------------------------------------------------------------------------------------------
# rendering


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else f"{money(value):.2f}"


def _party_json(party: Party | None) -> dict[str, Any] | None:
    if party is None:
        return None
    return {"nip": party.nip, "name": party.name or ""}


def report_dict(report: InspectReport) -> dict[str, Any]:
    """The JSON report as a dict, with exactly the documented keys."""
    inv = report.invoice
    problems = [
        {"severity": p.severity.value, "code": p.code, "message": p.message, "line": p.line}
        for p in report.problems
    ]
    if inv is None:
        return {
            "form": None,
            "kind": None,
            "number": None,
            "issue_date": None,
            "currency": None,
            "seller": None,
            "buyer": None,
            "lines": None,
            "totals": None,
            "corrected": None,
            "valid": False,
            "problems": problems,
        }
    return {
        "form": inv.form.value,
        "kind": inv.kind,
        "number": inv.number,
        "issue_date": inv.issue_date.isoformat() if inv.issue_date else None,
        "currency": inv.currency,
        "seller": _party_json(inv.seller),
        "buyer": _party_json(inv.buyer),
        "lines": inv.line_count,
        "totals": {
            "net": _amount(inv.total_net),
            "vat": _amount(inv.total_vat),
            "gross": _amount(inv.gross),
        },
        "corrected": list(inv.corrected_refs),
        "valid": report.valid,
        "problems": problems,
    }


def render_json(report: InspectReport) -> str:
    """Control and bidi characters from the invoice come out as \\uXXXX escapes, never raw."""
    return json_dumps(report_dict(report), indent=2)


def _party_text(party: Party | None) -> str:
    if party is None:
        return "-"
    ident = party.tax_id
    name = party.name or "?"
    return f"{name} (NIP {ident})" if party.nip else f"{name} ({ident})" if ident else name


def render_text(report: InspectReport) -> str:
    """A plain, translated summary for a terminal or a log.

    Each line is passed through `safe_display` (one line each: a value cannot forge a line of its own),
    so control and bidi characters from the invoice never reach the terminal raw.
    """
    out: list[str] = []
    if report.source:
        out.append(_("File: {path}").format(path=report.source))
    inv = report.invoice
    if inv is None:
        out.append(_("The file could not be read as an invoice."))
    else:
        kind = inv.kind or "?"
        label = _(KIND_LABELS[kind]) if kind in KIND_LABELS else kind
        out.append(
            _("Invoice {number} ({form}, {kind}: {label})").format(
                number=inv.number or "?", form=inv.form.value, kind=kind, label=label
            )
        )
        out.append(
            _("Issued: {date}   Currency: {currency}").format(
                date=inv.issue_date.isoformat() if inv.issue_date else "-", currency=inv.currency or "-"
            )
        )
        out.append(_("Seller: {party}").format(party=_party_text(inv.seller)))
        out.append(_("Buyer: {party}").format(party=_party_text(inv.buyer)))
        out.append(_("Lines: {n}").format(n=inv.line_count))
        out.append(
            _("Net: {net}   VAT: {vat}   Gross: {gross}").format(
                net=_amount(inv.total_net), vat=_amount(inv.total_vat), gross=_amount(inv.gross) or "-"
            )
        )
        if inv.corrected_refs:
            out.append(_("Corrects: {refs}").format(refs=", ".join(inv.corrected_refs)))
        out.append(_("Valid against the XSD: yes") if report.valid else _("Valid against the XSD: no"))
    if report.problems:
        out.append(_("Problems ({n}):").format(n=len(report.problems)))
        for p in report.problems:
            sev = _("ERROR") if p.severity is Severity.ERROR else _("WARNING")
            where = _(" (line {line})").format(line=p.line) if p.line else ""
            out.append(f"  {sev} [{p.code}]{where}: {p.message}")
    else:
        out.append(_("No problems found."))
    return "\n".join(safe_display(line) for line in out) + "\n"

"""FA(2)/FA(3) e-invoices: a hardened parser, a typed model, checks and a headless report.

Layout: `secure_xml` (reading untrusted bytes), `parse` (XML -> `model.Invoice`), `xsd` (official
schemas), `checks` (arithmetic, identifiers, dates, hash), `report` (inspect + JSON/text output),
`generate` (valid FA(3) invoices for the simulator and benchmarks).
"""

from ksef_tui.core.fa.checks import check_hash, run_checks, sha256_b64
from ksef_tui.core.fa.findings import FaParseError, Finding, Severity
from ksef_tui.core.fa.generate import generate_invoice
from ksef_tui.core.fa.model import FormCode, Invoice, InvoiceKind
from ksef_tui.core.fa.parse import ParseResult, parse_invoice
from ksef_tui.core.fa.report import (
    InspectReport,
    exit_code,
    inspect_bytes,
    inspect_file,
    render_json,
    render_text,
)
from ksef_tui.core.fa.secure_xml import DEFAULT_MAX_BYTES
from ksef_tui.core.fa.xsd import validate

__all__ = [
    "DEFAULT_MAX_BYTES",
    "FaParseError",
    "Finding",
    "FormCode",
    "InspectReport",
    "Invoice",
    "InvoiceKind",
    "ParseResult",
    "Severity",
    "check_hash",
    "exit_code",
    "generate_invoice",
    "inspect_bytes",
    "inspect_file",
    "parse_invoice",
    "render_json",
    "render_text",
    "run_checks",
    "sha256_b64",
    "validate",
]

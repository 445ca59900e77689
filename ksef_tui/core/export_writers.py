"""The export formats' writers, in one place (issue 14): `WRITERS[format](items, context)`.

Every writer is pure and has the `Writer` signature of `core/exports.py`. The service
(`sync/exports.py`), the CLI and the benchmark look a format up here; a format not (yet) registered is
reported as "not available" rather than failing.
"""

from __future__ import annotations

from ksef_tui.core.export_bundle import write_bundle
from ksef_tui.core.export_epp import write_epp
from ksef_tui.core.export_jpk_pkpir import write_jpk_pkpir
from ksef_tui.core.export_jpk_v7m import write_jpk_v7m
from ksef_tui.core.exports import ExportFormat, Writer

WRITERS: dict[ExportFormat, Writer] = {
    ExportFormat.BUNDLE: write_bundle,
    ExportFormat.EPP: write_epp,
    ExportFormat.JPK_V7M: write_jpk_v7m,
    ExportFormat.JPK_PKPIR: write_jpk_pkpir,
}

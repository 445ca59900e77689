"""Validation against the official FA(2)/FA(3) XSDs shipped in `ksef_tui/resources/schemas/FA/`.

Compiling an XMLSchema takes a few hundred milliseconds, so each is built once per process (and per
thread: libxml2 schema objects should not validate concurrently from several threads).
"""

from __future__ import annotations

import re
import threading
from pathlib import Path

from lxml import etree

from ksef_tui.core.fa.findings import Finding, error
from ksef_tui.core.fa.model import FormCode
from ksef_tui.core.i18n import _
from ksef_tui.core.xml_safety import load_schema

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "resources" / "schemas" / "FA"
SCHEMA_FILES: dict[FormCode, str] = {
    FormCode.FA3: "schemat_FA(3)_v1-0E.xsd",
    FormCode.FA2: "schemat_FA(2)_v1-0E.xsd",
}
MAX_XSD_FINDINGS = 50

_local = threading.local()
_NS_IN_MESSAGE = re.compile(r"\{[^}]*\}")


def schema_path(form: FormCode) -> Path:
    return SCHEMA_DIR / SCHEMA_FILES[form]


def get_schema(form: FormCode) -> etree.XMLSchema:
    """The compiled schema for `form`, built on first use and cached (per thread)."""
    cache: dict[FormCode, etree.XMLSchema] | None = getattr(_local, "schemas", None)
    if cache is None:
        cache = _local.schemas = {}
    schema = cache.get(form)
    if schema is None:
        # The schemas are ours, but the parser is locked down anyway: the imports are made local
        # (bazowe/), and nothing outside resources/schemas may be opened.
        schema = cache[form] = load_schema(schema_path(form))
    return schema


def _clean(message: str) -> str:
    # "Element '{http://crd.gov.pl/wzor/2025/06/25/13775/}P_15': ..." -> "Element 'P_15': ..."
    return _NS_IN_MESSAGE.sub("", message)


def validate(root: etree._Element, form: FormCode) -> list[Finding]:
    """XSD findings (empty when valid), each with its line number; at most MAX_XSD_FINDINGS."""
    schema = get_schema(form)
    if schema.validate(root):
        return []
    findings: list[Finding] = []
    for entry in schema.error_log:
        if len(findings) >= MAX_XSD_FINDINGS:
            findings.append(
                error(
                    "xsd-more",
                    _("More schema errors were found; only the first {n} are shown.").format(
                        n=MAX_XSD_FINDINGS
                    ),
                )
            )
            break
        findings.append(
            error(
                "xsd",
                _("Does not match the {form} schema: {detail}").format(
                    form=form.value, detail=_clean(entry.message)
                ),
                entry.line or None,
            )
        )
    return findings

"""The official XSDs (ksef_tui/resources/schemas), loaded once on first use."""

from __future__ import annotations

import threading
from functools import cache
from pathlib import Path

from lxml import etree

from ksef_tui.core.xml_safety import load_schema

SCHEMAS = Path(__file__).resolve().parent.parent / "resources" / "schemas"
_lock = threading.Lock()


@cache
def _load(path: str) -> etree.XMLSchema:
    with _lock:
        return load_schema(Path(path))


def auth_schema(namespace: str) -> etree.XMLSchema:
    name = "schemat_auth_v2-1.xsd" if namespace.endswith("2.1") else "schemat_auth_v2-0.xsd"
    return _load(str(SCHEMAS / "auth" / name))


def fa3_schema() -> etree.XMLSchema:
    return _load(str(SCHEMAS / "FA" / "schemat_FA(3)_v1-0E.xsd"))


def fa2_schema() -> etree.XMLSchema:
    return _load(str(SCHEMAS / "FA" / "schemat_FA(2)_v1-0E.xsd"))


def upo_schema() -> etree.XMLSchema:
    return _load(str(SCHEMAS / "UPO" / "upo-v4-3.xsd"))

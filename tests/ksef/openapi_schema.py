"""JSON Schemas from the official OpenAPI 3.0 spec, usable with `jsonschema` (Draft 2020-12).

Generic on purpose (the simulator's tests may reuse it):

- `schema_for(path, method, status=None, request=False, content_type="application/json")` returns a
  self-contained schema for an operation's request body or its response for `status`. The spec's
  `components` are embedded, so `#/components/schemas/...` references resolve inside the returned
  document (no registry needed).
- OpenAPI 3.0 `nullable: true` is translated: `{"type": T, "nullable": true}` → `{"type": [T, "null"]}`;
  `{"allOf"/"$ref"/enum..., "nullable": true}` → `{"anyOf": [<schema>, {"type": "null"}]}`.
- `validator_for(...)` gives a ready `Draft202012Validator`; `route_for(method, path)` maps a concrete
  path (`/sessions/2025.../invoices`) to the spec's template; `parameters_for(...)` lists declared params.
"""

from __future__ import annotations

import copy
import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

SPEC_PATH = Path(__file__).resolve().parent.parent / "data" / "openapi" / "open-api.json"
_SCHEMA_KEYS_WITH_SUBSCHEMAS = ("items", "additionalProperties", "not")


@cache
def spec(path: str | None = None) -> dict[str, Any]:
    return json.loads(Path(path or SPEC_PATH).read_text(encoding="utf-8"))


def translate(node: Any) -> Any:
    """OpenAPI 3.0 schema object → JSON Schema 2020-12 (deep copy)."""
    if isinstance(node, list):
        return [translate(n) for n in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            out[key] = {k: translate(v) for k, v in value.items()}
        elif key in ("allOf", "anyOf", "oneOf"):
            out[key] = [translate(v) for v in value]
        elif key in _SCHEMA_KEYS_WITH_SUBSCHEMAS and isinstance(value, dict):
            out[key] = translate(value)
        elif key in ("example", "examples", "xml", "externalDocs", "discriminator"):
            continue  # annotations only
        else:
            out[key] = copy.deepcopy(value) if isinstance(value, dict | list) else value
    if out.pop("nullable", False):
        if isinstance(out.get("type"), str) and not any(
            k in out for k in ("allOf", "anyOf", "oneOf", "$ref")
        ):
            out["type"] = [out["type"], "null"]
            if "enum" in out:
                out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


@cache
def _components(spec_path: str | None = None) -> dict[str, Any]:
    comps = spec(spec_path).get("components", {})
    return {"schemas": {name: translate(s) for name, s in comps.get("schemas", {}).items()}}


def _operation(path: str, method: str, spec_path: str | None = None) -> dict[str, Any]:
    try:
        return spec(spec_path)["paths"][path][method.lower()]
    except KeyError:
        raise KeyError(f"{method.upper()} {path} is not in the spec") from None


def schema_for(
    path: str,
    method: str,
    status: int | str | None = None,
    request: bool = False,
    content_type: str = "application/json",
    spec_path: str | None = None,
) -> dict[str, Any] | None:
    """The JSON Schema of a request body (`request=True`) or of the response `status` (default: the
    first 2xx). None when that part has no schema for `content_type`."""
    op = _operation(path, method, spec_path)
    if request:
        content = op.get("requestBody", {}).get("content", {})
    else:
        responses = op.get("responses", {})
        if status is None:
            status = next((s for s in responses if str(s).startswith("2")), None)
            if status is None:
                return None
        content = responses.get(str(status), {}).get("content", {})
    media = content.get(content_type)
    if not media or "schema" not in media:
        return None
    root = translate(media["schema"])
    root["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    root["components"] = _components(spec_path)
    return root


def validator_for(path: str, method: str, **kw: Any) -> Draft202012Validator | None:
    schema = schema_for(path, method, **kw)
    return None if schema is None else Draft202012Validator(schema)


def success_status(path: str, method: str) -> str | None:
    return next((s for s in _operation(path, method).get("responses", {}) if str(s).startswith("2")), None)


@cache
def _route_table(spec_path: str | None = None) -> list[tuple[str, str, re.Pattern[str]]]:
    table = []
    for template, ops in spec(spec_path)["paths"].items():
        regex = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", r"[^/]+", re.escape(template)) + "$")
        for method in ops:
            if method in ("get", "post", "put", "delete", "patch"):
                table.append((method.upper(), template, regex))
    # Prefer templates with more literal segments (`/invoices/failed` over `/invoices/{ref}`).
    table.sort(key=lambda t: (t[1].count("{"), -len(t[1])))
    return table


def route_for(method: str, path: str, spec_path: str | None = None) -> str | None:
    """The spec template a concrete path belongs to (path without the `/v2` prefix)."""
    for m, template, regex in _route_table(spec_path):
        if m == method.upper() and regex.match(path):
            return template
    return None


def parameters_for(path: str, method: str, where: str = "query") -> dict[str, dict[str, Any]]:
    """Declared parameters of an operation (`where`: query, header, path) by name."""
    op = _operation(path, method)
    return {p["name"]: p for p in op.get("parameters", []) if p.get("in") == where}


def example_file_stem(path: str, method: str) -> str:
    """`GET /sessions/{referenceNumber}/invoices` → `GET_sessions_referenceNumber_invoices`."""
    return method.upper() + "_" + re.sub(r"[^A-Za-z0-9]+", "_", path).strip("_")

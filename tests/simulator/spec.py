"""OpenAPI 3.0 (the official KSeF spec) -> JSON Schema, for conformance assertions.

A small local resolver (tests/ksef/openapi_schema.py may supersede it): `nullable` becomes a union
with null, `$ref`s point into a shared registry, and objects reject properties the spec does not
define (strict), so a misspelt field fails the test instead of slipping through.
"""

from __future__ import annotations

import copy
import json
from functools import cache
from pathlib import Path

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

SPEC_PATH = Path(__file__).resolve().parents[1] / "data" / "openapi" / "open-api.json"
URI = "urn:ksef-openapi"


@cache
def spec() -> dict:
    return json.loads(SPEC_PATH.read_text("utf-8"))


def _convert(node: object) -> object:
    if isinstance(node, list):
        return [_convert(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in ("example", "examples", "xml", "discriminator", "readOnly", "writeOnly", "deprecated"):
            continue
        if key == "$ref" and isinstance(value, str) and value.startswith("#/components/schemas/"):
            out["$ref"] = f"{URI}#/definitions/{value.rsplit('/', 1)[1]}"
            continue
        out[key] = _convert(value)
    if out.get("type") == "object" and "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    if out.pop("nullable", False):
        return {"anyOf": [out, {"type": "null"}]}
    return out


@cache
def _registry() -> Registry:
    definitions = {name: _convert(s) for name, s in spec()["components"]["schemas"].items()}
    root = {"definitions": definitions}
    return Registry().with_resource(URI, Resource.from_contents(root, default_specification=DRAFT7))


def response_schema(path: str, method: str, status: int, media_type: str | None = None) -> dict:
    op = spec()["paths"][path][method.lower()]
    content = op["responses"][str(status)].get("content") or {}
    if media_type is None:
        media_type = next(iter(content))
    return _convert(copy.deepcopy(content[media_type]["schema"]))  # type: ignore[return-value]


def request_schema(path: str, method: str) -> dict:
    op = spec()["paths"][path][method.lower()]
    content = op["requestBody"]["content"]
    return _convert(copy.deepcopy(next(iter(content.values()))["schema"]))  # type: ignore[return-value]


def validate(instance: object, schema: dict) -> None:
    validator = jsonschema.Draft7Validator(schema, registry=_registry())
    errors = sorted(validator.iter_errors(instance), key=lambda e: list(e.path))
    if errors:
        raise AssertionError("; ".join(f"{list(e.path)}: {e.message}" for e in errors[:5]))


def documented_statuses(path: str, method: str) -> set[int]:
    return {int(code) for code in spec()["paths"][path][method.lower()]["responses"]}

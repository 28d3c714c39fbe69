"""docs/openapi.json for tests: the document, and a small check that a real JSON body has exactly
the fields, and the types, its schema describes (so the spec and the code cannot drift apart)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

SPEC_PATH = Path(__file__).resolve().parents[1] / "docs" / "openapi.json"
_TYPES = {
    "object": dict,
    "array": list,
    "string": str,
    "integer": int,
    "boolean": bool,
    "null": type(None),
}


@cache
def spec() -> dict:
    return json.loads(SPEC_PATH.read_text(encoding="utf-8"))


def resolve(node: dict) -> dict:
    """Follow a local $ref ("#/components/schemas/Error") to what it names."""
    while "$ref" in node:
        target = spec()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def check_body(body: object, schema_name: str) -> None:
    _check(body, {"$ref": f"#/components/schemas/{schema_name}"}, schema_name)


def _check(value: object, schema: dict, where: str) -> None:
    schema = resolve(schema)
    kinds = schema.get("type", [])
    kinds = [kinds] if isinstance(kinds, str) else kinds
    if kinds:
        # bool is an int in Python; a JSON true is never an integer.
        json_type = "boolean" if isinstance(value, bool) else None
        matches = [
            kind
            for kind in kinds
            if json_type == kind or (json_type is None and isinstance(value, _TYPES[kind]))
        ]
        assert matches, f"{where}: {value!r} is not {' or '.join(kinds)}"
    if "enum" in schema:
        assert value in schema["enum"], f"{where}: {value!r} is not one of {schema['enum']}"
    if isinstance(value, dict) and "properties" in schema:
        described = set(schema["properties"])
        assert set(value) == described, (
            f"{where}: undescribed {sorted(set(value) - described)}, "
            f"missing {sorted(described - set(value))}"
        )
        for name, item in value.items():
            _check(item, schema["properties"][name], f"{where}.{name}")
    if isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value):
            _check(item, schema["items"], f"{where}[{index}]")

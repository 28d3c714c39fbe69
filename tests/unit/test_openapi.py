"""docs/openapi.json describes every competitions, tickets and export route the app registers, and
nothing it does not: adding a route without documenting it fails here."""

from __future__ import annotations

import re

from luckyclub.api.routes import build_api
from tests.openapi import resolve, spec

DOCUMENTED_PREFIXES = ("/api/competitions", "/api/tickets", "/api/admin/competitions")
METHODS = ("get", "post", "put", "patch", "delete")


def registered() -> set[tuple[str, str]]:
    """(path, method) of each route under the documented prefixes, as OpenAPI writes paths."""
    found = set()
    for route in build_api().routes:
        if route.path.startswith(DOCUMENTED_PREFIXES):
            path = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)  # {id:int} → {id}
            found |= {(path, method.lower()) for method in route.methods if method != "HEAD"}
    return found


def described() -> set[tuple[str, str]]:
    return {
        (path, method)
        for path, item in spec()["paths"].items()
        if path.startswith(DOCUMENTED_PREFIXES)
        for method in item
        if method in METHODS
    }


def test_every_competitions_route_is_described_and_every_description_is_a_route():
    assert registered(), "no routes found: were the prefixes renamed?"
    assert registered() - described() == set(), "routes missing from docs/openapi.json"
    assert described() - registered() == set(), "docs/openapi.json describes routes that are gone"


def test_it_is_openapi_3_1_and_every_operation_has_a_summary_and_an_id():
    assert spec()["openapi"].startswith("3.1")
    ids = []
    for path, item in spec()["paths"].items():
        for method, operation in item.items():
            assert operation.get("summary"), f"{method.upper()} {path} has no summary"
            ids.append(operation["operationId"])
            for name in re.findall(r"\{(\w+)\}", path):
                declared = [resolve(p)["name"] for p in operation.get("parameters", [])]
                assert name in declared, f"{method.upper()} {path}: {{{name}}} not declared"
    assert len(ids) == len(set(ids)), "operationIds must be unique"


def test_errors_of_the_competitions_api_are_error_sentences():
    for path, item in spec()["paths"].items():
        if not path.startswith(DOCUMENTED_PREFIXES):
            continue
        for method, operation in item.items():
            for status, response in operation["responses"].items():
                if status.startswith(("4", "5")):
                    content = resolve(response)["content"]["application/json"]
                    assert resolve(content["schema"]) == resolve(
                        {"$ref": "#/components/schemas/Error"}
                    ), f"{method.upper()} {path} {status}"
                    assert content["example"]["error"].endswith("."), f"{path} {status}"


def test_every_reference_resolves():
    def walk(node):
        if isinstance(node, dict):
            if "$ref" in node:
                resolve(node)  # a KeyError names the broken reference
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(spec())

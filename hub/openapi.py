"""The OpenAPI document as the hub really answers (checked by tests/contract/test_schemathesis.py).

FastAPI documents success responses and a 422 in its own validation-error shape; the hub
answers every error, validation included (400), as ``application/problem+json``
(``hub.app``). ``install(app)`` wraps ``app.openapi`` so that the document:

- has a ``Problem`` schema (RFC 9457) and a ``bearer`` security scheme;
- on every operation: FastAPI's 422 becomes a problem (kept only where a body can be an
  invalid document), and 400, 429 and a ``default`` problem are added; routes behind
  ``Authorize`` also get 401, 403 and ``security: bearer``; routes with path parameters 404;
- has no dangling ``#/$defs/...`` references: schemas embedded in ``openapi_extra`` (YAML
  or JSON document bodies) carry pydantic's ``$defs``, which are hoisted into
  ``components/schemas``, since such a reference resolves against the document root.
"""

from __future__ import annotations

import copy
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts

from hub.deps import Authorize

PROBLEM_JSON = "application/problem+json"
PROBLEM_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": "Problem",
    "description": "RFC 9457 problem details; some problems add fields (errors, error, ...)",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "request_id": {"type": "string"},
    },
    "additionalProperties": True,
}
_METHODS = ("get", "put", "post", "patch", "delete", "head", "options")


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = FastAPI.openapi(app)
            app.openapi_schema = describe_problems(document, guarded=_guarded_operations(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]


def describe_problems(document: dict[str, Any], *, guarded: set[tuple[str, str]]) -> dict[str, Any]:
    document = copy.deepcopy(document)
    components = document.setdefault("components", {})
    schemas = components.setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    components.setdefault("securitySchemes", {})["bearer"] = {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    for path, item in document.get("paths", {}).items():
        for method in _METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            _hoist_defs(operation, schemas)
            _responses(operation, path, (method, path) in guarded)
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    return document


def _problem(description: str, headers: dict[str, Any] | None = None) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": description,
        "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
    }
    if headers:
        response["headers"] = headers
    return response


def _responses(operation: dict[str, Any], path: str, guarded: bool) -> None:
    responses = operation.setdefault("responses", {})
    had_422 = responses.pop("422", None) is not None
    responses["400"] = _problem("Bad request: invalid parameters or body, purpose missing")
    if had_422 and "requestBody" in operation:
        responses["422"] = _problem("The document is well-formed but invalid")
    if guarded:
        operation["security"] = [{"bearer": []}]
        responses["401"] = _problem(
            "No valid bearer token",
            {"WWW-Authenticate": {"schema": {"type": "string"}}},
        )
        responses["403"] = _problem("The token does not grant this")
    if "{" in path:
        responses["404"] = _problem("Not found (or not visible to you)")
    responses["429"] = _problem(
        "Rate limit or concurrent export limit reached",
        {"Retry-After": {"description": "seconds", "schema": {"type": "string"}}},
    )
    responses["default"] = _problem("Any other error")


def _hoist_defs(operation: dict[str, Any], schemas: dict[str, Any]) -> None:
    """Move the ``$defs`` under ``operation`` into components and point their refs there.

    A def whose name is taken by a different component schema is renamed (``Name_1``)."""
    found: dict[str, Any] = {}
    _pop_defs(operation, found)
    if not found:
        return
    names = {name: name for name in found}
    for name in found:
        candidate, n = name, 0
        while candidate in schemas and schemas[candidate] != _rewritten(found[name], names):
            n += 1
            candidate = f"{name}_{n}"
        names[name] = candidate
    for name, schema in found.items():
        schemas[names[name]] = _rewritten(schema, names)
    operation.update(_rewritten(operation, names))


def _pop_defs(node: Any, found: dict[str, Any]) -> None:
    if isinstance(node, dict):
        defs = node.pop("$defs", None)
        if isinstance(defs, dict):
            for name, schema in defs.items():
                _pop_defs(schema, found)
                found[name] = schema
        for value in node.values():
            _pop_defs(value, found)
    elif isinstance(node, list):
        for value in node:
            _pop_defs(value, found)


def _rewritten(node: Any, names: dict[str, str]) -> Any:
    if isinstance(node, dict):
        out = {k: _rewritten(v, names) for k, v in node.items()}
        ref = out.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            name = ref.removeprefix("#/$defs/")
            out["$ref"] = "#/components/schemas/" + names.get(name, name)
        return out
    if isinstance(node, list):
        return [_rewritten(v, names) for v in node]
    return node


def _guarded_operations(app: FastAPI) -> set[tuple[str, str]]:
    out = set()
    for ctx in iter_route_contexts(app.routes):
        route = ctx.original_route
        if isinstance(route, APIRoute) and _has_gate(route.dependant):
            out.update((m.lower(), ctx.path) for m in ctx.methods or ())
    return out


def _has_gate(dependant: Dependant) -> bool:
    return any(isinstance(dep.call, Authorize) or _has_gate(dep) for dep in dependant.dependencies)

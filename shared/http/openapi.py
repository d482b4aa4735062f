"""Bring FastAPI's generated OpenAPI document in line with the NL API Design Rules.

FastAPI documents what the code declares; the platform's conventions add what
every operation has in common and what FastAPI would describe wrongly:

- paths relative to the server URL, which carries the major version (``.../v1``);
- the ``API-Version`` header on every response (/core/version-header);
- errors as ``application/problem+json`` with the problem-details schema, 400 for
  invalid input instead of FastAPI's 422, 401/403 on secured operations, 404 on
  operations with path parameters, 500 everywhere (/core/error-handling/*);
- component schema names in PascalCase (FastAPI derives some from function names).

The functions here work on the plain JSON document so that they can be tested and
reused without an app.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Final

from shared.http.middleware import API_VERSION_HEADER
from shared.http.problems import PROBLEM_MEDIA_TYPE, InvalidParam, ProblemDetails

Document = dict[str, Any]

HTTP_METHODS: Final = frozenset(
    {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
)
_SCHEMA_REF: Final = "#/components/schemas/"
_FASTAPI_VALIDATION_SCHEMAS: Final = ("HTTPValidationError", "ValidationError")

_ERROR_DESCRIPTIONS: Final = {
    "400": "Unreadable input (malformed JSON or parameters); `invalidParams` lists each.",
    "422": "Well-formed but invalid values; the problem lists each in `invalidParams`.",
    "401": "No valid bearer token (missing, expired, or not issued for this API).",
    "403": "The token lacks a scope this operation needs, or its organisation may not make "
    "this change (`detail` names who may).",
    "404": "The resource does not exist.",
    "500": "An unexpected error; the problem carries no internal details.",
}


def conform(document: Document, *, base_path: str, api_version: str) -> Document:
    """Apply the platform's conventions to ``document`` (in place) and return it."""
    document["paths"] = {
        _strip_base_path(path, base_path): item for path, item in document.get("paths", {}).items()
    }
    components = document.setdefault("components", {})
    components.setdefault("headers", {})[API_VERSION_HEADER] = _api_version_header(api_version)
    schemas = components.setdefault("schemas", {})
    schemas.update(_problem_schemas())

    for path, method, operation in _operations(document):
        _conform_responses(path, method, operation)

    _drop_unused_schemas(document, _FASTAPI_VALIDATION_SCHEMAS)
    pascal_case_schema_names(document)
    return document


def _strip_base_path(path: str, base_path: str) -> str:
    if path == base_path:
        return "/"
    if path.startswith(base_path + "/"):
        return path[len(base_path) :]
    raise ValueError(f"{path} is outside the versioned base path {base_path}")


def _api_version_header(api_version: str) -> dict[str, Any]:
    return {
        "description": "The full semantic version of the API that answered.",
        "schema": {"type": "string", "examples": [api_version]},
    }


def _problem_schemas() -> dict[str, Any]:
    ref_template = _SCHEMA_REF + "{model}"
    problem = ProblemDetails.model_json_schema(ref_template=ref_template)
    problem.pop("$defs", None)
    invalid_param = InvalidParam.model_json_schema(ref_template=ref_template, by_alias=True)
    return {"ProblemDetails": problem, "InvalidParam": invalid_param}


def _operations(document: Document) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document.get("paths", {}).items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


def _takes_input(method: str, operation: dict[str, Any]) -> bool:
    """Whether the operation can receive invalid input (/core/error-handling/invalid-input)."""
    return (
        bool(operation.get("parameters"))
        or "requestBody" in operation
        or method in {"post", "put", "patch"}
    )


def _conform_responses(path: str, method: str, operation: dict[str, Any]) -> None:
    responses: dict[str, Any] = operation.setdefault("responses", {})
    responses.pop("422", None)  # FastAPI's own 422 schema; ours is a problem document
    wanted = ["500"]
    if _takes_input(method, operation):
        wanted.append("400")
    if "requestBody" in operation:
        wanted.append("422")
    if operation.get("security"):
        wanted += ["401", "403"]
    if "{" in path:
        wanted.append("404")
    for status in wanted:
        responses.setdefault(status, {"description": _ERROR_DESCRIPTIONS[status]})

    for status, response in responses.items():
        if "$ref" in response:
            continue
        response.setdefault("headers", {})[API_VERSION_HEADER] = {
            "$ref": f"#/components/headers/{API_VERSION_HEADER}"
        }
        if status[:1] in {"4", "5"}:
            response["content"] = _problem_content(response.get("content"))
    operation["responses"] = dict(sorted(responses.items()))


def _problem_content(content: dict[str, Any] | None) -> dict[str, Any]:
    """Error content as problem+json, keeping a more specific schema when declared."""
    content = content or {}
    if PROBLEM_MEDIA_TYPE in content:
        return {PROBLEM_MEDIA_TYPE: content[PROBLEM_MEDIA_TYPE]}
    declared = content.get("application/json", {}).get("schema")
    if declared and declared.get("$ref", "").startswith(_SCHEMA_REF):
        return {PROBLEM_MEDIA_TYPE: {"schema": declared}}
    return {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": _SCHEMA_REF + "ProblemDetails"}}}


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _drop_unused_schemas(document: Document, names: tuple[str, ...]) -> None:
    schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
    # Drop in dependency order: HTTPValidationError refers to ValidationError.
    for name in names:
        if name in schemas and _SCHEMA_REF + name not in set(_refs(document)):
            del schemas[name]


_WORDS: Final = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def pascal_case(name: str) -> str:
    """``Page_Programme_`` -> ``PageProgramme``, ``HTTPError`` -> ``HttpError``."""
    return "".join(word.capitalize() for word in _WORDS.findall(name))


_PASCAL: Final = re.compile(r"^[A-Z][a-z0-9]*(?:[A-Z0-9](?:[a-z0-9]+|$))*$")


def pascal_case_schema_names(document: Document) -> None:
    """Rename component schemas to PascalCase and rewrite every reference to them.

    FastAPI names some schemas itself (``Thing-Input``/``Thing-Output``,
    ``Body_create_thing_v1_things_post``, ``Page_Thing_``), which the NL ruleset
    flags. A rename that would collide with an existing name is skipped.
    """
    schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
    renames: dict[str, str] = {}
    for name in schemas:
        if _PASCAL.match(name):
            continue
        new = pascal_case(name)
        if new and new not in schemas and new not in renames.values():
            renames[name] = new
    if not renames:
        return
    document["components"]["schemas"] = {renames.get(n, n): s for n, s in schemas.items()}
    ref_map = {_SCHEMA_REF + old: _SCHEMA_REF + new for old, new in renames.items()}
    _rewrite_refs(document, ref_map)


def _rewrite_refs(node: Any, ref_map: dict[str, str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value in ref_map:
                node[key] = ref_map[value]
            else:
                _rewrite_refs(value, ref_map)
        mapping = node.get("discriminator", {}).get("mapping") if "discriminator" in node else None
        if isinstance(mapping, dict):
            for key, value in mapping.items():
                mapping[key] = ref_map.get(value, value)
    elif isinstance(node, list):
        for value in node:
            _rewrite_refs(value, ref_map)

"""The API's page for people (`/api/docs/`, signed in by session): every operation of the
OpenAPI document the API serves, grouped by tag, with its parameters, body, answers and a
curl line to copy. Built from the document itself, so it cannot say other than the API."""

import functools
import json
import shlex
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from .api import api

# What each problem means to a caller (docs/api.md, "Errors", says the same).
PROBLEM_MEANINGS = {
    "401": "No usable token: none, or one unknown, revoked, expired, or whose person's "
           "account ended.",
    "403": "Your role does not allow it, or a read-only token tried to change something.",
    "404": "Nothing there, or something you may not see (the answer does not say which).",
    "405": "The path has no such operation: the Allow header lists those it has.",
    "409": "Not possible now: the rule is in detail, the field in errors.",
    "422": "Invalid input: each field's problem is in errors.",
    "429": "Too many calls with this token: wait Retry-After seconds.",
}
PROBLEM_REF = "#/components/schemas/Problem"
WRITES = {"post", "put", "patch", "delete"}


@functools.cache
def document() -> dict:
    """The OpenAPI document as /api/v1/openapi.json serves it (it changes only with the
    code), as plain JSON data."""
    return json.loads(json.dumps(api.get_openapi_schema(path_prefix="/api/v1")))


def _resolved(schema: dict, components: dict) -> dict:
    while "$ref" in schema:
        schema = components.get(schema["$ref"].rsplit("/", 1)[-1], {})
    return schema


def type_of(schema: dict, components: dict) -> str:
    """A schema in a few words: "integer", "string (date-time)", "list of Contract",
    "one of: active, paused", "string or nothing"."""
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if "enum" in schema:
        return "one of: " + ", ".join(str(v) for v in schema["enum"])
    for combined in ("anyOf", "oneOf"):
        if combined in schema:
            kinds = [type_of(option, components) for option in schema[combined]]
            kinds = [k for k in kinds if k != "null"] + (["nothing"] if "null" in kinds else [])
            return " or ".join(kinds)
    if "allOf" in schema and len(schema["allOf"]) == 1:
        return type_of(schema["allOf"][0], components)
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list of {type_of(schema.get('items', {}), components)}"
    if isinstance(kind, list):
        return " or ".join(kind)
    return f"{kind} ({schema['format']})" if "format" in schema else kind


def _description(schema: dict, components: dict) -> str:
    return schema.get("description") or _resolved(schema, components).get("description", "")


def parameters_of(operation: dict, components: dict) -> list[dict]:
    return [{"name": p["name"], "where": p["in"], "required": p.get("required", False),
             "type": type_of(p.get("schema", {}), components),
             "description": p.get("description") or _description(p.get("schema", {}),
                                                                  components)}
            for p in operation.get("parameters", [])]


def body_of(operation: dict, components: dict) -> dict | None:
    """The request body's media type and fields (name, type, required, description)."""
    content = operation.get("requestBody", {}).get("content", {})
    if not content:
        return None
    media_type, described = next(iter(content.items()))
    schema = _resolved(described.get("schema", {}), components)
    required = set(schema.get("required", []))
    fields = [{"name": name, "type": type_of(field, components), "required": name in required,
               "description": _description(field, components)}
              for name, field in schema.get("properties", {}).items()]
    return {"media_type": media_type, "fields": fields,
            "type": type_of(described.get("schema", {}), components)}


def responses_of(operation: dict, components: dict) -> list[dict]:
    answers = []
    for status, answer in sorted(operation.get("responses", {}).items()):
        content = answer.get("content", {})
        schemas = [described.get("schema", {}) for described in content.values()]
        is_problem = any(s.get("$ref") == PROBLEM_REF for s in schemas)
        meaning = PROBLEM_MEANINGS.get(status) if is_problem else None
        returns = "" if is_problem or not schemas else type_of(schemas[0], components)
        answers.append({"status": status, "meaning": meaning or answer.get("description", ""),
                        "returns": returns, "problem": is_problem})
    return answers


def _placeholder(field: dict) -> Any:
    kind = field["type"]
    if kind.startswith("list of"):
        return []
    return {"integer": 0, "number": 0, "boolean": False}.get(kind.split(" ")[0], "…")


def curl_for(method: str, path: str, base_url: str, parameters: list[dict],
             body: dict | None) -> str:
    """A curl line to copy: the token from $MUSTER_TOKEN, each path parameter left in
    braces to replace, the required query parameters and body fields with a value to
    replace."""
    query = "&".join(f"{p['name']}=…" for p in parameters
                     if p["where"] == "query" and p["required"])
    url = f"{base_url}{path}{'?' + query if query else ''}"
    lines = ["curl" + ("" if method == "get" else f" -X {method.upper()}"),
             '-H "Authorization: Bearer $MUSTER_TOKEN"']
    if body is not None:
        example = {f["name"]: _placeholder(f) for f in body["fields"] if f["required"]}
        lines += [f'-H "Content-Type: {body["media_type"]}"',
                  f"-d {shlex.quote(json.dumps(example, ensure_ascii=False))}"]
    lines.append(shlex.quote(url))
    return " \\\n  ".join(lines)


def groups(document: dict, base_url: str) -> list[dict]:
    """The operations by tag, in the order the document first names each tag."""
    components = document.get("components", {}).get("schemas", {})
    by_tag: dict[str, list[dict]] = {}
    for path, methods in document.get("paths", {}).items():
        for method, operation in methods.items():
            parameters = parameters_of(operation, components)
            body = body_of(operation, components)
            entry = {
                "id": operation.get("operationId", f"{method}-{path}"),
                "method": method.upper(), "path": path, "writes": method in WRITES,
                "summary": operation.get("summary", ""),
                "description": operation.get("description", ""),
                "parameters": parameters, "body": body,
                "responses": responses_of(operation, components),
                "curl": curl_for(method, path, base_url, parameters, body),
            }
            for tag in operation.get("tags") or ["other"]:
                by_tag.setdefault(tag, []).append(entry)
    return [{"tag": tag, "id": f"tag-{tag}", "operations": operations}
            for tag, operations in by_tag.items()]


def api_docs(request: HttpRequest) -> HttpResponse:
    base_url = request.build_absolute_uri("/").rstrip("/")
    spec = document()
    return render(request, "api/docs.html", {
        "info": spec["info"],
        "groups": groups(spec, base_url),
        "openapi_url": reverse("api:openapi-json"),
        "base_url": f"{base_url}/api/v1/",
        "problems": [{"status": status, "meaning": meaning}
                     for status, meaning in PROBLEM_MEANINGS.items()],
    })

"""The API's OpenAPI document: what clients (and schemathesis, and the docs page) rely on.
OpenAPI 3.1; every operation named, summarised, tagged, behind the bearer token, and
declaring the problems it can answer with; the committed docs/openapi.json is what the code
makes and what the server serves (`manage.py openapi --check` in .ci/run says the same)."""

import json

import pytest
from django.core.management import CommandError, call_command

from muster.api.management.commands.openapi import COMMITTED, current_document

PROBLEM_REF = "#/components/schemas/Problem"
PROBLEM_TYPE = "application/problem+json"
SCHEME = "PersonToken"
WRITES = {"post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def document() -> dict:
    return json.loads(current_document())


def operations(document: dict):
    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            yield path, method, operation


def problems_expected(path: str, method: str) -> set[str]:
    """Every operation: 401 (no usable token), 403 (a role, or a read-only token's write),
    422 (bad input), 429 (too many calls); 404 where the path names an object."""
    expected = {"401", "403", "422", "429"}
    if "{" in path:
        expected.add("404")
    return expected


def shortcomings(path: str, method: str, operation: dict) -> list[str]:
    found = []
    for field in ("operationId", "summary"):
        if not operation.get(field):
            found.append(f"no {field}")
    if not operation.get("tags"):
        found.append("no tag")
    if {SCHEME: []} not in operation.get("security", []):
        found.append(f"not behind the {SCHEME} bearer token")
    responses = operation.get("responses", {})
    if not any(status.startswith("2") for status in responses):
        found.append("no success answer")
    for status in sorted(problems_expected(path, method)):
        content = responses.get(status, {}).get("content", {})
        if content.get(PROBLEM_TYPE, {}).get("schema", {}).get("$ref") != PROBLEM_REF:
            found.append(f"{status} not declared as a problem ({PROBLEM_TYPE})")
    return found


def test_the_document_is_openapi_3_1_with_the_bearer_scheme_for_everything(document):
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"][SCHEME] == {
        **document["components"]["securitySchemes"][SCHEME], "type": "http", "scheme": "bearer"}
    assert document["security"] == [{SCHEME: []}]
    assert document["paths"], "no operation at all"


def test_every_operation_is_named_described_guarded_and_declares_its_problems(document):
    found = {f"{method.upper()} {path}": problems
             for path, method, operation in operations(document)
             if (problems := shortcomings(path, method, operation))}

    assert found == {}


def test_operation_ids_are_unique(document):
    ids = [operation["operationId"] for _, _, operation in operations(document)]

    assert len(ids) == len(set(ids))


def test_the_check_finds_an_operation_that_declares_too_little():
    bare = {"operationId": "x", "summary": "", "security": [],
            "responses": {"200": {}, "401": {"content": {"application/json": {
                "schema": {"$ref": PROBLEM_REF}}}}}}

    assert shortcomings("/api/v1/things/{thing_id}", "post", bare) == [
        "no summary", "no tag", "not behind the PersonToken bearer token",
        "401 not declared as a problem (application/problem+json)",
        "403 not declared as a problem (application/problem+json)",
        "404 not declared as a problem (application/problem+json)",
        "422 not declared as a problem (application/problem+json)",
        "429 not declared as a problem (application/problem+json)",
    ]


def test_the_committed_document_is_what_the_code_makes():
    assert COMMITTED.read_text() == current_document(), (
        "docs/openapi.json does not match the code: run `.venv/bin/python manage.py openapi` "
        "and commit it")


def test_the_server_serves_the_committed_document(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    assert response.json() == json.loads(COMMITTED.read_text())


def test_the_check_fails_in_one_line_naming_what_changed(tmp_path):
    stale = json.loads(current_document())
    path, method, _ = next(operations(stale))
    del stale["paths"][path][method]
    stale["paths"]["/api/v1/gone"] = {"get": {"summary": "Gone"}}
    target = tmp_path / "openapi.json"
    target.write_text(json.dumps(stale))

    with pytest.raises(CommandError) as refused:
        call_command("openapi", "--check", "--output", str(target))

    message = str(refused.value)
    assert "\n" not in message
    assert f"new in the code: {method.upper()} {path}" in message
    assert "gone from the code: GET /api/v1/gone" in message
    assert "manage.py openapi" in message

"""The API's page for people (/api/docs/): every operation of the served OpenAPI document,
by tag, with what a caller needs (parameters, body, answers, a curl line), readable without
JavaScript and in heading order."""

import itertools
import json
import re
from html.parser import HTMLParser

import pytest
from django.utils.html import escape

from muster.api import docs_page
from muster.api.management.commands.openapi import current_document
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


class Outline(HTMLParser):
    """The headings (level, text) of the page's main part, as shown: not the header and
    footer every page has, nor the hidden session warning (a dialog of its own)."""

    def __init__(self):
        super().__init__()
        self.headings: list[list] = []
        self._open: list | None = None
        self._in_main = False
        self._hidden_divs = 0  # how deep inside a hidden div

    def handle_starttag(self, tag, attrs):
        self._in_main = self._in_main or tag == "main"
        if tag == "div" and (self._hidden_divs or "hidden" in dict(attrs)):
            self._hidden_divs += 1
        if self._in_main and not self._hidden_divs and re.fullmatch(r"h[1-6]", tag):
            self._open = [int(tag[1]), ""]

    def handle_data(self, data):
        if self._open is not None:
            self._open[1] += data

    def handle_endtag(self, tag):
        self._in_main = self._in_main and tag != "main"
        if tag == "div" and self._hidden_divs:
            self._hidden_divs -= 1
        if self._open is not None and re.fullmatch(r"h[1-6]", tag):
            self.headings.append([self._open[0], " ".join(self._open[1].split())])
            self._open = None


@pytest.fixture
def page(client):
    client.force_login(UserFactory())
    response = client.get("/api/docs/")
    assert response.status_code == 200
    return response.content.decode()


def outline_of(html: str) -> list[list]:
    parser = Outline()
    parser.feed(html)
    return parser.headings


def test_every_operation_of_the_document_is_on_the_page(page):
    document = json.loads(current_document())

    for path, methods in document["paths"].items():
        for method, operation in methods.items():
            summary = escape(operation["summary"])
            assert f"{method.upper()}</span> <code>{path}</code>: {summary}" in page
    assert 'href="/api/v1/openapi.json"' in page
    assert "Authorization: Bearer $MUSTER_TOKEN" in page
    assert "curl \\\n  -H &quot;Authorization: Bearer $MUSTER_TOKEN&quot; \\\n  " \
           "http://testserver/api/v1/me</pre>" in page


def test_one_h1_and_headings_in_order(page):
    levels = [level for level, _ in outline_of(page)]

    assert levels.count(1) == 1 and levels[0] == 1
    assert all(after - before <= 1 for before, after in itertools.pairwise(levels))


def test_the_page_names_the_errors_and_paging(page):
    headings = [text for level, text in outline_of(page) if level == 2]

    assert {"Tokens", "Errors", "Paging", "Operations: Me"} <= set(headings)
    assert "Too many calls with this token: wait Retry-After seconds." in page


A_WRITE = {
    "openapi": "3.1.0", "info": {"title": "T", "version": "1"},
    "components": {"schemas": {
        "Problem": {"type": "object"},
        "Decision": {"type": "object", "required": ["approve"], "properties": {
            "approve": {"type": "boolean", "description": "Yes or no."},
            "reason": {"anyOf": [{"type": "string"}, {"type": "null"}]},
            "services": {"type": "array", "items": {"type": "string"}}}},
        "Request": {"type": "object", "properties": {}},
    }},
    "paths": {"/api/v1/requests/{request_id}/decision": {"post": {
        "operationId": "decide", "summary": "Decide a request", "tags": ["requests"],
        "description": "The COR decides.",
        "parameters": [
            {"in": "path", "name": "request_id", "required": True,
             "schema": {"type": "integer"}},
            {"in": "query", "name": "notify", "required": True,
             "schema": {"type": "string", "enum": ["yes", "no"]}},
            {"in": "query", "name": "when", "required": False,
             "schema": {"type": "string", "format": "date"}, "description": "The day."}],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/Decision"}}}},
        "responses": {
            "200": {"description": "OK", "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/Request"}}}},
            "409": {"description": "Conflict", "content": {"application/problem+json": {
                "schema": {"$ref": "#/components/schemas/Problem"}}}}},
    }}},
}


def test_an_operation_with_parameters_and_a_body_is_described_from_the_document():
    [group] = docs_page.groups(A_WRITE, "https://muster.example.gov")
    [op] = group["operations"]

    assert (group["tag"], op["method"], op["summary"]) == ("requests", "POST", "Decide a request")
    assert [(p["name"], p["where"], p["required"], p["type"], p["description"])
            for p in op["parameters"]] == [
        ("request_id", "path", True, "integer", ""),
        ("notify", "query", True, "one of: yes, no", ""),
        ("when", "query", False, "string (date)", "The day."),
    ]
    assert [(f["name"], f["required"], f["type"]) for f in op["body"]["fields"]] == [
        ("approve", True, "boolean"), ("reason", False, "string or nothing"),
        ("services", False, "list of string")]
    assert [(r["status"], r["returns"], r["problem"]) for r in op["responses"]] == [
        ("200", "Request", False), ("409", "", True)]
    assert op["responses"][1]["meaning"].startswith("Not possible now")
    assert op["curl"] == (
        "curl -X POST \\\n"
        '  -H "Authorization: Bearer $MUSTER_TOKEN" \\\n'
        '  -H "Content-Type: application/json" \\\n'
        """  -d '{"approve": false}' \\\n"""
        "  'https://muster.example.gov/api/v1/requests/{request_id}/decision?notify=…'")


def test_signed_out_visitors_are_sent_to_sign_in(client):
    response = client.get("/api/docs/")

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]

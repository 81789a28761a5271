"""Every answer under /api/v1/ is a problem a client can read, at the edges too: a path that
is no operation, a method its path lacks, a body that is not JSON, an Authorization header
that cannot hold a token. HEAD is answered as GET (RFC 9110 §9.3.2)."""

import base64
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from ninja import NinjaAPI, Schema, Status
from ninja.pagination import CursorPagination, paginate
from ninja.testing import TestClient

from muster.api import problems
from muster.contracts.models import Organization
from tests.api.conftest import token_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


@pytest.mark.parametrize("path", ["/api/v1/", "/api/v1/nothing", "/api/v1/me/",
                                  "/api/v1/contracts/1/nothing/here"])
@pytest.mark.parametrize("with_token", [True, False])
def test_a_path_that_is_no_operation_is_a_404_problem(path, with_token):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token_for(UserFactory())}"} if with_token else {}

    assert_problem(Client(**headers).get(path), 404)


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete", "options"])
def test_a_method_the_path_lacks_is_a_405_problem_naming_the_allowed_ones(method):
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token_for(UserFactory())}")

    response = getattr(client, method)("/api/v1/me")

    body = assert_problem(response, 405)
    assert response["Allow"] == "GET, HEAD"
    assert method.upper() in body["detail"]


def test_head_is_answered_as_get_without_a_body():
    person = UserFactory()
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token_for(person)}")

    response = client.head("/api/v1/me")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response.content == b""


@pytest.mark.parametrize("header", ["Bearer mst_a\x00b_c", "Bearer mst_\x00", "Bearer \x00",
                                    "Bearer mst_é_x", "Bearer mst_" + "a" * 300 + "_b"])
def test_an_authorization_header_that_cannot_hold_a_token_is_a_401_problem(header):
    # A NUL byte reached PostgreSQL, which refuses it in a query: it was a 500 there.
    assert_problem(Client().get("/api/v1/me", HTTP_AUTHORIZATION=header), 401)


def test_spaces_around_the_token_are_the_headers_not_the_tokens():
    person = UserFactory()
    raw = token_for(person)

    response = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer   {raw} ")

    assert response.status_code == 200
    assert response.json()["email"] == person.email


class Note(Schema):
    text: str


class Named(Schema):
    name: str


def an_api_with_a_write() -> NinjaAPI:
    """A small API with the foundation's problems and one operation with a JSON body (the
    project's own writes come with their areas)."""
    api = NinjaAPI(urls_namespace="problems-at-the-edges")
    problems.install(api)

    @api.post("/notes", response={201: Note, **problems.WRITE})
    def add_note(request, note: Note):
        return Status(201, note)

    @api.get("/organizations", response={200: list[Named], **problems.COMMON})
    @paginate(CursorPagination, ordering=("-id",))
    def organizations(request, fail: bool = False):
        if fail:
            raise RuntimeError("A fault of the view's own")
        return Organization.objects.all()

    @api.post("/organizations", response={201: Note, **problems.WRITE})
    def add_organization(request, note: Note):
        # As a service does: the model's own validation (full_clean) refuses the input.
        Organization(name=note.text, harp_name=note.text).full_clean()
        Organization.objects.create(name=note.text, harp_name=note.text)
        return Status(201, note)

    return api


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe", b'{"text": '])
def test_a_body_that_is_not_json_is_a_422_problem_about_the_body(body):
    client = TestClient(an_api_with_a_write())

    response = client.post("/notes", data=body, content_type="application/json")

    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    assert response.json()["errors"] == [{"field": "body",
                                          "message": "The body is not valid JSON."}]


def test_a_body_of_the_wrong_shape_is_a_422_problem_naming_the_field():
    client = TestClient(an_api_with_a_write())

    response = client.post("/notes", json={"text": ["not", "text"]})

    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["note.text"]


def test_input_the_models_validation_refuses_is_a_422_problem_by_field():
    # A service's full_clean raises Django's ValidationError: it was a 500.
    client = TestClient(an_api_with_a_write())

    response = client.post("/organizations", json={"text": "Zero\u200bwidth"})

    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    assert {e["field"] for e in response.json()["errors"]} == {"name", "harp_name"}


def _cursor(raw: str) -> str:
    return base64.b64encode(raw.encode()).decode()


@pytest.mark.parametrize("cursor", ["!!!", _cursor("o=abc"), _cursor("p=abc"), _cursor("o=-5"),
                                    _cursor("r=maybe"), _cursor("o=" + "9" * 30),
                                    _cursor("p=\x00")])
def test_a_cursor_the_api_did_not_give_is_a_422_problem_about_the_cursor(cursor):
    # ninja's pagination trusts a cursor it can decode: all but the first were 500s.
    client = TestClient(an_api_with_a_write())
    client.post("/organizations", json={"text": "Alder"})

    response = client.get(f"/organizations?page_size=1&cursor={cursor}")

    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    assert [e["field"] for e in response.json()["errors"]] == ["cursor"]
    assert response.json()["errors"][0]["message"]


def test_the_cursors_the_api_gives_page_through_everything():
    client = TestClient(an_api_with_a_write())
    for name in ("Alder", "Birch", "Cedar"):
        client.post("/organizations", json={"text": name})
    names, cursor = [], ""

    while cursor is not None:
        page = client.get(f"/organizations?page_size=2&cursor={cursor}").json()
        names += [o["name"] for o in page["results"]]
        cursor = page["next"] and parse_qs(urlsplit(page["next"]).query)["cursor"][0]

    assert names == ["Cedar", "Birch", "Alder"]


def test_a_fault_of_the_view_itself_is_still_a_500_with_a_cursor():
    client = TestClient(an_api_with_a_write())

    response = client.get(f"/organizations?fail=true&cursor={_cursor('o=1')}")

    assert response.status_code == 500

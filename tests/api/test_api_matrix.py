"""The API's authorization matrix: every operation of the OpenAPI document, as every role,
with a read-write token, a read-only token and no token, over HTTP.

The operations come from the OpenAPI document (`api.get_openapi_schema()`), so a new one is
in the matrix as soon as it exists, and fails until a table (tests/api/matrix_*.py) says
how to call it and who may. Each is called for contract A and, when its path names an
object, for contract B, in the page matrix's world (tests/matrix/world.py), with its roles
and rules (tests/test_authorization_matrix.py); each answer is checked for:

- its status, against the rule (no token: 401; a read-only token's write: 403 before
  anything runs);
- the other side's data (names, contract numbers, email addresses) shown to a person with
  no role there, and an internal note's words shown outside the team;
- every error being an RFC 9457 problem (application/problem+json) that names no contract;
- nothing changed by a GET, a refused write, or any read-only token's write (a token's
  "last used" time excepted: noting it is the one write a call may make).

The world and one token per role and scope are made once for the module, inside a
transaction rolled back at the end; each test runs in a savepoint of it.
"""

import datetime
import importlib
import json
import pkgutil
import re

import pytest
import time_machine
from django.db import transaction
from django.test import Client, override_settings

from muster.api.models import ApiToken
from tests.api.conftest import token_for
from tests.api.matrix_format import Operation
from tests.matrix.fingerprint import changes, fingerprint
from tests.matrix.world import build_world
from tests.test_authorization_matrix import (
    ALLOWED,
    B_VISITORS,
    SIGNED_IN,
    as_on,
    internal_note_leaks,
    leaks,
    named_contracts,
)

pytestmark = pytest.mark.django_db

READ_WRITE, READ = ApiToken.Scope.READ_WRITE, ApiToken.Scope.READ
NO_TOKEN = "no_token"
SAFE = frozenset({"GET", "HEAD", "OPTIONS"})
PROBLEM = "application/problem+json"
# A write a role may make: it ran, or refused its input for a reason in the answer.
ACTED = {*range(200, 300), 409, 422}


def _tables() -> dict[str, Operation]:
    """Every table: tests/api/matrix_*.py's OPERATIONS, one per area (no key in two)."""
    import tests.api as package

    merged: dict[str, Operation] = {}
    for module in pkgutil.iter_modules(package.__path__):
        if not module.name.startswith("matrix_") or module.name == "matrix_format":
            continue
        table = importlib.import_module(f"tests.api.{module.name}").OPERATIONS
        shared = merged.keys() & table.keys()
        assert not shared, f"{module.name} repeats operations of another table: {shared}"
        merged.update(table)
    return merged


OPERATIONS = _tables()


def openapi_operations() -> dict[str, tuple[str, str]]:
    """operationId → (method, path) of every operation the API documents."""
    from muster.api.api import api

    found = {}
    for path, methods in api.get_openapi_schema()["paths"].items():
        for method, operation in methods.items():
            found[operation["operationId"]] = (method.upper(), path)
    return found


# --- 1. Every operation has an entry, and every entry an operation -------------------------


def test_every_operation_of_the_api_is_in_a_table():
    documented = openapi_operations()
    missing = sorted(documented.keys() - OPERATIONS.keys())
    assert not missing, ("API operations with no entry in tests/api/matrix_*.py (say how "
                         f"to call them and who may): {missing}")
    stale = sorted(OPERATIONS.keys() - documented.keys())
    assert not stale, f"entries naming no operation of the API: {stale}"
    for operation_id, (method, path) in documented.items():
        entry = OPERATIONS[operation_id]
        assert (entry.method, entry.path) == (method, path), (
            f"{operation_id} is {method} {path}, its entry says {entry.method} {entry.path}")
        assert set(entry.fill) == set(re.findall(r"{(\w+)}", path)), (
            f"{operation_id}: the path takes {path}, the entry fills {sorted(entry.fill)}")


def test_the_matrix_covers_the_api_it_was_written_for():
    """Guards the enumeration itself."""
    documented = openapi_operations()
    for expected in ("me", "list_contracts", "get_contract", "list_contract_events",
                     "audit_stream"):
        assert expected in documented


# --- The world, and a token per role and scope --------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    media = tmp_path_factory.mktemp("api-matrix-media")
    fast = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # The clock stands still for the module, as in the page matrix.
    with time_machine.travel(datetime.datetime.now(datetime.UTC), tick=False), \
            override_settings(MEDIA_ROOT=media, PASSWORD_HASHERS=fast), \
            django_db_blocker.unblock(), transaction.atomic():
        built = build_world()
        built.tokens = {(role, scope): token_for(built.users[role], scope, name=f"{role} {scope}")
                        for role in SIGNED_IN for scope in (READ_WRITE, READ)}
        yield built
        transaction.set_rollback(True)


# As in the page matrix: the world's override_settings does their work once for the module.
@pytest.fixture(autouse=True)
def _fast_password_hashing():
    pass


@pytest.fixture(autouse=True)
def _accounts_never_unused_where_a_test_does_not_ask():
    pass


@pytest.fixture(autouse=True)
def _media_in_tmp():
    pass


def client_for(world, role: str, scope: str) -> Client:
    if role == NO_TOKEN:
        return Client()
    return Client(HTTP_AUTHORIZATION=f"Bearer {world.tokens[(role, scope)]}")


def path_of(world, entry: Operation, side: str, objects_from: str | None = None) -> str:
    """The entry's path on `side` (its objects other than the contract from `objects_from`,
    when given)."""
    path = entry.path
    for name, key in entry.fill.items():
        source = world.sides[objects_from if objects_from and name != "contract_id" else side]
        if key.startswith("="):
            value = key[1:]
        elif key in source.contracts:
            value = source.contracts[key].pk
        else:
            value = source.objects[key]
        path = path.replace(f"{{{name}}}", str(value))
    return f"{path}?{entry.query}" if entry.query else path


def call(world, entry: Operation, side: str, client: Client, objects_from=None):
    url = path_of(world, entry, side, objects_from)
    if entry.method in SAFE:
        return url, client.generic(entry.method, url)
    body = entry.body(world, side) if entry.body else {}
    return url, client.generic(entry.method, url, json.dumps(body),
                               content_type="application/json")


# --- 2. Every operation as every role, scope and side --------------------------------------


def cases():
    for operation_id, entry in OPERATIONS.items():
        for side in ("A", "B") if entry.fill else ("A",):
            for role in SIGNED_IN if side == "A" else B_VISITORS:
                for scope in (READ_WRITE, READ):
                    yield pytest.param(operation_id, side, role, scope,
                                       id=f"{operation_id}[{side}]-{role}-{scope}")
            yield pytest.param(operation_id, side, NO_TOKEN, "",
                               id=f"{operation_id}[{side}]-{NO_TOKEN}")


def expected(entry: Operation, role: str, scope: str, side: str) -> int | str:
    if role == NO_TOKEN:
        return 401
    if entry.method not in SAFE and scope == READ:
        return 403
    return entry.rule(as_on(role, side))


def answered(response, want) -> bool:
    if want == ALLOWED:
        return response.status_code in ACTED
    return response.status_code == want


def _token_rows() -> list[tuple]:
    """The tokens as they are, but for when each was last used."""
    names = [f.attname for f in ApiToken._meta.concrete_fields if f.name != "last_used_at"]
    return list(ApiToken.objects.order_by("pk").values_list(*names))


def state():
    return fingerprint(), _token_rows()


def changed(before, after) -> list[str]:
    tables = changes(before[0], after[0])
    if ApiToken._meta.db_table in tables and before[1] == after[1]:
        tables.remove(ApiToken._meta.db_table)  # only a token's "last used" time
    return tables


@pytest.mark.parametrize(("operation_id", "side", "role", "scope"), list(cases()))
def test_operation(world, operation_id, side, role, scope):
    entry = OPERATIONS[operation_id]
    want = expected(entry, role, scope, side)
    client = client_for(world, role, scope)
    before = state()

    url, response = call(world, entry, side, client)

    what = f"{entry.method} {url} as {role} ({scope or 'no token'})"
    assert answered(response, want), f"{what}: {response.status_code}, expected {want}"
    text = response.content.decode("utf-8", errors="replace")
    viewer = "signed_out" if role == NO_TOKEN else role
    assert not leaks(world, viewer, text), f"{what} shows the other side's data"
    assert not internal_note_leaks(viewer, text), f"{what} shows an internal note"
    if response.status_code >= 400:
        assert response["Content-Type"] == PROBLEM, f"{what}: the error is not a problem"
        assert response.json()["status"] == response.status_code
        assert not named_contracts(world, text), f"{what}: the error names a contract"
    if entry.method in SAFE or want != ALLOWED:
        assert changed(before, state()) == [], f"{what} changed data"


# --- Another contract's object through this contract's path ----------------------------------


def mixed_cases():
    """Operations naming a contract and one of its objects: the object is taken from B."""
    for operation_id, entry in OPERATIONS.items():
        objects = [k for k, key in entry.fill.items()
                   if k != "contract_id" and not key.startswith("=")]
        if "contract_id" in entry.fill and objects:
            yield pytest.param(operation_id, id=operation_id)


def actor(entry: Operation) -> str:
    """Who may make the call on A (the team, for a read anyone on A may make)."""
    allowed = [r for r in SIGNED_IN if entry.rule(r) == ALLOWED or entry.rule(r) == 200]
    return "onboarding_team" if "onboarding_team" in allowed or not allowed else allowed[0]


@pytest.mark.parametrize("operation_id", list(mixed_cases()))
def test_an_object_of_another_contract_is_not_found(world, operation_id):
    """/contracts/<A>/…/<an object of B> is a 404 even for the team (who sees both), and
    for a write even for the person who may make it on A: nothing changes."""
    entry = OPERATIONS[operation_id]
    client = client_for(world, actor(entry), READ_WRITE)
    before = state()

    url, response = call(world, entry, "A", client, objects_from="B")

    assert response.status_code == 404, f"{url}: {response.status_code}"
    assert response["Content-Type"] == PROBLEM
    assert changed(before, state()) == []


# --- The checks above are not vacuous --------------------------------------------------------


def test_the_team_is_shown_both_sides_and_a_cor_only_their_own(world):
    """What `leaks` looks for is in the answers: the team's list names both sides'
    contracts, A's COR's names A's only."""
    entry = OPERATIONS["list_contracts"]

    _, team = call(world, entry, "A", client_for(world, "onboarding_team", READ))
    _, cor = call(world, entry, "A", client_for(world, "cor", READ))

    assert "Alderwood" in team.content.decode() and "Birchwood" in team.content.decode()
    assert "Alderwood" in cor.content.decode()
    assert leaks(world, "cor", team.content.decode())  # what A's COR must never be shown


def test_a_gets_last_used_is_the_only_write_the_matrix_forgives(world):
    client = client_for(world, "cor", READ)
    before = state()

    client.get("/api/v1/me")

    assert ApiToken._meta.db_table in changes(before[0], fingerprint())
    assert changed(before, state()) == []

"""schemathesis against a live server: every operation of the API's OpenAPI document (as
the live server serves it), with valid and invalid input, as the read-write tokens of the
onboarding team, a COR, an SO and a service lead, on a world of real objects (tests/matrix/
world.py: contracts in several stages, requests, grants, roster members, audit events).

Each answer must be no server error, a status the operation declares, in the content type
it declares for that status, matching its schema and declared headers; and never a 401,
since every call carries a usable token (so a token not sent is a finding too). Path
parameters are half the time real objects' ids, so operations reach past their 404.

Slow (a few thousand calls): left out of the suite unless asked for with `-m schemathesis`;
`.ci/run` runs it on PostgreSQL as a step of its own:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/muster_api \\
        .venv/bin/pytest -m schemathesis tests/api/test_schemathesis.py -p no:cacheprovider

The run is bounded whatever the number of operations (CALL_BUDGET), and deterministic
(Hypothesis derandomized).
"""

import datetime
import time
from collections import Counter
from collections.abc import Callable

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from muster import clock
from muster.access.models import AccessGrant, AdditionalServiceRequest, RosterImport
from muster.accounts.models import User
from muster.api import tokens
from muster.api.models import ApiToken
from muster.audit.models import AuditEvent
from muster.contracts.models import Contract, ContractService, DataUseAgreement
from muster.onboarding.models import OnboardingRequest
from muster.timeline.models import ContractStep
from tests.matrix.world import build_world

pytestmark = [
    pytest.mark.schemathesis,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

HOW_TO_RUN = ("schemathesis against a live server is slow: run it with `pytest -m schemathesis "
              "tests/api/test_schemathesis.py`")
# The world's people whose tokens call every operation (tests/matrix/world.py's roles).
ROLES = ("onboarding_team", "cor", "so", "sas_lead")
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
# Examples per (operation, token): 25 valid ones while the API is small, fewer as it grows,
# so the fuzzing stays within about CALL_BUDGET calls (80 s at 100 ms a call, as on a busy
# 2-core machine; the test database and the world take another minute); half as many
# invalid ones (ninja refuses them before any role counts).
MOST_EXAMPLES, FEWEST_EXAMPLES, CALL_BUDGET = 25, 3, 800


def no_401_with_a_usable_token(ctx, response, case) -> None:
    """Every call carries a usable token, unless schemathesis's negative input left the
    Authorization header out or changed it (it treats it as a parameter): a 401 to a call
    that sent the token means the API did not take it."""
    sent = response.request.headers.get("Authorization", "")
    if response.status_code == 401 and sent.startswith("Bearer ") and \
            tokens.find(sent.removeprefix("Bearer ")) is not None:
        raise AssertionError(f"401 although the call sent a usable token: {response.text[:200]}")


ANSWERS: Counter[tuple[str, int]] = Counter()  # (operation, status): how far calls reached


def tally(ctx, response, case) -> None:
    """Not a check: counts the answers, printed at the end (a real object's 200 or 409, or
    only 404s and 422s?)."""
    ANSWERS[case.operation.label, response.status_code] += 1


CHECKS: list[Callable] = [
    not_a_server_error, status_code_conformance, content_type_conformance,
    response_schema_conformance, response_headers_conformance, no_401_with_a_usable_token,
    tally,
]


def real_ids() -> dict[str, list]:
    """The ids of the world's objects, by the word a path parameter's name would hold."""
    def ids(model, **filters) -> list[int]:
        return list(model.objects.filter(**filters).order_by("pk").values_list("pk", flat=True))

    return {
        "contract": ids(Contract),
        "request": ids(OnboardingRequest) + ids(AdditionalServiceRequest),
        "grant": ids(AccessGrant),
        "member": ids(User), "user": ids(User), "person": ids(User),
        "step": ids(ContractStep),
        "dua": ids(DataUseAgreement),
        "service": ids(ContractService),
        "import": ids(RosterImport),
        "event": ids(AuditEvent)[-20:],
    }


def candidates(name: str, known: dict[str, list]) -> list:
    for word, values in known.items():
        if word in name.lower():
            return values
    return sorted({value for values in known.values() for value in values})


def examples_per_run(operations: int) -> dict[GenerationMode, int]:
    calls_per_valid_example = operations * len(ROLES) * 1.5  # and half as many invalid
    valid = int(max(FEWEST_EXAMPLES, min(MOST_EXAMPLES, CALL_BUDGET // calls_per_valid_example)))
    return {GenerationMode.POSITIVE: valid,
            GenerationMode.NEGATIVE: max(FEWEST_EXAMPLES, valid // 2)}


def fuzz(operation, mode, token: str, examples: int, known, session) -> None:
    """One Hypothesis run of `operation` in `mode` as `token`; raises what it finds."""
    strategy = operation.as_strategy(generation_mode=mode)
    headers = {"Authorization": f"Bearer {token}"}

    @settings(max_examples=examples, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck), print_blob=False,
              phases=[Phase.explicit, Phase.generate])  # the first failing input, unshrunk
    @given(data=st.data())
    def run(data):
        case = data.draw(strategy)
        for name in list(case.path_parameters or {}):
            if data.draw(st.booleans(), label=f"a real {name}"):
                case.path_parameters[name] = data.draw(st.sampled_from(candidates(name, known)))
        case.call_and_validate(session=session, headers=headers, checks=CHECKS)

    run()


def test_every_operation_answers_as_its_document_says(live_server, settings, capsys):
    settings.API_RATE_LIMIT = "1000000/min"  # the limit has its own tests; here, no 429s
    building = time.monotonic()
    world = build_world()
    built_in = time.monotonic() - building
    expires = clock.now() + datetime.timedelta(days=7)
    token_of = {
        role: tokens.issue(created_by=world.users[role], user=world.users[role],
                           name="schemathesis", scope=ApiToken.Scope.READ_WRITE,
                           expires_at=expires)[1]
        for role in ROLES
    }
    known = real_ids()
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/v1/openapi.json")
    findings: list[str] = []
    operations = []
    for result in schema.get_all_operations():
        if isinstance(result, Ok):
            operations.append(result.ok())
        else:
            findings.append(f"An operation schemathesis cannot read: {result.err()}")
    assert operations, "the OpenAPI document has no operation"
    examples = examples_per_run(len(operations))

    started = time.monotonic()
    calls = []
    with requests.Session() as session:
        session.hooks["response"].append(lambda response, **kwargs: calls.append(response.url))
        for operation in operations:
            for mode in MODES:
                for role, token in token_of.items():
                    try:
                        fuzz(operation, mode, token, examples[mode], known, session)
                    except Exception as found:  # noqa: BLE001 (each is reported below)
                        findings.append(f"{operation.label} as {role}, {mode.value} input:\n"
                                        f"{found}")
    took = time.monotonic() - started
    with capsys.disabled():
        print(f"\nschemathesis: {len(operations)} operations x {len(ROLES)} tokens, "
              f"{examples[GenerationMode.POSITIVE]} valid and "
              f"{examples[GenerationMode.NEGATIVE]} invalid examples each: "
              f"{len(calls)} calls in {took:.0f} s ({1000 * took / max(len(calls), 1):.0f} ms "
              f"a call); the world built in {built_in:.0f} s")
        for operation in operations:
            answers = sorted((status, n) for (label, status), n in ANSWERS.items()
                             if label == operation.label)
            print(f"  {operation.label}: " + ", ".join(f"{s} x{n}" for s, n in answers))

    assert not findings, "\n\n".join(findings)

"""The header's search: contracts, people and requests, limited to what the person may
see, grouped, a few each; a clear message for a query too short; flat query count."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from muster.access import additional
from muster.accounts.models import ContractRole
from muster.onboarding.models import OnboardingRequest

from ..factories import UserFactory, activate, give_role, make_contract
from ..pages import html_of, text_of

pytestmark = pytest.mark.django_db


def search(client, q):
    return client.get(reverse("search:results"), {"q": q})


def group(response, key) -> str:
    """The text of one group of results ("" when the page has none)."""
    found = re.search(rf'<section aria-labelledby="results-{key}">(.*?)</section>',
                      html_of(response), re.DOTALL)
    return " ".join(re.sub(r"<[^>]+>", " ", found.group(1)).split()) if found else ""


@pytest.fixture
def world(people):
    """Mine and Other, each with an organization and a request of each kind."""
    from muster.contracts.models import Organization

    mine, other = people["mine"], people["other"]
    mine.organization = Organization.objects.create(name="Quillfeather Data", harp_name="QFD")
    mine.task_order_number = "TO-QUILL-1"
    mine.save()
    other.organization = Organization.objects.create(name="Quillstone Labs", harp_name="QSL")
    other.save()
    OnboardingRequest.objects.create(contract=mine, created_by=people["cor"])
    OnboardingRequest.objects.create(contract=other, created_by=people["other_cor"])
    give_role(UserFactory(full_name="Quentin Quill Other SO"), other, ContractRole.Role.SO)
    return people


def test_the_team_finds_contracts_people_and_requests_by_what_they_know(client, world):
    client.force_login(world["onboarding_team"])

    by_org = search(client, "quill")

    contracts = group(by_org, "contracts")
    assert "Mine" in contracts and "Other" in contracts
    assert "Quentin Quill Other SO" in group(by_org, "people")
    assert "Onboarding of Mine" in group(by_org, "onboarding")
    assert "Onboarding of Other" in group(by_org, "onboarding")
    assert "Mine" in group(search(client, "TO-QUILL"), "contracts")
    assert "Mine" in group(search(client, world["mine"].contract_number), "contracts")
    so = world["so"]
    for known in (so.full_name, so.email, so.harp_id):
        assert so.full_name in group(search(client, known), "people"), known
    assert "Sol SO" in group(search(client, "sol so"), "people"), "every word, any order"


def test_a_cor_finds_only_their_side(client, world):
    client.force_login(world["cor"])

    response = search(client, "quill")

    assert "Mine" in group(response, "contracts")
    assert "Other" not in text_of(response).replace("Other SO", "")
    assert "Quillstone" not in text_of(response)
    assert "Quentin" not in text_of(response)
    assert "Olga" not in text_of(search(client, "olga"))
    assert "Pat POC" in group(search(client, "pat"), "people")
    # The COR sees the roster: its contractor user too, with where.
    assert "Cody User" in group(search(client, "cody"), "people")


def test_a_service_lead_sees_the_parties_but_not_the_roster(client, world):
    client.force_login(world["sas_lead"])

    assert "Pat POC" in group(search(client, "pat"), "people")
    assert "Cody" not in text_of(search(client, "cody"))
    assert "Olga" not in text_of(search(client, "olga"))


def test_a_contractor_user_finds_only_themselves_and_their_contract(client, world):
    client.force_login(world["contractor_user"])

    me = search(client, "cody")
    contract = search(client, "mine")

    assert "Cody User" in group(me, "people")
    assert "Pat POC" not in text_of(search(client, "pat"))
    assert "Mine" in group(contract, "contracts")
    assert f'href="{reverse("access:mine")}">Mine</a>' in html_of(contract)
    assert "Onboarding of" not in text_of(search(client, "quill"))


def test_an_outsider_finds_nothing_but_themselves(client, world):
    client.force_login(world["outsider"])

    response = search(client, "o")  # too short
    assert "is too short: type at least 2 characters" in text_of(response)
    response = search(client, "quill")
    assert "Nothing you may see matches “quill”" in text_of(response)
    assert "Otto Outsider" in group(search(client, "otto"), "people")


def test_an_empty_search_says_what_to_type(client, world):
    client.force_login(world["cor"])

    response = search(client, "   ")

    assert response.status_code == 200
    assert "Type at least 2 characters" in text_of(response)


def test_a_few_results_a_group_with_a_link_to_the_rest_where_there_is_a_list(client, world):
    for n in range(7):
        make_contract(name=f"Quillwork {n}")
    client.force_login(world["onboarding_team"])

    response = search(client, "quillwork")

    assert "first 5 shown" in group(response, "contracts")
    assert "Quillwork 5" not in group(response, "contracts")
    assert 'href="/contracts/?q=quillwork"' in html_of(response)


def test_service_requests_are_found_by_service_and_only_where_seen(client, world):
    mine = activate(world["mine"])
    req = additional.request_service(world["poc"], mine, service=_service("slack"),
                                     organization_name="QFD", justification="Chat.",
                                     estimated_users=3)
    client.force_login(world["cor"])
    assert "Slack for Mine" in group(search(client, "slack"), "service_requests")
    client.force_login(world["other_cor"])
    assert "Slack for Mine" not in text_of(search(client, "slack"))
    client.force_login(world["onboarding_team"])
    # Before the COR's approval the team does not see it (as on its list).
    assert "Slack for Mine" not in text_of(search(client, "slack"))
    additional.cor_decide(world["cor"], req, True, "Yes.")
    assert "Slack for Mine" in group(search(client, "slack"), "service_requests")


def _service(slug):
    from muster.catalog.models import Service

    return Service.objects.get(slug=slug)


@pytest.mark.parametrize("role", ["onboarding_team", "cor"])
def test_the_search_costs_the_same_queries_with_more_data(client, world, role):
    client.force_login(world[role])

    def count():
        search(client, "quill")
        with CaptureQueriesContext(connection) as captured:
            search(client, "quill")
        return len(captured)

    few = count()
    for n in range(12):
        contract = make_contract(name=f"Quill extra {n}")
        give_role(world["cor"], contract, ContractRole.Role.COR)
        give_role(UserFactory(full_name=f"Quill person {n}"), contract, ContractRole.Role.POC)

    assert count() == few


def test_a_cor_who_may_notify_solicitations_sees_no_other_roster(client, world):
    """The COR team role (who may notify a solicitation) is spelled "cor", as the contract
    role is: it must not open every contract's roster (the matrix found it did)."""
    from muster.accounts.models import TeamRole

    TeamRole.objects.create(user=world["cor"], role=TeamRole.Role.COR)
    give_role(UserFactory(full_name="Quincy Other User"), world["other"],
              ContractRole.Role.CONTRACTOR_USER)
    client.force_login(world["cor"])

    assert "Quincy" not in text_of(search(client, "quincy"))
    assert "Cody User" in group(search(client, "cody"), "people")

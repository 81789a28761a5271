"""Who may open or act on a contract's pages: what the authorization matrix does not check.

tests/test_authorization_matrix.py visits every URL as every role and is the authority on
the one status each gets (muster/accounts/permissions.py: a contract the person cannot see
is a 404 that says nothing about it; one they can see but not act on is a 403), on a
refused request changing nothing and naming no contract, on GETs of POST-only addresses,
another contract's objects, Django's admin for people who are not staff, and POSTs without
a CSRF token. Here, what it does not check: that a role allowed in gets the right page with
only its own actions, that an allowed edit or completed step does what it says, contracts
that do not exist, the lists' contents, the admin for staff, and the CSRF token a page gives.
"""

import re

import pytest
from django.test import Client
from django.urls import reverse

from muster.contracts.models import Contract
from tests.factories import UserFactory, contract_form_data, signed_in

ROLES = [
    "cor", "poc", "so", "spoc", "contractor_user", "other_cor",
    "onboarding_team", "team_lead", "administrator", "sas_lead", "confluence_lead", "outsider",
]
TEAM = {"onboarding_team", "team_lead", "administrator"}

# Who may see `mine` at all (everyone else gets a 404 on every page of it).
SEES_MINE = {"cor", "poc", "so", "spoc", "sas_lead"} | TEAM
CAN_EDIT = {"onboarding_team", "administrator"}
CAN_VIEW_HISTORY = {"cor", "onboarding_team", "team_lead", "administrator"}
CAN_COMPLETE_STEPS = {"onboarding_team", "administrator"}

# The contracts each role finds on the contract list and home page.
LISTED = {
    **dict.fromkeys(TEAM, {"Mine", "Other"}),
    **dict.fromkeys(["cor", "poc", "so", "spoc", "sas_lead"], {"Mine"}),
    **dict.fromkeys(["other_cor", "confluence_lead"], {"Other"}),
    **dict.fromkeys(["contractor_user", "outsider"], set()),
}
# A contract's pages, who may open each, and what its heading says.
PAGES = {"detail": (SEES_MINE, "<h1>Mine</h1>"), "edit": (CAN_EDIT, "Edit Mine"),
         "history": (CAN_VIEW_HISTORY, "History of Mine")}


def open_step(contract):
    return contract.steps.filter(completed_at__isnull=True).order_by("order", "pk").first()


def linked_contracts(response) -> set[str]:
    """The names of the contracts the page links to."""
    return set(re.findall(r'<a href="/contracts/\d+/">([^<]+)</a>', response.content.decode()))


def without_csrf_token(response) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())


# --- pages of one contract ----------------------------------------------------------------


@pytest.mark.parametrize(("page", "role"), [
    (page, role) for page, (allowed, _) in PAGES.items() for role in ROLES if role in allowed
])
def test_a_role_allowed_in_gets_the_contracts_page(client, people, page, role):
    url = reverse(f"contracts:{page}", args=[people["mine"].pk])

    response = signed_in(client, people[role]).get(url)

    assert response.status_code == 200
    assert PAGES[page][1] in response.content.decode()


@pytest.mark.parametrize("role", [r for r in ROLES if r in SEES_MINE])
def test_contract_page_offers_only_what_the_role_may_do(client, people, role):
    mine = people["mine"]
    html = signed_in(client, people[role]).get(mine.get_absolute_url()).content.decode()

    assert (reverse("contracts:edit", args=[mine.pk]) in html) == (role in CAN_EDIT)
    assert (reverse("contracts:history", args=[mine.pk]) in html) == (role in CAN_VIEW_HISTORY)
    assert ("/complete/" in html) == (role in CAN_COMPLETE_STEPS)


@pytest.mark.parametrize("role", sorted(CAN_EDIT))
def test_saving_the_edit_page(client, people, role):
    mine = people["mine"]
    url = reverse("contracts:edit", args=[mine.pk])

    response = signed_in(client, people[role]).post(url, contract_form_data(mine, name="Renamed"))

    mine.refresh_from_db()
    assert response.status_code == 302
    assert response.url == mine.get_absolute_url()
    assert mine.name == "Renamed"


@pytest.mark.parametrize("role", sorted(CAN_COMPLETE_STEPS))
def test_completing_a_step(client, people, role):
    mine = people["mine"]
    step = open_step(mine)
    url = reverse("contracts:step_complete", args=[mine.pk, step.pk])

    response = signed_in(client, people[role]).post(url, {"note": "Minutes filed"})

    step.refresh_from_db()
    assert response.status_code == 302
    assert response.url == f"{mine.get_absolute_url()}#step-{step.pk}"
    assert step.completed_at is not None
    assert step.completed_by == people[role]
    assert step.completion_note == "Minutes filed"


@pytest.mark.parametrize("role", sorted(CAN_EDIT | TEAM))
@pytest.mark.parametrize("page", ["detail", "edit", "history"])
def test_a_contract_that_does_not_exist_is_404_for_the_team_too(client, people, role, page):
    missing = Contract.objects.order_by("-pk").first().pk + 1000
    response = signed_in(client, people[role]).get(reverse(f"contracts:{page}", args=[missing]))

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_completing_a_step_of_a_contract_that_does_not_exist_is_404(client, people):
    missing = Contract.objects.order_by("-pk").first().pk + 1000
    step = open_step(people["mine"])
    url = reverse("contracts:step_complete", args=[missing, step.pk])

    assert signed_in(client, people["administrator"]).post(url, {"note": "x"}).status_code == 404


@pytest.mark.parametrize("path", ["/contracts/abc/", "/contracts/1x/edit/", "/contracts/-1/"])
def test_a_contract_id_that_is_not_a_number_is_404(client, people, path):
    response = signed_in(client, people["administrator"]).get(path)

    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_the_404_for_a_hidden_contract_is_the_404_for_no_contract(client, people):
    """An outsider cannot tell a contract that exists from one that does not."""
    missing = Contract.objects.order_by("-pk").first().pk + 1000
    client = signed_in(client, people["outsider"])

    hidden = client.get(people["mine"].get_absolute_url())
    absent = client.get(reverse("contracts:detail", args=[missing]))

    assert hidden.status_code == absent.status_code == 404
    assert without_csrf_token(hidden) == without_csrf_token(absent)


def test_the_403_page_is_a_clear_message(client, people):
    url = reverse("contracts:edit", args=[people["mine"].pk])

    response = signed_in(client, people["cor"]).get(url)

    assert response.status_code == 403
    html = response.content.decode()
    assert "You do not have access to this" in html
    assert "Mine" not in html


# --- lists ---------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_contract_list_shows_exactly_the_contracts_the_role_may_see(client, people, role):
    response = signed_in(client, people[role]).get(reverse("contracts:list"))

    assert response.status_code == 200
    assert linked_contracts(response) == LISTED[role]
    count = len(LISTED[role])
    assert f"{count} contract{'' if count == 1 else 's'}</h2>" in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_contract_list_search_finds_nothing_hidden(client, people, role):
    response = signed_in(client, people[role]).get(reverse("contracts:list"), {"q": "Other"})

    assert linked_contracts(response) == LISTED[role] & {"Other"}


@pytest.mark.parametrize("role", ROLES)
def test_home_shows_exactly_the_contracts_the_role_may_see(client, people, role):
    response = signed_in(client, people[role]).get(reverse("home"))

    assert response.status_code == 200
    if role in TEAM:  # issue 14 (work): the team's home is My work (tests/work), no list
        assert "<h1>My work</h1>" in response.content.decode()
        assert linked_contracts(response) <= LISTED[role]
        return
    assert linked_contracts(response) == LISTED[role]
    assert f"({len(LISTED[role])})</span></h2>" in response.content.decode()


def test_contractor_user_sees_their_access_on_home_but_not_the_contract(client, people):
    client = signed_in(client, people["contractor_user"])
    mine = people["mine"]

    home = client.get(reverse("home")).content.decode()
    listed = client.get(reverse("contracts:list")).content.decode()

    access = home.split("<h2>Your access</h2>", 1)
    assert len(access) == 2, "home has no 'Your access' section"
    assert f"Mine ({mine.contract_number})" in access[1]
    assert mine.get_absolute_url() not in home
    assert "Mine" not in listed


def test_outsider_has_no_access_section(client, people):
    home = signed_in(client, people["outsider"]).get(reverse("home")).content.decode()

    assert "Your access" not in home
    assert "Mine" not in home


# --- administration and CSRF ---------------------------------------------------------------


def test_admin_works_for_a_staff_superuser(client, db):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    response = client.get("/admin/")

    assert response.status_code == 200
    assert "Site administration" in response.content.decode()


def test_saving_the_edit_page_without_a_csrf_token_is_refused(people):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["onboarding_team"])
    mine = people["mine"]
    url = reverse("contracts:edit", args=[mine.pk])

    refused = client.post(url, contract_form_data(mine, name="Forged"))

    assert refused.status_code == 403
    mine.refresh_from_db()
    assert mine.name == "Mine"

    # The same post with the page's token goes through: the token was the only thing missing.
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"',
                      client.get(url).content.decode()).group(1)
    saved = client.post(url, {**contract_form_data(mine, name="Renamed"),
                              "csrfmiddlewaretoken": token})
    assert saved.status_code == 302
    mine.refresh_from_db()
    assert mine.name == "Renamed"

"""The contract list's COR filter: a text field (a name or an email; a COR's id from a
saved view), with suggestions from GET /contracts/cors/ (at most 10 CORs the person may
see). Without JavaScript the field alone filters; with it, the page's combobox
(muster/static/cor-combobox.js) offers the suggestions and fills the field with the one
picked, "Name <email>", which filters by exactly that COR."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from muster.accounts.models import ContractRole, TeamRole
from muster.contracts.forms import describe_views, filters_query
from muster.contracts.models import SavedView
from tests.pages import html_of

from ..factories import UserFactory, give_role, make_contract, signed_in, team_member

pytestmark = pytest.mark.django_db
LIST = reverse("contracts:list")
CORS = reverse("contracts:cors")


def listed(html: str) -> list[str]:
    return re.findall(r'data-label="Contract"><a href="[^"]+">([^<]+)</a>', html)


def cor_input(html: str) -> str:
    return re.search(r'<input[^>]*name="cor"[^>]*>', html).group(0)


@pytest.fixture
def world(client):
    """Ana Cor (Alpha, Charlie), Ana Corbett (Bravo: her name contains Ana Cor's), Ben
    Cor (Delta); the onboarding team signed in."""
    ana = UserFactory(full_name="Ana Cor", email="ana.cor@agency.example.gov")
    corbett = UserFactory(full_name="Ana Corbett", email="acorbett@agency.example.gov")
    ben = UserFactory(full_name="Ben Cor", email="ben.cor@agency.example.gov")
    contracts = {}
    for name, cor in (("Alpha", ana), ("Bravo", corbett), ("Charlie", ana), ("Delta", ben)):
        contracts[name] = make_contract(name=name)
        give_role(cor, contracts[name], ContractRole.Role.COR)
    team = team_member(TeamRole.Role.ONBOARDING_TEAM, full_name="Tess Team")
    signed_in(client, team)
    return {"ana": ana, "corbett": corbett, "ben": ben, "team": team, **contracts}


def names(client, cor) -> tuple[list[str], str]:
    response = client.get(LIST, {"cor": cor})
    assert response.status_code == 200
    html = html_of(response)
    return listed(html), html


# --- The list's form, without JavaScript ---------------------------------------------------


def test_the_cor_filter_is_a_text_field_not_a_list_of_every_cor(client, world):
    html = html_of(client.get(LIST))

    field = cor_input(html)
    assert 'type="text"' in field and 'id="id_cor"' in field and "usa-input" in field
    filters = re.search(r'<form[^>]*id="contract-filters".*?</form>', html, re.S).group(0)
    assert '<select name="cor"' not in filters
    assert "Ana Corbett" not in filters and "Ben Cor" not in filters  # no COR is listed
    assert 'data-suggestions="/contracts/cors/"' in field  # for the combobox


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("ana cor", ["Alpha", "Bravo", "Charlie"]),  # part of a name, any case: both Anas
        ("corbett", ["Bravo"]),
        ("  Ben   Cor ", ["Delta"]),  # spaces as typed
        ("ben.cor@agency", ["Delta"]),  # part of an email
        ("AGENCY.EXAMPLE.GOV", ["Alpha", "Bravo", "Charlie", "Delta"]),
    ],
)
def test_typing_a_name_or_an_email_filters_by_every_cor_it_matches(client, world, typed, expected):
    found, html = names(client, typed)

    assert found == expected
    assert f'value="{" ".join(typed.split())}"' in cor_input(html)  # kept as typed


def test_a_suggestion_picked_filters_by_exactly_that_cor(client, world):
    """ "Ana Cor <ana.cor@…>" is Ana Cor alone, not Ana Corbett whose name contains hers."""
    found, html = names(client, "Ana Cor <ana.cor@agency.example.gov>")

    assert found == ["Alpha", "Charlie"]
    assert 'value="Ana Cor &lt;ana.cor@agency.example.gov&gt;"' in cor_input(html)


def test_a_saved_views_cor_id_shows_that_cor_and_filters_exactly_by_them(client, world):
    """Saved views hold `cor=<id>` (as the list's select made them): they keep working."""
    view = SavedView.objects.create(
        user=world["team"], name="Ana's", query=f"cor={world['ana'].pk}"
    )

    found, html = names(client, view.query.split("=")[1])

    assert found == ["Alpha", "Charlie"]
    assert 'value="Ana Cor &lt;ana.cor@agency.example.gov&gt;"' in cor_input(html)
    # Saving the list shown again keeps the id (not the words), as before.
    assert (
        filters_query({"cor": "Ana Cor <ana.cor@agency.example.gov>"}, world["team"])
        == f"cor={world['ana'].pk}"
    )
    assert describe_views(world["team"], [view])[0][1] == "COR: Ana Cor"


def test_words_that_match_no_cor_say_so_and_match_no_contract(client, world):
    found, html = names(client, "Zelda")

    assert found == []
    assert "0 contracts" in html
    assert "No COR of the contracts you can see matches “Zelda”." in html
    assert "usa-input--error" in cor_input(html) or "usa-form-group--error" in html


def test_words_are_saved_as_words(client, world):
    assert filters_query({"cor": "corbett"}, world["team"]) == "cor=corbett"
    view = SavedView(user=world["team"], name="x", query="cor=corbett&stage=closing")
    assert describe_views(world["team"], [view])[0][1] == "Stage: Closing; COR: “corbett”"


@pytest.mark.parametrize(
    "value",
    ["999999", "99999999999999999999999", "Nobody <no@one.gov>", "<>", "%", "_", "x" * 600, "١٢"],
)
def test_odd_values_never_break_the_list(client, world, value):
    response = client.get(LIST, {"cor": value})

    assert response.status_code == 200
    if value == "999999":  # an id of no COR the person sees (a stale saved view): dropped
        assert listed(html_of(response)) == ["Alpha", "Bravo", "Charlie", "Delta"]
        assert "This COR is not on any contract you can see." in html_of(response)


def test_a_cor_of_a_contract_the_person_cannot_see_is_not_found_by_name(client, world):
    """Ben Cor's Delta is not Ana's: she finds no Ben, by name or id, and his name is not
    on her page."""
    signed_in(client, world["ana"])

    by_name, html = names(client, "Ben")
    by_id, html_id = names(client, str(world["ben"].pk))

    assert by_name == [] and "No COR of the contracts you can see matches" in html
    assert by_id == ["Alpha", "Charlie"]  # dropped: her own list
    assert "Ben Cor" not in html_id and "ben.cor" not in html_id


# --- The suggestions: GET /contracts/cors/?q= ---------------------------------------------


def suggested(client, q) -> list[str]:
    response = client.get(CORS, {"q": q})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    return [s["name"] for s in response.json()["suggestions"]]


def test_suggestions_name_the_matching_cors_with_the_value_to_filter_by(client, world):
    response = client.get(CORS, {"q": "ana"})

    assert response.json() == {
        "suggestions": [
            {
                "id": world["ana"].pk,
                "name": "Ana Cor",
                "email": "ana.cor@agency.example.gov",
                "value": "Ana Cor <ana.cor@agency.example.gov>",
            },
            {
                "id": world["corbett"].pk,
                "name": "Ana Corbett",
                "email": "acorbett@agency.example.gov",
                "value": "Ana Corbett <acorbett@agency.example.gov>",
            },
        ]
    }
    assert "no-store" in response["Cache-Control"]


def test_suggestions_match_names_and_emails_names_starting_with_the_words_first(client, world):
    assert suggested(client, "COR") == ["Ana Cor", "Ana Corbett", "Ben Cor"]
    assert suggested(client, "ben") == ["Ben Cor"]  # starts with it: first
    assert suggested(client, "acorbett@") == ["Ana Corbett"]
    assert suggested(client, "zelda") == []
    assert suggested(client, "") == [] and suggested(client, "   ") == []


def test_suggestions_are_only_cors_not_everyone_matching(client, world):
    make_contract(name="Echo")
    give_role(
        UserFactory(full_name="Ana Poc"), make_contract(name="Foxtrot"), ContractRole.Role.POC
    )
    UserFactory(full_name="Ana Nobody")

    assert suggested(client, "ana") == ["Ana Cor", "Ana Corbett"]


def test_at_most_ten_suggestions_in_one_query_however_many_cors(client, world):
    for n in range(15):
        give_role(UserFactory(full_name=f"Cora {n:02d}"), make_contract(), ContractRole.Role.COR)
    client.get(CORS, {"q": "cora"})

    with CaptureQueriesContext(connection) as captured:
        found = suggested(client, "cora")

    assert found == [f"Cora {n:02d}" for n in range(10)]
    reads = [
        q["sql"]
        for q in captured.captured_queries
        if "accounts_user" in q["sql"] and "_contractrole" in q["sql"]
    ]
    assert len(reads) == 1 and "LIMIT 10" in reads[0]


def test_suggestions_are_the_cors_of_contracts_the_person_sees(client, world, people):
    """A COR sees the CORs of their own contracts; a contractor user and a person with no
    role, none at all."""
    signed_in(client, world["ana"])
    assert suggested(client, "cor") == ["Ana Cor"]
    assert suggested(client, "ben") == []

    for who in ("contractor_user", "outsider"):
        signed_in(client, people[who])
        assert suggested(client, "o") == []
    signed_in(client, people["sas_lead"])  # leads SAS Viya: sees `mine` and its COR
    assert suggested(client, "o") == ["Cora COR"]


def test_a_long_query_is_cut_and_a_post_refused(client, world):
    assert suggested(client, "ana" + "x" * 5000) == []
    assert client.post(CORS, {"q": "ana"}).status_code == 405


def test_one_cor_by_id_or_email_is_found_as_the_orm_finds_them(world):
    """cor_holder: built once for those who see every contract, the ORM's query for the
    others; either way a COR of a contract they see, by id or email, and nobody else."""
    from django.db.models import Exists, OuterRef

    from muster.accounts.models import User
    from muster.contracts import cor_filter

    def by_orm(user, **lookup):
        roles = ContractRole.objects.filter(role=ContractRole.Role.COR)
        if user is not None and user != world["team"]:
            roles = roles.filter(contract__roles__user=user)
        return (User.objects.filter(**lookup)
                .filter(Exists(roles.filter(user_id=OuterRef("pk")))).order_by("pk").first())

    ana_only = UserFactory()  # holds a role beside Ana Cor's: sees Alpha only
    give_role(ana_only, world["Alpha"], ContractRole.Role.POC)
    for user in (world["team"], None, ana_only):
        for person in (world["ana"], world["ben"], world["team"]):
            for lookup in ({"pk": person.pk}, {"email": person.email}):
                found = cor_filter.cor_holder(user, **lookup)
                assert found == by_orm(user, **lookup), (user, person, lookup)
        assert cor_filter.cor_holder(user, pk=10**17) is None
        assert cor_filter.cor_holder(user, email="nobody@example.gov") is None
    assert cor_filter.cor_holder(world["team"], pk=world["ben"].pk) == world["ben"]
    assert cor_filter.cor_holder(ana_only, pk=world["ben"].pk) is None
    assert cor_filter.cor_holder(ana_only, email=world["ana"].email) == world["ana"]

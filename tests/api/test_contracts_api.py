"""The contracts of the REST API: what a client system reads about the contracts its
token's person may see, as the contract list and the contract page show them."""

import datetime
import json

import pytest
from django.core.files.base import ContentFile
from django.test import RequestFactory

from muster import clock
from muster.accounts.models import ContractRole
from muster.api.api import api
from muster.api.v1 import contracts as contracts_api
from muster.api.v1.schemas import RENDERER, ContractSummary, attach_people_and_services
from muster.catalog.models import Service
from muster.contracts import queries
from muster.contracts.forms import ContractFilterForm
from muster.contracts.models import Contract, DataUseAgreement, Stage
from muster.timeline import services as timeline
from tests.api.conftest import api_client, token_for
from tests.factories import UserFactory, give_role, make_contract, pdf_bytes, request_service

pytestmark = pytest.mark.django_db


def as_(person):
    return api_client(token_for(person))


def all_pages(client, url):
    """Every item of a cursor-paged list, following `next` to the end."""
    items = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        items += response.json()["results"]
        url = response.json()["next"]
    return items


# --- The list ------------------------------------------------------------------------------


def test_a_person_lists_only_the_contracts_they_may_see(people, freeze_today):
    freeze_today()

    mine = all_pages(as_(people["cor"]), "/api/v1/contracts")
    team = all_pages(as_(people["onboarding_team"]), "/api/v1/contracts")
    outsider = all_pages(as_(people["outsider"]), "/api/v1/contracts")
    lead = all_pages(as_(people["sas_lead"]), "/api/v1/contracts")

    assert [c["name"] for c in mine] == ["Mine"]
    assert {c["name"] for c in team} == {"Mine", "Other"}
    assert outsider == []
    assert [c["name"] for c in lead] == ["Mine"]  # the contract asking for the service they lead


def test_a_listed_contract_says_who_what_and_what_is_next(people, freeze_today):
    freeze_today()
    mine = people["mine"]

    item = as_(people["poc"]).get("/api/v1/contracts").json()["results"][0]

    assert item["id"] == mine.pk
    assert item["contract_number"] == mine.contract_number
    assert item["stage"] == "solicitation"
    parties = {p["role"]: p for p in item["parties"]}
    assert set(parties) == {"cor", "poc", "so", "spoc"}  # the roster is not a party
    assert parties["cor"]["name"] == "Cora COR"
    assert parties["cor"]["email"] == people["cor"].email
    assert item["services"] == [{"slug": "sas-viya", "name": "SAS Viya", "status": "requested"}]
    next_step = mine.steps.filter(completed_at__isnull=True).order_by("due_date", "order")[0]
    assert item["next_step"]["name"] == next_step.name
    assert item["next_step"]["due_date"] == next_step.due_date.isoformat()
    assert item["overdue"] is True  # the solicitation notice was due before the award
    assert item["url"] == f"http://testserver/api/v1/contracts/{mine.pk}"
    assert item["page_url"] == f"http://testserver/contracts/{mine.pk}/"


def test_no_filters_are_what_the_list_pages_form_makes_of_none(people):
    """Without filters the API skips the form (its answer kept once per process): the same
    filters the form gives each person."""
    for who in ("cor", "onboarding_team", "sas_lead", "outsider"):
        by_form = ContractFilterForm({}, user=people[who]).filters()
        del by_form["sort"]
        assert contracts_api._chosen(contracts_api.ContractFilters(), people[who]) == by_form


def test_the_list_takes_the_contract_lists_filters(people, freeze_today):
    freeze_today()
    team = as_(people["onboarding_team"])
    on_time = make_contract(name="On Time", estimated_award_date=datetime.date(2027, 6, 1))
    confluence = Service.objects.get(slug="confluence")

    def names(query):
        return {c["name"] for c in all_pages(team, f"/api/v1/contracts?{query}")}

    assert names("") == {"Mine", "Other", "On Time"}
    assert names("overdue=true") == {"Mine", "Other"}
    assert names("q=on+ti") == {"On Time"}
    assert names(f"service={confluence.pk}") == {"Other"}
    assert names(f"cor={people['other_cor'].pk}") == {"Other"}
    assert names("stage=solicitation&q=mine") == {"Mine"}
    assert names("stage=closed") == set()
    assert on_time.stage == Stage.SOLICITATION


def _as_validated(contract_id):
    """A contract's summary as ninja's validation makes it of the model instance the ORM
    reads (ContractSummary's resolvers): what the list answered before it wrote its rows."""
    contract = queries.with_next_step(Contract.objects.filter(pk=contract_id)).get()
    attach_people_and_services([contract])
    context = {"request": RequestFactory().get("/"), "today": clock.today()}
    return ContractSummary.model_validate(contract, context=context).model_dump(mode="json")


@pytest.mark.parametrize("page_size", [1, 3, 50])
def test_the_list_writes_each_contract_as_its_schema_validates_it(people, freeze_today,
                                                                   page_size):
    """The list's summaries are written from rows (schemas.summaries), not validated field
    by field: each must be what ContractSummary makes of the contract, whatever it lacks,
    on pages of any size (their parties and services are read for a few sizes only)."""
    freeze_today()
    bare = make_contract(name='<b>Bare</b> & "quoted" \\ “curly”')  # no party, no service
    Contract.objects.filter(pk=bare.pk).update(organization=None, next_step=None,
                                               next_step_due=None)
    full = make_contract(name="Full")
    for role in ("spoc", "so", "poc", "cor"):  # not in the order they are listed
        give_role(UserFactory(), full, role)
    for slug in ("slack", "confluence", "sas-viya"):
        request_service(full, slug)

    listed = all_pages(as_(people["onboarding_team"]), f"/api/v1/contracts?page_size={page_size}")

    assert len(listed) == 4
    # As text: the same keys in the same order too.
    assert json.dumps(listed) == json.dumps([_as_validated(item["id"]) for item in listed])
    assert [p["role"] for p in listed[0]["parties"]] == ["cor", "poc", "so", "spoc"]
    assert listed[1]["organization"] is None and listed[1]["next_step"] is None


def test_the_list_is_rendered_as_the_apis_other_answers(people):
    client = as_(people["cor"])
    listed = client.get("/api/v1/contracts")
    one = client.get(f"/api/v1/contracts/{people['mine'].pk}")

    assert type(RENDERER) is type(api.renderer)
    assert listed["Content-Type"] == one["Content-Type"] == api.get_content_type()


@pytest.mark.parametrize(("query", "field"), [
    ("stage=dreaming", "stage"),
    ("cor=abc", "cor"),
    ("overdue=perhaps", "overdue"),
    ("q=" + "x" * 101, "q"),
    ("service=99999", "service"),
])
def test_a_bad_filter_is_a_422_problem_naming_it(people, query, field):
    response = as_(people["onboarding_team"]).get(f"/api/v1/contracts?{query}")

    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    assert field in [e["field"] for e in response.json()["errors"]]


def test_a_cor_the_person_cannot_see_is_refused_as_any_unknown_value(people):
    """The list's form offers only the CORs of contracts the person sees: another COR's id
    is refused exactly like an id nobody has (nothing says who they are)."""
    poc = as_(people["poc"])

    hidden = poc.get(f"/api/v1/contracts?cor={people['other_cor'].pk}")
    unknown = poc.get("/api/v1/contracts?cor=999999")

    assert hidden.status_code == unknown.status_code == 422
    assert hidden.json()["errors"][0]["message"] == unknown.json()["errors"][0]["message"]
    assert people["other_cor"].full_name not in hidden.content.decode()


def test_the_cursor_walks_every_contract_once(people):
    team = as_(people["onboarding_team"])
    for n in range(5):
        make_contract(name=f"Extra {n}")

    first = team.get("/api/v1/contracts?page_size=3").json()
    walked = all_pages(team, "/api/v1/contracts?page_size=3")

    assert len(first["results"]) == 3 and first["next"]
    assert len(walked) == 7
    assert len({c["id"] for c in walked}) == 7
    assert [c["id"] for c in walked] == sorted((c["id"] for c in walked), reverse=True)


def test_a_made_up_cursor_is_a_422_problem(people):
    team = as_(people["onboarding_team"])

    for cursor in ("not-base64!", "bz1hYmM=", "cD0xJm89LTE="):  # o=abc, p=1&o=-1
        response = team.get(f"/api/v1/contracts?cursor={cursor}")
        assert response.status_code == 422, (cursor, response.content)
        assert response["Content-Type"] == "application/problem+json"


def add_contracts(n, cor):
    """n contracts like the page's (tests/contracts/test_query_counts.py): a COR, SO, SPOC,
    POC, two services, a timeline."""
    for _ in range(n):
        contract = make_contract()
        give_role(cor, contract, ContractRole.Role.COR)
        for role in ("so", "spoc", "poc"):
            give_role(UserFactory(), contract, role)
        request_service(contract, "confluence")
        request_service(contract, "slack")


@pytest.mark.parametrize("who", ["onboarding_team", "cor"])
def test_the_lists_queries_do_not_grow_with_contracts(people, who, django_assert_num_queries):
    client = as_(people[who])
    add_contracts(8, people["cor"])  # 10 contracts
    client.get("/api/v1/contracts?page_size=200")  # the token's first use writes last_used_at
    with django_assert_num_queries(5) as at_ten:  # token, team roles, page, people, services
        ten = client.get("/api/v1/contracts?page_size=200")
    add_contracts(50, people["cor"])  # 60

    with django_assert_num_queries(len(at_ten)):
        sixty = client.get("/api/v1/contracts?page_size=200")

    assert len(ten.json()["results"]) in (9, 10)  # the team's 10; the COR's 9 (not Other)
    assert len(sixty.json()["results"]) == len(ten.json()["results"]) + 50


# --- One contract ----------------------------------------------------------------------


def test_a_contract_nobody_shows_this_person_is_a_404_problem(people):
    response = as_(people["outsider"]).get(f"/api/v1/contracts/{people['mine'].pk}")
    missing = as_(people["onboarding_team"]).get("/api/v1/contracts/999999")

    assert response.status_code == missing.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
    assert "Mine" not in response.content.decode()


def test_a_contract_reads_as_its_page_shows_it(people, freeze_today):
    freeze_today()
    mine = people["mine"]
    team = people["onboarding_team"]
    done = mine.steps.order_by("order")[0]
    timeline.complete_step(team, done, "Notice filed.")

    body = as_(people["so"]).get(f"/api/v1/contracts/{mine.pk}").json()

    assert body["name"] == "Mine" and body["stage"] == "solicitation"
    assert body["pop_start"] == "2026-12-01" and body["pop_end"] == "2027-11-30"
    assert {p["role"] for p in body["parties"]} == {"cor", "poc", "so", "spoc"}
    steps = {s["id"]: s for s in body["steps"]}
    assert len(steps) == mine.steps.count()
    assert steps[done.pk]["state"] == "done"
    assert steps[done.pk]["done_by"] == team.full_name
    assert steps[done.pk]["done_note"] == "Notice filed."
    assert steps[done.pk]["done_at"].startswith("2026-11-24")
    states = {s["state"] for s in body["steps"]}
    assert {"done", "overdue", "not_yet_due"} <= states
    overdue = next(s for s in body["steps"] if s["state"] == "overdue")
    assert overdue["due_date"] < "2026-11-24" and overdue["done_at"] is None
    assert overdue["responsible"]  # who must act
    assert body["next_step"]["name"]
    assert body["dua"]["state"] == "missing"  # SAS Viya needs one, none uploaded


def test_a_contracts_duas_with_their_state(people, freeze_today):
    freeze_today()
    mine = people["mine"]
    sas = Service.objects.get(slug="sas-viya")
    for number, expiry in (("DUA-OLD", datetime.date(2026, 10, 1)),
                           ("DUA-NEW", datetime.date(2027, 9, 30))):
        dua = DataUseAgreement(contract=mine, number=number, expiry_date=expiry,
                               uploaded_by=people["cor"])
        dua.document.save(f"{number}.pdf", ContentFile(pdf_bytes()), save=False)
        dua.save()
        dua.services.set([sas])

    duas = as_(people["cor"]).get(f"/api/v1/contracts/{mine.pk}/duas").json()
    detail = as_(people["cor"]).get(f"/api/v1/contracts/{mine.pk}").json()

    assert duas == detail["dua"]
    assert duas["state"] == "valid" and duas["number"] == "DUA-NEW"
    assert duas["expiry_date"] == "2027-09-30"
    by_number = {d["number"]: d for d in duas["duas"]}
    assert by_number["DUA-OLD"]["validity"] == "expired"
    assert by_number["DUA-NEW"]["validity"] == "valid"
    assert by_number["DUA-NEW"]["services"] == ["SAS Viya"]


def test_the_detail_reads_a_contract_in_a_fixed_number_of_queries(
        people, django_assert_max_num_queries):
    client = as_(people["onboarding_team"])
    client.get(f"/api/v1/contracts/{people['mine'].pk}")

    with django_assert_max_num_queries(14):
        response = client.get(f"/api/v1/contracts/{people['mine'].pk}")

    assert response.status_code == 200


def test_the_schema_names_every_stage_a_contract_can_be_in():
    """A client can rely on the OpenAPI document's list of stages: it is the model's."""
    schemas = api.get_openapi_schema()["components"]["schemas"]
    assert schemas["Stage"]["enum"] == list(Stage.values)


def test_one_contract_says_what_the_list_says_of_it(people, freeze_today):
    """The single contract reads its parties, services and next step the way the list does:
    a client sees the same summary in both."""
    freeze_today()
    client = as_(people["cor"])
    listed = client.get("/api/v1/contracts").json()["results"][0]
    one = client.get(listed["url"]).json()

    assert listed["parties"] and listed["services"] and listed["next_step"]
    assert {key: one[key] for key in listed} == listed

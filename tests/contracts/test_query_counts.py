"""The pages' SQL queries do not grow with the number of contracts (or a contract's roster).

The first test counts each page's queries with 10 contracts in the database, adds 120 more
like them (parties, roster, services, grants, timeline: the COR then holds more than a
page of them), and checks each page makes exactly as many queries again. The load
benchmark (tests/bench/bench_load.py) checks the same at 10 and 10,000 contracts on
PostgreSQL.
"""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from muster.access.models import AccessGrant, GrantStatus
from muster.accounts.models import ContractRole
from muster.contracts.models import ContractService

from ..factories import UserFactory, give_role, make_contract, request_service, signed_in

MORE = 120  # contracts added between the two counts (30 more for the COR)


def add_contracts(n, cors):
    """n contracts, each with a COR (taking turns), an SO, two contractor users, an
    approved service and a live grant: the shape the pages read."""
    for i in range(n):
        contract = make_contract()
        give_role(cors[i % len(cors)], contract, ContractRole.Role.COR)
        so = UserFactory()
        give_role(so, contract, ContractRole.Role.SO)
        service = request_service(contract, "confluence", ContractService.Status.APPROVED)
        for _ in range(2):
            user = UserFactory()
            give_role(user, contract, ContractRole.Role.CONTRACTOR_USER)
        AccessGrant.objects.create(contract=contract, user=user, service=service.service,
                                   requested_by=so, status=GrantStatus.ACTIVE)


def queries_for(client, url, text):
    client.get(url)  # first-use caches (content types, sessions) are not the page's
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    assert text in response.content.decode()
    return len(captured)


PAGES = {  # name: (who, url, text the page shows)
    # The team's home is My work (muster/work; its own counts: tests/work/test_query_counts.py).
    "home, onboarding team": ("onboarding_team", "/", "My work"),
    "home, COR": ("cor", "/", "Open contracts"),
    "contract list, team": ("onboarding_team", "/contracts/", "Contracts"),
    "contract page, team": ("onboarding_team", "mine", "Mine"),
    "contract page, COR": ("cor", "mine", "Mine"),
}


def test_page_queries_do_not_grow_with_contracts(
    client, people, freeze_today, django_assert_num_queries
):
    freeze_today()
    cors = [people["cor"], people["other_cor"], UserFactory(), UserFactory()]
    add_contracts(8, cors)  # 10 contracts with `mine` and `other`
    pages = {name: (people[who], people["mine"].get_absolute_url() if url == "mine" else url,
                    text) for name, (who, url, text) in PAGES.items()}
    at_ten = {}
    for name, (who, url, text) in pages.items():
        signed_in(client, who)
        at_ten[name] = queries_for(client, url, text)

    add_contracts(MORE, cors)
    assert people["cor"].contract_roles.filter(role="cor").count() > 25  # past one page

    for name, (who, url, text) in pages.items():
        signed_in(client, who)
        client.get(url)
        with django_assert_num_queries(at_ten[name], info=name):
            response = client.get(url)
        assert response.status_code == 200
        assert text in response.content.decode()


def test_contract_page_queries_do_not_grow_with_its_roster(
    client, people, django_assert_num_queries
):
    mine = people["mine"]
    signed_in(client, people["onboarding_team"])
    before = queries_for(client, mine.get_absolute_url(), "Mine")

    service = mine.services.get()
    for _ in range(30):
        user = UserFactory()
        give_role(user, mine, ContractRole.Role.CONTRACTOR_USER)
        AccessGrant.objects.create(contract=mine, user=user, service=service.service,
                                   requested_by=people["so"], status=GrantStatus.ACTIVE)

    with django_assert_num_queries(before):
        response = client.get(mine.get_absolute_url())
    assert response.status_code == 200


def test_the_contract_list_reads_no_list_of_cors(client, people, django_assert_num_queries):
    """The COR filter is a text field (suggestions come from /contracts/cors/): the list
    makes as many queries, and reads no more rows of people, with 50 more CORs."""
    team = people["onboarding_team"]
    signed_in(client, team)
    before = queries_for(client, "/contracts/", "Contracts")

    for n in range(50):
        give_role(UserFactory(full_name=f"Extra Cor {n}"), make_contract(),
                  ContractRole.Role.COR)

    client.get("/contracts/")
    with CaptureQueriesContext(connection) as captured, django_assert_num_queries(before):
        response = client.get("/contracts/")
    assert response.status_code == 200
    # No query lists people by their roles (the select of every COR did).
    people_read = [q["sql"] for q in captured.captured_queries
                   if q["sql"].startswith('SELECT "accounts_user"')
                   and "_contractrole" in q["sql"]]
    assert people_read == [], people_read


def test_the_contract_page_reads_a_pinned_number_of_queries(
    client, people, django_assert_num_queries
):
    """Issue 17: the contract page costs what it shows. Pinned: the person and their session
    and roles, the contract with its parties, services and steps, each panel's own reads,
    the records it follows (one query for both directions), the onboarding panel's welcome
    packages and calls (one query for both), the layout's (the footer's
    help contacts were read by the request before: once a minute a process). The access
    panel reads no DUA and counts no paused grant for a contract that needs no DUA."""
    mine = people["mine"]
    signed_in(client, people["onboarding_team"])
    client.get(mine.get_absolute_url())
    with django_assert_num_queries(CONTRACT_PAGE_QUERIES):
        response = client.get(mine.get_absolute_url())
    assert response.status_code == 200
    assert "Mine" in response.content.decode()


CONTRACT_PAGE_QUERIES = 17


def test_the_contract_page_reverses_no_url_per_party(client, people, monkeypatch):
    """Issue 17: a `{% url %}` for each party's button to invite them again cost over a
    hundred calls a row: the page reverses as many URLs with three more people named."""
    import django.urls

    reversed_urls: list[str] = []
    real = django.urls.reverse

    def counted(*args, **kwargs):
        reversed_urls.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(django.urls, "reverse", counted)  # as {% url %} imports it
    mine = people["mine"]
    signed_in(client, people["onboarding_team"])
    client.get(mine.get_absolute_url())
    reversed_urls.clear()
    client.get(mine.get_absolute_url())
    before = len(reversed_urls)

    added = [UserFactory(full_name=f"Extra User {n}") for n in range(3)]
    for user in added:  # with no password: the team may invite them again
        user.set_unusable_password()
        user.save()
        give_role(user, mine, ContractRole.Role.CONTRACTOR_USER)
    reversed_urls.clear()
    html = client.get(mine.get_absolute_url()).content.decode()
    assert len(reversed_urls) == before, reversed_urls
    assert "Send Extra User 2 a new invitation" in html
    assert f'action="/accounts/invitation/contracts/{mine.pk}/people/{added[2].pk}/send/"' in html

"""My work, the dashboard, the filtered list (and the access to confirm, with its
assignees) make as many queries at 130 contracts as at 10: nothing is read per row or per
contract. The load benchmark's habit (tests/contracts/test_query_counts.py), for the
team's work."""

import datetime

from django.db import connection
from django.test.utils import CaptureQueriesContext

from muster.accounts.models import ContractRole
from muster.work.models import Assignment

from ..factories import UserFactory, give_role, make_contract
from . import open_closeout, requested_grant, service_request, submitted_request

MORE = 120
D = datetime.date


def add_work(n, people, start=0):
    """n contracts, each with an open item of every kind; every third grant and closeout
    assigned (to the team member or the SAS Viya lead), so both lists and every count have
    rows."""
    team, lead = people["onboarding_team"], people["sas_lead"]
    for i in range(start, start + n):
        day = D(2026, 11, 2) + datetime.timedelta(days=i % 20)
        contract = make_contract(pop_start=D(2026, 11, 16), pop_end=D(2027, 11, 15))
        cor = UserFactory()
        give_role(cor, contract, ContractRole.Role.COR)
        submitted_request(contract, cor, day)
        grant = requested_grant(contract, "sas-viya", day)
        service_request(contract, "confluence", day, cor)
        closeout = open_closeout(contract, day)
        if i % 3 == 0:
            Assignment.objects.create(grant=grant, assignee=lead if i % 2 else team,
                                      assigned_by=team)
            Assignment.objects.create(closeout=closeout, assignee=team, assigned_by=team)


def count(client, url, text):
    client.get(url)  # first-use caches are not the page's
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    assert text in response.content.decode(), url
    return len(captured)


PAGES = {  # name: (who, url, text)
    "home (My work), team": ("onboarding_team", "/", "My work"),
    "My work, team lead": ("team_lead", "/work/", "My work"),
    "My work, service lead": ("sas_lead", "/work/", "My work"),
    "dashboard": ("onboarding_team", "/work/dashboard/", "Aging"),
    "items": ("onboarding_team", "/work/items/", "Open work"),
    "items, overdue": ("team_lead", "/work/items/?due=overdue", "Open work"),
    "items, filtered": ("onboarding_team",
                        "/work/items/?kind=grant&status=requested&assignee=none&age=6-10",
                        "Open work"),
    "an item": ("onboarding_team", "item", "Who works on it"),
    "access to confirm": ("onboarding_team", "/access/pending/", "On this page"),
}


def test_the_work_pages_queries_do_not_grow_with_contracts(client, people, freeze_today,
                                                           django_assert_num_queries):
    freeze_today()
    add_work(10, people)
    first_grant = Assignment.objects.filter(grant__isnull=False).first().grant_id
    pages = {name: (people[who], f"/work/grant/{first_grant}/" if url == "item" else url, text)
             for name, (who, url, text) in PAGES.items()}
    at_ten = {}
    for name, (who, url, text) in pages.items():
        client.force_login(who)
        at_ten[name] = count(client, url, text)

    add_work(MORE, people, start=10)
    for name, (who, url, text) in pages.items():
        client.force_login(who)
        client.get(url)
        with django_assert_num_queries(at_ten[name], info=name):
            response = client.get(url)
        assert response.status_code == 200
        assert text in response.content.decode()
    # Past a page: the lists are paged, never every open item at once.
    client.force_login(people["onboarding_team"])
    html = client.get("/work/items/").content.decode()
    assert "Page 1 of" in html and html.count('<tr id="') == 25

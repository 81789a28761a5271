"""The contract list with htmx: its form and page links fetch only the results, which htmx
swaps in place (tests/e2e/test_contract_list_htmx.py watches it in a browser). Without
JavaScript the same form and links are plain GETs of the whole page."""

import re

import pytest
from django.urls import reverse

from muster.accounts.models import TeamRole
from muster.contracts import services as contracts
from muster.contracts.models import Contract

from .factories import make_contract, signed_in, team_member

pytestmark = pytest.mark.django_db
LIST = reverse("contracts:list")
HTMX = {"HX-Request": "true"}


def listed(html: str) -> list[str]:
    """Contract names in the order the contract table shows them."""
    return re.findall(r'data-label="Contract"><a href="[^"]+">([^<]+)</a>', html)


@pytest.fixture
def team(client):
    return signed_in(client, team_member(TeamRole.Role.ONBOARDING_TEAM))


@pytest.fixture
def thirty():
    """30 contracts (two pages): Alpha 01–15 awarded, Bravo 16–30 still solicitations."""
    for n in range(1, 31):
        contract = make_contract(name=f"{'Alpha' if n <= 15 else 'Bravo'} {n:02d}")
        if n <= 15:
            contracts.change_stage(None, contract, Contract.award)


@pytest.mark.parametrize("params", [
    {}, {"page": "2"}, {"q": "Alpha", "sort": "-name"}, {"stage": "awarded"}, {"stage": "closed"},
])
def test_an_htmx_request_gets_only_the_results_with_the_same_rows(team, thirty, params):
    page = team.get(LIST, params)
    results = team.get(LIST, params, headers=HTMX)

    assert page.status_code == results.status_code == 200
    html, part = page.content.decode(), results.content.decode()
    assert listed(part) == listed(html)
    # Nothing around the results: no layout, no form; and they are exactly the page's.
    assert "<html" not in part and "<form" not in part and "<h1" not in part
    assert part.strip() in html
    count = re.search(r'<h2[^>]*id="results-heading"[^>]*>([^<]+)</h2>', part).group(1)
    assert count in html


def test_the_results_say_how_many_and_page_on_in_place(team, thirty):
    part = team.get(LIST, {"q": "a", "sort": "-name"}, headers=HTMX).content.decode()

    assert ">30 contracts</h2>" in part
    assert listed(part)[:2] == ["Bravo 30", "Bravo 29"] and len(listed(part)) == 25
    # The page links keep the query, and htmx loads them into the results (pushing the URL).
    boosted = re.search(r'<div hx-boost="true" hx-target="#contract-results">(.*?)</div>',
                        part, re.S)
    assert boosted, part
    assert 'href="?q=a&amp;sort=-name&amp;page=2"' in boosted.group(1)


def test_without_htmx_the_whole_page_with_a_plain_get_form(team, thirty):
    html = team.get(LIST, {"stage": "awarded"}).content.decode()

    assert "<h1" in html and ">15 contracts</h2>" in html
    form = re.search(r'<form method="get" action="/contracts/"[^>]*>', html)
    assert form, "the list's form is not a plain GET of the list"
    tag = form.group(0)
    assert 'hx-get="/contracts/"' in tag and 'hx-target="#contract-results"' in tag
    assert 'hx-push-url="true"' in tag
    assert "change " in tag and "submit" in tag and "delay:" in tag  # the search box waits
    assert '<div id="contract-results" aria-live="polite">' in html
    # The plain page-2 link works without JavaScript too.
    page_two = team.get(LIST, {"page": "2"}).content.decode()
    assert listed(page_two) == [f"Bravo {n}" for n in range(26, 31)]


def test_a_history_restore_gets_the_whole_page(team, thirty):
    """htmx asks for a page it no longer has in its history cache with HX-Request too:
    that answer replaces the whole page, so it must be the whole page."""
    html = team.get(LIST, {"q": "Alpha"}, headers={
        **HTMX, "HX-History-Restore-Request": "true",
    }).content.decode()

    assert "<html" in html and "<form" in html
    assert len(listed(html)) == 15


def test_the_browser_keeps_the_results_and_the_page_apart_in_its_cache(team, thirty):
    """The same address answers a page or only the results: Vary says which header
    decides, so Back never shows the results alone as a page."""
    for headers in ({}, HTMX):
        response = team.get(LIST, headers=headers)
        assert "HX-Request" in response["Vary"]

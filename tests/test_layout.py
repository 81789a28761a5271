"""What every page shares: the government banner, the header's links, breadcrumbs."""

import re

import pytest
from django.urls import reverse

from muster.accounts.models import TeamRole
from muster.catalog.models import Service

from .factories import make_contract, team_member
from .pages import html_of
from .shell.header import every_link, header

pytestmark = pytest.mark.django_db


def test_the_banner_says_how_to_know_the_site_is_official_even_without_javascript(client):
    html = html_of(client.get(reverse("account_login")))

    button = re.search(r'<button[^>]*usa-banner__button[^>]*>', html).group(0)
    assert 'aria-expanded="false"' in button and 'aria-controls="gov-banner"' in button
    assert "Here’s how you know" in html
    # USWDS's script hides the part and opens it on the button; without the script it
    # must be on the page, so the markup must not hide it.
    content = re.search(r'<div[^>]*id="gov-banner"[^>]*>', html).group(0)
    assert "hidden" not in content
    assert "Official websites use .gov" in html
    assert "Secure .gov websites use HTTPS" in html


def test_the_header_marks_the_section_and_says_which_link_is_this_page(client):
    client.force_login(team_member(TeamRole.Role.ONBOARDING_TEAM))
    contract = make_contract()

    on_list = header(html_of(client.get(reverse("contracts:list"))))
    on_contract = header(html_of(client.get(contract.get_absolute_url())))

    # Nine and more links, grouped: six items at the top (tests/shell/test_header.py
    # checks every role).
    assert [item.label for item in on_list] == [
        "My work", "Contracts", "Requests", "Reports", "Administration"]
    assert every_link(on_list) == [
        "My work", "Contracts", "Review queue", "Service requests",
        "Access to confirm", "New solicitation", "Dashboard", "Metrics", "Surveys",
        "Reconciliation", "Accounts", "Outbox", "Sweeps", "Provisioning clients", "Webhooks",
        "Recertification"]
    contracts = next(item for item in on_list if item.label == "Contracts")
    assert contracts.current and contracts.aria_current == "page"
    in_contract = next(item for item in on_contract if item.label == "Contracts")
    assert in_contract.current and not in_contract.aria_current, \
        "a contract is in Contracts, not the list"
    assert all(not item.current for item in on_contract if item.label != "Contracts")


def test_the_teams_home_is_one_link_my_work_current_on_the_home_page(client):
    """The team's home page is My work: the header names it once, as My work, and marks it
    there and on /work/; a service lead keeps Home (their contracts) and My work beside it."""
    client.force_login(team_member(TeamRole.Role.ONBOARDING_TEAM))

    for url in (reverse("home"), reverse("work:mine")):
        items = header(html_of(client.get(url)))
        my_work = [item for item in items if item.label == "My work"]
        assert len(my_work) == 1 and my_work[0].current, url
        assert "Home" not in [item.label for item in items]

    client.force_login(team_member(TeamRole.Role.SERVICE_LEAD,
                                   service=Service.objects.get(slug="sas-viya")))
    labels = [item.label for item in header(html_of(client.get(reverse("home"))))]
    assert labels[:3] == ["Home", "My work", "Contracts"]


def breadcrumbs(html) -> list[tuple[str, str]]:
    nav = re.search(r'<nav class="usa-breadcrumb".*?</nav>', html, re.DOTALL).group(0)
    links = re.findall(r'<a class="usa-breadcrumb__link" href="([^"]+)"><span>([^<]+)</span>', nav)
    current = re.findall(r'aria-current="page"><span>([^<]+)</span>', nav)
    return [(label, url) for url, label in links] + [(label, None) for label in current]


def test_breadcrumbs_lead_from_the_contract_list_to_the_page(client):
    client.force_login(team_member(TeamRole.Role.ONBOARDING_TEAM))
    contract = make_contract(name="Quality & Measures")

    assert breadcrumbs(html_of(client.get(reverse("contracts:history", args=[contract.pk])))) == [
        ("Contracts", reverse("contracts:list")),
        ("Quality &amp; Measures", contract.get_absolute_url()),
        ("History", None)]
    assert breadcrumbs(html_of(client.get(reverse("closeout:sweeps")))) == [
        ("Home", reverse("home")), ("Daily sweeps", None)]

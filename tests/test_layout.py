"""What every page shares: the government banner, the header's links, breadcrumbs."""

import re

import pytest
from django.urls import reverse

from muster.accounts.models import TeamRole

from .factories import make_contract, team_member
from .pages import html_of

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


def header_links(html) -> list[tuple[str, bool, bool]]:
    """(label, marked current, aria-current=page) for each link of the primary navigation."""
    nav = re.search(r'<nav aria-label="Primary navigation".*?</nav>', html, re.DOTALL).group(0)
    return [("usa-current" in attrs, 'aria-current="page"' in attrs, label)
            for attrs, label in re.findall(r'<a class="usa-nav-link([^>]*)><span>([^<]+)</span>',
                                           nav)]


def test_the_header_marks_the_section_and_says_which_link_is_this_page(client):
    client.force_login(team_member(TeamRole.Role.ONBOARDING_TEAM))
    contract = make_contract()

    on_list = header_links(html_of(client.get(reverse("contracts:list"))))
    on_contract = header_links(html_of(client.get(contract.get_absolute_url())))

    assert [label for *_, label in on_list] == [
        "Home", "Contracts", "Review queue", "New solicitation", "Surveys", "Service requests",
        "Access to confirm", "Outbox", "Accounts", "Sweeps"]
    assert (True, True, "Contracts") in on_list
    assert (True, False, "Contracts") in on_contract, "a contract is in Contracts, not the list"
    assert all(not current for current, _, label in on_contract if label != "Contracts")


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

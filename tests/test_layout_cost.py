"""What the layout every page shares costs: the footer's help contacts are read once a
minute per server process, and the header's links are named without re-reversing them."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse, set_script_prefix

from muster import clock
from muster.accounts.models import TeamRole
from muster.catalog.models import HelpContact

from .factories import team_member
from .pages import html_of
from .shell.header import header

pytestmark = pytest.mark.django_db


def _footer_queries(client, path):
    with CaptureQueriesContext(connection) as captured:
        html = html_of(client.get(path))
    return html, [q["sql"] for q in captured.captured_queries if "catalog_helpcontact" in q["sql"]]


def test_the_footer_reads_the_help_contacts_once_then_keeps_them(client):
    HelpContact.objects.create(title="Service desk", audience="Access trouble", order=1)
    client.force_login(team_member(TeamRole.Role.ONBOARDING_TEAM))

    first, read_first = _footer_queries(client, reverse("contracts:list"))
    second, read_second = _footer_queries(client, reverse("contracts:list"))

    assert "Service desk" in first and "Service desk" in second
    assert len(read_first) == 1
    assert read_second == [], "the second page read the footer's contacts again"


def test_a_changed_help_contact_shows_on_the_next_page_of_this_process(client):
    contact = HelpContact.objects.create(title="Service desk", audience="Access trouble")
    client.force_login(team_member(TeamRole.Role.ONBOARDING_TEAM))
    assert "Service desk" in html_of(client.get(reverse("contracts:list")))

    contact.title = "Onboarding help line"
    contact.save()
    HelpContact.objects.create(title="Security office", audience="Badges")
    html = html_of(client.get(reverse("contracts:list")))
    assert "Onboarding help line" in html and "Security office" in html
    assert "Service desk" not in html

    contact.delete()
    assert "Onboarding help line" not in html_of(client.get(reverse("contracts:list")))


def test_another_process_change_shows_within_a_minute(client, time_machine):
    """A change saved by another server process does not reach this one's memory: it is
    read again once the minute is up."""
    time_machine.move_to(clock.now(), tick=False)
    client.force_login(team_member(TeamRole.Role.ONBOARDING_TEAM))
    client.get(reverse("contracts:list"))
    # As another process writes it: no signal reaches this one.
    HelpContact.objects.bulk_create([HelpContact(title="Night desk", audience="After hours")])

    time_machine.shift(datetime.timedelta(seconds=59))
    assert "Night desk" not in html_of(client.get(reverse("contracts:list")))
    time_machine.shift(datetime.timedelta(seconds=2))
    assert "Night desk" in html_of(client.get(reverse("contracts:list")))


def test_the_header_links_follow_the_script_prefix(client):
    """Muster served under a path (SCRIPT_NAME behind a proxy): the header's links carry it,
    also after a request without it."""
    client.force_login(team_member(TeamRole.Role.ONBOARDING_TEAM))
    plain = header(html_of(client.get(reverse("contracts:list"))))
    assert next(item.url for item in plain if item.label == "Contracts") == "/contracts/"

    try:
        set_script_prefix("/muster/")
        from muster.accounts.context_processors import links_for
        links = {link["label"]: link["url"] for link in links_for(
            team_member(TeamRole.Role.ONBOARDING_TEAM, email="second@team.example"))}
    finally:
        set_script_prefix("/")
    assert links["Contracts"] == "/muster/contracts/"
    assert links["Outbox"] == "/muster/notifications/outbox/"

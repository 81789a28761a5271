"""{% primary_navigation %} writes the header's items as the template's loop wrote them,
byte for byte, for each kind of person and page (a group, the current section, the page
itself), and a label or address holding markup reads as text."""

import itertools

import pytest
from django.template import engines
from django.test import RequestFactory
from django.urls import resolve, reverse

from muster.accounts import permissions
from muster.accounts.context_processors import _ALLOWED, HEADER_LINKS, links_for, navigation
from muster.accounts.models import TeamRole
from muster.catalog.models import Service

from .factories import UserFactory, give_role, make_contract, team_member

pytestmark = pytest.mark.django_db

# The loop base.html had before the tag (what the tag must write).
TEMPLATE_LOOP = (
    '{% for item in nav %}<li class="usa-nav__primary-item">'
    '{% if item.links %}'
    '\n            <a class="usa-nav-link usa-nav__link muster-nav-group'
    '{% if item.current %} usa-current{% endif %}" href="{{ item.url }}'
    '" data-nav-button="{{ item.id }}"{% if item.current %}'
    ' aria-current="true"{% endif %}><span>{{ item.label }}'
    '</span></a>\n            <ul id="{{ item.id }}'
    '" class="usa-nav__submenu" hidden>\n              '
    '{% for link in item.links %}'
    '<li class="usa-nav__submenu-item"><a href="{{ link.url }}"'
    '{% if link.current %} class="usa-current"{% endif %}{% if link.page %}'
    ' aria-current="page"{% endif %}><span>{{ link.label }}'
    '</span></a></li>\n              {% endfor %}'
    '\n            </ul>\n          {% else %}<a class="usa-nav-link'
    '{% if item.current %} usa-current{% endif %}" href="{{ item.url }}"'
    '{% if item.page %} aria-current="page"{% endif %}><span>'
    '{{ item.label }}</span></a>{% endif %}</li>\n          {% endfor %}'
)
TAG = "{% load navigation_tags %}{% primary_navigation %}"


def both(nav) -> tuple[str, str]:
    django = engines["django"]
    context = {"nav": nav}
    return (django.from_string(TEMPLATE_LOOP).render(context),
            django.from_string(TAG).render(context))


def nav_of(user, path: str) -> list[dict]:
    request = RequestFactory().get(path)
    request.user, request.resolver_match = user, resolve(path)
    return list(navigation(request)["nav"])


PEOPLE = [TeamRole.Role.ONBOARDING_TEAM, TeamRole.Role.TEAM_LEAD,
          TeamRole.Role.ADMINISTRATOR, None]
PAGES = ["home", "contracts:list", "onboarding:queue", "work:dashboard", "reports:metrics",
         "identity:people", "notifications:outbox"]


@pytest.mark.parametrize("role", PEOPLE)
@pytest.mark.parametrize("page", PAGES)
def test_the_tag_writes_what_the_loop_wrote(role, page):
    user = team_member(role) if role else UserFactory()
    written_by_loop, written_by_tag = both(nav_of(user, reverse(page)))
    assert written_by_tag == written_by_loop
    assert "<li" in written_by_tag


def test_markup_in_a_label_or_an_address_reads_as_text():
    nav = [
        {"label": "<b>Home</b>", "url": '/x?a=1&b="2"', "current": True, "page": True,
         "links": None},
        {"label": "Group & co", "id": "nav-<g>", "url": "/menu/#menu-g", "current": False,
         "page": False, "links": [{"label": "<i>It</i>", "url": "/it/'", "current": True,
                                   "page": False}]},
    ]
    written_by_loop, written_by_tag = both(nav)
    assert written_by_tag == written_by_loop
    assert "<b>" not in written_by_tag and "&lt;b&gt;Home&lt;/b&gt;" in written_by_tag


# Every team role alone, none, and some together; with and without staff (the admin
# site's link) and a role on a contract (service requests).
R = TeamRole.Role
ROLE_SETS = [(), *[(role,) for role in R], (R.ONBOARDING_TEAM, R.SERVICE_LEAD),
             (R.TEAM_LEAD, R.ADMINISTRATOR), (R.SERVICE_LEAD, R.COR)]


def _person(roles, staff: bool, party: bool):
    user = UserFactory(is_staff=staff)
    for role in roles:
        service = Service.objects.first() if role == R.SERVICE_LEAD else None
        TeamRole.objects.create(user=user, role=role, service=service)
    if party:
        give_role(user, make_contract(), "so")
    return user


def _asked(user) -> list[str]:
    """The header's links as each predicate answers for this person, nothing kept."""
    return [link.label for link in HEADER_LINKS
            if link.predicate is None or permissions.allows(user, link.predicate, None)]


def test_the_links_kept_for_one_person_are_what_the_predicates_give_another():
    """The header's links are worked out once per permissions.header_key: whoever has the
    same key must be given what their own predicates give them, and a key must not mix
    people its predicates tell apart (every combination in one process, so one kept for
    an earlier combination would show)."""
    _ALLOWED.clear()
    for roles, staff, party in itertools.product(ROLE_SETS, [False, True], [False, True]):
        for person in (_person(roles, staff, party), _person(roles, staff, party)):
            assert [link["label"] for link in links_for(person)] == _asked(person), (
                roles, staff, party)

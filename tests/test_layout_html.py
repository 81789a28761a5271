"""The layout's parts written in Python ({% account_bar %}, {% site_header %},
{% header_search %}, {% help_contact_items %}, {% session_warning %}) write what the template
text they replaced wrote, byte for byte, for each kind of person, page and count; a name or
an address holding markup reads as text."""

import re

import pytest
from django.template import RequestContext, engines
from django.test import RequestFactory
from django.urls import resolve, reverse

from muster.accounts.models import TeamRole
from muster.catalog.models import HelpContact
from muster.identity import sessions

from .factories import UserFactory, team_member

pytestmark = pytest.mark.django_db

LOADS = "{% load static navigation_tags notification_tags layout_tags help_tags session_tags %}"

# base.html's text before the tags (its `layout_urls.x` written as the `{% url %}` they were).
ACCOUNT_BAR_TEXT = """{% if user.is_authenticated %}
  <div class="muster-account-bar font-body-2xs bg-base-lightest border-bottom-1px border-base-lighter">
    <div class="grid-container muster-account">
      <span>Signed in as {{ user.full_name }}</span>
      <nav aria-label="Your account" class="muster-account__links">
        <a href="{% url 'access:mine' %}">My access</a>
        {% unread_notifications user as unread %}<a href="{% url 'notifications:mine' %}"{% if request.resolver_match.view_name == "notifications:mine" %} aria-current="page"{% endif %}>{% if unread %}<span class="usa-sr-only">Notifications, {{ unread }} unread</span><span aria-hidden="true">Notifications <span class="muster-unread">{{ unread }} unread</span></span>{% else %}Notifications{% endif %}</a>
        <a href="{% url 'closeout:calendar' %}">Calendar</a>
        <a href="{% url 'mfa_index' %}">Second factor</a>
        <a href="{% url 'api_pages:tokens' %}"{% if request.resolver_match.view_name == "api_pages:tokens" %} aria-current="page"{% endif %}>API tokens</a>
        <a href="{% url 'api_pages:docs' %}"{% if request.resolver_match.view_name == "api_pages:docs" %} aria-current="page"{% endif %}>API</a>
      </nav>
      <form id="sign-out-form" method="post" action="{% url 'account_logout' %}" class="display-inline">{% csrf_token %}
        <button type="submit" class="usa-button usa-button--unstyled">Sign out</button>
      </form>
    </div>
  </div>
  {% endif %}"""  # noqa: E501

SEARCH_TEXT = """{% with field_id=search_id|default:"header-search-q" %}
<form class="usa-search usa-search--small muster-header-search" role="search" aria-label="{{ search_label|default:'Search Muster' }}" method="get" action="{% url 'search:results' %}">
  <label class="usa-sr-only" for="{{ field_id }}">Search contracts, people and requests</label>
  <input class="usa-input" id="{{ field_id }}" type="search" name="q" maxlength="100">
  <button class="usa-button" type="submit"><img src="{% static 'uswds/img/usa-icons-bg/search--white.svg' %}" class="usa-search__submit-icon" alt="Search"></button>
</form>
{% endwith %}
"""  # noqa: E501

HEADER_TEXT = """<header class="usa-header usa-header--basic">
    <div class="usa-nav-container">
      <div class="usa-navbar">
        <div class="usa-logo"><em class="usa-logo__text"><a href="{% url 'home' %}" title="Muster home">Muster</a></em></div>
        {% if user.is_authenticated %}<a class="usa-menu-btn" href="{% url 'menu' %}" data-nav-button>Menu</a>{% endif %}
      </div>
      {% if user.is_authenticated %}
      <nav aria-label="Primary navigation" class="usa-nav">
        <button type="button" class="usa-nav__close"><img src="{% static 'uswds/img/usa-icons/close.svg' %}" role="img" alt="Close"></button>
        <ul class="usa-nav__primary usa-accordion">
          {% primary_navigation %}
        </ul>
        SEARCH
      </nav>
      {% endif %}
    </div>
  </header>""".replace("SEARCH", "\n" + SEARCH_TEXT)  # noqa: E501

FOOTER_TEXT = """{% for contact in help_contacts %}
          <li class="margin-bottom-1"><strong>{{ contact.title }}</strong> — {{ contact.audience }}{% if contact.phone %}; phone <a href="tel:{{ contact.phone }}">{{ contact.phone }}</a>{% endif %}{% if contact.email %}; email <a href="mailto:{{ contact.email }}">{{ contact.email }}</a>{% endif %}{% if contact.slack_channel %}; Slack {{ contact.slack_channel }}{% endif %}</li>
          {% endfor %}"""  # noqa: E501

# identity/session_warning.html, the inclusion tag's template.
SESSION_WARNING_TEXT = """{% if show %}{% load static %}
{# Shown by session-warning.js shortly before an idle session ends; without JavaScript the session simply ends. #}
<div id="session-warning" class="usa-alert usa-alert--warning position-fixed pin-top pin-x z-top margin-2 shadow-3 bg-white maxw-tablet margin-x-auto" role="alertdialog" aria-labelledby="session-warning-heading" aria-describedby="session-warning-text" tabindex="-1" hidden
     data-seconds-left="{{ seconds_left }}" data-idle-seconds="{{ idle_seconds }}" data-warning-seconds="{{ warning_seconds }}" data-slack-seconds="{{ slack_seconds }}"
     data-status-url="{% url 'identity:session_status' %}" data-keep-alive-url="{% url 'identity:keep_alive' %}">
  <div class="usa-alert__body">
    <h2 class="usa-alert__heading" id="session-warning-heading">Your session is about to end</h2>
    <p class="usa-alert__text" id="session-warning-text">You have not used Muster for a while. For your security you will be signed out in <span data-countdown>a few minutes</span>; anything not saved will be lost.</p>
    <div class="usa-button-group margin-top-1">
      <button type="button" class="usa-button" data-stay>Stay signed in</button>
      {# The account bar's sign-out form (base.html), which holds the CSRF token too. #}
      <button type="submit" form="sign-out-form" class="usa-button usa-button--outline">Sign out</button>
    </div>
  </div>
</div>
<script src="{% static 'session-warning.js' %}" defer></script>
{% endif %}
"""  # noqa: E501


def _request(user, path: str):
    request = RequestFactory().get(path)
    request.user, request.resolver_match = user, resolve(path)
    request.session = {}
    return request


def _render(text: str, request, **extra) -> str:
    context = RequestContext(request, extra)
    return engines["django"].from_string(LOADS + text).template.render(context)


def _both(text: str, tag: str, request, **extra) -> tuple[str, str]:
    """Both written, each CSRF token (masked afresh at each rendering) written as TOKEN."""
    return tuple(
        re.sub(
            r'(name="csrfmiddlewaretoken" value=")[^"]+',
            r"\1TOKEN",
            _render(written, request, **extra),
        )
        for written in (text, tag)
    )


PEOPLE = [TeamRole.Role.ONBOARDING_TEAM, TeamRole.Role.ADMINISTRATOR, "contractor", None]
PAGES = ["home", "notifications:mine", "api_pages:tokens", "api_pages:docs", "contracts:list"]


def _person(role):
    if role is None:
        from django.contrib.auth.models import AnonymousUser

        return AnonymousUser()
    return UserFactory() if role == "contractor" else team_member(role)


@pytest.mark.parametrize("role", PEOPLE)
@pytest.mark.parametrize("page", PAGES)
def test_the_account_bar_and_header_write_what_their_text_wrote(role, page):
    user = _person(role)
    request = _request(user, reverse(page))
    bar_text, bar_tag = _both(ACCOUNT_BAR_TEXT, "{% account_bar %}", request)
    assert bar_tag == bar_text
    header_text, header_tag = _both(HEADER_TEXT, "{% site_header %}", request)
    assert header_tag == header_text
    if role is not None:
        assert "Sign out" in bar_tag and 'name="csrfmiddlewaretoken"' in bar_tag
        assert "usa-nav__primary-item" in header_tag


def test_an_unread_count_and_a_name_with_markup_are_written_as_the_text_wrote_them():
    user = team_member(TeamRole.Role.ONBOARDING_TEAM, full_name='<b>Ana</b> & "Bo"')
    user._muster_unread = 3  # the header's count, as notification_tags keeps it a request
    request = _request(user, reverse("notifications:mine"))
    text, tag = _both(ACCOUNT_BAR_TEXT, "{% account_bar %}", request)
    assert tag == text
    assert "3 unread" in tag and "&lt;b&gt;Ana&lt;/b&gt; &amp; &quot;Bo&quot;" in tag


def test_the_menu_pages_search_box_writes_what_the_include_wrote():
    request = _request(team_member(TeamRole.Role.ONBOARDING_TEAM), reverse("menu"))
    text, tag = _both(
        "{% with search_id='menu-search-q' search_label=label %}\n" + SEARCH_TEXT + "{% endwith %}",
        "{% header_search 'menu-search-q' label %}",
        request,
        label="Search <Muster> from the menu",
    )
    assert tag == text
    assert 'aria-label="Search &lt;Muster&gt; from the menu"' in tag


@pytest.mark.parametrize(
    "phone,email,slack",
    [
        ("", "", ""),
        ("555-0100", "", ""),
        ("", "help@example.gov", "#help"),
        ("555-0100 & <1>", "a&b@example.gov", "<#help>"),
    ],
)
def test_the_footers_help_contacts_are_written_as_the_loop_wrote_them(phone, email, slack):
    HelpContact.objects.create(
        title="Service <desk>",
        audience="Access & badges",
        order=1,
        phone=phone,
        email=email,
        slack_channel=slack,
    )
    HelpContact.objects.create(title="Security office", audience="Badges", order=2)
    request = _request(team_member(TeamRole.Role.ONBOARDING_TEAM), reverse("home"))
    text, tag = _both(FOOTER_TEXT, "{% help_contact_items %}", request)
    assert tag == text
    assert "Service &lt;desk&gt;" in tag and "Security office" in tag


def test_a_changed_help_contact_is_written_anew():
    contact = HelpContact.objects.create(title="Service desk", audience="Access")
    request = _request(team_member(TeamRole.Role.ONBOARDING_TEAM), reverse("home"))
    assert "Service desk" in _render("{% help_contact_items %}", request)
    contact.title = "Help line"
    contact.save()
    written = _render("{% help_contact_items %}", request)
    assert "Help line" in written and "Service desk" not in written


def test_no_help_contacts_where_the_context_has_none():
    from django.template import Context

    template = engines["django"].from_string(LOADS + "{% help_contact_items %}")
    assert template.template.render(Context({})) == ""


@pytest.mark.parametrize("role", [TeamRole.Role.ONBOARDING_TEAM, None])
def test_the_session_warning_writes_what_its_template_wrote(role):
    user = _person(role)
    request = _request(user, reverse("home"))
    sessions.start(request.session)
    from django.conf import settings

    idle = sessions.idle_seconds()
    numbers = {
        "show": role is not None,
        "seconds_left": sessions.seconds_left(request.session),
        "idle_seconds": int(idle),
        "warning_seconds": settings.SESSION_WARNING_SECONDS,
        "slack_seconds": int(min(60.0, idle / 10)) + 1,
    }
    text, tag = _both(SESSION_WARNING_TEXT, "{% session_warning %}", request, **numbers)
    if role is None:  # the template wrote its last line's newline
        assert (tag, text) == ("", "\n")
    else:
        assert tag == text
        assert "session-warning.js" in tag

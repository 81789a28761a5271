"""muster/actions.py's `act` and the `{% may %}` tag: the shared POST-action pattern and
the one way pages ask what a person may do."""

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.contrib.messages.storage.fallback import FallbackStorage
from django.contrib.sessions.backends.db import SessionStore
from django.http import HttpResponse
from django.template import Context, Template
from django.test import RequestFactory

from muster import actions
from muster.accounts import permissions
from muster.accounts.models import ContractRole
from muster.errors import DomainError
from tests.factories import UserFactory, give_role, make_contract

pytestmark = pytest.mark.django_db


class ReasonForm(forms.Form):
    reason = forms.CharField(max_length=20)


def posted(data):
    request = RequestFactory().post("/x", data)
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    return request


def said(request) -> list[str]:
    return [str(m) for m in get_messages(request)]


def test_a_valid_form_calls_the_service_says_done_and_redirects():
    request = posted({"reason": "no longer needed"})
    calls = []
    response = actions.act(
        request, form=ReasonForm(request.POST), invalid=lambda form: HttpResponse("again"),
        call=lambda data: calls.append(data["reason"]) or 7,
        done=lambda result: f"Done {result}.", then="/contracts/",
    )
    assert (response.status_code, response["Location"]) == (302, "/contracts/")
    assert calls == ["no longer needed"] and said(request) == ["Done 7."]


def test_an_invalid_form_shows_the_page_again_with_a_400_and_calls_nothing():
    request = posted({"reason": ""})
    response = actions.act(
        request, form=ReasonForm(request.POST),
        invalid=lambda form: HttpResponse(str(form.errors["reason"][0])),
        call=lambda data: pytest.fail("the service must not run"), done="x", then="/",
    )
    assert response.status_code == 400 and b"This field is required." in response.content


def test_a_refusal_is_said_on_the_next_page_instead_of_done():
    request = posted({})

    def refuse(data):
        raise DomainError("Not now: the request moved on.")

    response = actions.act(request, call=refuse, done="Done.", then="/back/")
    assert response["Location"] == "/back/"
    assert said(request) == ["Not now: the request moved on."]


def render_may(user, name, obj) -> str:
    request = RequestFactory().get("/")
    request.user = user
    template = Template('{% load muster_tags %}{% may name obj as ok %}{{ ok|yesno }}')
    return template.render(Context({"request": request, "name": name, "obj": obj}))


def test_the_may_tag_answers_by_the_rules_for_an_action_on_a_contract():
    contract, cor, stranger = make_contract(), UserFactory(), UserFactory()
    give_role(cor, contract, ContractRole.Role.COR)
    assert render_may(cor, "onboarding.notify_award", contract) == "yes"
    assert render_may(stranger, "onboarding.notify_award", contract) == "no"


def test_the_may_tag_answers_a_named_predicate_on_its_object(monkeypatch):
    monkeypatch.setitem(permissions.PREDICATES, "thing.touch", lambda user, obj: obj == 1)
    user = UserFactory()
    assert (render_may(user, "thing.touch", 1), render_may(user, "thing.touch", 2)) == (
        "yes", "no")

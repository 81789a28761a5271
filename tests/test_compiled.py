"""muster/compiled.py: a query the layout runs on every page, built by the ORM once and run
as SQL with each call's values, answers exactly as the ORM does."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from muster.accounts.models import TeamRole, User
from muster.compiled import Compiled
from muster.notifications.models import OutboxEmail, OutboxRecipient
from muster.notifications.queries import unread_count

from .factories import UserFactory

pytestmark = pytest.mark.django_db


def _roles(user_id):
    return TeamRole.objects.filter(user_id=user_id).values_list("role", "service_id")


def test_it_answers_as_the_orm_for_each_call_values():
    people = [UserFactory() for _ in range(3)]
    TeamRole.objects.create(user=people[0], role=TeamRole.Role.ONBOARDING_TEAM)
    TeamRole.objects.create(user=people[1], role=TeamRole.Role.COR)
    compiled = Compiled(_roles, user_id=int)

    for person in people:
        assert sorted(compiled.rows(user_id=person.pk)) == sorted(_roles(person.pk))
    assert compiled.count(user_id=people[0].pk) == 1
    assert compiled.count(user_id=people[2].pk) == 0


def test_it_runs_one_query_and_builds_the_sql_once():
    person = UserFactory()
    compiled = Compiled(_roles, user_id=int)
    compiled.rows(user_id=person.pk)
    with CaptureQueriesContext(connection) as captured:
        compiled.rows(user_id=person.pk)
    assert len(captured) == 1
    assert str(person.pk) in captured[0]["sql"]


def test_values_come_back_as_the_orm_gives_them_dates_and_datetimes_too():
    """SQLite hands dates back as text: the rows go through the ORM's converters."""
    person = UserFactory()
    compiled = Compiled(
        lambda user_id: User.objects.filter(pk=user_id).values_list("date_joined", "is_active"),
        user_id=int)
    assert compiled.rows(user_id=person.pk) == list(
        User.objects.filter(pk=person.pk).values_list("date_joined", "is_active"))


def test_a_value_the_query_does_not_use_is_refused_when_built():
    compiled = Compiled(lambda user_id, email: TeamRole.objects.filter(user_id=user_id),
                        user_id=int, email=str)
    with pytest.raises(ValueError, match="email"):
        compiled.rows(user_id=1, email="a@example.com")


def test_the_unread_count_counts_each_email_once_and_emails_to_the_address_alone():
    person = UserFactory(email="Reader@Example.com")
    other = UserFactory()

    def email(*recipients, read=False):
        mail = OutboxEmail.objects.create(key=f"k{OutboxEmail.objects.count()}",
                                          template="t", subject="s", body="b", to=["x"])
        for user, address in recipients:
            OutboxRecipient.objects.create(email=mail, user=user, address=address,
                                           read_at=mail.created_at if read else None)

    email((person, "reader@example.com"), (person, "reader@example.com"))  # twice: one email
    email((None, "reader@example.com"))  # before they had an account
    email((person, "reader@example.com"), read=True)
    email((other, "other@example.com"))
    email((None, "someone.else@example.com"))

    assert unread_count(person) == 2
    assert unread_count(other) == 1
    assert unread_count(User.objects.get(pk=person.pk)) == 2

"""muster/compiled.py: a query the layout runs on every page, built by the ORM once and run
as SQL with each call's values, answers exactly as the ORM does."""

import datetime

import pytest
from django.db import connection
from django.db.models import Prefetch
from django.db.models.functions import Length
from django.test.utils import CaptureQueriesContext

from muster.accounts.models import ContractRole, TeamRole, User
from muster.compiled import Compiled, Limit, Related
from muster.contracts.models import Contract
from muster.notifications.models import OutboxEmail, OutboxRecipient
from muster.notifications.queries import unread_count

from .factories import OrganizationFactory, UserFactory, give_role, make_contract

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


def _roles_on(contract_id, since):
    """A contract's roles since a day, with their people and contracts (select_related),
    only some of the role's own columns, an annotation and a prefetch."""
    return (ContractRole.objects.filter(contract_id=contract_id, assigned_at__date__gte=since)
            .select_related("user", "contract__organization")
            .only("role", "user_id", "contract_id", "user__full_name", "user__email",
                  "contract__name", "contract__organization__name")
            .annotate(name_length=Length("user__full_name"))
            .prefetch_related("user__team_roles")
            .order_by("user__full_name"))


def test_objects_are_the_instances_the_orm_makes_for_each_call_values():
    first = make_contract(organization=OrganizationFactory())
    second = make_contract(organization=OrganizationFactory())
    people = [UserFactory(full_name=name) for name in ("Avery Quill", "Bo Lindqvist", "Cy")]
    for person in people[:2]:
        give_role(person, first, ContractRole.Role.CONTRACTOR_USER)
    give_role(people[2], second, ContractRole.Role.SO)
    TeamRole.objects.create(user=people[0], role=TeamRole.Role.ONBOARDING_TEAM)
    compiled = Compiled(_roles_on, contract_id=int, since=datetime.date)
    long_ago = datetime.date(2000, 1, 1)

    def seen(roles):
        return [(r.pk, r.role, r.user.full_name, r.user.email, r.contract.name,
                 r.contract.organization.name, r.name_length,
                 sorted(t.role for t in r.user.team_roles.all())) for r in roles]

    for contract in (first, second):
        made = compiled.objects(contract_id=contract.pk, since=long_ago)
        assert seen(made) == seen(_roles_on(contract.pk, long_ago))
        assert made and made[0]._state.adding is False
        assert made[0].get_deferred_fields() == _roles_on(contract.pk, long_ago)[0] \
            .get_deferred_fields()
    assert compiled.objects(contract_id=first.pk, since=datetime.date(2999, 1, 1)) == []
    with CaptureQueriesContext(connection) as captured:
        seen(compiled.objects(contract_id=first.pk, since=long_ago))
    assert len(captured) == 2  # the roles with what they follow, and the prefetch


def test_a_values_query_has_rows_not_objects():
    compiled = Compiled(_roles, user_id=int)
    with pytest.raises(TypeError, match="rows"):
        compiled.objects(user_id=1)


def test_a_slice_end_is_built_into_the_sql_once_for_each_value():
    people = [UserFactory(full_name=f"Person {n:02}") for n in range(6)]
    compiled = Compiled(lambda stop: User.objects.filter(
        pk__in=User.objects.order_by("full_name").values("pk")[:stop]).order_by("full_name"),
        stop=Limit)
    for stop in (1, 4, 6, 4):
        assert [u.pk for u in compiled.objects(stop=stop)] == [p.pk for p in people[:stop]]
    with CaptureQueriesContext(connection) as captured:
        compiled.objects(stop=2)
    assert len(captured) == 1 and "LIMIT 2" in captured[0]["sql"]
    assert len(compiled._built) == 4  # 1, 4, 6 and 2


def test_a_query_that_can_have_no_rows_runs_none():
    UserFactory()
    compiled = Compiled(lambda stop: User.objects.order_by("pk")[:stop], stop=Limit)
    with CaptureQueriesContext(connection) as captured:
        assert compiled.objects(stop=0) == [] and compiled.count(stop=0) == 0
    assert len(captured) == 0
    assert len(compiled.objects(stop=1)) == 1


def _roles_but_the_so(pk):
    return ContractRole.objects.exclude(role=ContractRole.Role.SO).select_related("user")


def test_related_rows_are_kept_as_prefetch_related_keeps_them():
    """Related: the rows its query gives, in its order, answered by the relation with no
    query, each knowing its parent; a filter on the relation reads all of it, as it
    would with no prefetch (not only what the build kept)."""
    contract, other = make_contract(), make_contract()
    cor, so, elsewhere = (UserFactory(full_name=n) for n in ("Zed Cor", "Amy So", "Bo"))
    give_role(cor, contract, ContractRole.Role.COR)
    give_role(so, contract, ContractRole.Role.SO)
    give_role(elsewhere, other, ContractRole.Role.COR)
    related = Related(Contract, "roles", _roles_but_the_so)
    by_orm = Contract.objects.prefetch_related(
        Prefetch("roles", queryset=_roles_but_the_so(None))).get(pk=contract.pk)

    fresh = Contract.objects.get(pk=contract.pk)
    related.prefetch(fresh)
    with CaptureQueriesContext(connection) as captured:
        roles = list(fresh.roles.all())
        seen = [(r.pk, r.role, r.user.full_name, r.contract is fresh) for r in roles]
    assert len(captured) == 0
    assert seen == [(r.pk, r.role, r.user.full_name, True) for r in by_orm.roles.all()]
    assert seen and seen[0][2] == "Zed Cor"
    assert list(fresh.roles.filter(role=ContractRole.Role.SO).values_list(
        "user_id", flat=True)) == [so.pk]
    with CaptureQueriesContext(connection) as captured:
        related.prefetch(Contract.objects.get(pk=other.pk))
    assert len(captured) == 2  # the contract, and its roles: one query

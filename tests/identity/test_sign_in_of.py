"""sign_in_of (the roster's and the contract page's account column) reads plain values by
a query built once per process: held here to the ORM's answer, account_status on users
annotated by with_account_status, and a link sendable to an active person with neither a
usable password nor a provider account."""

import datetime

import pytest
from allauth.socialaccount.models import SocialAccount
from django.db import connection

from muster.accounts.models import User
from muster.identity import invitations
from muster.identity.invitations import SIGN_IN_BATCH, SignIn, sign_in_of
from muster.identity.models import Invitation
from muster.identity.queries import account_status, with_account_status
from tests.factories import TODAY, UserFactory

pytestmark = pytest.mark.django_db

NOON = datetime.datetime.combine(TODAY, datetime.time(12), tzinfo=datetime.UTC)
DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def today(freeze_today):
    return freeze_today(TODAY)


def as_the_orm_says(ids) -> dict[int, SignIn]:
    users = with_account_status(User.objects.filter(pk__in=ids))
    return {u.pk: SignIn(account_status(u), u.is_active and not u.has_usable_password()
                         and not SocialAccount.objects.filter(user=u).exists())
            for u in users}


def invite(user, *, expires_at, used_at=None, withdrawn_at=None, n=[0]) -> None:  # noqa: B006
    n[0] += 1
    Invitation.objects.create(user=user, token_hash=f"{n[0]:064d}", reason="a test",
                              sent_at=NOON - 2 * DAY, expires_at=expires_at,
                              used_at=used_at, withdrawn_at=withdrawn_at)


def no_password(**fields) -> User:
    user = UserFactory(**fields)
    user.set_unusable_password()
    user.save()
    return user


@pytest.fixture
def everyone() -> list[User]:
    """One person of each kind an account can be."""
    signed_in_before = UserFactory(last_login=NOON - DAY)
    disabled = no_password(is_active=False)
    with_password = UserFactory()
    named = no_password()
    invited = no_password()
    invite(invited, expires_at=NOON + DAY)
    expired = no_password()
    invite(expired, expires_at=NOON - DAY)
    invite(expired, expires_at=NOON)  # expiring now: no longer pending
    used = no_password()
    invite(used, expires_at=NOON + DAY, used_at=NOON - DAY)
    withdrawn = no_password()
    invite(withdrawn, expires_at=NOON + DAY, withdrawn_at=NOON - DAY)
    replaced = no_password()  # an old link withdrawn, the new one pending
    invite(replaced, expires_at=NOON + 2 * DAY, withdrawn_at=NOON - DAY)
    invite(replaced, expires_at=NOON + DAY)
    at_the_provider = no_password()
    SocialAccount.objects.create(user=at_the_provider, provider="oidc", uid="someone")
    disabled_invited = no_password(is_active=False)
    invite(disabled_invited, expires_at=NOON + DAY)
    return [signed_in_before, disabled, with_password, named, invited, expired, used,
            withdrawn, replaced, at_the_provider, disabled_invited]


def test_each_kind_of_account_reads_as_the_orm_reads_it(everyone):
    ids = [u.pk for u in everyone]
    found = sign_in_of(ids + ids[:2] + [10**9])  # named twice, and someone no one is
    assert found == as_the_orm_says(ids)
    assert {state.status for state in found.values()} == {
        "active", "disabled", "never_signed_in", "invited"}
    assert {state.invitable for state in found.values()} == {True, False}


def test_more_people_than_a_batch_are_read_in_one_query(everyone, django_assert_num_queries):
    more = [UserFactory() for _ in range(SIGN_IN_BATCH)]
    ids = [u.pk for u in everyone + more]
    expected = as_the_orm_says(ids)
    with django_assert_num_queries(1):
        assert sign_in_of(ids) == expected
    with django_assert_num_queries(1):
        assert sign_in_of(ids[:SIGN_IN_BATCH]) == {
            pk: expected[pk] for pk in ids[:SIGN_IN_BATCH]}
    with django_assert_num_queries(0):
        assert sign_in_of([]) == {}


def test_the_query_asks_nothing_of_the_time_and_few_parameters(everyone):
    """Built once, it may not carry the time (it would be the first call's), and psycopg
    parses a query once per process only with at most 50 parameters."""
    built = invitations._SIGN_IN._sql({f"id{n}": 1 for n in range(SIGN_IN_BATCH)},
                                      connection)
    assert len(built.slots) <= 50
    assert all(name is not None for name, _ in built.slots)

"""A roster is listed by name from each role's own sort key (accounts/sort_keys.py: the
database's triggers keep it): whichever way a name or an email changes, or a role is
written, the roster's order is the one its people's names give."""

import pytest
from django.db import connection

from muster import bulk, clock
from muster.access import queries
from muster.accounts import sort_keys
from muster.accounts.apps import _sort_key_triggers
from muster.accounts.models import ContractRole, User
from tests.factories import UserFactory, give_role, make_contract

pytestmark = pytest.mark.django_db


def names(contract) -> list[str]:
    """The roster's first page, as its SO reads it."""
    return [member.full_name for member in queries.members(contract)[0:50]]


@pytest.fixture
def roster(db):
    contract = make_contract(contract_number="75FCMC26C9901")
    for n, name in enumerate(["Cy Three", "ann up", "Bea Low", "Ann Up"]):
        give_role(UserFactory(full_name=name, email=f"r{n}@example.org"), contract,
                  "contractor_user")
    return contract


def test_the_roster_lists_its_people_by_name_case_aside_then_email(roster):
    assert names(roster) == ["ann up", "Ann Up", "Bea Low", "Cy Three"]


def test_a_person_renamed_moves_on_the_roster(roster):
    cy = User.objects.get(full_name="Cy Three")
    cy.full_name = "Aaron Three"
    cy.save()
    assert names(roster) == ["Aaron Three", "ann up", "Ann Up", "Bea Low"]


def test_a_rename_by_a_query_set_update_moves_them_too(roster):
    # As SCIM, the admin's bulk actions or a data fix write it: no model's save().
    User.objects.filter(full_name="Bea Low").update(full_name="zoe low")
    assert names(roster) == ["ann up", "Ann Up", "Cy Three", "zoe low"]


def test_a_new_email_orders_two_people_of_the_same_name(roster):
    User.objects.filter(full_name="ann up").update(email="z@example.org")
    assert names(roster) == ["Ann Up", "ann up", "Bea Low", "Cy Three"]


def test_roles_written_as_plain_rows_take_their_place(roster):
    # As the CSV import writes them (muster.bulk: COPY on PostgreSQL).
    new = [UserFactory(full_name="Abe First"), UserFactory(full_name="Zed Last")]
    bulk.insert(ContractRole, ("user_id", "contract_id", "role", "assigned_at"),
                [(user.pk, roster.pk, "contractor_user", clock.now()) for user in new])
    assert names(roster) == ["Abe First", "ann up", "Ann Up", "Bea Low", "Cy Three",
                             "Zed Last"]


def test_a_role_saved_by_the_orm_keeps_its_key(roster):
    role = ContractRole.objects.get(user__full_name="Cy Three")
    role.eua_check = ContractRole.EuaCheck.COMPLETE
    role.save()  # writes the empty sort key the instance holds: the database keeps its own
    assert names(roster) == ["ann up", "Ann Up", "Bea Low", "Cy Three"]
    assert ContractRole.objects.get(pk=role.pk).sort_name == "cy three"


def test_missing_triggers_are_put_back_after_migrate_and_the_keys_recomputed(roster):
    # A migration rebuilding accounts_user on SQLite drops its triggers; a rename then
    # reaches no role until migrate's end puts them back.
    sort_keys.uninstall(connection)
    User.objects.filter(full_name="Cy Three").update(full_name="Aaron Three")
    assert sort_keys.installed(connection) == set()

    _sort_key_triggers(using=connection.alias)

    assert sort_keys.installed(connection) == set(sort_keys._triggers(connection))
    assert names(roster) == ["Aaron Three", "ann up", "Ann Up", "Bea Low"]
    assert sort_keys.install(connection) is False, "nothing missing: nothing recomputed"

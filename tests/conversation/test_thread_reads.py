"""The contract page's thread reads built once per process (conversation.queries: its
entries and the team it may notify) answer as the ORM's queries they replace."""

import pytest
from django.db.models import Prefetch, Q

from muster.accounts.models import TeamRole
from muster.catalog.models import Service
from muster.conversation import queries
from muster.conversation.models import Entry, Mention, Visibility

from ..factories import team_member

pytestmark = pytest.mark.django_db


def _team_by_list(contract, service_id=None):
    """The query candidates() ran: the contract's services listed in it."""
    service_ids = [item.service_id for item in contract.services.all()]
    if service_id is not None:
        service_ids.append(service_id)
    return list(TeamRole.objects.filter(
        Q(role__in=list(queries.TEAM_LABELS)) | Q(role=TeamRole.Role.SERVICE_LEAD,
                                                  service_id__in=service_ids))
        .select_related("user", "service").order_by("role", "user__full_name"))


def test_the_team_and_the_services_leads_are_those_the_listed_query_finds(people):
    mine, other = people["mine"], people["other"]
    other_service = other.services.get().service_id
    unasked = Service.objects.exclude(pk__in=[mine.services.get().service_id, other_service])
    team_member(TeamRole.Role.SERVICE_LEAD, service=unasked.first(), full_name="Una Lead")

    def seen(rows):
        return [(r.pk, r.role, r.user.full_name, r.service_id and str(r.service)) for r in rows]

    for contract in (mine, other):
        assert seen(queries._TEAM.objects(contract_id=contract.pk)) == seen(
            _team_by_list(contract))
        assert seen(queries._TEAM_AND_LEADS.objects(
            contract_id=contract.pk, service_id=other_service)) == seen(
            _team_by_list(contract, other_service))
    leads = [r.user for r in queries._TEAM.objects(contract_id=mine.pk)
             if r.role == TeamRole.Role.SERVICE_LEAD]
    assert leads == [people["sas_lead"]]


def test_a_contracts_entries_are_those_the_orm_reads_of_each_kind(people):
    mine = people["mine"]
    for n, visibility in enumerate([Visibility.SHARED, Visibility.INTERNAL] * 2):
        entry = Entry.objects.create(contract=mine, author=people["onboarding_team"],
                                     body=f"Entry {n}", visibility=visibility)
        Mention.objects.create(entry=entry, user=people["cor"])
    Entry.objects.create(contract=people["other"], author=people["cor"], body="Elsewhere",
                         visibility=Visibility.SHARED)

    def seen(rows):
        return [(e.pk, e.body, e.author.full_name,
                 [m.user.full_name for m in e.mentions.all()], list(e.attachments.all()))
                for e in rows]

    for shown in ([Visibility.SHARED], [Visibility.SHARED, Visibility.INTERNAL]):
        by_orm = Entry.objects.filter(contract=mine, visibility__in=shown).select_related(
            "author", "about_type").prefetch_related(
            "attachments", Prefetch("mentions", queryset=Mention.objects.select_related("user")))
        assert seen(queries._contract_entries(tuple(shown)).objects(contract_id=mine.pk)) \
            == seen(by_orm)
    assert [e.body for e in queries.entries(people["cor"], mine)] == ["Entry 0", "Entry 2"]

"""The contract page's additional-service requests (access.queries.contract_requests, a
query built once per process for all but service leads) are visible_requests' of the
contract, for every kind of person."""

import pytest

from muster.access.models import AdditionalServiceRequest
from muster.access.queries import contract_requests, visible_requests
from muster.catalog.models import Service

pytestmark = pytest.mark.django_db
S = AdditionalServiceRequest.Status


@pytest.mark.parametrize("who", ["onboarding_team", "administrator", "cor", "so", "poc",
                                 "contractor_user", "sas_lead", "confluence_lead",
                                 "other_cor", "outsider"])
def test_they_are_the_requests_visible_requests_finds_on_the_contract(people, who):
    mine, other = people["mine"], people["other"]
    for contract in (mine, other):
        for slug, status in (("slack", S.AWAITING_COR), ("confluence", S.AWAITING_LEADS),
                             ("sas-viya", S.APPROVED)):
            AdditionalServiceRequest.objects.create(
                contract=contract, service=Service.objects.get(slug=slug),
                organization_name="HARP ORG", justification="Needed.", estimated_users=3,
                status=status, requested_by=people["cor"])
    person = people[who]
    for contract in (mine, other):
        expected = list(visible_requests(person).filter(contract=contract))
        found = contract_requests(person, contract)
        assert [(r.pk, r.status, r.service.name) for r in found] == [
            (r.pk, r.status, r.service.name) for r in expected]
    if who == "onboarding_team":  # past the COR's approval only, on a contract not theirs
        assert sorted(r.status for r in contract_requests(person, mine)) == sorted(
            [S.AWAITING_LEADS, S.APPROVED])

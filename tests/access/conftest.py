"""Fixtures of the access tests."""

import pytest

from muster.catalog.models import Service
from tests.factories import TODAY, request_service

from . import approve


@pytest.fixture
def setup(people, freeze_today):
    """`mine` has SAS Viya (needs a DUA) and Confluence approved, Jira only requested."""
    freeze_today(TODAY)
    mine = people["mine"]
    people["sas"] = approve(mine, "sas-viya")
    people["confluence"] = approve(mine, "confluence")
    request_service(mine, "jira-service-management")
    people["jira"] = Service.objects.get(slug="jira-service-management")
    return people

"""The admin shows grants and roster imports read-only; an import's rows (people's names,
emails and HARP IDs as uploaded) stay out of it."""

import pytest
from django.urls import reverse

from muster.access.models import RosterImport
from muster.accounts.models import TeamRole
from tests.factories import make_contract, signed_in, team_member

pytestmark = pytest.mark.django_db


def test_a_roster_import_is_shown_read_only_without_its_rows(client):
    admin = team_member(TeamRole.Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    signed_in(client, admin)
    uploaded = RosterImport.objects.create(
        contract=make_contract(), filename="users.csv", uploaded_by=admin,
        rows=[{"line": 2, "full_name": "Rowena Secretrow", "email": "rowena@example.com",
               "harp_id": "harp9999", "services": [], "errors": []}],
    )
    page = client.get(reverse("admin:access_rosterimport_change", args=[uploaded.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "users.csv" in html
    assert "Rowena Secretrow" not in html
    assert 'name="_save"' not in html
    url = reverse("admin:access_rosterimport_change", args=[uploaded.pk])
    assert client.post(url, {"filename": "renamed.csv"}).status_code == 403
    assert RosterImport.objects.get(pk=uploaded.pk).filename == "users.csv"

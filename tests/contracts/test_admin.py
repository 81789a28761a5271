"""The Django admin's contract page: an administrator saves a contract with requested
services, and the services' statuses (protected: they move only by their transitions)
are shown, not posted back."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

from muster.accounts.models import TeamRole
from muster.contracts.models import ContractService
from tests.factories import make_contract, request_service, signed_in, team_member

pytestmark = pytest.mark.django_db


class FormValues(HTMLParser):
    """What a browser would post back from the page's form, unchanged."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, str] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        name = a.get("name")
        if tag == "input" and name and a.get("type") not in ("submit", "button", "file"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.data[name] = a.get("value") or ("on" if a.get("type") == "checkbox" else "")
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, "")
        elif tag == "option" and self._select and "selected" in a:
            self.data[self._select] = a.get("value", "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.data[name] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data


def test_an_administrator_saves_a_contract_with_requested_services(client):
    admin = team_member(TeamRole.Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    signed_in(client, admin)
    contract = make_contract(name="Admin Saved")
    request_service(contract, "sas-viya")
    url = reverse("admin:contracts_contract_change", args=[contract.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "Requested" in page.content.decode()  # the service's status, shown read-only
    form = FormValues()
    form.feed(page.content.decode())
    form.data["name"] = "Admin Saved Again"

    response = client.post(url, form.data)

    assert response.status_code == 302, response.content.decode()[:2000]
    contract.refresh_from_db()
    assert contract.name == "Admin Saved Again"
    assert contract.services.get().status == ContractService.Status.REQUESTED

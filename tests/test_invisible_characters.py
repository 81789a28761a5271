"""Names, emails, HARP IDs and contract numbers refuse invisible and text-direction control
characters (a right-to-left override makes "Mallory" look like someone else; a zero-width
space makes two emails look alike), wherever they come in: the roster form, the CSV
import, the solicitation notice, the intake's parties screen, the administration site."""


import pytest
from django.urls import reverse

from muster.access.models import RosterImport
from muster.accounts.models import ContractRole, TeamRole, User
from muster.contracts.models import Contract, Organization

from .access import approve
from .factories import TODAY, csv_upload, team_member
from .pages import text_of

pytestmark = pytest.mark.django_db
RLO, ZWSP, LRI, PDF_ = "\u202e", "\u200b", "\u2066", "\u202c"
WHY = ("has an invisible or text-direction control character (U+{code}), which can make it "
       "look like something else. Type it again without it")


def why(code: str, subject: str = "This") -> str:
    return f"{subject} {WHY.format(code=code)}"


@pytest.fixture
def so(client, people, freeze_today):
    freeze_today(TODAY)
    approve(people["mine"], "confluence")
    client.force_login(people["so"])
    return client


# --- The roster, one by one ---------------------------------------------------------------


@pytest.mark.parametrize(("field", "value", "label", "code"), [
    ("full_name", f"Ada {RLO}ecalevol{PDF_}", "Full name",
     "202E RIGHT-TO-LEFT OVERRIDE, U+202C POP DIRECTIONAL FORMATTING"),
    # validate_email accepts this: the domain part allows any character above U+00A0.
    ("email", f"ada@example.com{ZWSP}", "Email address", "200B ZERO WIDTH SPACE"),
    ("harp_id", f"ALOVE{ZWSP}01", "HARP ID", "200B ZERO WIDTH SPACE"),
])
def test_the_so_cannot_add_a_user_with_an_invisible_character(so, people, field, value,
                                                              label, code):
    data = {"full_name": "Ada Lovelace", "email": "ada@example.com", "harp_id": "ALOVE01"}
    data[field] = value

    response = so.post(reverse("access:add_user", args=[people["mine"].pk]), data)

    assert response.status_code == 400
    page = text_of(response)
    assert f"{label}: {why(code)}" in page  # in the error summary, tied to the field
    assert not User.objects.filter(email__startswith="ada@").exists()


# --- The roster, from a CSV file --------------------------------------------------------


def test_a_csv_file_with_invisible_characters_is_previewed_with_each_and_adds_no_one(
        so, people):
    mine = people["mine"]
    content = (
        "full_name,email,harp_id\n"
        "Ada Lovelace,ada@example.com,ALOVE01\n"
        f"Al{RLO}an Turing,alan@example.com,ATURING1\n"
        f"Grace Hopper,grace@example.com{ZWSP},GHOPPER\n"
        f"Edsger Dijkstra,edsger@example.com,{LRI}EWD1\n"
    )
    response = so.post(reverse("access:import", args=[mine.pk]), {
        "file": csv_upload(content)})
    assert response.status_code == 302

    preview = text_of(so.get(response.url))
    assert "3 rows have problems" in preview
    assert why("202E RIGHT-TO-LEFT OVERRIDE", "The full name") in preview
    assert why("200B ZERO WIDTH SPACE", "The email address") in preview
    assert why("2066 LEFT-TO-RIGHT ISOLATE", "The HARP ID") in preview

    roster_import = RosterImport.objects.get()
    forced = so.post(reverse("access:import_preview", args=[mine.pk, roster_import.pk]),
                     {"action": "confirm"}, follow=True)
    assert forced.status_code == 200
    assert not User.objects.filter(email__in=["ada@example.com", "alan@example.com"]).exists()
    assert not ContractRole.objects.filter(contract=mine, role="contractor_user").exclude(
        user=people["contractor_user"]).exists()


# --- The solicitation notice -----------------------------------------------------------


@pytest.mark.parametrize(("field", "value", "label"), [
    ("name", f"Quality {RLO}troppuS{PDF_}", "Contract name"),
    ("contract_number", f"75FCMC27R{ZWSP}0100", "Solicitation or contract number"),
])
def test_a_solicitation_with_an_invisible_character_is_refused(client, freeze_today, field,
                                                               value, label):
    freeze_today(TODAY)
    team_member(TeamRole.Role.ONBOARDING_TEAM)
    client.force_login(team_member(TeamRole.Role.COR))
    data = {"name": "Quality Reporting Support", "contract_number": "75FCMC27R0100",
            "estimated_award_date": "2027-02-01",
            "requirements_summary": "SAS Viya for analytics."}
    data[field] = value

    response = client.post(reverse("onboarding:solicitation_new"), data)

    assert response.status_code == 400
    assert f"{label}: This has an invisible or text-direction control character" in (
        text_of(response))
    assert not Contract.objects.filter(name__startswith="Quality").exists()


# --- The intake's parties screen --------------------------------------------------------


def test_the_intake_refuses_an_so_whose_name_has_a_direction_override(client, people,
                                                                      freeze_today):
    from tests.onboarding.test_intake import answers

    freeze_today(TODAY)
    mine = people["mine"]
    client.force_login(people["cor"])
    assert client.post(reverse("onboarding:award", args=[mine.pk]),
                       {"award_date": "2026-11-23"}).status_code == 302
    data = answers(people, mine)["parties"]
    data["so_name"] = f"Sam {RLO}eruceS"
    data["spoc_harp_id"] = f"{people['spoc'].harp_id}{ZWSP}"

    response = client.post(reverse("onboarding:intake_screen", args=[mine.pk, "parties"]),
                           data)

    assert response.status_code == 400
    page = text_of(response)
    assert f"Security Official (SO): full name: {why('202E RIGHT-TO-LEFT OVERRIDE')}" in page
    assert f"Security point of contact (SPOC): HARP ID: {why('200B ZERO WIDTH SPACE')}" in page
    assert not User.objects.filter(email="sam.secure@acme.example").exists()


# --- The administration site: the model's own rule --------------------------------------


def test_the_admin_refuses_an_organization_named_with_an_isolate(admin_client):
    response = admin_client.post(reverse("admin:contracts_organization_add"), {
        "name": "Acme Analytics", "harp_name": f"ACME{LRI} ANALYTICS"})

    assert response.status_code == 200  # the form again, with the error
    assert why("2066 LEFT-TO-RIGHT ISOLATE") in text_of(response)
    assert not Organization.objects.exists()

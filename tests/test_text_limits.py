"""Every typed text has a length limit, said in characters on the page that refuses it: a
2.4-million-character requirements summary never reaches the database or the outbox,
while 10,000 characters are stored, rendered and emailed whole."""

import importlib
import inspect
import io
import pkgutil
import re

import pytest
from django import forms
from django.apps import apps
from django.db import models
from django.urls import reverse

import muster
from muster.access.models import RosterImport
from muster.accounts.models import TeamRole, User
from muster.contracts.models import Contract
from muster.notifications.delivery import deliver_due
from muster.notifications.models import OutboxEmail
from muster.onboarding.models import SurveyResponse, TouchPointCall
from muster.validators import LONG_TEXT_MAX, NAME_MAX

from .access import approve
from .factories import TODAY, approved_for_onboarding, csv_upload, team_member
from .pages import text_of

pytestmark = pytest.mark.django_db
HUGE = 2_400_000
# Texts Muster writes itself, never typed: an email as rendered, a delivery error, a sent
# welcome package and why its PDF could not be made (cut to 2,000 characters), a session's
# data (Django's). Their size follows from what they hold.
GENERATED = {("notifications", "outboxemail", "body"), ("notifications", "outboxemail",
             "last_error"), ("onboarding", "welcomepackage", "html"),
             ("onboarding", "welcomepackage", "last_error"),
             ("identity", "session", "session_data")}
# Every module of forms in Muster, found rather than listed, so a new one is checked too.
FORM_MODULES = sorted(
    info.name for info in pkgutil.walk_packages(muster.__path__, "muster.")
    if info.name.rsplit(".", 1)[-1].endswith("forms")
)


def too_long(limit: int, length: int) -> str:
    return f"Ensure this value has at most {limit} characters (it has {length})."


def words(length: int) -> str:
    """Readable text of exactly `length` characters, with line breaks."""
    text = ("Analysts need SAS Viya for readmission models.\n" * (length // 47 + 1))
    return text[:length - 1] + "."


# --- Every field, by construction ---------------------------------------------------------


def test_every_stored_text_has_a_length_limit():
    unlimited = [
        f"{model._meta.label}.{field.name}"
        for model in apps.get_models() if model.__module__.startswith("muster.")
        for field in model._meta.get_fields()
        if isinstance(field, models.CharField | models.TextField) and field.max_length is None
        and (model._meta.app_label, model._meta.model_name, field.name) not in GENERATED
    ]
    assert unlimited == []


def form_classes():
    assert "muster.closeout.forms" in FORM_MODULES and "muster.forms" in FORM_MODULES
    for module_name in FORM_MODULES:
        module = importlib.import_module(module_name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if (issubclass(cls, forms.BaseForm) and cls.__module__ == module_name
                    and not cls.__name__.startswith("_")):
                yield cls


def build(cls, people):
    """An unbound form, given a contract if its constructor takes one."""
    try:
        return cls(contract=people["mine"])
    except TypeError:  # takes no contract
        return cls()


def test_every_text_field_of_every_form_has_a_limit(people):
    unlimited = []
    for cls in form_classes():
        form = build(cls, people)
        for name, field in form.fields.items():
            # A password is never stored as typed (only its hash), nor shown.
            typed = not field.widget.is_hidden and not isinstance(field.widget,
                                                                  forms.PasswordInput)
            if isinstance(field, forms.CharField) and typed and (
                    field.max_length is None or field.max_length > LONG_TEXT_MAX):
                unlimited.append(f"{cls.__name__}.{name}")
    assert unlimited == []


# --- The solicitation notice: the 2.4-million-character summary --------------------------


@pytest.fixture
def cor(client, people, freeze_today):
    freeze_today(TODAY)
    user = team_member(TeamRole.Role.COR, full_name="Nora Notifier")
    client.force_login(user)
    return user


def solicitation(summary: str) -> dict:
    return {"name": "Quality Reporting Support", "contract_number": "75FCMC27R0100",
            "estimated_award_date": "2027-02-01", "requirements_summary": summary}


def test_a_summary_of_millions_of_characters_is_refused_before_it_is_stored_or_emailed(
        client, cor, mailoutbox):
    response = client.post(reverse("onboarding:solicitation_new"), solicitation("x" * HUGE))

    assert response.status_code == 400
    page = text_of(response)
    assert page.startswith("Error: ")
    assert "There is a problem" in page
    assert f"High-level service requirements: {too_long(LONG_TEXT_MAX, HUGE)}" in page
    assert 'value="Quality Reporting Support"' in response.content.decode()
    assert not Contract.objects.filter(contract_number="75FCMC27R0100").exists()
    assert not OutboxEmail.objects.exists()
    deliver_due()
    assert mailoutbox == []


def test_the_page_tells_the_browser_the_limit(client, cor):
    page = client.get(reverse("onboarding:solicitation_new")).content.decode()
    assert re.search(rf'<textarea name="requirements_summary"[^>]*maxlength="{LONG_TEXT_MAX}"',
                     page)
    assert re.search(rf'<input type="text" name="name" [^>]*maxlength="{NAME_MAX}"', page)


def test_a_summary_at_the_limit_is_stored_and_emailed_whole(client, cor, people, mailoutbox):
    summary = words(LONG_TEXT_MAX)

    response = client.post(reverse("onboarding:solicitation_new"), solicitation(summary))

    assert response.status_code == 302
    contract = Contract.objects.get(contract_number="75FCMC27R0100")
    assert contract.requirements_summary == summary
    assert client.get(response["Location"]).status_code == 200
    deliver_due()
    [email] = mailoutbox
    assert summary in email.body
    client.force_login(people["onboarding_team"])
    page = client.get(reverse("notifications:detail", args=[OutboxEmail.objects.get().pk]))
    assert page.status_code == 200
    assert summary.splitlines()[-1] in text_of(page)


# --- Texts that had no limit at all ----------------------------------------------------


@pytest.fixture
def onboarded(people, freeze_today):
    freeze_today(TODAY)
    mine = people["mine"]
    approved_for_onboarding(mine, people["cor"])
    return mine


@pytest.mark.parametrize(("field", "label"), [("outcome", "Outcome"), ("notes", "Notes")])
def test_a_call_record_over_the_limit_is_refused(client, people, onboarded, field, label):
    data = {"held_on": "2026-11-20", "topics": ["templates"], "outcome": "Templates shared.",
            "notes": ""}
    data[field] = "y" * HUGE
    client.force_login(people["onboarding_team"])

    response = client.post(reverse("onboarding:calls", args=[onboarded.pk]), data)

    assert response.status_code == 400
    assert f"{label}: {too_long(LONG_TEXT_MAX, HUGE)}" in text_of(response)
    assert not TouchPointCall.objects.exists()


def test_a_survey_answer_over_the_limit_is_refused(client, people, onboarded):
    SurveyResponse.objects.create(contract=onboarded)
    client.force_login(people["so"])

    response = client.post(reverse("onboarding:survey", args=[onboarded.pk]), {
        "satisfaction": "4", "went_well": "z" * (LONG_TEXT_MAX + 1), "to_improve": ""})

    assert response.status_code == 400
    assert f"What went well: {too_long(LONG_TEXT_MAX, LONG_TEXT_MAX + 1)}" in text_of(response)
    assert SurveyResponse.objects.get().answered_at is None


def test_a_survey_answer_at_the_limit_is_kept_and_shown_to_the_team(client, people, onboarded):
    SurveyResponse.objects.create(contract=onboarded)
    client.force_login(people["so"])
    answer = words(LONG_TEXT_MAX)

    response = client.post(reverse("onboarding:survey", args=[onboarded.pk]), {
        "satisfaction": "4", "went_well": answer, "to_improve": ""})

    assert response.status_code == 302
    assert SurveyResponse.objects.get().went_well == answer
    client.force_login(people["onboarding_team"])
    assert client.get(reverse("onboarding:surveys")).status_code == 200


# --- Sign-in and the CSV import -----------------------------------------------------------


def test_signing_in_with_an_email_longer_than_any_account_says_the_limit(client):
    email = "a" * 60 + "@" + ".".join(["b" * 60] * 4) + ".example"  # 312 characters
    assert len(email) > 254

    response = client.post(reverse("account_login"), {"login": email,
                                                         "password": "whatever"})

    assert response.status_code == 200
    assert f"Ensure this value has at most 254 characters (it has {len(email)})." in (
        text_of(response))


def test_a_csv_row_with_an_overlong_name_is_shown_clipped_with_the_limit(client, people,
                                                                         freeze_today):
    freeze_today(TODAY)
    approve(people["mine"], "confluence")
    client.force_login(people["so"])
    content = ("full_name,email,harp_id\n"
               f"{'Ada ' * 1_250},ada@example.com,ALOVE01\n")

    response = client.post(reverse("access:import", args=[people["mine"].pk]), {
        "file": csv_upload(content)})

    assert response.status_code == 302
    preview = text_of(client.get(response.url))
    assert f"The full name has 4,999 characters; at most {NAME_MAX} fit." in preview
    [row] = RosterImport.objects.get().rows
    assert len(row["full_name"]) == NAME_MAX + 1  # clipped, and still refused on confirm
    assert not User.objects.filter(email="ada@example.com").exists()


def test_the_demo_data_fits_every_limit_and_rule(freeze_today, settings):
    """What migrations meet on an existing site, as the demo stands for it: no stored text
    over its new limit, no name or number with an invisible character."""
    from django.core.exceptions import ValidationError
    from django.core.management import call_command

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    freeze_today(TODAY)
    call_command("load_demo", stdout=io.StringIO())
    problems = []
    for model in apps.get_models():
        if not model.__module__.startswith("muster."):
            continue
        fields = [f for f in model._meta.concrete_fields
                  if isinstance(f, models.CharField | models.TextField)]
        for obj in model.objects.all():
            for field in fields:
                try:
                    field.run_validators(getattr(obj, field.attname))
                except ValidationError as error:
                    problems.append(f"{model._meta.label}.{field.name} #{obj.pk}: {error}")
    assert Contract.objects.count() > 5
    assert problems == []


# --- The team's contract edit: a model form, limited by the model alone ---------------


def edit(client, people, **changes):
    mine = people["mine"]
    data = {"name": mine.name, "contract_number": mine.contract_number,
            "task_order_number": "", "estimated_award_date": "", "award_date": "",
            "pop_start": "2026-12-01", "pop_end": "2027-11-30", "type_of_work": ""}
    data.update(changes)
    client.force_login(people["onboarding_team"])
    return client.post(reverse("contracts:edit", args=[mine.pk]), data)


def test_the_contract_page_shows_a_type_of_work_at_the_limit_whole(client, people):
    work = words(LONG_TEXT_MAX)

    assert edit(client, people, type_of_work=work).status_code == 302

    page = client.get(reverse("contracts:detail", args=[people["mine"].pk]))
    assert page.status_code == 200
    assert work.replace("\n", " ").strip() in text_of(page)


def test_the_contract_edit_refuses_a_type_of_work_over_the_limit(client, people):
    response = edit(client, people, type_of_work="w" * (LONG_TEXT_MAX + 1))

    assert response.status_code == 400
    assert f"Type of work to be performed: {too_long(LONG_TEXT_MAX, LONG_TEXT_MAX + 1)}" in (
        text_of(response))
    people["mine"].refresh_from_db()
    assert people["mine"].type_of_work == ""

"""A contract's timeline: its own copy of the process, due dates from the SPEC table on the
business calendar, states as of today, completion, and the process file loader.

Expected dates are worked out by hand from a 2026/2027 calendar, never by calling the code
under test.
"""

import datetime
import tomllib

import pytest
from django.urls import reverse

from muster.accounts.models import TeamRole
from muster.audit.models import AuditEvent
from muster.contracts import services as contract_services
from muster.timeline import services as timeline
from muster.timeline.models import ContractStep, StepState, TemplateStep
from muster.timeline.process_file import (
    DEFAULT_PROCESS_FILE,
    ProcessFileError,
    install_template,
    read_process_file,
)
from muster.timeline.services import StepError, default_template

from ..factories import make_contract, signed_in, team_member

D = datetime.date
DEFAULT_KEYS = [
    "notify-solicitation",
    "identify-requirements",
    "notify-award",
    "name-so-spoc",
    "so-spoc-identified",
    "submit-intake",
    "eligibility-meeting",
    "complete-onboarding",
    "touch-point-calls",
    "post-onboarding-survey",
    "closeout-notice",
    "closeout-scenario",
    "remove-access",
]


def due_dates(contract) -> dict[str, datetime.date | None]:
    return dict(ContractStep.objects.filter(contract=contract).values_list("key", "due_date"))


# --- A contract's own copy of the process -------------------------------------------------


@pytest.mark.django_db
def test_new_contract_gets_its_own_copy_of_the_thirteen_default_steps():
    template = default_template()
    first = make_contract()
    second = make_contract()

    steps = list(first.steps.order_by("order"))
    assert [s.key for s in steps] == DEFAULT_KEYS
    first.refresh_from_db()
    assert first.process_template == template
    # The copy carries what the template says, field by field.
    for step, source in zip(steps, template.steps.order_by("order"), strict=True):
        assert (step.name, step.phase, step.process, step.anchor, step.offset,
                step.offset_unit, step.responsible, step.evidence) == (
            source.name, source.phase, source.process, source.anchor, source.offset,
            source.offset_unit, source.responsible, source.evidence)
    # Separate rows per contract: 26 contract steps, the template still has 13.
    assert ContractStep.objects.filter(contract__in=[first, second]).count() == 26
    assert not set(first.steps.values_list("pk", flat=True)) & set(
        second.steps.values_list("pk", flat=True))
    assert TemplateStep.objects.filter(template=template).count() == 13


@pytest.mark.django_db
def test_due_dates_follow_the_spec_table_around_the_christmas_and_new_year_holidays():
    contract = make_contract(
        estimated_award_date=D(2026, 11, 20),
        award_date=D(2026, 12, 1),
        pop_start=D(2026, 12, 18),  # a Friday; Dec 25 and Jan 1 are Friday holidays
        pop_end=D(2027, 12, 17),
    )
    assert due_dates(contract) == {
        "notify-solicitation": D(2026, 9, 21),  # estimated award − 60 days
        "identify-requirements": D(2026, 11, 30),  # the day before the award
        "notify-award": D(2026, 12, 1),  # award date
        "name-so-spoc": D(2026, 12, 2),  # award + 1 day
        "so-spoc-identified": D(2026, 12, 19),  # POP start + 1 calendar day (a Saturday)
        "submit-intake": D(2026, 12, 18),  # POP start
        "eligibility-meeting": D(2026, 12, 28),  # +5 business days, skipping Christmas
        "complete-onboarding": D(2026, 12, 28),
        "touch-point-calls": D(2027, 1, 5),  # +10 business days, skipping Dec 25 and Jan 1
        "post-onboarding-survey": D(2027, 1, 5),
        "closeout-notice": D(2027, 10, 18),  # POP end − 60 days
        "closeout-scenario": D(2027, 11, 17),  # POP end − 30 days
        "remove-access": D(2027, 12, 17),  # POP end
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("pop_start", "five", "ten"),
    [
        # Wednesday before Thanksgiving (Thu Nov 26, 2026).
        (D(2026, 11, 25), D(2026, 12, 3), D(2026, 12, 10)),
        # Independence Day 2026 is a Saturday, observed Friday July 3.
        (D(2026, 7, 2), D(2026, 7, 10), D(2026, 7, 17)),
        # POP starting on a holiday: Martin Luther King Jr. Day, Monday Jan 18, 2027.
        (D(2027, 1, 18), D(2027, 1, 25), D(2027, 2, 1)),
    ],
)
def test_business_day_steps_skip_weekends_and_observed_holidays(pop_start, five, ten):
    contract = make_contract(estimated_award_date=pop_start - datetime.timedelta(days=30),
                             pop_start=pop_start)
    dates = due_dates(contract)
    assert dates["eligibility-meeting"] == five
    assert dates["complete-onboarding"] == five
    assert dates["touch-point-calls"] == ten
    assert dates["post-onboarding-survey"] == ten


@pytest.mark.django_db
def test_steps_without_their_milestone_have_no_due_date():
    contract = make_contract(estimated_award_date=None)
    assert set(due_dates(contract).values()) == {None}


@pytest.mark.django_db
def test_award_steps_follow_the_estimated_award_date_until_the_award_is_recorded():
    contract = make_contract(estimated_award_date=D(2026, 12, 1))
    dates = due_dates(contract)
    assert dates["notify-award"] == D(2026, 12, 1)
    assert dates["name-so-spoc"] == D(2026, 12, 2)

    # The estimate slips a week: the award steps move with it.
    contract_services.update_contract(None, contract, estimated_award_date=D(2026, 12, 8))
    dates = due_dates(contract)
    assert dates["notify-award"] == D(2026, 12, 8)
    assert dates["name-so-spoc"] == D(2026, 12, 9)

    # The award is recorded: the award steps follow it, and no longer the estimate.
    contract_services.update_contract(None, contract, award_date=D(2026, 12, 4))
    dates = due_dates(contract)
    assert dates["notify-award"] == D(2026, 12, 4)
    assert dates["name-so-spoc"] == D(2026, 12, 5)

    contract_services.update_contract(None, contract, estimated_award_date=D(2026, 12, 15))
    dates = due_dates(contract)
    assert dates["notify-award"] == D(2026, 12, 4)
    assert dates["name-so-spoc"] == D(2026, 12, 5)
    # Steps anchored on the estimate itself still follow it.
    assert dates["notify-solicitation"] == D(2026, 10, 16)


# --- The contract's copy and the template are independent ---------------------------------


@pytest.mark.django_db
def test_editing_a_contract_step_does_not_change_the_template():
    contract = make_contract(pop_start=D(2026, 12, 18))
    step = contract.steps.get(key="eligibility-meeting")
    step.offset = 7
    step.save()

    template_step = default_template().steps.get(key="eligibility-meeting")
    assert template_step.offset == 5
    # Another contract created afterwards still gets the template's 5 business days.
    later = make_contract(pop_start=D(2026, 12, 18))
    assert later.steps.get(key="eligibility-meeting").offset == 5
    assert due_dates(later)["eligibility-meeting"] == D(2026, 12, 28)

    # The edited contract's own offset is used when its dates move: Mon Jan 11, 2027
    # + 7 business days skips MLK Day (Jan 18) → Wed Jan 21.
    contract_services.update_contract(None, contract, pop_start=D(2027, 1, 11))
    assert due_dates(contract)["eligibility-meeting"] == D(2027, 1, 21)


@pytest.mark.django_db
def test_editing_the_template_does_not_change_existing_contracts():
    existing = make_contract(pop_start=D(2026, 12, 18))
    template_step = default_template().steps.get(key="eligibility-meeting")
    template_step.offset = 3
    template_step.save()

    step = existing.steps.get(key="eligibility-meeting")
    assert step.offset == 5
    assert step.due_date == D(2026, 12, 28)
    # A contract created after the edit gets the new rule: Fri Dec 18 + 3 business days.
    new = make_contract(pop_start=D(2026, 12, 18))
    assert new.steps.get(key="eligibility-meeting").offset == 3
    assert due_dates(new)["eligibility-meeting"] == D(2026, 12, 23)


@pytest.mark.django_db
def test_editing_a_contract_steps_offset_in_the_admin_moves_its_due_date(client):
    admin = team_member(TeamRole.Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    contract = make_contract(pop_start=D(2026, 12, 18))
    step = contract.steps.get(key="eligibility-meeting")
    signed_in(client, admin)
    response = client.post(
        reverse("admin:timeline_contractstep_change", args=[step.pk]),
        {
            "order": step.order, "key": step.key, "process": step.process,
            "phase": step.phase, "name": step.name, "anchor": step.anchor,
            "offset": 7, "offset_unit": step.offset_unit,
            "responsible": '["onboarding_team", "cor", "contractor"]',
            "evidence": step.evidence, "description": step.description,
            "due_date": "2026-12-28",  # what the form showed; the team member changed the rule
            "contract": contract.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    step.refresh_from_db()
    assert step.offset == 7
    # Fri Dec 18 + 7 business days, skipping Christmas → Wed Dec 30.
    assert step.due_date == D(2026, 12, 30)


# --- Moving milestones --------------------------------------------------------------------


@pytest.mark.django_db
def test_changing_pop_start_moves_open_steps_but_not_completed_ones():
    team = team_member(TeamRole.Role.ONBOARDING_TEAM)
    contract = make_contract(estimated_award_date=D(2026, 11, 20), award_date=D(2026, 12, 1),
                             pop_start=D(2026, 12, 18), pop_end=D(2027, 12, 17))
    timeline.complete_step(team, contract.steps.get(key="submit-intake"), "Intake received")
    events_before = AuditEvent.objects.count()

    contract_services.update_contract(team, contract, pop_start=D(2027, 1, 11))

    dates = due_dates(contract)
    assert dates["submit-intake"] == D(2026, 12, 18)  # done: keeps the date it was due
    assert dates["so-spoc-identified"] == D(2027, 1, 12)
    assert dates["eligibility-meeting"] == D(2027, 1, 19)  # +5 business days, skips MLK Day
    assert dates["touch-point-calls"] == D(2027, 1, 26)
    # Steps anchored on other milestones did not move.
    assert dates["notify-award"] == D(2026, 12, 1)
    assert dates["remove-access"] == D(2027, 12, 17)

    recomputed = AuditEvent.objects.get(action="timeline.due_dates_recomputed")
    assert recomputed.contract_id == contract.pk
    assert recomputed.actor == team
    assert recomputed.after == {
        "so-spoc-identified": "2027-01-12",
        "eligibility-meeting": "2027-01-19",
        "complete-onboarding": "2027-01-19",
        "touch-point-calls": "2027-01-26",
        "post-onboarding-survey": "2027-01-26",
    }
    assert "submit-intake" not in recomputed.after
    # One record for the contract change, one for the recomputed dates.
    assert AuditEvent.objects.count() == events_before + 2


@pytest.mark.django_db
def test_changing_a_field_that_is_not_a_milestone_does_not_recompute():
    contract = make_contract(pop_start=D(2026, 12, 18))
    before = due_dates(contract)
    contract_services.update_contract(None, contract, type_of_work="Analytics")
    assert due_dates(contract) == before
    assert not AuditEvent.objects.filter(action="timeline.due_dates_recomputed").exists()


# --- States as of today -------------------------------------------------------------------


@pytest.mark.django_db
def test_step_states_as_of_a_frozen_today(freeze_today, settings):
    today = freeze_today(D(2026, 11, 24))  # a Tuesday; Thanksgiving is Thursday Nov 26
    settings.TIMELINE_DUE_SOON_DAYS = 5  # Nov 25, 27, 30, Dec 1, Dec 2
    team = team_member(TeamRole.Role.ONBOARDING_TEAM)
    contract = make_contract()
    steps = list(contract.steps.order_by("order"))
    cases = [
        (None, StepState.UNSCHEDULED),
        (D(2026, 11, 23), StepState.OVERDUE),
        (D(2026, 11, 24), StepState.DUE),
        (D(2026, 12, 2), StepState.DUE),  # the 5th business day after today
        (D(2026, 12, 3), StepState.NOT_YET_DUE),  # the 6th
    ]
    for step, (due, _) in zip(steps, cases, strict=False):
        step.due_date = due
    ContractStep.objects.bulk_update(steps, ["due_date"])
    done = steps[len(cases)]
    done.due_date = D(2026, 11, 1)  # long past, but done: not overdue
    done.save()
    timeline.complete_step(team, done, "Filed")
    done.refresh_from_db()

    for step, (_, state) in zip(steps, cases, strict=False):
        assert step.state(today) == state, step.due_date
    assert done.state(today) == StepState.DONE

    # The window follows the setting.
    settings.TIMELINE_DUE_SOON_DAYS = 2  # Nov 25, Nov 27
    assert steps[3].state(today) == StepState.NOT_YET_DUE
    assert steps[2].state(today) == StepState.DUE


@pytest.mark.django_db
def test_completing_a_step_records_who_when_and_the_note(freeze_today):
    freeze_today(D(2026, 11, 24))
    team = team_member(TeamRole.Role.ONBOARDING_TEAM, full_name="Tess Team")
    contract = make_contract()
    step = contract.steps.get(key="notify-solicitation")

    timeline.complete_step(team, step, "  Notice filed  ")

    step.refresh_from_db()
    assert step.completed_by == team
    assert step.completed_at.date() == D(2026, 11, 24)
    assert step.completion_note == "Notice filed"
    event = AuditEvent.objects.get(action="timeline.step_completed")
    assert event.contract_id == contract.pk
    assert event.after["note"] == "Notice filed"


@pytest.mark.django_db
def test_completing_a_step_twice_is_refused_and_keeps_the_first_completion(freeze_today):
    freeze_today(D(2026, 11, 24))
    first = team_member(TeamRole.Role.ONBOARDING_TEAM)
    second = team_member(TeamRole.Role.ONBOARDING_TEAM)
    step = make_contract().steps.get(key="notify-solicitation")
    timeline.complete_step(first, step, "First")
    events = AuditEvent.objects.count()

    with pytest.raises(StepError, match="already completed"):
        timeline.complete_step(second, step, "Second")

    step.refresh_from_db()
    assert step.completed_by == first
    assert step.completion_note == "First"
    assert AuditEvent.objects.count() == events


# --- The process file loader --------------------------------------------------------------

STEP = """
[[step]]
key = "{key}"
process = "onboarding"
phase = "Phase"
name = "Step {key}"
anchor = "pop_start"
offset = 1
unit = "business"
responsible = ["cor"]
evidence = "Done"
"""
HEADER = 'slug = "other-agency"\nname = "Another agency"\n'


def write(tmp_path, text):
    path = tmp_path / "process.toml"
    path.write_text(text)
    return path


def test_the_shipped_process_file_has_the_thirteen_steps():
    data = read_process_file(DEFAULT_PROCESS_FILE)
    assert [s["key"] for s in data["step"]] == DEFAULT_KEYS


def test_loader_accepts_a_well_formed_file(tmp_path):
    data = read_process_file(write(tmp_path, HEADER + STEP.format(key="a") + STEP.format(key="b")))
    assert data["slug"] == "other-agency"
    assert [s["key"] for s in data["step"]] == ["a", "b"]


def test_loader_rejects_a_step_key_used_twice(tmp_path):
    path = write(tmp_path, HEADER + STEP.format(key="meet") + STEP.format(key="meet"))
    with pytest.raises(ProcessFileError, match="'meet' is used twice"):
        read_process_file(path)


def test_loader_rejects_a_toml_key_written_twice(tmp_path):
    text = HEADER + STEP.format(key="a").replace('phase = "Phase"', 'phase = "A"\nphase = "B"')
    with pytest.raises(tomllib.TOMLDecodeError):
        read_process_file(write(tmp_path, text))


@pytest.mark.parametrize("field", ["key", "anchor", "offset", "responsible", "evidence"])
def test_loader_rejects_a_step_missing_a_field(tmp_path, field):
    second = "\n".join(
        line for line in STEP.format(key="b").splitlines() if not line.startswith(f"{field} =")
    )
    path = write(tmp_path, HEADER + STEP.format(key="a") + second)
    with pytest.raises(ProcessFileError, match=f"step 2 lacks {field}"):
        read_process_file(path)


@pytest.mark.parametrize("field", ["slug", "name"])
def test_loader_rejects_a_file_missing_its_slug_or_name(tmp_path, field):
    header = "\n".join(line for line in HEADER.splitlines() if not line.startswith(field))
    with pytest.raises(ProcessFileError, match=f"missing '{field}'"):
        read_process_file(write(tmp_path, header + "\n" + STEP.format(key="a")))


@pytest.mark.parametrize(
    ("old", "new"),
    [('unit = "business"', 'unit = "busines"'), ('anchor = "pop_start"', 'anchor = "pop_begin"')],
)
def test_loader_rejects_an_unknown_anchor_or_unit(tmp_path, old, new):
    path = write(tmp_path, HEADER + STEP.format(key="a").replace(old, new))
    with pytest.raises(ProcessFileError):
        read_process_file(path)


@pytest.mark.django_db
def test_an_installed_template_drives_new_contracts(tmp_path):
    from muster.timeline.models import ProcessTemplate

    data = read_process_file(write(tmp_path, HEADER + STEP.format(key="only")))
    template = install_template(data, ProcessTemplate, TemplateStep, make_default=False)
    assert default_template().slug == "qualitynet-default"  # still the default

    contract = make_contract(pop_start=D(2026, 12, 24), template=template)
    # Thu Dec 24 + 1 business day skips Christmas (Fri) and the weekend → Mon Dec 28.
    assert due_dates(contract) == {"only": D(2026, 12, 28)}

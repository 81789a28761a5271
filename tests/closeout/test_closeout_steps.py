"""The closeout's timeline steps say what completes them: the notice going out completes
"Notification of contract closeout"; the COR's scenario completes "COR chooses the closeout
scenario". Before, the notice step waited for the scenario and showed overdue once sent."""

import datetime
import importlib
import re

from django.apps import apps
from django.urls import reverse

from muster.closeout.models import Closeout
from muster.timeline.models import ContractStep

from .scenes import DAY, choose

split = importlib.import_module(
    "muster.closeout.migrations.0002_split_closeout_notice_step").split


def timeline_row(client, person, contract, name) -> str:
    client.force_login(person)
    page = client.get(reverse("contracts:detail", args=[contract.pk]))
    html = page.content.decode()
    row = re.search(r"<tr id=\"step-\d+\">(?:(?!</tr>).)*?" + re.escape(name) + r".*?</tr>",
                    html, re.DOTALL)
    assert row, f"no timeline row for {name}"
    return " ".join(re.sub(r"<[^>]+>", " ", row.group()).split())


def test_the_sent_notice_is_done_and_the_scenario_waits_for_the_cor(
    client, people, scene, sweep_on  # noqa: F811
):
    data = scene()
    mine, pop_end = data["mine"], data["pop_end"]
    sweep_on(pop_end - 60 * DAY)
    sweep_on(pop_end - 45 * DAY)  # two weeks on, no scenario chosen yet

    notice = timeline_row(client, people["cor"], mine, "Notification of contract closeout")
    assert "Done" in notice and "Closeout notice sent to the COR" in notice
    assert "Overdue" not in notice
    scenario = timeline_row(client, people["cor"], mine, "COR chooses the closeout scenario")
    assert "Not yet due" in scenario or "Due soon" in scenario
    assert (pop_end - 30 * DAY).strftime("%b %-d, %Y") in scenario

    # The COR lets the date pass: now the scenario is what is overdue.
    sweep_on(pop_end - 29 * DAY)
    scenario = timeline_row(client, people["cor"], mine, "COR chooses the closeout scenario")
    assert "Overdue" in scenario

    response = choose(client, people["cor"], mine, 3, {
        "pop_end_confirmed": pop_end.isoformat(), "data_to_archive": "Workpapers.",
        "all_data_archived": "on"})
    assert response.status_code == 302
    scenario = timeline_row(client, people["cor"], mine, "COR chooses the closeout scenario")
    assert "Done" in scenario and "Scenario chosen: Ends with no new award" in scenario


def _as_before_the_split(contract):
    """The contract's steps as they were: one notice step waiting for the scenario."""
    contract.steps.filter(key="closeout-scenario").delete()
    contract.steps.filter(key="closeout-notice").update(
        responsible=["onboarding_team", "cor"], evidence="Closeout scenario chosen",
        completed_at=None, completion_note="")


def test_the_migration_splits_existing_contracts_steps(people, scene, sweep_on):  # noqa: F811
    data = scene()
    mine, pop_end = data["mine"], data["pop_end"]
    sweep_on(pop_end - 60 * DAY)
    _as_before_the_split(mine)
    people["other"].steps.filter(key="closeout-scenario").delete()
    remove_order = mine.steps.get(key="remove-access").order

    split(apps, None)
    split(apps, None)  # a second run changes nothing

    notice, scenario, remove = (mine.steps.get(key=k) for k in
                                ("closeout-notice", "closeout-scenario", "remove-access"))
    sent = Closeout.objects.get(contract=mine).notice_sent_at
    assert (notice.completed_at, notice.evidence) == (sent, "Closeout notice sent to the COR")
    assert notice.responsible == ["onboarding_team"]
    assert scenario.completed_at is None
    assert scenario.due_date == pop_end - 30 * DAY
    assert (scenario.order, remove.order) == (notice.order + 1, remove_order + 1)
    # A contract whose notice has not gone out keeps its notice step open.
    other = people["other"].steps.get(key="closeout-notice")
    assert other.completed_at is None and other.evidence == "Closeout notice sent to the COR"
    assert people["other"].steps.filter(key="closeout-scenario").count() == 1
    assert ContractStep.objects.filter(key="closeout-scenario").count() == 2


def test_the_migration_keeps_a_chosen_scenarios_history(people, scene, sweep_on):  # noqa: F811
    mine = scene()["mine"]
    done_at = datetime.datetime(2027, 10, 1, 12, tzinfo=datetime.UTC)
    _as_before_the_split(mine)
    mine.steps.filter(key="closeout-notice").update(
        completed_at=done_at, completion_note="Scenario chosen: Ends with no new award.")

    split(apps, None)

    notice, scenario = mine.steps.get(key="closeout-notice"), mine.steps.get(
        key="closeout-scenario")
    assert notice.evidence == "Closeout scenario chosen"  # its history, as it was
    assert (scenario.completed_at, scenario.completion_note) == (
        done_at, "Scenario chosen: Ends with no new award.")

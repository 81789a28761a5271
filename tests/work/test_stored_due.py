"""An open onboarding request's and closeout's due date is stored on its row (`due`: the
due date of the timeline step its status waits on) so My work and the review queue sort by
an index instead of joining every open row to its steps. Every change of status and of the
steps' due dates leaves it equal to a recomputation; the check command finds and repairs a
row written around the services; random sequences of changes never leave one wrong."""

import datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from muster.closeout.models import Closeout
from muster.contracts import services as contract_services
from muster.onboarding.models import OnboardingRequest
from muster.timeline import services as timeline
from muster.work.management.commands.check_work_dues import mismatches

from ..factories import make_contract, signed_in
from ..timeline.test_next_step import apply as apply_step_change
from ..timeline.test_next_step import changes as step_changes
from . import at, open_closeout, submitted_request

D = datetime.date


def step_due(contract, key):
    return contract.steps.get(key=key).due_date


def due_of(row):
    return type(row).objects.values_list("due", flat=True).get(pk=row.pk)


@pytest.fixture
def contract(db, freeze_today):
    freeze_today(D(2026, 11, 24))
    return make_contract(name="Stored", estimated_award_date=D(2026, 11, 20),
                         award_date=D(2026, 12, 1), pop_start=D(2027, 1, 4),
                         pop_end=D(2028, 1, 31))


def test_a_request_is_due_with_its_meeting_then_with_complete_onboarding(contract, people):
    request = submitted_request(contract, people["cor"], D(2026, 11, 20))
    assert due_of(request) == step_due(contract, "eligibility-meeting") == D(2027, 1, 11)
    for move in ("mark_reviewed", "approve_as_lead", "hold_meeting"):
        getattr(request, move)()
        request.save()
    contract_services.update_contract(None, contract, pop_start=D(2027, 2, 1))
    assert due_of(request) == step_due(contract, "complete-onboarding") != D(2027, 1, 11)
    request.finish_service_review()
    request.save(update_fields=["status"])  # a save naming its fields keeps `due` too
    request.complete()
    request.save()
    assert due_of(request) is None  # nothing is due on a finished request
    assert mismatches() == []


def test_a_draft_or_stopped_request_is_due_with_nothing(contract, people):
    request = OnboardingRequest.objects.create(contract=contract, created_by=people["cor"])
    assert due_of(request) is None
    request.submit()
    request.save()
    assert due_of(request) == D(2027, 1, 11)
    request.withdraw()
    request.save()
    assert due_of(request) is None


def test_a_closeout_is_due_with_the_scenario_then_with_the_removal(contract, people):
    closeout = open_closeout(contract, D(2027, 12, 1))
    assert due_of(closeout) == step_due(contract, "closeout-scenario")
    closeout.choose(1, {}, people["cor"])
    closeout.save()
    assert due_of(closeout) == step_due(contract, "remove-access") is not None
    contract_services.update_contract(None, contract, pop_end=D(2028, 3, 31))
    assert due_of(closeout) == step_due(contract, "remove-access") > D(2028, 1, 31)
    assert mismatches() == []


def test_my_work_orders_by_the_stored_due_date_after_the_dates_move(contract, people, client):
    """What a person notices: the request whose meeting moved earlier comes first."""
    later = make_contract(name="Later", estimated_award_date=D(2026, 11, 20),
                          award_date=D(2026, 12, 1), pop_start=D(2027, 1, 11),
                          pop_end=D(2028, 1, 31))
    submitted_request(contract, people["cor"], D(2026, 11, 20))
    submitted_request(later, people["cor"], D(2026, 11, 20))
    page = signed_in(client, people["onboarding_team"])

    def order():
        text = page.get("/").content.decode()
        return sorted(["Stored", "Later"], key=lambda name: text.index(f">{name}<"))

    assert order() == ["Stored", "Later"]
    contract_services.update_contract(None, contract, pop_start=D(2027, 3, 1))
    assert order() == ["Later", "Stored"]


def test_the_check_names_each_difference_and_fix_repairs_it(contract, people, capsys):
    request = submitted_request(contract, people["cor"], D(2026, 11, 20))
    closeout = open_closeout(contract, D(2027, 12, 1))
    call_command("check_work_dues")
    assert capsys.readouterr().out == ("Every onboarding request's and closeout's stored "
                                       "due date matches its steps.\n")
    # Written around the services (as a bulk load would): the rows no longer match.
    OnboardingRequest.objects.filter(pk=request.pk).update(due=None)
    Closeout.objects.filter(pk=closeout.pk).update(due=D(2026, 1, 2))

    with pytest.raises(CommandError) as refused:
        call_command("check_work_dues")
    assert str(refused.value) == ("2 rows' stored due date differs from the steps: run "
                                  "`manage.py check_work_dues --fix` to repair.")
    assert capsys.readouterr().out.splitlines() == [
        f"onboarding request {request.pk}: stored none, expected 2027-01-11",
        f"closeout {closeout.pk}: stored 2026-01-02, expected "
        f"{step_due(contract, 'closeout-scenario').isoformat()}",
    ]
    call_command("check_work_dues", "--fix", verbosity=0)
    assert capsys.readouterr().out == "Repaired the stored due date of 2 rows.\n"
    assert mismatches() == []


# --- Random sequences of changes keep stored == recomputed ---------------------------------

REQUEST_MOVES = ["submit", "ask_question", "answer_question", "mark_reviewed",
                 "approve_as_lead", "hold_meeting", "return_not_eligible",
                 "finish_service_review", "complete", "send_back", "reject", "withdraw",
                 "cancel"]
CLOSEOUT_MOVES = ["choose", "extend", "undo_choice", "remove_access"]
changes = st.one_of(
    step_changes,
    st.tuples(st.just("request"), st.integers(0, 3), st.sampled_from(REQUEST_MOVES)),
    st.tuples(st.just("closeout"), st.integers(0, 3), st.sampled_from(CLOSEOUT_MOVES)),
)


def move(obj, name, person):
    if name not in {t.name for t in obj.get_available_status_transitions()}:
        return
    args = {"choose": (1, {}, person), "remove_access": (D(2027, 1, 1),)}.get(name, ())
    getattr(obj, name)(*args)
    obj.save()


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(sequence=st.lists(changes, min_size=1, max_size=10))
def test_random_changes_keep_the_stored_due_equal_to_a_recomputation(
    db, time_machine, people, sequence
):
    start = D(2026, 11, 24)
    time_machine.move_to(datetime.datetime(2026, 11, 24, 12, tzinfo=datetime.UTC), tick=False)
    with transaction.atomic():
        contracts = [make_contract(estimated_award_date=start)]
        requests = [OnboardingRequest.objects.create(contract=contracts[0],
                                                     created_by=people["cor"])]
        closeouts = [Closeout.objects.create(contract=contracts[0], pop_end=start,
                                             notice_sent_at=at(start))]
        for change in sequence:
            if change[0] == "request":
                move(requests[change[1] % len(requests)], change[2], people["cor"])
            elif change[0] == "closeout":
                move(closeouts[change[1] % len(closeouts)], change[2], people["cor"])
            elif change[0] != "time passes":
                known = len(contracts)
                apply_step_change(change, contracts, start)
                if len(contracts) > known:  # a new contract: its request and closeout
                    requests.append(OnboardingRequest.objects.create(
                        contract=contracts[-1], created_by=people["cor"]))
                    closeouts.append(Closeout.objects.create(
                        contract=contracts[-1], pop_end=start, notice_sent_at=at(start)))
            assert mismatches() == []
        assert timeline.next_step_mismatches() == []
        transaction.set_rollback(True)  # each example starts from an empty database

"""A closeout's status moves only by its transitions: assigning it is refused, reading it
again from the database is not (django-fsm's FSMModelMixin); each move is audited."""

import datetime

import pytest
from django_fsm import TransitionNotAllowed

from muster.audit.models import AuditEvent
from muster.closeout.choice import choose_scenario, open_closeout
from muster.closeout.ending import end_contract
from muster.closeout.models import Closeout, Scenario
from muster.contracts import services as contracts
from muster.contracts.models import Contract


@pytest.fixture
def closeout(people):
    return Closeout.objects.create(contract=people["mine"], pop_end=datetime.date(2027, 11, 30))


def test_the_status_cannot_be_assigned(closeout):
    with pytest.raises(AttributeError):
        closeout.status = Closeout.Status.ACCESS_REMOVED
    assert closeout.status == Closeout.Status.NOTICE_SENT


def test_refresh_from_db_reads_the_status_the_row_has(closeout):
    Closeout.objects.filter(pk=closeout.pk).update(status=Closeout.Status.SCENARIO_CHOSEN)
    closeout.refresh_from_db()
    assert closeout.status == Closeout.Status.SCENARIO_CHOSEN
    with pytest.raises(AttributeError):  # still protected after the reload
        closeout.status = Closeout.Status.NOTICE_SENT


def test_an_extension_is_no_way_out_of_a_closeout_nobody_answered(closeout):
    with pytest.raises(TransitionNotAllowed):
        closeout.extend()


def test_undoing_the_choice_forgets_it(closeout, people):
    closeout.choose(Scenario.REAWARD_INCUMBENT, {"new_contract_number": "X"}, people["cor"])
    closeout.undo_choice()
    assert (closeout.status, closeout.scenario, closeout.answers, closeout.chosen_by) == (
        Closeout.Status.NOTICE_SENT, None, {}, None)


def test_each_move_of_the_status_is_on_the_audit_record(people, freeze_today):
    freeze_today(datetime.date(2027, 10, 1))  # 60 days before `mine` ends
    mine = people["mine"]
    for move in (Contract.award, Contract.start_onboarding, Contract.activate):
        mine = contracts.change_stage(None, mine, move)
    assert open_closeout(None, mine.pk)
    pop_end = mine.pop_end
    choose_scenario(people["cor"], mine, Scenario.NO_AWARD, {
        "pop_end_confirmed": pop_end, "data_to_archive": "None", "all_data_archived": True})
    freeze_today(pop_end)
    end_contract(None, mine.pk, pop_end)

    moves = [(e.action, e.before["status"], e.after["status"])
             for e in AuditEvent.objects.filter(object_type="closeout.closeout",
                                                before__has_key="status").order_by("pk")]
    assert moves == [
        ("closeout.scenario_chosen", "notice_sent", "scenario_chosen"),
        ("closeout.access_removed", "scenario_chosen", "access_removed"),
    ]

"""A closeout's status moves only by its transitions: assigning it is refused, reading it
again from the database is not (django-fsm's FSMModelMixin)."""

import datetime

import pytest
from django_fsm import TransitionNotAllowed

from muster.closeout.models import Closeout, Scenario


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

"""Each contract's next open step, kept on its row (Contract.next_step, next_step_due) by the
timeline service: every change leaves it equal to a full recomputation from the steps, the
check command finds and repairs a difference, and random sequences of changes never leave
one (a property test against the former per-page computation)."""

import contextlib
import datetime

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Subquery
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from muster import clock
from muster.accounts.models import TeamRole
from muster.closeout import steps as closeout_steps
from muster.contracts import queries
from muster.contracts import services as contract_services
from muster.contracts.models import Contract
from muster.timeline import services as timeline
from muster.timeline.models import ContractStep, Process

from ..factories import make_contract, signed_in, team_member

D = datetime.date


def stored(contract) -> tuple[str | None, datetime.date | None]:
    contract = Contract.objects.select_related("next_step").get(pk=contract.pk)
    return (contract.next_step.key if contract.next_step else None), contract.next_step_due


def step(contract, key) -> ContractStep:
    return contract.steps.get(key=key)


@pytest.fixture
def awarded(db, freeze_today):
    """Awarded Dec 1, 2026; POP Jan 4, 2027 to Jan 31, 2028; seen on Nov 24, 2026."""
    freeze_today(D(2026, 11, 24))
    return make_contract(name="Awarded", estimated_award_date=D(2026, 11, 20),
                         award_date=D(2026, 12, 1), pop_start=D(2027, 1, 4),
                         pop_end=D(2028, 1, 31))


# --- Each service leaves the stored next step right ----------------------------------------


def test_a_new_contract_stores_its_first_open_step(awarded):
    # Notify of solicitation: estimated award − 60 days, the earliest.
    assert stored(awarded) == ("notify-solicitation", D(2026, 9, 21))
    assert awarded.next_step_due == D(2026, 9, 21)  # the returned row says so too
    assert timeline.next_step_mismatches() == []


def test_completing_the_next_step_moves_it_and_reopening_brings_it_back(awarded):
    timeline.complete_step(None, step(awarded, "notify-solicitation"), "Filed")
    assert stored(awarded) == ("identify-requirements", D(2026, 11, 30))
    timeline.reopen_step(None, step(awarded, "notify-solicitation"), "Filed too early")
    assert stored(awarded) == ("notify-solicitation", D(2026, 9, 21))


def test_completing_a_later_step_leaves_the_next_one(awarded):
    timeline.complete_step(None, step(awarded, "remove-access"), "Early")
    assert stored(awarded) == ("notify-solicitation", D(2026, 9, 21))


def test_two_steps_due_the_same_day_the_first_in_order_is_next(awarded):
    for key in ["notify-solicitation", "identify-requirements", "notify-award", "name-so-spoc",
                "so-spoc-identified", "submit-intake"]:
        timeline.complete_step(None, step(awarded, key), "Done")
    # The eligibility meeting and complete onboarding are both due POP start + 5 business
    # days; the meeting comes first in the process.
    assert stored(awarded) == ("eligibility-meeting", D(2027, 1, 11))


def test_cancelling_and_restoring_a_process_moves_the_next_step(awarded):
    timeline.cancel_open_steps(None, awarded, Process.ONBOARDING, "withdrawn")
    assert stored(awarded) == ("closeout-notice", D(2027, 12, 2))
    timeline.cancel_open_steps(None, awarded, Process.OFFBOARDING, "withdrawn")
    assert stored(awarded) == (None, None)
    timeline.restore_cancelled_steps(None, awarded, Process.ONBOARDING, "reopened")
    assert stored(awarded) == ("notify-solicitation", D(2026, 9, 21))


def test_changing_the_dates_moves_the_next_step_with_its_due_date(awarded):
    contract_services.update_contract(None, awarded, estimated_award_date=D(2026, 12, 20))
    assert stored(awarded) == ("notify-solicitation", D(2026, 10, 21))
    timeline.complete_step(None, step(awarded, "notify-solicitation"), "Filed")
    contract_services.update_contract(None, awarded, award_date=D(2026, 12, 3))
    assert stored(awarded) == ("identify-requirements", D(2026, 12, 2))


def test_a_contract_without_dates_has_no_next_step(db):
    contract = make_contract(estimated_award_date=None)
    assert stored(contract) == (None, None)
    contract_services.update_contract(None, contract, estimated_award_date=D(2027, 3, 1))
    assert stored(contract) == ("notify-solicitation", D(2026, 12, 31))


def test_closeout_reopening_its_steps_moves_the_next_step(awarded):
    keys = [s.key for s in awarded.steps.order_by("order")]
    for key in keys:
        timeline.complete_step(None, step(awarded, key), "Done")
    assert stored(awarded) == (None, None)
    closeout_steps.reopen(None, awarded, ["closeout-notice", "remove-access"], "extended")
    assert stored(awarded) == ("closeout-notice", D(2027, 12, 2))


def test_the_admin_editing_or_deleting_a_step_moves_the_next_step(client, awarded):
    admin = team_member(TeamRole.Role.ADMINISTRATOR, is_staff=True, is_superuser=True)
    admin_client = signed_in(client, admin)
    first = step(awarded, "notify-solicitation")
    url = reverse("admin:timeline_contractstep_change", args=[first.pk])
    data = {"order": first.order, "key": first.key, "process": first.process,
            "phase": first.phase, "name": first.name, "anchor": "pop_end", "offset": "0",
            "offset_unit": "calendar", "responsible": '["cor"]', "evidence": first.evidence,
            "description": first.description, "contract": awarded.pk}
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert stored(awarded) == ("identify-requirements", D(2026, 11, 30))

    second = step(awarded, "identify-requirements")
    response = admin_client.post(
        reverse("admin:timeline_contractstep_delete", args=[second.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert stored(awarded) == ("notify-award", D(2026, 12, 1))
    assert timeline.next_step_mismatches() == []


# --- The check command ----------------------------------------------------------------------


def test_the_check_finds_nothing_when_every_row_is_right(awarded, capsys):
    call_command("check_next_steps")
    assert capsys.readouterr().out == "Every contract's stored next step matches its steps.\n"


def test_the_check_names_each_difference_exits_1_and_fix_repairs_it(awarded, capsys):
    other = make_contract(name="Other", estimated_award_date=None)
    first = step(awarded, "notify-solicitation")
    # Written around the service (as a bulk load would): the rows no longer match.
    Contract.objects.filter(pk=awarded.pk).update(next_step=None, next_step_due=None)
    Contract.objects.filter(pk=other.pk).update(next_step=first, next_step_due=D(2026, 1, 2))

    with pytest.raises(CommandError) as refused:
        call_command("check_next_steps")
    assert str(refused.value) == ("2 contracts' stored next step differs from its steps: "
                                  "run `manage.py check_next_steps --fix` to repair.")
    assert capsys.readouterr().out.splitlines() == [
        f"contract {awarded.pk}: stored none, expected step {first.pk} due 2026-09-21",
        f"contract {other.pk}: stored step {first.pk} due 2026-01-02, expected none",
    ]

    call_command("check_next_steps", "--fix", verbosity=0)
    assert capsys.readouterr().out == "Repaired the stored next step of 2 contracts.\n"
    assert stored(awarded) == ("notify-solicitation", D(2026, 9, 21))
    assert stored(other) == (None, None)
    call_command("check_next_steps")
    assert "matches" in capsys.readouterr().out


def test_refresh_of_some_contracts_leaves_the_others(awarded):
    other = make_contract(name="Other")
    Contract.objects.update(next_step=None, next_step_due=None)
    assert timeline.refresh_next_steps([other.pk]) == 1
    assert [m.contract_id for m in timeline.next_step_mismatches()] == [awarded.pk]
    assert timeline.next_step_mismatches([other.pk]) == []
    assert timeline.refresh_next_steps() == 1
    assert timeline.refresh_next_steps([]) == 0


# --- Random sequences of changes keep stored == recomputed ---------------------------------


def former_with_next_step(queryset):
    """The next step as the pages computed it before it was stored (per contract, from its
    steps, on every page): the reference the stored fields must reproduce."""
    today = clock.today()
    next_step = ContractStep.objects.filter(
        contract=OuterRef("pk"), completed_at__isnull=True, cancelled_at__isnull=True,
        due_date__isnull=False,
    ).order_by("due_date", "order")
    overdue = ContractStep.objects.filter(
        contract=OuterRef("pk"), completed_at__isnull=True, cancelled_at__isnull=True,
        due_date__lt=today,
    )
    return queryset.annotate(
        old_name=Subquery(next_step.values("name")[:1]),
        old_due=Subquery(next_step.values("due_date")[:1]),
        old_responsible=Subquery(next_step.values("responsible")[:1]),
        old_is_overdue=Exists(overdue),
        old_overdue_count=Subquery(
            overdue.order_by().values("contract").annotate(n=Count("pk")).values("n")[:1]
        ),
    ).order_by(F("old_is_overdue").desc(), F("old_due").asc(nulls_last=True), "name")


def assert_stored_matches_recomputed():
    assert timeline.next_step_mismatches() == []
    shown = [(c.pk, c.next_step_name, c.next_step_due, c.next_step_responsible,
              bool(c.is_overdue), c.overdue_count if c.is_overdue else None)
             for c in queries.overdue_first(queries.with_next_step(Contract.objects.all()))]
    former = [(c.pk, c.old_name, c.old_due, c.old_responsible, c.old_is_overdue,
               c.old_overdue_count) for c in former_with_next_step(Contract.objects.all())]
    assert shown == former


MILESTONES = ["estimated_award_date", "award_date", "pop_start", "pop_end"]
contract_index = st.integers(0, 3)
changes = st.one_of(
    st.tuples(st.just("create"), st.integers(-200, 200)),
    st.tuples(st.just("complete"), contract_index, st.integers(0, 12)),
    st.tuples(st.just("reopen"), contract_index, st.integers(0, 12)),
    st.tuples(st.just("cancel"), contract_index, st.sampled_from(Process.values)),
    st.tuples(st.just("restore"), contract_index, st.sampled_from(Process.values)),
    st.tuples(st.just("dates"), contract_index, st.sampled_from(MILESTONES),
              st.none() | st.integers(-300, 700)),
    st.tuples(st.just("closeout reopen"), contract_index),
    st.tuples(st.just("time passes"), st.integers(1, 120)),
)


def apply(change, contracts, start):
    kind, *args = change
    today = clock.today()
    if kind == "create":
        contracts.append(make_contract(estimated_award_date=today + datetime.timedelta(args[0])))
        return
    if kind == "time passes":
        return  # the caller moves the clock
    if not contracts:
        return
    contract = contracts[args[0] % len(contracts)]
    if kind in ("complete", "reopen"):
        steps = list(contract.steps.order_by("order"))
        chosen = steps[args[1] % len(steps)]
        if kind == "complete" and chosen.completed_at is None:
            timeline.complete_step(None, chosen, "Done")
        elif kind == "reopen" and chosen.completed_at is not None:
            timeline.reopen_step(None, chosen, "Again")
    elif kind == "cancel":
        timeline.cancel_open_steps(None, contract, args[1], "withdrawn")
    elif kind == "restore":
        timeline.restore_cancelled_steps(None, contract, args[1], "reopened")
    elif kind == "dates":
        day = None if args[2] is None else start + datetime.timedelta(args[2])
        with contextlib.suppress(ValidationError):  # dates out of order: refused, no change
            contract_services.update_contract(None, contract, **{args[1]: day})
    elif kind == "closeout reopen":
        closeout_steps.reopen(None, contract, ["closeout-notice", "remove-access"], "extended")


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(sequence=st.lists(changes, min_size=1, max_size=10))
def test_random_changes_keep_the_stored_next_step_equal_to_a_recomputation(
    db, time_machine, sequence
):
    start = D(2026, 11, 24)
    now = datetime.datetime(2026, 11, 24, 12, tzinfo=datetime.UTC)
    time_machine.move_to(now, tick=False)
    with transaction.atomic():
        contracts = [make_contract(estimated_award_date=start)]
        assert_stored_matches_recomputed()
        for change in sequence:
            if change[0] == "time passes":
                now += datetime.timedelta(days=change[1])
                time_machine.move_to(now, tick=False)
            apply(change, contracts, start)
            assert_stored_matches_recomputed()
        transaction.set_rollback(True)  # each example starts from an empty database
